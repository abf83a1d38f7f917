"""Settings: inactivity lock, language, export folder, whitelist and directory sources, and each
account's read-receipt (MDN) policy.

The dialog edits values only; ``SettingsDialog.result_value()`` is validated by
``app.domain.settings.AppSettings`` (errors shown in the dialog, which then stays open) and
``save_settings`` writes it — a blocking call the window hands to ``BackgroundRunner``. The
directory API key is never shown back: the field is empty, says whether a key is kept, and an
empty field leaves it as it is (the "Oublier la clé" box removes it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from PySide6.QtCore import QT_TRANSLATE_NOOP, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.account import Account
from app.domain.settings import MAX_LOCK_MINUTES, MIN_LOCK_MINUTES, AppSettings
from app.errors import InvalidInputError
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


def save_settings(result: SettingsResult, *, store: AppSettingsStore,
                  receipts: MdnPolicies | None, accounts: list[Account]) -> None:
    """Write ``result`` (blocking: run it off the UI thread)."""
    store.save(result.settings)
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

    def __init__(self, settings: AppSettings, *, api_key_stored: bool = False,
                 accounts: list[Account] | None = None,
                 mdn_policies: dict[tuple[str, str], MdnPolicy] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle(self.tr("Paramètres"))
        self.setMinimumWidth(560)
        self._initial = settings
        self._accounts = list(accounts or [])
        self.result_value: SettingsResult | None = None

        tabs = QTabWidget(self)
        tabs.setObjectName("settingsTabs")
        tabs.addTab(self._general_tab(settings), self.tr("Général"))
        tabs.addTab(self._whitelist_tab(settings), self.tr("Liste blanche"))
        tabs.addTab(self._directory_tab(settings, api_key_stored), self.tr("Annuaire"))
        tabs.addTab(self._accounts_tab(mdn_policies or {}), self.tr("Comptes"))
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
        self.card_lock = QCheckBox(self.tr("Verrouiller quand la carte CPS est retirée"), page)
        self.card_lock.setObjectName("lockOnCardRemoval")
        self.card_lock.setChecked(settings.lock_on_card_removal)
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
        form.addRow("", self.card_lock)
        form.addRow(self.tr("Langue :"), self.language)
        form.addRow("", self.language_note)
        form.addRow(self.tr("Dossier patient (export) :"),
                    self._with_browse(self.export_folder, folder=True))
        return page

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
        )
        key_text = self.api_key.text().strip()
        api_key: str | None = key_text or None
        if self.forget_key.isChecked() and not key_text:
            api_key = ""
        mdn = {key: MdnPolicy(str(box.currentData())) for key, box in self.mdn_boxes.items()}
        return SettingsResult(settings=settings, api_key=api_key, mdn=mdn)

    def try_accept(self) -> None:
        try:
            result = self.collect()
        except InvalidInputError as exc:
            self.error_label.setText(exc.message)
            self.error_label.show()
            return
        self.result_value = result
        self.api_key.clear()
        self.settings_accepted.emit(result)
        self.accept()
