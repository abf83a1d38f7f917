"""The settings dialog over a real (encrypted, key-file) profile: lock delay at most 2 h
(MSSANTE §8), language, export folder, whitelist and directory sources, the API key kept in the
SecretStore, and each account's read-receipt policy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from app.composition import Profile, open_profile
from app.domain.account import Account, AuthMethod, Endpoint, MailboxKind, TlsMode
from app.domain.settings import AppSettings
from app.protocols.mime.mdn_builder import MdnPolicy
from app.store.outbox_store import SettingStore
from app.store.settings_store import FHIR_API_KEY_SECRET, AppSettingsStore
from ui.dialogs.settings_dialog import SettingsDialog, save_settings

ACCOUNT = Account(address="dr.martin@cabinet.example.mssante.fr", kind=MailboxKind.PER,
                  login="dr.martin", imap=Endpoint("imap.example", 993, TlsMode.IMPLICIT),
                  smtp=Endpoint("smtp.example", 587, TlsMode.STARTTLS), auth=AuthMethod.PSC)


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as opened:
        opened.accounts.add(ACCOUNT)
        yield opened


@pytest.fixture
def store(profile: Profile) -> AppSettingsStore:
    return AppSettingsStore(settings=SettingStore(database=profile.database),
                            secrets=profile.secrets)


def open_dialog(qtbot: QtBot, profile: Profile, store: AppSettingsStore) -> SettingsDialog:
    dialog = SettingsDialog(store.load(), api_key_stored=store.fhir_api_key() is not None,
                            accounts=profile.accounts.list(),
                            mdn_policies={(ACCOUNT.address, ACCOUNT.login):
                                          profile.receipts.mdn_policy(ACCOUNT)})
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


def test_edit_and_save_round_trip(qtbot: QtBot, profile: Profile,
                                  store: AppSettingsStore) -> None:
    dialog = open_dialog(qtbot, profile, store)
    assert dialog.lock_spin.value() == 15
    assert dialog.lock_spin.maximum() == 120  # 2 h at most
    dialog.lock_spin.setValue(30)
    dialog.card_lock.setChecked(False)
    dialog.language.setCurrentIndex(dialog.language.findData("en"))
    assert dialog.language_note.isVisibleTo(dialog)  # "prend effet au prochain démarrage"
    dialog.export_folder.setText("/srv/dossiers-patients")
    dialog.whitelist_url.setText("https://listeblanche.example/lb.xml")
    dialog.ldap_uri.setText("ldap://127.0.0.1:3890")
    dialog.ldap_base.setText("dc=example,dc=fr")
    dialog.fhir_url.setText("https://annuaire.example/fhir")
    qtbot.keyClicks(dialog.api_key, "cle-0123456789")
    box = dialog.mdn_boxes[(ACCOUNT.address, ACCOUNT.login)]
    box.setCurrentIndex(box.findData(MdnPolicy.NEVER.value))

    with qtbot.waitSignal(dialog.settings_accepted, timeout=1000) as blocker:
        dialog.buttons.accepted.emit()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.api_key.text() == ""  # the key does not linger in the widget
    save_settings(blocker.args[0], store=store, receipts=profile.receipts,
                  accounts=profile.accounts.list())

    loaded = store.load()
    assert loaded == AppSettings(lock_minutes=30, lock_on_card_removal=False, language="en",
                                 export_folder="/srv/dossiers-patients",
                                 whitelist_url="https://listeblanche.example/lb.xml",
                                 ldap_uri="ldap://127.0.0.1:3890", ldap_base_dn="dc=example,dc=fr",
                                 fhir_base_url="https://annuaire.example/fhir")
    assert profile.secrets.get(FHIR_API_KEY_SECRET) == "cle-0123456789"
    assert profile.receipts.mdn_policy(ACCOUNT) is MdnPolicy.NEVER

    # Reopened: the key is not shown back, only that one is kept; empty keeps it.
    again = open_dialog(qtbot, profile, store)
    assert again.api_key.text() == "" and "Clé enregistrée" in again.api_key.placeholderText()
    assert again.collect().api_key is None
    again.forget_key.setChecked(True)
    save_settings(again.collect(), store=store, receipts=None, accounts=[])
    assert store.fhir_api_key() is None


def test_invalid_values_keep_the_dialog_open(qtbot: QtBot, profile: Profile,
                                             store: AppSettingsStore) -> None:
    dialog = open_dialog(qtbot, profile, store)
    dialog.whitelist_url.setText("http://listeblanche.example/lb.xml")  # no TLS
    dialog.buttons.accepted.emit()
    assert dialog.isVisible()
    assert dialog.result_value is None
    assert "https://" in dialog.error_label.text()
    dialog.whitelist_url.setText("")
    dialog.export_folder.setText("dossier/relatif")
    dialog.buttons.accepted.emit()
    assert "chemin absolu" in dialog.error_label.text()
    assert store.load() == AppSettings()  # nothing written


def test_spin_box_cannot_exceed_two_hours(qtbot: QtBot, profile: Profile,
                                          store: AppSettingsStore) -> None:
    dialog = open_dialog(qtbot, profile, store)
    dialog.lock_spin.setValue(500)
    assert dialog.lock_spin.value() == 120
    assert dialog.collect().settings.lock_minutes == 120


def _crl_dialog(qtbot: QtBot, profile: Profile, store: AppSettingsStore) -> SettingsDialog:
    dialog = SettingsDialog(store.load(), accounts=profile.accounts.list(),
                            crl_urls=profile.crls.urls(), crl_status=profile.crls.status())
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


def test_the_crl_addresses_are_set_from_the_window(qtbot: QtBot, profile: Profile,
                                                   store: AppSettingsStore) -> None:
    """ECO.1.1.7: the addresses of the CRLs to keep, set in Paramètres ▸ Révocation as with
    ``estafette crl set``; each line checked, duplicates dropped, none switches checking off."""
    dialog = _crl_dialog(qtbot, profile, store)
    assert dialog.crl_status.text() == "Aucune adresse : la révocation n'est pas vérifiée."
    dialog.crl_urls.setPlainText("ftp://igc-sante.example/crl\n")
    dialog.buttons.accepted.emit()
    assert dialog.isVisible()
    assert "ftp://igc-sante.example/crl" in dialog.error_label.text()
    dialog.crl_urls.setPlainText("http://crl.igc-sante.example/ac-serveurs.crl\n\n"
                                 "  https://crl.example/b.crl \n"
                                 "http://crl.igc-sante.example/ac-serveurs.crl\n")
    with qtbot.waitSignal(dialog.settings_accepted, timeout=1000) as blocker:
        dialog.buttons.accepted.emit()
    result = blocker.args[0]
    assert result.crl_urls == ["http://crl.igc-sante.example/ac-serveurs.crl",
                               "https://crl.example/b.crl"]
    save_settings(result, store=store, receipts=profile.receipts,
                  accounts=profile.accounts.list(), crls=profile.crls)
    assert profile.crls.urls() == result.crl_urls and profile.crls.enabled()

    # Shown again: the addresses, and that no CRL is kept for them yet.
    again = _crl_dialog(qtbot, profile, store)
    assert again.crl_urls.toPlainText().splitlines() == result.crl_urls
    assert again.crl_status.text().splitlines() == [
        "http://crl.igc-sante.example/ac-serveurs.crl : aucune CRL gardée",
        "https://crl.example/b.crl : aucune CRL gardée"]
    # Unchanged: nothing to write; emptied: checking is switched off.
    with qtbot.waitSignal(again.settings_accepted, timeout=1000) as blocker:
        again.buttons.accepted.emit()
    assert blocker.args[0].crl_urls is None
    last = _crl_dialog(qtbot, profile, store)
    last.crl_urls.setPlainText("  \n")
    with qtbot.waitSignal(last.settings_accepted, timeout=1000) as blocker:
        last.buttons.accepted.emit()
    save_settings(blocker.args[0], store=store, receipts=profile.receipts,
                  accounts=profile.accounts.list(), crls=profile.crls)
    assert profile.crls.urls() == [] and not profile.crls.enabled()


def test_without_crl_addresses_given_the_tab_is_absent(qtbot: QtBot, profile: Profile,
                                                       store: AppSettingsStore) -> None:
    dialog = open_dialog(qtbot, profile, store)
    tabs = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert "Révocation" not in tabs
    with qtbot.waitSignal(dialog.settings_accepted, timeout=1000) as blocker:
        dialog.buttons.accepted.emit()
    assert blocker.args[0].crl_urls is None


def test_the_revocation_tab_says_what_is_kept_and_what_failed(
        qtbot: QtBot, profile: Profile, store: AppSettingsStore) -> None:
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from app.errors import InvalidInputError

    facts = SimpleNamespace(issuer_name="CN=AC IGC-Santé Serveurs",
                            next_update=datetime(2026, 12, 20, 9, 30, tzinfo=UTC))
    statuses = [
        SimpleNamespace(url="http://crl.example/a.crl", kept=SimpleNamespace(facts=facts),
                        last_error=None),
        SimpleNamespace(url="http://crl.example/b.crl", kept=None,
                        last_error=InvalidInputError("Le serveur a répondu 404.",
                                                     message_en="The server answered 404.")),
    ]
    dialog = SettingsDialog(store.load(), crl_urls=[s.url for s in statuses],
                            crl_status=statuses)
    qtbot.addWidget(dialog)
    lines = dialog.crl_status.text().splitlines()
    shown = facts.next_update.astimezone().strftime("%d/%m/%Y %H:%M")
    assert lines == [f"http://crl.example/a.crl : CN=AC IGC-Santé Serveurs, valable jusqu'au "
                     f"{shown}",
                     "http://crl.example/b.crl : aucune CRL gardée",
                     "    dernier échec : Le serveur a répondu 404."]
