"""The English catalogue (French source strings through Qt's translation system, English
available): complete, consistent with the sources, and actually used by the windows."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QKeySequence
from pytestqt.qtbot import QtBot

from app.composition import Profile, open_profile
from app.domain.account import Account, Endpoint, MailboxKind, TlsMode
from ui import i18n

TS = i18n.ts_path("en")
SENDER = "dr.jean.martin@cabinet.mssante.fr"
HOSPITAL = "chu-lumiere.estafette-demo.mssante.fr"
WAIT_MS = 10_000

# %1..%99, %n, {name} / {h:02d} (the format spec is part of the placeholder).
_PLACEHOLDER = re.compile(r"%(?:\d{1,2}|n)|\{[A-Za-z_][A-Za-z0-9_]*(?::[^{}]*)?\}")
# One accelerator marker: an "&" that is not part of "&&".
_ACCELERATOR = re.compile(r"(?<!&)&(?!&)")


def _messages() -> list[tuple[str, str, ET.Element]]:
    """(context, source, <message>) for every live message of the English catalogue."""
    found = []
    for context in ET.parse(TS).getroot().iter("context"):
        name = context.findtext("name", "")
        for message in context.iter("message"):
            translation = message.find("translation")
            if translation is not None and translation.get("type") in {"vanished", "obsolete"}:
                continue
            found.append((name, message.findtext("source", ""), message))
    return found


def _translations(message: ET.Element) -> list[str]:
    """The translated text, or each plural form of it (%n messages)."""
    translation = message.find("translation")
    assert translation is not None
    if message.get("numerus") == "yes":
        return [form.text or "" for form in translation.iter("numerusform")]
    return [translation.text or ""]


def test_catalogue_has_messages_from_every_part_of_the_shell() -> None:
    contexts = {context for context, _, _ in _messages()}
    assert {"MainWindow", "Composer", "FolderModel", "MessageListModel", "ConversationModel",
            "DirectoryResultsModel", "PreviewDispatcher", "XdmPreview"} <= contexts


def test_no_message_is_unfinished_or_empty() -> None:
    problems = []
    for context, source, message in _messages():
        translation = message.find("translation")
        if translation is None or translation.get("type") == "unfinished":
            problems.append((context, source, "unfinished"))
            continue
        texts = _translations(message)
        if not texts or any(not text.strip() for text in texts):
            problems.append((context, source, "empty"))
    assert problems == []
    assert i18n.unfinished(TS) == []


def test_placeholders_and_accelerators_match_the_source() -> None:
    problems = []
    for context, source, message in _messages():
        wanted = sorted(_PLACEHOLDER.findall(source))
        accelerators = len(_ACCELERATOR.findall(source))
        for text in _translations(message):
            if sorted(_PLACEHOLDER.findall(text)) != wanted:
                problems.append((context, source, text, "placeholders"))
            if len(_ACCELERATOR.findall(text)) != accelerators:
                problems.append((context, source, text, "accelerator"))
    assert problems == []


def test_shortcuts_stay_valid_key_sequences() -> None:
    """A translated shortcut ("Ctrl+N", "F5") must still parse, or the action loses its key."""
    shortcut = re.compile(r"^(?:(?:Ctrl|Shift|Alt|Meta)\+)*(?:F\d{1,2}|[A-Z0-9])$")
    seen = 0
    for context, source, message in _messages():
        if not shortcut.match(source):
            continue
        seen += 1
        (text,) = _translations(message)
        sequence = QKeySequence(text)
        assert sequence.count() == 1 and not sequence.isEmpty(), (context, source, text)
        assert sequence.toString() == text, (context, source, text)
    assert seen >= 4  # Ctrl+N, F5, Ctrl+Q, Ctrl+R, ...


def test_every_string_of_the_sources_is_in_the_catalogue(tmp_path: Path) -> None:
    """lupdate over today's sources into a copy finds nothing new to translate: a tr() string
    added without its English fails here rather than showing French in the English UI."""
    copy = tmp_path / TS.name
    shutil.copy(TS, copy)
    done = subprocess.run(
        [i18n._tool("lupdate"), "-no-obsolete", "-source-language", i18n.SOURCE_LANGUAGE,
         "-target-language", "en", *i18n._sources(), "-ts", str(copy)],
        cwd=i18n.PROJECT_ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert i18n.unfinished(copy) == []


# --- the catalogue at run time ------------------------------------------------------------------


@pytest.fixture
def english(qapp, tmp_path: Path) -> Iterator[None]:
    """English catalogue compiled from the .ts into tmp_path, installed for the test only."""
    i18n.compile_qm(TS, i18n.qm_path("en", tmp_path))
    translators = i18n.install_translators(qapp, "en", directory=tmp_path)
    yield
    for translator in translators:
        QCoreApplication.removeTranslator(translator)


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    opened = open_profile(tmp_path / "profile", key_file=tmp_path / "key")
    endpoint = Endpoint("127.0.0.1", 1, TlsMode.IMPLICIT)
    opened.accounts.add(
        Account(address=SENDER, kind=MailboxKind.PER, login="jmartin", imap=endpoint,
                smtp=endpoint, display_name="Dr Jean MARTIN"),
        password="secret",
    )
    yield opened
    opened.close()


def test_core_errors_follow_the_window_language(english: None) -> None:
    from ui.dialogs import ui_language

    assert ui_language() == "en"


def test_main_window_in_english(qtbot: QtBot, english: None, profile: Profile) -> None:
    from ui.windows.main_window import MainWindow

    accounts = profile.accounts.list()
    window = MainWindow(accounts)
    qtbot.addWidget(window)
    assert window.windowTitle() == "Estafette — Secure health messaging"
    menus = {a.text(): a.menu() for a in window.menuBar().actions()}
    assert list(menus) == ["&File", "&Edit", "&View", "&Message", "&Tools", "&Help"]
    file_items = [a.text() for a in menus["&File"].actions() if not a.isSeparator()]
    assert "&New Message" in file_items and "&Quit" in file_items
    tools = [a.text() for a in menus["&Tools"].actions() if not a.isSeparator()]
    assert "&Audit Log…" in tools and "&Directory" in tools
    assert window.account_count_label.text() == "1 account"
    assert window.placeholder.text() == "No message selected"
    box = window.account_model.account_index(SENDER)
    panes = [window.account_model.index(r, 0, box).data()
             for r in range(window.account_model.rowCount(box))]
    assert panes == ["Professionals", "Patients"]


def test_composer_in_english(qtbot: QtBot, english: None, profile: Profile) -> None:
    from ui.dialogs.composer import Composer

    window = Composer(profile=profile, undo_seconds=60)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.from_combo.count() == 1, timeout=WAIT_MS)
    try:
        assert window.windowTitle() == "New Message"
        assert window.send_button.text() == "Send"
        assert window.send_action.text() == "&Send"
        assert window.mdn_check.text() == "Request a &read receipt"
        assert window.body_edit.placeholderText() == "Write your message here."
        assert window.add_button.text() == "Att&ach…"
    finally:
        window.close()
        qtbot.waitUntil(lambda: not window._runner.busy, timeout=WAIT_MS)


def test_module_level_labels_in_english(english: None) -> None:
    """Strings outside any widget class (folder names, preview refusals) are translated too."""
    from ui.models.folder_model import folder_label
    from ui.widgets.attachment_bar import format_size
    from ui.widgets.preview.dispatcher import choose_preview

    assert folder_label("INBOX", "INBOX") == "Inbox"
    assert [format_size(1), format_size(850), format_size(12_600)] == ["1 byte", "850 bytes",
                                                                        "12.3 KB"]
    assert [folder_label(n, u) for n, u in (("Sent", "\\Sent"), ("Trash", "\\Trash"),
                                            ("Drafts", "\\Drafts"))] == ["Sent", "Trash", "Drafts"]
    assert choose_preview(b"").reason == "The file is empty."
    claimed_pdf = choose_preview(b"hello, plain text", filename="report.pdf")
    assert claimed_pdf.reason == ("The file claims to be a PDF but contains text: it is not "
                                  "shown, as a precaution.")


def test_french_without_a_catalogue() -> None:
    """The source strings are the French UI: no translator installed, no English."""
    from ui.models.folder_model import folder_label

    assert folder_label("INBOX", "INBOX") == "Boîte de réception"
