"""Settings: inactivity lock, language, export folder, the CPS card reader, whitelist and directory
sources, and each account's read-receipt (MDN) policy.

The dialog edits values only; ``SettingsDialog.result_value()`` is validated by
``app.domain.settings.AppSettings`` (errors shown in the dialog, which then stays open) and
``save_settings`` writes it — a blocking call the window hands to ``BackgroundRunner``. The
directory API key is never shown back: the field is empty, says whether a key is kept, and an
empty field leaves it as it is (the "Oublier la clé" box removes it).

The "Carte CPS" group holds the PKCS#11 module (empty: no reader; the CPS middleware's usual
module is offered when it is installed), an optional token label and slot, and "Tester": the
module is tried in a child process (``app.protocols.pkcs11.probe``) on the dialog's own
``card-probe`` thread, and the cards it sees — or why it cannot be used — are shown in French. A
hostile path (a pipe, a directory, a text file, a library that crashes) gives a sentence, never a
hang or a crash of the application.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.account import Account
from app.domain.settings import MAX_LOCK_MINUTES, MIN_LOCK_MINUTES, AppSettings
from app.errors import InvalidInputError
from app.protocols.crl_fetch import check_crl_url
from app.protocols.mime.mdn_builder import MdnPolicy
from app.store.settings_store import AppSettingsStore


class MdnPolicies(Protocol):
    """What the dialog needs of ``ReceiptService``."""

    def mdn_policy(self, account: Account) -> MdnPolicy: ...

    def set_mdn_policy(self, account: Account, policy: MdnPolicy) -> None: ...


@dataclass(frozen=True)
class SettingsResult:
    settings: AppSettings
    api_key: str | None = None  # None: unchanged; "": forget the stored key
    mdn: dict[tuple[str, str], MdnPolicy] = field(default_factory=dict)  # (address, login)
    crl_urls: list[str] | None = None  # None: unchanged; []: revocation checking off


class CrlUrls(Protocol):
    """What the dialog's result needs of ``CrlCache``."""

    def set_urls(self, urls: list[str]) -> None: ...


def save_settings(result: SettingsResult, *, store: AppSettingsStore,
                  receipts: MdnPolicies | None, accounts: list[Account],
                  crls: CrlUrls | None = None) -> None:
    """Write ``result`` (blocking: run it off the UI thread)."""
    store.save(result.settings)
    if crls is not None and result.crl_urls is not None:
        crls.set_urls(result.crl_urls)
    if result.api_key is not None:
        store.set_fhir_api_key(result.api_key)
    if receipts is not None:
        by_key = {(a.address, a.login): a for a in accounts}
        for key, policy in result.mdn.items():
            account = by_key.get(key)
            if account is not None:
                receipts.set_mdn_policy(account, policy)


_MDN_LABELS = (
    (MdnPolicy.ASK, QT_TRANSLATE_NOOP("SettingsDialog", "Demander à chaque fois")),
    (MdnPolicy.ALWAYS, QT_TRANSLATE_NOOP("SettingsDialog", "Toujours envoyer")),
    (MdnPolicy.NEVER, QT_TRANSLATE_NOOP("SettingsDialog", "Ne jamais envoyer")),
)


class SettingsDialog(QDialog):
    settings_accepted = Signal(object)  # SettingsResult

    card_tested = Signal(bool)  # the "Tester" answer is shown (True: the module answered)

    def __init__(self, settings: AppSettings, *, api_key_stored: bool = False,
                 accounts: list[Account] | None = None,
                 mdn_policies: dict[tuple[str, str], MdnPolicy] | None = None,
                 card_probe: Callable[[str], Any] | None = None,
                 suggest_card_module: Callable[[], str | None] | None = None,
                 crl_urls: list[str] | None = None,
                 crl_status: list[Any] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle(self.tr("Paramètres"))
        self.setMinimumWidth(560)
        self._initial = settings
        self._accounts = list(accounts or [])
        self.result_value: SettingsResult | None = None
        # The card module is tried, and looked for, on a thread of the dialog's own.
        self._card_probe = card_probe
        self._suggest_card_module = suggest_card_module
        self._probe_executor: ThreadPoolExecutor | None = None
        self._probe_runner: Any = None

        tabs = QTabWidget(self)
        tabs.setObjectName("settingsTabs")
        tabs.addTab(self._general_tab(settings), self.tr("Général"))
        tabs.addTab(self._whitelist_tab(settings), self.tr("Liste blanche"))
        tabs.addTab(self._directory_tab(settings, api_key_stored), self.tr("Annuaire"))
        tabs.addTab(self._accounts_tab(mdn_policies or {}), self.tr("Comptes"))
        self._crl_urls = crl_urls
        if crl_urls is not None:
            tabs.addTab(self._revocation_tab(crl_urls, crl_status or []), self.tr("Révocation"))
        self.tabs = tabs

        self.error_label = QLabel(self)
        self.error_label.setObjectName("settingsError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #a4000f;")
        self.error_label.hide()

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Enregistrer"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Annuler"))
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons

        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        if not settings.pkcs11_module:
            self._look_for_card_module()

    # --- tabs -----------------------------------------------------------------------------------

    def _line(self, value: str | None, name: str, accessible: str) -> QLineEdit:
        edit = QLineEdit(value or "", self)
        edit.setObjectName(name)
        edit.setAccessibleName(accessible)
        return edit

    def _with_browse(self, edit: QLineEdit, folder: bool) -> QWidget:
        box = QWidget(self)
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit, 1)
        button = QPushButton(self.tr("Parcourir…"), box)
        button.setObjectName(edit.objectName() + "Browse")
        button.clicked.connect(lambda: self._browse(edit, folder))
        row.addWidget(button)
        return box

    def _browse(self, edit: QLineEdit, folder: bool) -> QFileDialog:
        # open(), not exec(): the asyncio loop keeps running.
        chooser = QFileDialog(self, self.tr("Choisir un dossier") if folder
                              else self.tr("Choisir un fichier"), edit.text())
        chooser.setFileMode(QFileDialog.FileMode.Directory if folder
                            else QFileDialog.FileMode.ExistingFile)
        chooser.fileSelected.connect(edit.setText)
        chooser.open()
        return chooser

    def _general_tab(self, settings: AppSettings) -> QWidget:
        page = QWidget(self)
        self.lock_spin = QSpinBox(page)
        self.lock_spin.setObjectName("lockMinutes")
        self.lock_spin.setRange(MIN_LOCK_MINUTES, MAX_LOCK_MINUTES)
        self.lock_spin.setSuffix(self.tr(" min"))
        self.lock_spin.setValue(settings.lock_minutes)
        self.lock_spin.setAccessibleName(self.tr("Délai de verrouillage en minutes"))
        self.lock_spin.setToolTip(self.tr("Au plus 2 heures (120 minutes)."))
        self.language = QComboBox(page)
        self.language.setObjectName("language")
        self.language.addItem("Français", "fr")
        self.language.addItem("English", "en")
        self.language.setCurrentIndex(max(0, self.language.findData(settings.language)))
        self.language.setAccessibleName(self.tr("Langue de l'interface"))
        self.language_note = QLabel(self.tr("Le changement de langue prend effet au prochain "
                                            "démarrage."), page)
        self.language_note.setObjectName("languageNote")
        self.language_note.setWordWrap(True)
        self.language.currentIndexChanged.connect(
            lambda _i: self.language_note.setVisible(
                self.language.currentData() != self._initial.language))
        self.language_note.setVisible(False)
        self.export_folder = self._line(settings.export_folder, "exportFolder",
                                        self.tr("Dossier des documents classés"))
        form = QFormLayout(page)
        form.addRow(self.tr("Verrouillage après inactivité :"), self.lock_spin)
        form.addRow(self.tr("Langue :"), self.language)
        form.addRow("", self.language_note)
        form.addRow(self.tr("Dossier patient (export) :"),
                    self._with_browse(self.export_folder, folder=True))
        form.addRow(self._card_group(settings, page))
        return page

    # --- the CPS card ---------------------------------------------------------------------------

    def _card_group(self, settings: AppSettings, page: QWidget) -> QGroupBox:
        group = QGroupBox(self.tr("Carte CPS"), page)
        group.setObjectName("cardGroup")
        self.card_module = self._line(settings.pkcs11_module, "cardModule",
                                      self.tr("Module PKCS#11 de la carte CPS"))
        self.card_module.setPlaceholderText(self.tr("Aucun lecteur configuré"))
        self.card_module.setToolTip(self.tr(
            "Chemin absolu du module PKCS#11 du logiciel de la carte CPS (cryptolib), par "
            "exemple /usr/lib/libcps3_pkcs11_lin.so. Vide : la carte n'est pas surveillée."))
        browse_box = QWidget(group)
        row = QHBoxLayout(browse_box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.card_module, 1)
        browse = QPushButton(self.tr("Parcourir…"), browse_box)
        browse.setObjectName("cardModuleBrowse")
        browse.clicked.connect(self._browse_card_module)
        row.addWidget(browse)

        self.card_suggestion = QWidget(group)
        self.card_suggestion.setObjectName("cardSuggestion")
        suggestion_row = QHBoxLayout(self.card_suggestion)
        suggestion_row.setContentsMargins(0, 0, 0, 0)
        self.card_suggestion_label = QLabel(self.card_suggestion)
        self.card_suggestion_label.setWordWrap(True)
        self.card_suggestion_button = QPushButton(self.tr("Utiliser ce module"),
                                                  self.card_suggestion)
        self.card_suggestion_button.setObjectName("cardSuggestionUse")
        self.card_suggestion_button.clicked.connect(self._use_suggestion)
        suggestion_row.addWidget(self.card_suggestion_label, 1)
        suggestion_row.addWidget(self.card_suggestion_button)
        self.card_suggestion.hide()
        self._suggested_module = ""
        # A path typed or chosen replaces the offer.
        self.card_module.textChanged.connect(
            lambda text: self.card_suggestion.setVisible(
                bool(self._suggested_module) and not text.strip()))

        self.card_label = self._line(settings.pkcs11_token_label, "cardTokenLabel",
                                     self.tr("Libellé de la carte"))
        self.card_label.setPlaceholderText(self.tr("Facultatif : toute carte CPS"))
        self.card_label.setMaxLength(32)
        self.card_slot = self._line("" if settings.pkcs11_slot is None
                                    else str(settings.pkcs11_slot), "cardSlot",
                                    self.tr("Emplacement du lecteur"))
        self.card_slot.setPlaceholderText(self.tr("Facultatif : tous les lecteurs"))

        self.card_test_button = QPushButton(self.tr("&Tester"), group)
        self.card_test_button.setObjectName("cardTest")
        self.card_test_button.setToolTip(self.tr(
            "Charger le module à part et lister les cartes qu'il voit"))
        self.card_test_button.clicked.connect(self.test_card_module)
        self.card_test_result = QLabel(group)
        self.card_test_result.setObjectName("cardTestResult")
        self.card_test_result.setWordWrap(True)
        self.card_test_result.setAccessibleName(self.tr("Résultat du test de la carte"))
        self.card_test_result.hide()
        self.card_test_ok = False  # the last "Tester" found a card matching the settings

        self.card_lock = QCheckBox(self.tr("Verrouiller quand la carte CPS est retirée"), group)
        self.card_lock.setObjectName("lockOnCardRemoval")
        self.card_lock.setChecked(settings.lock_on_card_removal)
        self.card_lock.setToolTip(self.tr(
            "Quand la session a été ouverte avec la carte (Pro Santé Connect, carte CPS)."))

        form = QFormLayout(group)
        form.addRow(self.tr("Module PKCS#11 :"), browse_box)
        form.addRow("", self.card_suggestion)
        form.addRow(self.tr("Libellé de la carte :"), self.card_label)
        form.addRow(self.tr("Emplacement (slot) :"), self.card_slot)
        form.addRow(self.card_test_button, self.card_test_result)
        form.addRow("", self.card_lock)
        return group

    def _runner(self) -> Any:
        if self._probe_runner is None:
            from ui.dialogs import BackgroundRunner

            self._probe_executor = ThreadPoolExecutor(max_workers=1,
                                                      thread_name_prefix="card-probe")
            self._probe_runner = BackgroundRunner(self._probe_executor, self)
        return self._probe_runner

    def _look_for_card_module(self) -> None:
        suggest = self._suggest_card_module
        if suggest is None:
            from app.protocols.pkcs11.probe import suggest_module_path

            suggest = suggest_module_path
        self._runner().run(suggest, self._suggested, lambda _exc: None)

    def _suggested(self, path: str | None) -> None:
        if not path or self.card_module.text().strip():
            return
        self._suggested_module = path
        self.card_module.setPlaceholderText(path)
        self.card_suggestion_label.setText(
            self.tr("Module de la carte CPS trouvé : {path}").format(path=path))
        self.card_suggestion.show()

    def _use_suggestion(self) -> None:
        if self._suggested_module:
            self.card_module.setText(self._suggested_module)
        self.card_suggestion.hide()

    def _browse_card_module(self) -> QFileDialog:
        current = self.card_module.text().strip() or self._suggested_module
        start = os.path.dirname(current) if current else "/usr/lib"
        chooser = QFileDialog(self, self.tr("Choisir le module PKCS#11 de la carte CPS"), start)
        chooser.setObjectName("cardModuleChooser")
        chooser.setFileMode(QFileDialog.FileMode.ExistingFile)
        chooser.setNameFilters([self.tr("Modules PKCS#11 (*.so *.so.* *.dylib *.dll)"),
                                self.tr("Tous les fichiers (*)")])
        chooser.fileSelected.connect(self.card_module.setText)
        chooser.open()  # not exec(): the asyncio loop keeps running
        self.card_chooser = chooser
        return chooser

    def _card_settings(self) -> AppSettings:
        return AppSettings(pkcs11_module=self.card_module.text(),
                           pkcs11_token_label=self.card_label.text(),
                           pkcs11_slot=self.card_slot.text())

    def test_card_module(self) -> None:
        """"Tester": try the module off the UI thread, then show the cards found or why not."""
        try:
            settings = self._card_settings()
        except InvalidInputError as exc:
            self._show_card_result(False, exc.text(self._lang()))
            return
        module = settings.pkcs11_module
        if module is None:
            self._show_card_result(False, self.tr(
                "Indiquez le chemin du module PKCS#11 de la carte CPS."))
            return
        probe = self._card_probe
        if probe is None:
            from app.protocols.pkcs11.probe import probe_module

            probe = probe_module
        self.card_test_button.setEnabled(False)
        self.card_test_result.setStyleSheet("")
        self.card_test_result.setText(self.tr("Test du module en cours…"))
        self.card_test_result.show()
        self._runner().run(lambda: probe(module),
                           lambda report: self._card_tested(report, settings),
                           self._card_test_failed)

    def _card_tested(self, report: Any, settings: AppSettings) -> None:
        self.card_test_button.setEnabled(True)
        library = report.library or os.path.basename(report.module)
        cards = report.matching(settings.pkcs11_token_label, settings.pkcs11_slot)
        if cards:
            lines = [self.tr("Module chargé ({library}).").format(library=library)]
            for card in cards:
                lines.append(self.tr("Carte trouvée : {label} — {holder} (emplacement {slot})")
                             .format(label=card.label or "?",
                                     holder=card.holder_name or card.national_id,
                                     slot=f"{card.slot_id:#x}"))
            self._show_card_result(True, "\n".join(lines))
            return
        seen = [t for t in report.tokens if t.initialized]
        if seen:
            labels = ", ".join(f"{t.label or '?'} ({t.slot_id:#x})" for t in seen)
            text = self.tr("Module chargé ({library}), mais aucune carte CPS ne correspond aux "
                           "réglages. Jetons vus : {labels}.").format(library=library,
                                                                     labels=labels)
        else:
            text = self.tr("Module chargé ({library}), mais aucune carte n'est dans le "
                           "lecteur.").format(library=library)
        self._show_card_result(True, text, warn=True)

    def _card_test_failed(self, exc: BaseException) -> None:
        from ui.dialogs import error_text

        self.card_test_button.setEnabled(True)
        self._show_card_result(False, error_text(exc, self.tr(
            "Le test du module a échoué (détails dans le journal).")))

    def _show_card_result(self, ok: bool, text: str, *, warn: bool = False) -> None:
        colour = "#a4000f" if not ok else ("#8a4b00" if warn else "#2e7040")
        self.card_test_result.setStyleSheet(f"color: {colour};")
        self.card_test_result.setText(text)
        self.card_test_result.show()
        self.card_test_ok = ok and not warn
        self.card_tested.emit(ok)

    @staticmethod
    def _lang() -> str:
        from ui.dialogs import ui_language

        return ui_language()

    def done(self, result: int) -> None:
        if self._probe_runner is not None:
            self._probe_runner.close()
        if self._probe_executor is not None:
            self._probe_executor.shutdown(wait=False, cancel_futures=True)
        super().done(result)

    def _whitelist_tab(self, settings: AppSettings) -> QWidget:
        page = QWidget(self)
        self.whitelist_url = self._line(settings.whitelist_url, "whitelistUrl",
                                        self.tr("Adresse de la liste blanche"))
        self.whitelist_url.setPlaceholderText("https://…")
        self.whitelist_ca = self._line(settings.whitelist_ca_file, "whitelistCa",
                                       self.tr("Certificat d'autorité de la liste blanche"))
        form = QFormLayout(page)
        form.addRow(self.tr("Adresse (URL) :"), self.whitelist_url)
        form.addRow(self.tr("Autorité de certification :"),
                    self._with_browse(self.whitelist_ca, folder=False))
        return page

    def _directory_tab(self, settings: AppSettings, api_key_stored: bool) -> QWidget:
        page = QWidget(self)
        self.extraction = self._line(settings.directory_extraction_file, "extractionFile",
                                     self.tr("Fichier d'extraction de l'annuaire"))
        self.ldap_uri = self._line(settings.ldap_uri, "ldapUri", self.tr("Adresse LDAP"))
        self.ldap_uri.setPlaceholderText("ldaps://annuaire.exemple.fr")
        self.ldap_base = self._line(settings.ldap_base_dn, "ldapBaseDn",
                                    self.tr("Base de recherche LDAP"))
        self.ldap_base.setPlaceholderText("ou=annuaire,dc=exemple,dc=fr")
        self.fhir_url = self._line(settings.fhir_base_url, "fhirBaseUrl",
                                   self.tr("Adresse de l'API Annuaire Santé"))
        self.api_key = self._line("", "fhirApiKey", self.tr("Clé d'API Annuaire Santé"))
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText(
            self.tr("Clé enregistrée (laisser vide pour la garder)") if api_key_stored
            else self.tr("Aucune clé enregistrée"))
        self.forget_key = QCheckBox(self.tr("Oublier la clé enregistrée"), page)
        self.forget_key.setObjectName("forgetApiKey")
        self.forget_key.setVisible(api_key_stored)
        form = QFormLayout(page)
        form.addRow(self.tr("Extraction de l'annuaire :"),
                    self._with_browse(self.extraction, folder=False))
        form.addRow(self.tr("Annuaire LDAP :"), self.ldap_uri)
        form.addRow(self.tr("Base LDAP :"), self.ldap_base)
        form.addRow(self.tr("API Annuaire Santé (FHIR) :"), self.fhir_url)
        form.addRow(self.tr("Clé d'API :"), self.api_key)
        form.addRow("", self.forget_key)
        return page

    def _accounts_tab(self, policies: dict[tuple[str, str], MdnPolicy]) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.mdn_boxes: dict[tuple[str, str], QComboBox] = {}
        if not self._accounts:
            form.addRow(QLabel(self.tr("Aucun compte."), page))
        for account in self._accounts:
            key = (account.address, account.login)
            box = QComboBox(page)
            box.setObjectName(f"mdn:{account.address}")
            for policy, label in _MDN_LABELS:
                box.addItem(self.tr(str(label)), policy.value)
            box.setCurrentIndex(max(0, box.findData(policies.get(key, MdnPolicy.ASK).value)))
            box.setAccessibleName(self.tr("Accusés de lecture pour {address}").format(
                address=account.address))
            self.mdn_boxes[key] = box
            form.addRow(self.tr("Accusés de lecture — {address} :").format(
                address=account.address), box)
        return page

    def _revocation_tab(self, urls: list[str], statuses: list[Any]) -> QWidget:
        """ECO.1.1.6-7: where the CRLs of the servers' authorities are downloaded, and what is
        kept of each. With none, revocation is not checked; with some, a server whose authority
        has no valid CRL kept is refused."""
        page = QWidget(self)
        intro = QLabel(self.tr(
            "Les certificats des serveurs de messagerie sont vérifiés contre les listes de "
            "révocation (CRL) de leurs autorités, téléchargées à ces adresses et gardées sur ce "
            "poste. Sans adresse, la révocation n'est pas vérifiée ; avec des adresses, un "
            "serveur dont l'autorité n'a pas de CRL valide gardée est refusé."), page)
        intro.setWordWrap(True)
        self.crl_urls = QPlainTextEdit("\n".join(urls), page)
        self.crl_urls.setObjectName("crlUrls")
        self.crl_urls.setAccessibleName(self.tr("Adresses des listes de révocation"))
        self.crl_urls.setPlaceholderText(self.tr("Une adresse http(s) par ligne"))
        self.crl_urls.setTabChangesFocus(True)
        self.crl_status = QLabel(self._crl_status_text(statuses), page)
        self.crl_status.setObjectName("crlStatus")
        self.crl_status.setWordWrap(True)
        self.crl_status.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(page)
        layout.addWidget(intro)
        label = QLabel(self.tr("&Adresses (une par ligne) :"), page)
        label.setBuddy(self.crl_urls)
        layout.addWidget(label)
        layout.addWidget(self.crl_urls)
        layout.addWidget(self.crl_status)
        return page

    def _crl_status_text(self, statuses: list[Any]) -> str:
        if not statuses:
            return self.tr("Aucune adresse : la révocation n'est pas vérifiée.")
        lines = []
        for status in statuses:
            if status.kept is not None:
                line = self.tr("{url} : {issuer}, valable jusqu'au {date}").format(
                    url=status.url, issuer=status.kept.facts.issuer_name,
                    date=status.kept.facts.next_update.astimezone().strftime("%d/%m/%Y %H:%M"))
            else:
                line = self.tr("{url} : aucune CRL gardée").format(url=status.url)
            if status.last_error is not None:
                line += "\n    " + self.tr("dernier échec : {error}").format(
                    error=status.last_error.text(self._lang()))
            lines.append(line)
        return "\n".join(lines)

    # --- result ---------------------------------------------------------------------------------

    def collect(self) -> SettingsResult:
        """The values entered, validated (InvalidInputError in French otherwise)."""
        settings = AppSettings(
            lock_minutes=self.lock_spin.value(),
            lock_on_card_removal=self.card_lock.isChecked(),
            language=str(self.language.currentData()),
            export_folder=self.export_folder.text(),
            whitelist_url=self.whitelist_url.text(),
            whitelist_ca_file=self.whitelist_ca.text(),
            directory_extraction_file=self.extraction.text(),
            ldap_uri=self.ldap_uri.text(),
            ldap_base_dn=self.ldap_base.text(),
            fhir_base_url=self.fhir_url.text(),
            pkcs11_module=self.card_module.text(),
            pkcs11_token_label=self.card_label.text(),
            pkcs11_slot=self.card_slot.text(),
        )
        key_text = self.api_key.text().strip()
        api_key: str | None = key_text or None
        if self.forget_key.isChecked() and not key_text:
            api_key = ""
        mdn = {key: MdnPolicy(str(box.currentData())) for key, box in self.mdn_boxes.items()}
        crl_urls: list[str] | None = None
        if self._crl_urls is not None:
            crl_urls = []
            for line in self.crl_urls.toPlainText().splitlines():
                if line.strip():
                    url = check_crl_url(line)  # a clear French error for a malformed one
                    if url not in crl_urls:
                        crl_urls.append(url)
            if crl_urls == self._crl_urls:
                crl_urls = None  # unchanged: nothing to write
        return SettingsResult(settings=settings, api_key=api_key, mdn=mdn, crl_urls=crl_urls)

    def try_accept(self) -> None:
        try:
            result = self.collect()
        except InvalidInputError as exc:
            self.error_label.setText(exc.text(self._lang()))
            self.error_label.show()
            return
        self.result_value = result
        self.api_key.clear()
        self.settings_accepted.emit(result)
        self.accept()
