"""Add, change or remove the passphrase protecting the profile's key (Outils ▸ Phrase de passe).

The dialog only collects and checks what the user typed: the current passphrase (asked only when
the key is protected), the new one twice, or "no passphrase any more". ``change_requested``
carries ``(current, new)`` (``new`` None: remove the protection); the window runs the change off
the UI thread (``Profile.change_passphrase``: scrypt, then the key file or keyring entry replaced
in one step) and calls ``fail(message)`` (the user may correct and try again) or closes the
dialog. The fields are emptied as soon as a request leaves them.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from ui.dialogs.busy_dialog import BusyDialog


class PassphraseChangeDialog(BusyDialog):
    """``change_requested(current, new)``: ``current`` is None when the key is not protected,
    ``new`` None when the protection is to be removed."""

    change_requested = Signal(object, object)

    def __init__(self, *, protected: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("passphraseChangeDialog")
        self.setWindowTitle(self.tr("Phrase de passe du profil"))
        self.setModal(True)
        self.setMinimumWidth(460)
        self._protected = protected
        intro = QLabel(self._intro_text(), self)
        intro.setObjectName("passphraseChangeIntro")
        intro.setWordWrap(True)
        self.current_edit = self._secret_field("currentPassphraseEdit",
                                               self.tr("Phrase de passe actuelle"))
        self.new_edit = self._secret_field("newPassphraseEdit",
                                           self.tr("Nouvelle phrase de passe"))
        self.confirm_edit = self._secret_field("confirmPassphraseEdit",
                                               self.tr("Nouvelle phrase de passe, à nouveau"))
        self.remove_check = QCheckBox(self.tr("Ne plus protéger la clé par une phrase de passe"),
                                      self)
        self.remove_check.setObjectName("removePassphraseCheck")
        self.remove_check.toggled.connect(self._removal_toggled)
        form = QFormLayout()
        if protected:
            form.addRow(self._label(self.tr("Phrase de passe ac&tuelle :"), self.current_edit),
                        self.current_edit)
        form.addRow(self._label(self.tr("&Nouvelle phrase de passe :"), self.new_edit),
                    self.new_edit)
        form.addRow(self._label(self.tr("&Confirmation :"), self.confirm_edit),
                    self.confirm_edit)
        if protected:
            form.addRow(self.remove_check)
        self.current_edit.setVisible(protected)
        self.remove_check.setVisible(protected)
        self._build_feedback("passphraseChange")
        self.ok_button = QPushButton(self.tr("&Enregistrer"), self)
        self.ok_button.setObjectName("passphraseChangeOkButton")
        self.ok_button.setDefault(True)
        self.ok_button.clicked.connect(self._submit)
        self.cancel_button = QPushButton(self.tr("&Annuler"), self)
        self.cancel_button.setObjectName("passphraseChangeCancelButton")
        self.cancel_button.clicked.connect(self.reject)
        self._lay_out(intro, form, self.cancel_button, self.ok_button)
        (self.current_edit if protected else self.new_edit).setFocus()

    def _intro_text(self) -> str:
        if self._protected:
            return self.tr("La clé de ce profil est protégée par une phrase de passe. Vous "
                           "pouvez en changer, ou retirer cette protection. Les messages ne "
                           "sont pas rechiffrés : seule la protection de la clé change.")
        return self.tr("La clé de ce profil n'est pas protégée par une phrase de passe. Avec "
                       "une phrase de passe, le profil ne s'ouvre plus sans elle, même avec "
                       "l'accès au trousseau système ou au fichier de clé. Elle ne peut pas "
                       "être retrouvée si vous l'oubliez.")

    def _secret_field(self, name: str, accessible: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setObjectName(name)
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.setAccessibleName(accessible)
        return edit

    def _label(self, text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text, self)
        label.setBuddy(buddy)
        return label

    def _controls(self) -> list[QWidget]:
        removing = self.remove_check.isChecked()
        return [self.ok_button, self.cancel_button, self.current_edit, self.remove_check,
                *([] if removing else [self.new_edit, self.confirm_edit])]

    def _first_field(self) -> QWidget:
        return self.current_edit if self._protected else self.new_edit

    def _busy_text(self) -> str:
        return self.tr("Protection de la clé en cours…")

    def _removal_toggled(self, removing: bool) -> None:
        for edit in (self.new_edit, self.confirm_edit):
            edit.setEnabled(not removing)
            if removing:
                edit.clear()

    def _submit(self) -> None:
        if self._busy:
            return
        current = self.current_edit.text() if self._protected else None
        if self._protected and not current:
            self.fail(self.tr("Saisissez la phrase de passe actuelle."))
            return
        new: str | None
        if self._protected and self.remove_check.isChecked():
            new = None
        else:
            new = self.new_edit.text()
            if not new:
                self.fail(self.tr("Saisissez la nouvelle phrase de passe."))
                return
            if new != self.confirm_edit.text():
                self.fail(self.tr("Les deux saisies de la nouvelle phrase de passe diffèrent."))
                self.confirm_edit.clear()
                self.confirm_edit.setFocus()
                return
        for edit in (self.current_edit, self.new_edit, self.confirm_edit):
            edit.clear()  # the texts live no longer than needed in the widgets
        self._set_busy(True)
        self.change_requested.emit(current, new)

    def succeed(self) -> None:
        """The change is on disk: close."""
        self._set_busy(False)
        self.accept()
