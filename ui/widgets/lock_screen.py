"""The lock screen: an opaque page laid over the whole main window while the session is locked.

It shows no message content whatsoever — only that Estafette is locked, why, who may unlock it
and how (password, Pro Santé Connect again, CPS card). The window's own content widgets are hidden
by ``ui.services.lock_controller`` at the same time: the overlay is the visible guard, hiding is
what keeps the content out of screenshots, screen readers and window previews.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class LockScreen(QWidget):
    """The page shown while locked. Emits what the user asks; the controller decides."""

    password_submitted = Signal(str)
    psc_requested = Signal()
    logout_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lockScreen")
        self.setAccessibleName(self.tr("Session verrouillée"))
        # Opaque: nothing beneath may show through, whatever the style does.
        self.setAutoFillBackground(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor("#eef2f6"))
        self.setPalette(palette)

        card = QFrame(self)
        card.setObjectName("lockCard")
        card.setFrameShape(QFrame.Shape.StyledPanel)
        card.setStyleSheet("#lockCard { background: white; border: 1px solid #c5ced8; "
                           "border-radius: 8px; }")
        card.setMinimumWidth(400)
        card.setMaximumWidth(480)

        self.title = QLabel(self.tr("Estafette est verrouillé"), card)
        self.title.setObjectName("lockTitle")
        title_font = QFont(self.title.font())
        title_font.setPointSizeF(max(title_font.pointSizeF(), 9.0) * 1.6)
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.reason_label = QLabel(card)
        self.reason_label.setObjectName("lockReason")
        self.reason_label.setWordWrap(True)
        self.reason_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.user_label = QLabel(card)
        self.user_label.setObjectName("lockUser")
        self.user_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.password_edit = QLineEdit(card)
        self.password_edit.setObjectName("lockPassword")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText(self.tr("Mot de passe"))
        self.password_edit.setAccessibleName(self.tr("Mot de passe pour déverrouiller"))
        self.unlock_button = QPushButton(self.tr("&Déverrouiller"), card)
        self.unlock_button.setObjectName("lockUnlockButton")
        self.unlock_button.setDefault(True)
        self.password_row = QWidget(card)
        row = QHBoxLayout(self.password_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.password_edit, 1)
        row.addWidget(self.unlock_button)

        self.card_label = QLabel(card)
        self.card_label.setObjectName("lockCardStatus")
        self.card_label.setWordWrap(True)
        self.card_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.psc_button = QPushButton(self.tr("Se reconnecter avec &Pro Santé Connect"), card)
        self.psc_button.setObjectName("lockPscButton")

        self.error_label = QLabel(card)
        self.error_label.setObjectName("lockError")
        self.error_label.setWordWrap(True)
        self.error_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.error_label.setStyleSheet("color: #a4000f;")
        self.error_label.setAccessibleName(self.tr("Erreur de déverrouillage"))

        self.logout_button = QPushButton(self.tr("Se dé&connecter"), card)
        self.logout_button.setObjectName("lockLogoutButton")
        self.logout_button.setFlat(True)

        inner = QVBoxLayout(card)
        inner.setContentsMargins(28, 24, 28, 20)
        inner.setSpacing(12)
        for widget in (self.title, self.reason_label, self.user_label, self.password_row,
                       self.card_label, self.psc_button, self.error_label):
            inner.addWidget(widget)
        inner.addWidget(self.logout_button, 0, Qt.AlignmentFlag.AlignRight)

        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)

        self.unlock_button.clicked.connect(self._submit_password)
        self.password_edit.returnPressed.connect(self._submit_password)
        self.psc_button.clicked.connect(self.psc_requested)
        self.logout_button.clicked.connect(self.logout_requested)
        self.configure(reason="", user="", password=False, psc=False, card_needed=False,
                       card_present=False)

    def configure(self, *, reason: str, user: str, password: bool, psc: bool,
                  card_needed: bool, card_present: bool) -> None:
        """Show the ways to unlock that apply to the signed-in account."""
        self.reason_label.setText(reason)
        self.reason_label.setVisible(bool(reason))
        self.user_label.setText(self.tr("Session de {user}").format(user=user) if user else "")
        self.user_label.setVisible(bool(user))
        self.password_row.setVisible(password)
        self.psc_button.setVisible(psc)
        self.set_card_present(card_needed=card_needed, present=card_present)
        self.error_label.clear()
        self.error_label.hide()

    def set_card_present(self, *, card_needed: bool, present: bool) -> None:
        self.card_label.setVisible(card_needed)
        if present:
            self.card_label.setText(self.tr("Carte CPS présente."))
        else:
            self.card_label.setText(self.tr("Insérez votre carte CPS pour déverrouiller."))
        blocked = card_needed and not present
        self.psc_button.setEnabled(not blocked)
        self.unlock_button.setEnabled(not blocked)
        self.password_edit.setEnabled(not blocked)

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def focus_first(self) -> None:
        target: QWidget = (self.password_edit if self.password_row.isVisibleTo(self)
                           else self.psc_button)
        target.setFocus(Qt.FocusReason.OtherFocusReason)

    def _submit_password(self) -> None:
        text = self.password_edit.text()
        # Do not keep the password in the widget longer than needed.
        self.password_edit.clear()
        if text:
            self.password_submitted.emit(text)

    def paintEvent(self, event: QPaintEvent) -> None:
        # Paint the whole rectangle ourselves: opaque even under a style sheet or a style
        # that ignores autoFillBackground.
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.Window))
        painter.end()
