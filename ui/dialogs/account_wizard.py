"""Adding an account: the address first, then the servers found by DNS SRV (RFC 6186,
ECO.1.1.9), or typed by hand when the DNS has nothing (or does not answer), then how to log in.

The lookup and the store write are blocking; both run on an executor through
``BackgroundRunner``. No password is kept by the wizard after the account is written: it goes
straight to the account store, which puts it in the SecretStore.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from typing import Protocol

from PySide6.QtCore import QT_TRANSLATE_NOOP, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.account import (
    Account,
    AuthMethod,
    Endpoint,
    MailboxKind,
    TlsMode,
    check_address,
)
from app.domain.session import national_id_from
from app.errors import InvalidInputError, UserFacingError
from app.protocols.dns_srv import ResolverConfig, SrvConfiguration, domain_of, lookup
from ui.dialogs import BackgroundRunner, error_text


class AccountSink(Protocol):
    """What the wizard needs of ``AccountStore``."""

    def add(self, account: Account, *, password: str | None = None) -> None: ...


Lookup = Callable[[str, ResolverConfig | None], SrvConfiguration]

# Marked for lupdate here, translated with self.tr() where shown.
_KINDS = (
    (MailboxKind.PER, QT_TRANSLATE_NOOP("AccountWizard",
                                        "Personnelle (PER) — un professionnel")),
    (MailboxKind.ORG, QT_TRANSLATE_NOOP("AccountWizard",
                                        "Organisationnelle (ORG) — un service, une équipe")),
    (MailboxKind.APP, QT_TRANSLATE_NOOP("AccountWizard", "Applicative (APP) — un logiciel")),
)
_AUTHS = (
    (AuthMethod.PSC, QT_TRANSLATE_NOOP("AccountWizard",
                                       "Pro Santé Connect (carte CPS ou e-CPS)")),
    (AuthMethod.PASSWORD, QT_TRANSLATE_NOOP("AccountWizard", "Mot de passe")),
    (AuthMethod.CERTIFICATE, QT_TRANSLATE_NOOP("AccountWizard",
                                               "Certificat logiciel (PKCS#12)")),
)
_TLS = (
    (TlsMode.IMPLICIT, QT_TRANSLATE_NOOP("AccountWizard", "TLS implicite")),
    (TlsMode.STARTTLS, QT_TRANSLATE_NOOP("AccountWizard", "STARTTLS")),
)


class Page:
    ADDRESS = 0
    SERVERS = 1


class AccountWizard(QDialog):
    account_added = Signal(object)  # Account

    def __init__(self, accounts: AccountSink, *, executor: Executor,
                 resolver: ResolverConfig | None = None, lookup_fn: Lookup = lookup,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("accountWizard")
        self.setWindowTitle(self.tr("Ajouter un compte"))
        self.setMinimumWidth(560)
        self._accounts = accounts
        self._resolver = resolver
        self._lookup = lookup_fn
        self._runner = BackgroundRunner(executor, self)
        self.srv: SrvConfiguration | None = None
        self.added: Account | None = None

        self.pages = QStackedWidget(self)
        self.pages.addWidget(self._address_page())
        self.pages.addWidget(self._servers_page())
        self.error_label = QLabel(self)
        self.error_label.setObjectName("wizardError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #a4000f;")
        self.error_label.hide()

        self.back_button = QPushButton(self.tr("< &Précédent"), self)
        self.back_button.setObjectName("backButton")
        self.back_button.clicked.connect(self._back)
        self.next_button = QPushButton(self.tr("&Suivant >"), self)
        self.next_button.setObjectName("nextButton")
        self.next_button.setDefault(True)
        self.next_button.clicked.connect(self._next)
        cancel = QPushButton(self.tr("Annuler"), self)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        layout.addWidget(self.error_label)
        layout.addLayout(buttons)
        self._show_page(Page.ADDRESS)

    # --- pages ----------------------------------------------------------------------------------

    def _address_page(self) -> QWidget:
        page = QWidget(self)
        self.address_edit = QLineEdit(page)
        self.address_edit.setObjectName("addressEdit")
        self.address_edit.setPlaceholderText("prenom.nom@etablissement.mssante.fr")
        self.address_edit.setAccessibleName(self.tr("Adresse MSSanté"))
        self.name_edit = QLineEdit(page)
        self.name_edit.setObjectName("displayNameEdit")
        self.name_edit.setAccessibleName(self.tr("Nom affiché"))
        self.kind_box = QComboBox(page)
        self.kind_box.setObjectName("kindBox")
        for kind, label in _KINDS:
            self.kind_box.addItem(self.tr(str(label)), kind.value)
        self.kind_box.setAccessibleName(self.tr("Type de boîte"))
        self.auth_box = QComboBox(page)
        self.auth_box.setObjectName("authBox")
        for method, label in _AUTHS:
            self.auth_box.addItem(self.tr(str(label)), method.value)
        self.auth_box.setAccessibleName(self.tr("Mode de connexion"))
        self.kind_box.currentIndexChanged.connect(self._kind_changed)
        form = QFormLayout(page)
        form.addRow(self.tr("Adresse :"), self.address_edit)
        form.addRow(self.tr("Nom affiché :"), self.name_edit)
        form.addRow(self.tr("Type de boîte :"), self.kind_box)
        form.addRow(self.tr("Connexion :"), self.auth_box)
        return page

    def _endpoint_group(self, title: str, name: str) -> tuple[QGroupBox, QLineEdit, QSpinBox,
                                                              QComboBox]:
        group = QGroupBox(title, self)
        host = QLineEdit(group)
        host.setObjectName(f"{name}Host")
        host.setAccessibleName(self.tr("Serveur {what}").format(what=title))
        port = QSpinBox(group)
        port.setObjectName(f"{name}Port")
        port.setRange(1, 65535)
        port.setAccessibleName(self.tr("Port {what}").format(what=title))
        tls = QComboBox(group)
        tls.setObjectName(f"{name}Tls")
        for mode, label in _TLS:
            tls.addItem(self.tr(str(label)), mode.value)
        row = QHBoxLayout(group)
        row.addWidget(QLabel(self.tr("Serveur :"), group))
        row.addWidget(host, 1)
        row.addWidget(QLabel(self.tr("Port :"), group))
        row.addWidget(port)
        row.addWidget(tls)
        return group, host, port, tls

    def _servers_page(self) -> QWidget:
        page = QWidget(self)
        self.source_label = QLabel(page)
        self.source_label.setObjectName("srvSource")
        self.source_label.setWordWrap(True)
        imap, self.imap_host, self.imap_port, self.imap_tls = self._endpoint_group(
            self.tr("IMAP (réception)"), "imap")
        smtp, self.smtp_host, self.smtp_port, self.smtp_tls = self._endpoint_group(
            self.tr("SMTP (envoi)"), "smtp")
        self.login_edit = QLineEdit(page)
        self.login_edit.setObjectName("loginEdit")
        self.login_edit.setAccessibleName(self.tr("Identifiant de connexion"))
        self.password_edit = QLineEdit(page)
        self.password_edit.setObjectName("passwordEdit")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setAccessibleName(self.tr("Mot de passe"))
        self.national_id_edit = QLineEdit(page)
        self.national_id_edit.setObjectName("nationalIdEdit")
        self.national_id_edit.setPlaceholderText(self.tr("RPPS ou ADELI"))
        self.national_id_edit.setAccessibleName(self.tr("Identifiant national (RPPS ou ADELI)"))
        self.certificate_edit = QLineEdit(page)
        self.certificate_edit.setObjectName("certificateEdit")
        self.certificate_edit.setPlaceholderText(self.tr("/chemin/vers/certificat.p12"))
        self.certificate_edit.setAccessibleName(self.tr("Fichier du certificat PKCS#12"))
        self.ca_edit = QLineEdit(page)
        self.ca_edit.setObjectName("caFileEdit")
        self.ca_edit.setAccessibleName(self.tr("Autorité de certification supplémentaire"))
        self.credentials = QFormLayout()
        self.credentials.addRow(self.tr("Identifiant :"), self.login_edit)
        self.credentials.addRow(self.tr("Mot de passe :"), self.password_edit)
        self.credentials.addRow(self.tr("Identifiant national :"), self.national_id_edit)
        self.credentials.addRow(self.tr("Certificat :"), self.certificate_edit)
        self.credentials.addRow(self.tr("AC supplémentaire (facultatif) :"), self.ca_edit)
        layout = QVBoxLayout(page)
        layout.addWidget(self.source_label)
        layout.addWidget(imap)
        layout.addWidget(smtp)
        layout.addLayout(self.credentials)
        return page

    # --- navigation -----------------------------------------------------------------------------

    def _show_page(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        self.back_button.setVisible(index != Page.ADDRESS)
        self.next_button.setText(self.tr("&Terminer") if index == Page.SERVERS
                                 else self.tr("&Suivant >"))
        self.next_button.setEnabled(True)
        self.error_label.hide()

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()
        self.next_button.setEnabled(True)

    def _back(self) -> None:
        self._show_page(Page.ADDRESS)

    def _next(self) -> None:
        if self.pages.currentIndex() == Page.ADDRESS:
            self.discover()
        else:
            self.finish()

    def _kind_changed(self) -> None:
        if self.kind_box.currentData() == MailboxKind.APP.value:
            self.auth_box.setCurrentIndex(self.auth_box.findData(AuthMethod.CERTIFICATE.value))

    @property
    def auth(self) -> AuthMethod:
        return AuthMethod(str(self.auth_box.currentData()))

    def _credential_rows(self) -> None:
        method = self.auth
        for widget, shown in ((self.password_edit, method is AuthMethod.PASSWORD),
                              (self.national_id_edit, method is AuthMethod.PSC),
                              (self.certificate_edit, method is AuthMethod.CERTIFICATE)):
            self.credentials.setRowVisible(widget, shown)

    # --- step 1: DNS SRV --------------------------------------------------------------------------

    def discover(self) -> None:
        try:
            address = check_address(self.address_edit.text())
            domain = domain_of(address)
        except InvalidInputError as exc:
            self._show_error(exc.message)
            return
        self.next_button.setEnabled(False)
        self.error_label.hide()
        self.source_label.setText(self.tr("Recherche de la configuration de {domain}…").format(
            domain=domain))
        resolver = self._resolver
        self._runner.run(lambda: self._lookup(address, resolver),
                         lambda srv: self._discovered(address, srv),
                         lambda exc: self._not_discovered(address, exc))

    def _discovered(self, address: str, srv: SrvConfiguration) -> None:
        self.srv = srv
        imap, smtp = srv.best_imap(), srv.best_submission()
        domain = srv.domain
        if imap is not None or smtp is not None:
            self.source_label.setText(self.tr(
                "Configuration trouvée dans le DNS (enregistrements SRV de {domain}). "
                "Vérifiez-la avant de continuer.").format(domain=domain))
        else:
            self.source_label.setText(self.tr(
                "Aucune configuration automatique pour {domain} : saisissez les serveurs "
                "fournis par votre opérateur.").format(domain=domain))
        self._prefill(address, imap, smtp)

    def _not_discovered(self, address: str, exc: BaseException) -> None:
        self.srv = None
        reason = error_text(exc, self.tr("La recherche DNS a échoué."))
        self.source_label.setText(self.tr("Configuration automatique impossible : {reason} "
                                          "Saisissez les serveurs à la main.").format(
            reason=reason))
        self._prefill(address, None, None)

    def _prefill(self, address: str, imap: Endpoint | None, smtp: Endpoint | None) -> None:
        domain = address.rpartition("@")[2].lower()
        imap = imap or Endpoint(f"imap.{domain}", 993, TlsMode.IMPLICIT)
        smtp = smtp or Endpoint(f"smtp.{domain}", 587, TlsMode.STARTTLS)
        for endpoint, host, port, tls in ((imap, self.imap_host, self.imap_port, self.imap_tls),
                                          (smtp, self.smtp_host, self.smtp_port, self.smtp_tls)):
            host.setText(endpoint.host)
            port.setValue(endpoint.port)
            tls.setCurrentIndex(tls.findData(endpoint.tls.value))
        if not self.login_edit.text():
            self.login_edit.setText(address)
        self._credential_rows()
        self._show_page(Page.SERVERS)

    # --- step 2: the account ----------------------------------------------------------------------

    def build(self) -> tuple[Account, str | None]:
        """The account described by the fields (InvalidInputError in French otherwise)."""
        method = self.auth
        national_id: str | None = None
        certificate: str | None = None
        password: str | None = None
        if method is AuthMethod.PASSWORD:
            password = self.password_edit.text()
            if not password:
                raise InvalidInputError("Saisissez le mot de passe de la boîte.",
                                        message_en="Enter the mailbox password.")
        elif method is AuthMethod.PSC:
            national_id = national_id_from(self.national_id_edit.text())
        else:
            certificate = self.certificate_edit.text().strip()
            if not certificate:
                raise InvalidInputError("Indiquez le fichier du certificat (PKCS#12).",
                                        message_en="Give the certificate file (PKCS#12).")
        account = Account(
            address=check_address(self.address_edit.text()),
            kind=MailboxKind(str(self.kind_box.currentData())),
            login=self.login_edit.text().strip(),
            imap=Endpoint(self.imap_host.text().strip(), self.imap_port.value(),
                          TlsMode(str(self.imap_tls.currentData()))),
            smtp=Endpoint(self.smtp_host.text().strip(), self.smtp_port.value(),
                          TlsMode(str(self.smtp_tls.currentData()))),
            auth=method,
            display_name=self.name_edit.text().strip() or None,
            ca_file=self.ca_edit.text().strip() or None,
            certificate=certificate,
            national_id=national_id,
        )
        return account, password

    def finish(self) -> None:
        try:
            account, password = self.build()
        except UserFacingError as exc:
            self._show_error(exc.message)
            return
        self.next_button.setEnabled(False)
        self.password_edit.clear()
        self._runner.run(lambda: self._accounts.add(account, password=password),
                         lambda _none: self._added(account),
                         self._failed)

    def _added(self, account: Account) -> None:
        self.added = account
        self.account_added.emit(account)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._show_error(error_text(exc, self.tr("Le compte n'a pas pu être enregistré.")))

    def done(self, result: int) -> None:
        self._runner.close()
        super().done(result)


__all__ = ["AccountWizard", "Page"]
