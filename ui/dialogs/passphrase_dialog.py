"""The passphrase of a protected profile, asked before the window opens.

A profile whose store key is wrapped by a passphrase (app/store/keys.py) cannot be opened
without it. ``open_with_passphrase`` shows :class:`PassphraseDialog`, tries each passphrase the
user submits (off the UI thread: scrypt takes a noticeable moment), says so when it is wrong and
lets them try again — one attempt per submission, never a loop of its own — and raises
``UserCancelled`` when they give up. The passphrase goes from the field to the attempt and no
further: the field is emptied at once, nothing is logged or written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from app.errors import UserCancelled, WrongPassphraseError
from ui.dialogs import ui_language
from ui.dialogs.busy_dialog import BusyDialog

T = TypeVar("T")


class PassphraseDialog(BusyDialog):
    """Asks for the profile's passphrase. ``submitted(passphrase)`` is emitted; the caller tries
    it and calls ``fail(message)`` (the user may try again) or closes the dialog. Cancel,
    Escape and the window's close button reject it, except while an attempt is running."""

    submitted = Signal(str)

    def __init__(self, profile_dir: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("passphraseDialog")
        self.setWindowTitle(self.tr("Estafette — profil protégé"))
        self.setModal(True)
        self.setMinimumWidth(440)
        intro = QLabel(self.tr("Ce profil est protégé par une phrase de passe. Saisissez-la "
                               "pour l'ouvrir."), self)
        intro.setObjectName("passphraseIntro")
        intro.setWordWrap(True)
        self.location_label = QLabel(profile_dir, self)
        self.location_label.setObjectName("passphraseProfile")
        self.location_label.setWordWrap(True)
        self.passphrase_edit = QLineEdit(self)
        self.passphrase_edit.setObjectName("passphraseEdit")
        self.passphrase_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase_edit.setAccessibleName(self.tr("Phrase de passe du profil"))
        self.passphrase_edit.setAccessibleDescription(
            self.tr("Saisie masquée. Entrée pour ouvrir le profil, Échap pour quitter."))
        self._build_feedback("passphrase")
        form = QFormLayout()
        form.addRow(self.tr("Profil :"), self.location_label)
        label = QLabel(self.tr("&Phrase de passe :"), self)
        label.setBuddy(self.passphrase_edit)
        form.addRow(label, self.passphrase_edit)
        self.ok_button = QPushButton(self.tr("&Ouvrir"), self)
        self.ok_button.setObjectName("passphraseOkButton")
        self.ok_button.setAccessibleName(self.tr("Ouvrir le profil"))
        self.ok_button.setDefault(True)
        self.ok_button.clicked.connect(self._submit)
        self.cancel_button = QPushButton(self.tr("&Quitter"), self)
        self.cancel_button.setObjectName("passphraseCancelButton")
        self.cancel_button.setAccessibleName(self.tr("Quitter sans ouvrir le profil"))
        self.cancel_button.clicked.connect(self.reject)
        self._lay_out(intro, form, self.cancel_button, self.ok_button)
        self.passphrase_edit.setFocus()

    def _controls(self) -> list[QWidget]:
        return [self.ok_button, self.cancel_button, self.passphrase_edit]

    def _first_field(self) -> QWidget:
        return self.passphrase_edit

    def _busy_text(self) -> str:
        return self.tr("Ouverture du profil…")

    def _submit(self) -> None:
        if self._busy:
            return
        text = self.passphrase_edit.text()
        if not text:
            self.fail(self.tr("Saisissez la phrase de passe."))
            return
        self.passphrase_edit.clear()  # the text lives no longer than needed in the widget
        self._set_busy(True)
        self.submitted.emit(text)


async def open_with_passphrase(attempt: Callable[[str], Awaitable[T]], *, profile_dir: str,
                               parent: QWidget | None = None) -> T:
    """Show the dialog and return what ``attempt(passphrase)`` returns for the first passphrase
    that opens the profile. A wrong one (``WrongPassphraseError``) is said in the dialog and the
    user types again; any other error closes the dialog and propagates; Cancel raises
    ``UserCancelled``."""
    dialog = PassphraseDialog(profile_dir, parent)
    answers: asyncio.Queue[str | None] = asyncio.Queue()
    dialog.submitted.connect(answers.put_nowait)
    dialog.rejected.connect(lambda: answers.put_nowait(None))
    dialog.open()
    try:
        while True:
            passphrase = await answers.get()
            if passphrase is None:
                raise UserCancelled()
            try:
                return await attempt(passphrase)
            except WrongPassphraseError as exc:
                dialog.fail(exc.text(ui_language()))
    finally:
        dialog.submitted.disconnect()
        dialog.rejected.disconnect()
        dialog.hide()
        dialog.deleteLater()
