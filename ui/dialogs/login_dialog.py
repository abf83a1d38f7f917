"""Logging in: Pro Santé Connect (CPS card or e-CPS app, through CIBA) and the password variant.

The PSC dialog starts a cancellable operation of ``app.services.auth_service.AuthService``
(``start_ciba``) and follows it two ways: the binding code arrives as a ``WaitingForApproval``
event (through ``ui.bridge.EventBridge``), the outcome as the operation's result — approved (the
``PscSession``), refused, expired, failed, or cancelled by the user. The session's tokens stay in
the service (ECO.1.2.5); this dialog only hands the session object on.

Pages: choose (card / e-CPS, national id) → wait (the two-digit code, large, and Cancel) →
outcome (approved / refused / expired / failed, in French, with "Réessayer").
It needs the qasync loop (``ui.main``); it never calls ``exec()`` and opens with ``open()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.session import CibaChannel, national_id_from
from app.errors import InvalidInputError, UserCancelled, UserFacingError
from app.events import Event
from app.protocols.oidc.errors import LoginExpiredError, LoginRefusedError
from app.services.auth_events import CardInserted, CardRemoved, WaitingForApproval
from ui.bridge import EventBridge

log = logging.getLogger(__name__)

APPROVED_CLOSE_MS = 1500  # the approved page stays this long, then the dialog closes itself


class LoginOperation(Protocol):
    def cancel(self) -> None: ...

    async def result(self) -> Any: ...


class PscLogin(Protocol):
    """What the dialog needs of ``AuthService``."""

    def start_ciba(self, national_id: str, *, channel: CibaChannel = ...) -> LoginOperation: ...


class Page:
    CHOOSE = 0
    WAIT = 1
    OUTCOME = 2


class LoginDialog(QDialog):
    """Pro Santé Connect login. ``logged_in(session)`` is emitted on approval."""

    logged_in = Signal(object)
    login_failed = Signal(object)  # the exception of a refused, expired, failed or cancelled try

    def __init__(self, auth: PscLogin, *, bridge: EventBridge | None = None,
                 national_id: str = "", account: str = "",
                 card_holder: CardInserted | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("loginDialog")
        self.setWindowTitle(self.tr("Connexion Pro Santé Connect"))
        self.setModal(True)
        self.setMinimumWidth(460)
        self._auth = auth
        self._bridge = bridge
        self._operation: LoginOperation | None = None
        self._task: asyncio.Task[None] | None = None
        self._hint = ""
        self._card: CardInserted | None = card_holder
        self.session: Any = None
        self.outcome = ""  # "approved" | "refused" | "expired" | "failed" | "" (none yet)
        self.error: BaseException | None = None  # why the last login did not open a session

        self.pages = QStackedWidget(self)
        self.pages.addWidget(self._choose_page(account, national_id))
        self.pages.addWidget(self._wait_page())
        self.pages.addWidget(self._outcome_page())
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)

        self._close_timer = QTimer(self)
        self._close_timer.setSingleShot(True)
        self._close_timer.setInterval(APPROVED_CLOSE_MS)
        self._close_timer.timeout.connect(self.accept)

        if bridge is not None:
            bridge.event_published.connect(self.handle_event)
        self._refresh_card()

    # --- pages ----------------------------------------------------------------------------------

    def _choose_page(self, account: str, national_id: str) -> QWidget:
        page = QWidget(self)
        intro = QLabel(page)
        intro.setObjectName("loginIntro")
        intro.setWordWrap(True)
        intro.setText(
            self.tr("Connexion à {account} avec Pro Santé Connect.").format(account=account)
            if account else self.tr("Connexion avec Pro Santé Connect."))

        self.card_radio = QRadioButton(self.tr("&Carte CPS"), page)
        self.card_radio.setObjectName("cardChoice")
        self.mobile_radio = QRadioButton(self.tr("Application &e-CPS"), page)
        self.mobile_radio.setObjectName("mobileChoice")
        self.mobile_radio.setChecked(True)
        group = QButtonGroup(page)
        group.addButton(self.card_radio)
        group.addButton(self.mobile_radio)
        self.card_radio.toggled.connect(self._refresh_card)

        self.card_label = QLabel(page)
        self.card_label.setObjectName("loginCardStatus")
        self.card_label.setWordWrap(True)

        self.id_edit = QLineEdit(national_id, page)
        self.id_edit.setObjectName("nationalIdEdit")
        self.id_edit.setPlaceholderText(self.tr("RPPS (11 chiffres) ou ADELI (9 chiffres)"))
        self.id_edit.setAccessibleName(self.tr("Identifiant national (RPPS ou ADELI)"))
        self.id_edit.returnPressed.connect(self.start)

        self.error_label = QLabel(page)
        self.error_label.setObjectName("loginError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #a4000f;")
        self.error_label.hide()
        self.id_edit.textChanged.connect(lambda _text: self.error_label.hide())

        form = QFormLayout()
        form.addRow(self.tr("Identifiant :"), self.id_edit)

        self.start_button = QPushButton(self.tr("Se &connecter"), page)
        self.start_button.setObjectName("startLoginButton")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        close = QPushButton(self.tr("Annuler"), page)
        close.setObjectName("closeLoginButton")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(close)
        buttons.addWidget(self.start_button)

        layout = QVBoxLayout(page)
        layout.addWidget(intro)
        layout.addWidget(self.mobile_radio)
        layout.addWidget(self.card_radio)
        layout.addWidget(self.card_label)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addStretch(1)
        layout.addLayout(buttons)
        return page

    def _wait_page(self) -> QWidget:
        page = QWidget(self)
        self.code_label = QLabel(page)
        self.code_label.setObjectName("bindingCode")
        self.code_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code_label.setTextFormat(Qt.TextFormat.PlainText)
        self.code_value = QLabel(page)
        self.code_value.setObjectName("bindingCodeValue")
        self.code_value.setAlignment(Qt.AlignmentFlag.AlignCenter)
        big = QFont(self.code_value.font())
        big.setPointSizeF(40)
        big.setBold(True)
        big.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 6)
        self.code_value.setFont(big)
        self.code_value.setStyleSheet("color: #1f5fa8;")

        self.wait_label = QLabel(page)
        self.wait_label.setObjectName("waitInstructions")
        self.wait_label.setWordWrap(True)
        self.wait_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        progress = QProgressBar(page)
        progress.setObjectName("waitProgress")
        progress.setRange(0, 0)  # busy: the provider decides how long it waits
        progress.setTextVisible(False)
        progress.setAccessibleName(self.tr("En attente de validation"))

        self.cancel_button = QPushButton(self.tr("Annuler"), page)
        self.cancel_button.setObjectName("cancelLoginButton")
        self.cancel_button.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)

        layout = QVBoxLayout(page)
        layout.addWidget(self.code_label)
        layout.addWidget(self.code_value)
        layout.addWidget(self.wait_label)
        layout.addWidget(progress)
        layout.addStretch(1)
        layout.addLayout(buttons)
        return page

    def _outcome_page(self) -> QWidget:
        page = QWidget(self)
        self.outcome_title = QLabel(page)
        self.outcome_title.setObjectName("outcomeTitle")
        font = QFont(self.outcome_title.font())
        font.setPointSizeF(max(font.pointSizeF(), 9.0) * 1.3)
        font.setBold(True)
        self.outcome_title.setFont(font)
        self.outcome_text = QLabel(page)
        self.outcome_text.setObjectName("outcomeText")
        self.outcome_text.setWordWrap(True)
        self.retry_button = QPushButton(self.tr("&Réessayer"), page)
        self.retry_button.setObjectName("retryButton")
        self.retry_button.clicked.connect(self._back_to_choice)
        self.done_button = QPushButton(self.tr("Fermer"), page)
        self.done_button.setObjectName("doneButton")
        self.done_button.clicked.connect(self._done)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.done_button)
        layout = QVBoxLayout(page)
        layout.addWidget(self.outcome_title)
        layout.addWidget(self.outcome_text)
        layout.addStretch(1)
        layout.addLayout(buttons)
        return page

    # --- card -----------------------------------------------------------------------------------

    def handle_event(self, event: Event) -> None:
        """Slot for ``EventBridge.event_published``."""
        if isinstance(event, WaitingForApproval):
            if event.login_hint == self._hint and self._operation is not None:
                self._show_code(event.binding_code, event.channel)
        elif isinstance(event, CardInserted):
            self._card = event
            self._refresh_card()
        elif isinstance(event, CardRemoved):
            self._card = None
            self._refresh_card()

    def _refresh_card(self) -> None:
        card = self._card
        if not self.card_radio.isChecked():
            self.card_label.hide()
            self.start_button.setEnabled(True)
            return
        self.card_label.show()
        if card is None:
            self.card_label.setText(self.tr("Insérez votre carte CPS dans le lecteur."))
            self.start_button.setEnabled(False)
            return
        self.card_label.setText(self.tr("Carte de {name} détectée.").format(
            name=card.display_name or card.national_id))
        self.id_edit.setText(card.national_id)
        self.start_button.setEnabled(True)

    # --- flow -----------------------------------------------------------------------------------

    @property
    def channel(self) -> CibaChannel:
        return CibaChannel.CARD if self.card_radio.isChecked() else CibaChannel.MOBILE

    def start(self) -> None:
        """Send the CIBA request (the "Se connecter" button)."""
        if self._operation is not None or not self.start_button.isEnabled():
            return
        try:
            self._hint = national_id_from(self.id_edit.text())
        except InvalidInputError as exc:
            self.error_label.setText(exc.message)
            self.error_label.show()
            return
        self.outcome = ""
        self.error = None
        self.code_label.setText(self.tr("Envoi de la demande à Pro Santé Connect…"))
        self.code_value.clear()
        self.wait_label.clear()
        self.pages.setCurrentIndex(Page.WAIT)
        self.cancel_button.setFocus()
        operation = self._auth.start_ciba(self._hint, channel=self.channel)
        self._operation = operation
        self._task = asyncio.ensure_future(self._follow(operation))

    def _show_code(self, code: str, channel: str) -> None:
        self.code_label.setText(self.tr("Code de vérification :"))
        self.code_value.setText(code)
        self.code_value.setAccessibleName(
            self.tr("Code de vérification : {code}").format(code=" ".join(code)))
        if channel == CibaChannel.CARD.value:
            text = self.tr("Vérifiez que ce code s'affiche dans la fenêtre de votre carte CPS, "
                           "puis validez avec votre code PIN.")
        else:
            text = self.tr("Ouvrez l'application e-CPS sur votre téléphone, vérifiez que le même "
                           "code s'affiche, puis validez.")
        self.wait_label.setText(text)

    @property
    def binding_code(self) -> str:
        return self.code_value.text()

    async def _follow(self, operation: LoginOperation) -> None:
        try:
            session = await operation.result()
        except UserCancelled as exc:
            self._failed(exc)
            self._operation = None
            self._back_to_choice()
            return
        except LoginRefusedError as exc:
            self._failed(exc)
            self._finish("refused", self.tr("Connexion refusée"), exc.message)
            return
        except LoginExpiredError as exc:
            self._failed(exc)
            self._finish("expired", self.tr("Délai dépassé"), exc.message or self.tr(
                "La demande n'a pas été validée à temps."))
            return
        except UserFacingError as exc:
            self._failed(exc)
            self._finish("failed", self.tr("Connexion impossible"), exc.text("fr"))
            return
        except Exception as exc:
            self._failed(exc)
            log.exception("PSC login failed unexpectedly")
            self._finish("failed", self.tr("Connexion impossible"), self.tr(
                "Une erreur inattendue est survenue. Les détails ont été écrits dans le journal "
                "de l'application."))
            return
        self.session = session
        name = str(getattr(session, "claims", {}).get("given_name", "") or "")
        family = str(getattr(session, "claims", {}).get("family_name", "") or "")
        who = f"{name} {family}".strip()
        self._finish("approved", self.tr("Connexion approuvée"),
                     self.tr("Bienvenue, {name}.").format(name=who) if who
                     else self.tr("Vous êtes connecté."))
        self.logged_in.emit(session)
        self._close_timer.start()

    def _failed(self, error: BaseException) -> None:
        self.error = error
        self.login_failed.emit(error)

    def _finish(self, outcome: str, title: str, text: str) -> None:
        self._operation = None
        self.outcome = outcome
        self.outcome_title.setText(title)
        colour = "#2e7040" if outcome == "approved" else "#a4000f"
        self.outcome_title.setStyleSheet(f"color: {colour};")
        self.outcome_text.setText(text)
        self.retry_button.setVisible(outcome != "approved")
        self.done_button.setText(self.tr("Continuer") if outcome == "approved"
                                 else self.tr("Fermer"))
        self.pages.setCurrentIndex(Page.OUTCOME)
        self.done_button.setDefault(True)
        self.done_button.setFocus()

    def cancel(self) -> None:
        """Abandon the login in progress (publishes ``LoginCancelled``)."""
        if self._operation is not None:
            self._operation.cancel()

    def _back_to_choice(self) -> None:
        self.pages.setCurrentIndex(Page.CHOOSE)
        self.start_button.setFocus()

    def _done(self) -> None:
        if self.outcome == "approved":
            self.accept()
        else:
            self.reject()

    def reject(self) -> None:
        self.cancel()
        self._close_timer.stop()
        super().reject()

    def done(self, result: int) -> None:
        if self._bridge is not None:
            with contextlib.suppress(RuntimeError, TypeError):
                self._bridge.event_published.disconnect(self.handle_event)
            self._bridge = None
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.cancel()
        super().closeEvent(event)


class PasswordDialog(QDialog):
    """Password login for operators that still use it. ``submitted(password)`` is emitted; the
    caller checks it off the UI thread and calls ``accept()`` or ``fail(message)``."""

    submitted = Signal(str)

    def __init__(self, address: str, *, login: str = "", message: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("passwordDialog")
        self.setWindowTitle(self.tr("Connexion à {address}").format(address=address))
        self.setModal(True)
        self.setMinimumWidth(400)
        intro = QLabel(self.tr("Mot de passe de la boîte {address}").format(address=address),
                       self)
        intro.setWordWrap(True)
        # Why it is asked (refused, or none stored): ``message``, above the field.
        self.message_label = QLabel(message, self)
        self.message_label.setObjectName("passwordReason")
        self.message_label.setWordWrap(True)
        self.message_label.setVisible(bool(message))
        self.login_label = QLabel(login, self)
        self.password_edit = QLineEdit(self)
        self.password_edit.setObjectName("passwordEdit")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setAccessibleName(self.tr("Mot de passe"))
        self.error_label = QLabel(self)
        self.error_label.setObjectName("passwordError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #a4000f;")
        self.error_label.hide()
        form = QFormLayout()
        if login:
            form.addRow(self.tr("Identifiant :"), self.login_label)
        form.addRow(self.tr("Mot de passe :"), self.password_edit)
        self.ok_button = QPushButton(self.tr("Se &connecter"), self)
        self.ok_button.setObjectName("passwordOkButton")
        self.ok_button.setDefault(True)
        self.ok_button.clicked.connect(self._submit)
        self.cancel_button = QPushButton(self.tr("Annuler"), self)
        self.cancel_button.setObjectName("passwordCancelButton")
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.ok_button)
        self.setAccessibleDescription(message)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.message_label)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addLayout(buttons)

    def _submit(self) -> None:
        text = self.password_edit.text()
        if not text:
            self.fail(self.tr("Saisissez votre mot de passe."))
            return
        self.password_edit.clear()  # the text lives no longer than needed in the widget
        self.ok_button.setEnabled(False)
        self.error_label.hide()
        self.submitted.emit(text)

    def fail(self, message: str) -> None:
        self.ok_button.setEnabled(True)
        self.error_label.setText(message)
        self.error_label.show()
        self.password_edit.setFocus()
