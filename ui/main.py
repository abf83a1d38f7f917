"""Start the window: Qt application, translations, one asyncio loop on the Qt thread (qasync), the
profile opened off the UI thread, then the main window.

Only this module creates the event loop. Opening the store (key from the keyring or a key file,
SQLCipher key derivation) can take a noticeable time and may block on the keyring, so it runs in a
single-thread executor that also owns every later call on that profile's store.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app.errors import UserCancelled, UserFacingError
from ui import i18n

if TYPE_CHECKING:
    from app.cli import GuiRequest

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1


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


async def run_window(request: GuiRequest, app: QApplication) -> int:
    """Open the profile off the UI thread, show the main window, wait until it is closed."""
    from app.composition import open_profile
    from ui.windows.main_window import MainWindow

    loop = asyncio.get_running_loop()
    store_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ui-profile")
    profile: Any = None
    try:
        try:
            profile = await loop.run_in_executor(
                store_thread, partial(open_profile, request.profile_dir,
                                      key_file=request.key_file))
            accounts = await loop.run_in_executor(store_thread, profile.accounts.list)
        except UserCancelled:
            return EXIT_FAILED
        except Exception as exc:  # shown to the user; the traceback only goes to the log
            if not isinstance(exc, UserFacingError):
                log.exception("opening the profile %s failed", request.profile_dir)
            await show_and_wait(error_box(exc, request.lang))
            return EXIT_FAILED

        window = MainWindow(accounts)
        closed: asyncio.Future[None] = loop.create_future()
        window.closed.connect(lambda: closed.done() or closed.set_result(None))
        window.show()
        await closed
        return EXIT_OK
    finally:
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
    translators = i18n.install_translators(app, request.lang)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(run_window(request, app))
    finally:
        del translators
        asyncio.set_event_loop(None)
        loop.close()
