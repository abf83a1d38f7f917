"""Drive the real main window over the demo sandbox and save the README's screenshots.

    make sandbox-up
    .venv/bin/python -m tests.sandbox.demo_profile --dir .sandbox --profile .sandbox/demo-profile
    xvfb-run -a -s "-screen 0 1280x800x24" env QT_QPA_PLATFORM=xcb \\
        .venv/bin/python packaging/dev/take_screenshots.py --profile .sandbox/demo-profile

Writes docs/screenshots/{main-window,reader-cda-preview,pdf-preview,composer-blocked,directory,
patient-pane,lock-screen}.png. Each step waits for what it shows (with a time limit), then grabs
the window or dialog with ``QWidget.grab()``.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402


def pump(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.01)


def wait_until(what: str, condition: Callable[[], Any], timeout: float = 40.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        if condition():
            return
        time.sleep(0.02)
    raise SystemExit(f"screenshots: gave up waiting for {what}")


def grab(widget: QWidget, out: Path) -> None:
    pump(0.8)  # let pending paints (PDF pages, text layout) finish
    widget.grab().save(str(out))
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


def row_with(window: Any, text: str) -> int | None:
    from ui.models.message_list_model import Column

    model = window.message_model
    for row in range(model.rowCount()):
        if text in (model.index(row, Column.SUBJECT).data() or ""):
            return row
    return None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", type=Path, default=ROOT / ".sandbox" / "demo-profile")
    parser.add_argument("--key-file", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    key_file = args.key_file or Path(str(args.profile) + ".key")
    args.out.mkdir(parents=True, exist_ok=True)

    app = QApplication(sys.argv[:1])
    app.setApplicationName("Estafette")
    from app.composition import open_profile
    from app.store.outbox_store import SettingStore
    from app.store.settings_store import AppSettingsStore
    from tests.sandbox import demo_world as world
    from ui import i18n
    from ui.bridge import EventBridge
    from ui.models.account_model import Pane
    from ui.models.account_model import Roles as AccountRoles
    from ui.windows.main_window import MainWindow

    translators = i18n.install_translators(app, "fr")
    profile = open_profile(args.profile, key_file=key_file)
    if profile.whitelist.current() is None:
        from tests.ui.test_composer import whitelist_xml

        xml = whitelist_xml(*world.WHITELISTED_DOMAINS)
        profile.whitelist.refresh_from_bytes(xml, hashlib.sha256(xml).hexdigest(),
                                             source="screenshots")
    settings = AppSettingsStore(settings=SettingStore(database=profile.database),
                                secrets=profile.secrets).load()
    bridge = EventBridge(profile.events)
    window = MainWindow(profile.accounts.list(), profile=profile, bridge=bridge,
                        settings=settings, use_tray=False)
    window.resize(1280, 780)
    window.show()
    martin = world.DR_MARTIN.login
    try:
        wait_until("the first sync", lambda: martin in window._synced, 60)
        model = window.account_model
        account = model.account_index(martin)
        window.account_tree.setCurrentIndex(model.index(0, 0, account))
        wait_until("the inbox", lambda: row_with(window, "biologiques") is not None)
        row = row_with(window, "biologiques")
        assert row is not None
        window.message_list.table.selectRow(row)
        wait_until("the reader", lambda: window.reader_stack.currentIndex() == 1)
        grab(window, args.out / "main-window.png")

        # The CDA inside the lab's XDM package, in the preview pane beside the message.
        names = [(a.name or "").upper() for a in window.attachments()]
        opened: list[Any] = []
        window.preview_opened.connect(opened.append)
        window.preview_attachment(names.index("IHE_XDM.ZIP"))
        wait_until("the XDM preview", lambda: bool(opened)
                   and getattr(opened[-1], "result", None) is not None)
        preview = opened[-1]
        wait_until("the CDA", lambda: preview.document_preview is not None
                   and not preview.document_preview.is_loading())
        grab(window, args.out / "reader-cda-preview.png")
        window.close_preview()
        pump(0.2)

        pdf = next((i for i, n in enumerate(names) if n.endswith(".PDF")), None)
        if pdf is not None:
            window.preview_attachment(pdf)
            wait_until("the PDF preview", lambda: window.preview_panel.preview is not None
                       and not window.preview_panel.preview.is_loading())
            pump(2.0)  # QPdfView renders asynchronously
            grab(window, args.out / "pdf-preview.png")
            window.close_preview()
            pump(0.2)

        composer = window.open_composer(subject="Demande d'avis — Mme DURAND",
                                        body="Bonjour,\n\nPouvez-vous me donner votre avis ?\n")
        wait_until("the composer accounts", lambda: composer.from_account() is not None)
        composer.to_field.add_addresses(["claire.bernard@cabinet-croix-rousse."
                                         "estafette-demo.mssante.fr", "jean.dupont@gmail.com"])
        wait_until("the whitelist badges", lambda: bool(composer.to_field.blocked()))
        composer.send()  # shows why it is refused
        pump(0.5)
        grab(composer, args.out / "composer-blocked.png")
        composer._finished = True  # no draft for a screenshot
        composer.hide()

        window.open_directory()
        directory = window.directory_dialog
        directory.name_edit.setText("Martin")
        searched: list[int] = []
        directory.search_finished.connect(searched.append)
        directory.start_search()
        wait_until("the directory search", lambda: bool(searched))
        grab(directory, args.out / "directory.png")
        directory.close()
        pump(0.2)

        # Patient conversations come from messages a professional sent (the demo's seeded mail
        # went through LMTP, not the outbox): open two so that the pane has something to show.
        from app.store.conversation_store import ConversationStore

        if not ConversationStore(database=profile.database).all(martin):
            for patient in world.PATIENTS[:2]:
                profile.conversations.start(patient.ins, ins_qualified=True, mailbox=martin)
        patients = model.index(1, 0, account)
        assert patients.data(AccountRoles.PANE) == Pane.PATIENTS.value
        window.account_tree.setCurrentIndex(patients)
        pump(1.5)
        grab(window, args.out / "patient-pane.png")

        assert window.lock is not None
        window.lock.lock(window.tr("Verrouillé après 15 min d'inactivité."))
        pump(0.5)
        grab(window, args.out / "lock-screen.png")
        window.lock.unlock()
    finally:
        QTimer.singleShot(0, window.close)
        pump(0.5)
        bridge.close()
        profile.close()
        del translators
        window.deleteLater()
        pump(0.2)
        # Destroy the application while Python is still whole: left to the interpreter's
        # finalization, PySide's teardown of the remaining wrappers aborted the process.
        app.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
