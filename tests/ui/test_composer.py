"""The composer (issue #7, item 4): whitelist badges that stop a send, CDA documents packed as
IHE XDM for one patient, drafts saved as you type, queueing with an undo window.

Every test runs against a real encrypted profile (key file in tmp_path) with a whitelist loaded
through the whitelist service and a directory imported through the directory store. Waits use
``qtbot.waitUntil`` as a guard against hanging, never as a timing assertion.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.composition import Profile, open_profile
from app.domain.account import Account, Endpoint, MailboxKind, TlsMode
from app.domain.outgoing import OutboxState
from app.store.directory_store import RECORD_FIELDS
from tests.sandbox import demo_documents as docs
from tests.sandbox import demo_world
from ui.dialogs.composer import Composer
from ui.widgets.recipient_field import ChipState

SENDER = "dr.jean.martin@cabinet.mssante.fr"
ALLOWED = "secretariat@ch-lyon.mssante.fr"
BLOCKED = "jean.dupont@gmail.com"
NOT_LISTED = "accueil@clinique-inconnue.mssante.fr"
WAIT_MS = 10_000

_NS = "https://listeblanche.mssante.fr/schema"


def whitelist_xml(*domains: str) -> bytes:
    body = "".join(
        f"<Domaine><Nom>{d}</Nom><Description>Test</Description>"
        "<DNCertificatOperateur>CN=op.example.fr,O=OP,C=FR</DNCertificatOperateur>"
        "<ResponsableContact>resp</ResponsableContact><SupportContact>support</SupportContact>"
        "<DateMAJ>2025-03-13T14:54:10Z</DateMAJ></Domaine>"
        for d in domains
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ListeBlancheMSSante xmlns="{_NS}">'
        "<DateDeGeneration>2025-03-13T14:54:10Z</DateDeGeneration>"
        f"<ListeDomaines>{body}</ListeDomaines></ListeBlancheMSSante>"
    ).encode()


def record(address: str, box_type: str = "PER", **fields: str) -> tuple[str, ...]:
    values = dict.fromkeys(RECORD_FIELDS, "")
    values.update(address=address, box_type=box_type, **fields)
    return tuple(values[name] for name in RECORD_FIELDS)


DIRECTORY = [
    record("jean.martin@medecin.mssante.fr", family_name="MARTIN", given_name="Jean",
           civility="DR", profession="Médecin", specialty="Médecine générale",
           postcode="69003", city="LYON", department="69"),
    record("sophie.martinez@infirmier.mssante.fr", family_name="MARTINEZ", given_name="Sophie",
           civility="MME", profession="Infirmier", postcode="75012", city="PARIS",
           department="75"),
    record("luc.petit@kine.mssante.fr", family_name="PETIT", given_name="Luc",
           profession="Masseur-Kinésithérapeute", postcode="01000", city="BOURG-EN-BRESSE",
           department="01"),
    record("cardiologie@ch-lyon.mssante.fr", "ORG", structure="Centre hospitalier de Lyon",
           service="Cardiologie", postcode="69003", city="LYON", department="69"),
]


@dataclass
class World:
    profile: Profile
    tmp: Path


def build_world(tmp_path: Path) -> Profile:
    """An encrypted profile with one account, a whitelist and a small directory."""
    profile = open_profile(tmp_path / "profile", key_file=tmp_path / "key")
    endpoint = Endpoint("127.0.0.1", 1, TlsMode.IMPLICIT)
    profile.accounts.add(
        Account(address=SENDER, kind=MailboxKind.PER, login="jmartin", imap=endpoint,
                smtp=endpoint, display_name="Dr Jean MARTIN"),
        password="secret",
    )
    xml = whitelist_xml("cabinet.mssante.fr", "ch-lyon.mssante.fr", "medecin.mssante.fr",
                        "infirmier.mssante.fr", "kine.mssante.fr")
    profile.whitelist.refresh_from_bytes(xml, hashlib.sha256(xml).hexdigest(), source="test")
    profile.directory.store.import_records(DIRECTORY, source_name="annuaire-test.txt")
    return profile


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    opened = build_world(tmp_path)
    yield opened
    opened.close()


@pytest.fixture
def composer(qtbot: QtBot, profile: Profile) -> Iterator[Composer]:
    window = Composer(profile=profile, undo_seconds=60)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.from_combo.count() == 1, timeout=WAIT_MS)
    yield window
    window.close()
    # Let the last background calls (draft save on close) land before the profile closes.
    qtbot.waitUntil(lambda: not window._runner.busy, timeout=WAIT_MS)


def cda_file(tmp_path: Path, patient_index: int, name: str) -> Path:
    patient = demo_world.PATIENTS[patient_index]
    data = docs.make_cda_level1(
        patient, demo_world.DR_MARTIN, code="11502-2", code_system=docs.LOINC,
        display_name="CR d'examens biologiques", title="Compte rendu de biologie",
        effective_time=dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC),
        pdf=docs.make_pdf("Compte rendu", ["Glycémie à jeun : 0,95 g/L"]),
    )
    path = tmp_path / name
    path.write_bytes(data)
    return path


def add_recipient(qtbot: QtBot, window: Composer, address: str) -> None:
    field = window.to_field
    qtbot.keyClicks(field.line_edit, address)
    qtbot.keyClick(field.line_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: (c := field.chip(address)) is not None
                    and c.state is not ChipState.PENDING, timeout=WAIT_MS)


# --- recipients and the whitelist ---------------------------------------------------------------


def test_blocked_recipient_shows_its_reason_and_send_is_refused(
        qtbot: QtBot, composer: Composer, profile: Profile) -> None:
    """MSSANTE.md §1: a recipient outside the whitelist is blocked, with the reason shown."""
    add_recipient(qtbot, composer, BLOCKED)
    chip = composer.to_field.chip(BLOCKED)
    assert chip is not None and chip.state is ChipState.BLOCKED
    assert chip.badge.text() == "✗"
    assert "n'est pas une adresse MSSanté" in chip.reason
    assert chip.reason in chip.toolTip() and chip.accessibleDescription() == chip.reason
    assert composer.error_banner.isVisible()  # said at once, not only on Envoyer

    composer.error_banner.clear_message()
    composer.subject_edit.setText("Test")
    composer.send_button.click()
    assert composer.error_banner.isVisible()
    assert "bloqué" in composer.error_banner.text() and BLOCKED in composer.error_banner.text()
    assert chip.reason in composer.error_banner.text()
    assert composer.isVisible() and composer.toast is None
    assert profile.outbox.items() == []

    # Removing it lifts the refusal message.
    chip.remove_button.click()
    assert composer.to_field.addresses() == []
    assert not composer.error_banner.isVisible()


def test_listed_domain_is_allowed_and_unlisted_mssante_domain_blocked(
        qtbot: QtBot, composer: Composer) -> None:
    add_recipient(qtbot, composer, ALLOWED)
    add_recipient(qtbot, composer, NOT_LISTED)
    allowed, refused = composer.to_field.chip(ALLOWED), composer.to_field.chip(NOT_LISTED)
    assert allowed is not None and allowed.state is ChipState.ALLOWED
    assert allowed.badge.text() == "✓" and "liste blanche" in allowed.reason
    assert refused is not None and refused.state is ChipState.BLOCKED
    assert "n'est pas dans la liste blanche" in refused.reason


# --- CDA documents and IHE XDM --------------------------------------------------------------------


def test_cda_document_shows_the_patient_and_the_xdm_subject(
        qtbot: QtBot, composer: Composer, tmp_path: Path) -> None:
    """ECO.2.1: CDA documents travel in IHE_XDM.ZIP; the subject follows the ANS rule."""
    patient = demo_world.PATIENTS[0]
    composer.add_files([cda_file(tmp_path, 0, "cr-biologie.xml")])
    qtbot.waitUntil(lambda: composer.package is not None, timeout=WAIT_MS)
    text = composer.patient_label.text()
    assert text == f"Patient : DURAND Marie — INS {patient.ins[:13]} {patient.ins[13:]}"
    assert composer.patient_label.isVisible()
    subject = composer.subject_edit.text()
    assert subject.startswith("XDM/1.0/DDM+CR d'examens biologiques DURAND ")
    assert subject.endswith(" 14/03/1975")
    assert [d.filename for d in composer.documents()] == ["cr-biologie.xml"]
    assert composer.attachments() == []  # the CDA is not attached as a plain file
    assert "document CDA" in composer.attachment_list.item(0).text()


def test_documents_of_two_patients_are_refused(
        qtbot: QtBot, composer: Composer, tmp_path: Path) -> None:
    """ECO.2.1: one message carries the documents of one patient only."""
    composer.add_files([cda_file(tmp_path, 0, "durand.xml")])
    qtbot.waitUntil(lambda: composer.package is not None, timeout=WAIT_MS)
    composer.add_files([cda_file(tmp_path, 1, "lefevre.xml")])
    qtbot.waitUntil(composer.error_banner.isVisible, timeout=WAIT_MS)
    assert "lefevre.xml" in composer.error_banner.text()
    assert "même patient" in composer.error_banner.text()
    assert [d.filename for d in composer.documents()] == ["durand.xml"]
    assert "DURAND Marie" in composer.patient_label.text()


def test_the_xdm_subject_replaces_a_typed_one_and_plain_files_are_attached(
        qtbot: QtBot, composer: Composer, tmp_path: Path) -> None:
    """MSSANTE §6: with structured documents the subject is the XDM one — shown as it will be
    sent, read-only while documents are attached, editable again once they are removed."""
    note = tmp_path / "note.txt"
    note.write_text("Bonjour", encoding="utf-8")
    composer.subject_edit.setText("Résultats de Mme Durand")
    composer.add_files([note, cda_file(tmp_path, 0, "cr.xml")])
    qtbot.waitUntil(lambda: composer.package is not None, timeout=WAIT_MS)
    assert composer.package is not None
    assert composer.subject_edit.text() == composer.package.subject
    assert composer.subject_edit.text().startswith("XDM/1.0/DDM+")
    assert composer.subject_edit.isReadOnly()
    assert [a.filename for a in composer.attachments()] == ["note.txt"]
    assert composer.attachment_list.count() == 2
    # Removing the CDA drops the package and the patient line.
    composer.attachment_list.item(0).setSelected(True)
    composer.remove_button.click()
    qtbot.waitUntil(lambda: composer.package is None and not composer.documents(),
                    timeout=WAIT_MS)
    assert not composer.patient_label.isVisible()
    assert composer.attachment_list.count() == 1
    assert not composer.subject_edit.isReadOnly() and composer.subject_edit.text() == ""


def test_patient_recipient_gets_the_25_mb_warning(qtbot: QtBot, composer: Composer) -> None:
    """MSSANTE.md §5: 25 MB per message at most for a patient."""
    patient = demo_world.PATIENTS[0]
    add_recipient(qtbot, composer, patient.address)
    assert composer.to_field.chip(patient.address).state is ChipState.ALLOWED
    assert composer.size_banner.isVisible() and "25 Mo" in composer.size_banner.text()


# --- drafts -------------------------------------------------------------------------------------


def test_draft_is_saved_while_typing_and_kept_on_escape(
        qtbot: QtBot, composer: Composer, profile: Profile) -> None:
    composer.subject_edit.setFocus()
    qtbot.keyClicks(composer.subject_edit, "Compte rendu")
    qtbot.keyClicks(composer.body_edit, "Bonjour confrere,")
    drafts = profile.outbox.drafts
    qtbot.waitUntil(lambda: len(drafts.items()) == 1
                    and (drafts.get(drafts.items()[0][0]) or {}).get("text")
                    == "Bonjour confrere,", timeout=WAIT_MS)
    [(draft_id, account, _)] = drafts.items()
    assert account == SENDER
    payload = drafts.get(draft_id)
    assert payload is not None and payload["subject"] == "Compte rendu"

    qtbot.keyClicks(composer.body_edit, " suite")
    qtbot.keyClick(composer.body_edit, Qt.Key.Key_Escape)
    assert not composer.isVisible()
    qtbot.waitUntil(lambda: (drafts.get(draft_id) or {}).get("text")
                    == "Bonjour confrere, suite", timeout=WAIT_MS)
    assert len(drafts.items()) == 1  # the same draft, updated


def test_a_draft_reopens_in_a_composer(qtbot: QtBot, profile: Profile) -> None:
    draft_id = profile.outbox.drafts.save(
        {"from": SENDER, "to": [ALLOWED], "cc": [], "subject": "Suite", "text": "Texte",
         "request_mdn": True, "attachments": [], "cda": []}, account=SENDER, now=1.0)
    window = Composer(profile=profile, draft_id=draft_id)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.subject_edit.text() == "Suite"
                    and window.to_field.chip(ALLOWED) is not None
                    and window.to_field.chip(ALLOWED).state is ChipState.ALLOWED,
                    timeout=WAIT_MS)
    assert window.body_edit.toPlainText() == "Texte" and window.mdn_check.isChecked()
    assert window.draft_id == draft_id
    qtbot.waitUntil(lambda: not window._runner.busy, timeout=WAIT_MS)


# --- sending and undo ---------------------------------------------------------------------------


def test_send_queues_with_an_undo_window_and_undo_cancels(
        qtbot: QtBot, composer: Composer, profile: Profile) -> None:
    add_recipient(qtbot, composer, ALLOWED)
    composer.subject_edit.setText("Avis")
    composer.body_edit.setPlainText("Bonjour,\nmerci de votre avis.")
    composer.mdn_check.setChecked(True)
    with qtbot.waitSignal(composer.queued, timeout=WAIT_MS) as queued:
        qtbot.keyClick(composer.body_edit, Qt.Key.Key_Return,
                       Qt.KeyboardModifier.ControlModifier)
    item_id = queued.args[0]
    [item] = profile.outbox.items()
    assert item.id == item_id and item.state is OutboxState.QUEUED
    assert item.not_before > item.created_at  # still inside its undo window
    assert [r.address for r in item.recipients] == [ALLOWED]
    assert not composer.isVisible()
    toast = composer.toast
    assert toast is not None and toast.isVisible()
    assert toast.text().startswith("Message en cours d'envoi — Annuler (")
    assert profile.outbox.drafts.items() == [] or composer.draft_id is None

    with qtbot.waitSignal(composer.cancelled, timeout=WAIT_MS):
        toast.undo_button.click()
    [item] = profile.outbox.items()
    assert item.state is OutboxState.CANCELLED
    assert composer.isVisible()  # back to writing
    assert "annulé" in toast.label.text()


def test_send_without_recipient_is_refused(qtbot: QtBot, composer: Composer,
                                           profile: Profile) -> None:
    composer.send_button.click()
    assert "destinataire" in composer.error_banner.text()
    assert profile.outbox.items() == []


def test_outbox_refusal_is_shown_in_the_window(qtbot: QtBot, profile: Profile) -> None:
    """ECO.2.2.7: an account without a meaningful display name cannot send; the outbox's own
    French sentence reaches the user."""
    endpoint = Endpoint("127.0.0.1", 1, TlsMode.IMPLICIT)
    profile.accounts.add(Account(address="anonyme@cabinet.mssante.fr", kind=MailboxKind.PER,
                                 login="anon", imap=endpoint, smtp=endpoint), password="x")
    window = Composer(profile=profile, from_address="anonyme@cabinet.mssante.fr")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.from_combo.count() == 2, timeout=WAIT_MS)
    assert window.from_account() == ("anonyme@cabinet.mssante.fr", "anon")
    add_recipient(qtbot, window, ALLOWED)
    window.send_button.click()
    qtbot.waitUntil(window.error_banner.isVisible, timeout=WAIT_MS)
    assert "ECO.2.2.7" in window.error_banner.text()
    assert profile.outbox.items() == []
    window.close()
    qtbot.waitUntil(lambda: not window._runner.busy, timeout=WAIT_MS)


def test_directory_button_adds_recipients(qtbot: QtBot, composer: Composer) -> None:
    composer.open_directory()
    dialog = composer.directory_dialog
    dialog.name_edit.setText("petit")
    with qtbot.waitSignal(dialog.search_finished, timeout=WAIT_MS):
        dialog.search_button.click()
    dialog.add_cc_button.click()
    assert composer.cc_field.addresses() == ["luc.petit@kine.mssante.fr"]
    dialog.close()


def test_controls_have_accessible_names(composer: Composer) -> None:
    for widget in (composer.from_combo, composer.to_field.line_edit, composer.cc_field.line_edit,
                   composer.subject_edit, composer.body_edit, composer.attachment_list,
                   composer.mdn_check, composer.send_button, composer.add_button,
                   composer.remove_button):
        assert widget.accessibleName(), widget.objectName()
