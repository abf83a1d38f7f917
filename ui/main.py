"""Start the window: Qt application, translations, one asyncio loop on the Qt thread (qasync), the
profile opened off the UI thread, then the main window wired to the profile's event bus
(``EventBridge``). The language is ``--lang`` when given, else the profile's setting.

Only this module creates the event loop. Opening the store (key from the keyring or a key file,
SQLCipher key derivation) can take a noticeable time and may block on the keyring, so it runs in a
single-thread executor that also owns every later call on that profile's store. A profile whose
key is protected by a passphrase is opened with the one typed in ``PassphraseDialog``.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from concurrent.futures import Executor, ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app.errors import PassphraseRequiredError, UserCancelled, UserFacingError
from ui import i18n
from ui.gc_guard import GuiThreadGarbageCollector
from ui.thread_switching import GuiThreadSwitching

if TYPE_CHECKING:
    from app.cli import GuiRequest

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
INTEGRITY_CHECK_DELAY_MS = 3_000


def error_box(exc: BaseException, lang: str, parent: QWidget | None = None) -> QMessageBox:
    """The dialog shown when the profile cannot be opened: the error's own sentence when it is
    safe to show (``UserFacingError``), a generic one otherwise (details go to the log only)."""
    box = QMessageBox(parent)
    box.setObjectName("startupErrorBox")
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle(QCoreApplication.translate("Startup", "Estafette — profil inaccessible"))
    box.setText(QCoreApplication.translate("Startup", "Le profil ne peut pas être ouvert."))
    if isinstance(exc, UserFacingError):
        box.setInformativeText(exc.text(lang))
    else:
        box.setInformativeText(QCoreApplication.translate(
            "Startup", "Une erreur inattendue est survenue. Les détails ont été écrits dans le "
            "journal de l'application."))
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    return box


async def show_and_wait(box: QMessageBox) -> int:
    """Open ``box`` without a nested loop (``open()``, not ``exec()``); await its result."""
    done: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def finished(result: int) -> None:
        if not done.done():
            done.set_result(result)

    box.finished.connect(finished)
    box.open()
    return await done


def _open(request: GuiRequest, passphrase: str | None = None) -> tuple[Any, list[Any], Any]:
    """Open the profile, list its accounts and read its settings (blocking: the store thread).
    ``passphrase`` unwraps the store key of a profile protected by one."""
    from app.composition import open_profile
    from app.store.outbox_store import SettingStore
    from app.store.settings_store import AppSettingsStore

    # "auto": a cleanly closed, recently checked store opens at once; its full check then runs
    # in the background once the window is up (ADR 0002). The services (sync, outbox,
    # receipts…) too: the window starts them off the UI thread after its first paint.
    profile = open_profile(request.profile_dir, key_file=request.key_file, passphrase=passphrase,
                           integrity_check="auto", defer_services=True)
    try:
        accounts = profile.accounts.list()
        settings = AppSettingsStore(settings=SettingStore(database=profile.database),
                                    secrets=profile.secrets).load()
    except BaseException:
        profile.close()
        raise
    return profile, accounts, settings


async def open_profile_asking(request: GuiRequest, store_thread: Executor) -> tuple[
        Any, list[Any], Any]:
    """``_open`` on ``store_thread``; a profile protected by a passphrase is opened with the one
    the user types in ``PassphraseDialog`` (retried until right; ``UserCancelled`` on Cancel)."""
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(store_thread, partial(_open, request))
    except PassphraseRequiredError:
        pass
    from ui.dialogs.passphrase_dialog import open_with_passphrase

    return await open_with_passphrase(
        lambda passphrase: loop.run_in_executor(store_thread, partial(_open, request, passphrase)),
        profile_dir=str(request.profile_dir))


async def run_window(request: GuiRequest, app: QApplication, *,
                     lang_given: bool = True) -> int:
    """Open the profile off the UI thread, show the main window, wait until it is closed.

    Without ``--lang``, the language is the profile's setting: the catalogue installed before the
    profile opened (the command line's) is replaced once the settings are read, before the
    window is built.
    """
    from ui.bridge import EventBridge
    from ui.windows.main_window import MainWindow

    loop = asyncio.get_running_loop()
    store_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ui-profile")
    profile: Any = None
    bridge: Any = None
    try:
        try:
            profile, accounts, settings = await open_profile_asking(request, store_thread)
        except UserCancelled:
            return EXIT_FAILED
        except Exception as exc:  # shown to the user; the traceback only goes to the log
            if not isinstance(exc, UserFacingError):
                log.exception("opening the profile %s failed", request.profile_dir)
            await show_and_wait(error_box(exc, request.lang))
            return EXIT_FAILED

        if not lang_given and settings.language != request.lang:
            for translator in getattr(app, "_estafette_translators", []):
                QCoreApplication.removeTranslator(translator)
            app._estafette_translators = i18n.install_translators(  # type: ignore[attr-defined]
                app, settings.language)
        bridge = EventBridge(profile.events)
        window = MainWindow(accounts, profile=profile, bridge=bridge, settings=settings,
                            loop=loop)
        closed: asyncio.Future[None] = loop.create_future()
        window.closed.connect(lambda: closed.done() or closed.set_result(None))
        window.show()

        def check_store() -> None:
            if not closed.done():
                profile.check_integrity_in_background()

        # The full check decrypts every page of the store on a second connection: after the
        # first screen (the folder tree, the inbox's first page), not competing with it.
        QTimer.singleShot(INTEGRITY_CHECK_DELAY_MS, check_store)
        await closed
        return EXIT_OK
    finally:
        if bridge is not None:
            bridge.close()
        if profile is not None:
            await loop.run_in_executor(store_thread, profile.close)
        store_thread.shutdown(wait=True)


def run_gui(request: GuiRequest) -> int:
    """The ``gui`` sub-command: returns the process exit code."""
    import qasync

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("Estafette")
    app.setOrganizationName("Estafette")
    app.setDesktopFileName("estafette")
    # The coroutine decides when to stop (after closing the profile), not Qt.
    app.setQuitOnLastWindowClosed(False)
    app._estafette_translators = i18n.install_translators(  # type: ignore[attr-defined]
        app, request.lang)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    collector = GuiThreadGarbageCollector(app)
    switching = GuiThreadSwitching()
    try:
        return loop.run_until_complete(
            run_window(request, app, lang_given=request.lang_given))
    finally:
        switching.restore()
        collector.stop()
        asyncio.set_event_loop(None)
        loop.close()
