"""``AppSettings`` in the encrypted store, and the directory API key in the SecretStore.

The values live in the existing ``setting`` table (migration 0004) under the very names the
services already read — ``whitelist.url`` (whitelist service), ``directory.ldap.uri`` and
``directory.fhir.base_url`` (directory service) — so that a change made in the settings dialog
applies to them without a copy to keep in step. Only names new with this module are ``ui.*``,
``export.folder``, ``directory.extraction.file`` and the CPS card reader's ``card.pkcs11.*``.

The national directory API key is a credential: it goes to the SecretStore (OS keyring, or the
encrypted ``secret`` table for key-file profiles), never to the ``setting`` table.
"""

from __future__ import annotations

import logging

from app.domain.settings import AppSettings, clamp_lock_minutes
from app.errors import InvalidInputError
from app.store.account_store import SecretStore
from app.store.outbox_store import SettingStore

_log = logging.getLogger(__name__)

LOCK_MINUTES = "ui.lock_minutes"
LOCK_ON_CARD_REMOVAL = "ui.lock_on_card_removal"
LANGUAGE = "ui.language"
EXPORT_FOLDER = "export.folder"
# Shared with app.services.whitelist_service (URL_SETTING, CA_FILE_SETTING).
WHITELIST_URL = "whitelist.url"
WHITELIST_CA_FILE = "whitelist.ca_file"
# Shared with app.services.directory_service.configured_remotes.
DIRECTORY_EXTRACTION_FILE = "directory.extraction.file"
LDAP_URI = "directory.ldap.uri"
LDAP_BASE_DN = "directory.ldap.base_dn"
FHIR_BASE_URL = "directory.fhir.base_url"
FHIR_API_KEY_SECRET = "directory.fhir.api_key"
# The CPS card reader (PKCS#11 module path; optional token label and slot id, decimal).
PKCS11_MODULE = "card.pkcs11.module"
PKCS11_TOKEN_LABEL = "card.pkcs11.token_label"
PKCS11_SLOT = "card.pkcs11.slot"

_OPTIONAL_TEXT = {
    "export_folder": EXPORT_FOLDER,
    "whitelist_url": WHITELIST_URL,
    "whitelist_ca_file": WHITELIST_CA_FILE,
    "directory_extraction_file": DIRECTORY_EXTRACTION_FILE,
    "ldap_uri": LDAP_URI,
    "ldap_base_dn": LDAP_BASE_DN,
    "fhir_base_url": FHIR_BASE_URL,
    "pkcs11_module": PKCS11_MODULE,
    "pkcs11_token_label": PKCS11_TOKEN_LABEL,
    "pkcs11_slot": PKCS11_SLOT,
}


class AppSettingsStore:
    """Load and save the profile's ``AppSettings`` (blocking: call it off the UI thread)."""

    def __init__(self, *, settings: SettingStore, secrets: SecretStore) -> None:
        self._settings = settings
        self._secrets = secrets

    def load(self) -> AppSettings:
        """The stored settings; a value that no longer validates falls back to its default
        (logged by name only), so that one bad value never keeps the profile from opening."""
        values: dict[str, object] = {}
        try:
            values["lock_minutes"] = clamp_lock_minutes(self._settings.get(LOCK_MINUTES))
        except InvalidInputError:
            _log.warning("setting %s unreadable; default used", LOCK_MINUTES)
        card = self._settings.get(LOCK_ON_CARD_REMOVAL)
        if card is not None:
            values["lock_on_card_removal"] = card == "1"
        language = self._settings.get(LANGUAGE)
        if language:
            values["language"] = language
        for field_name, key in _OPTIONAL_TEXT.items():
            values[field_name] = self._settings.get(key)
        try:
            return AppSettings(**values)  # type: ignore[arg-type]
        except InvalidInputError:
            pass
        # Validate field by field to keep every good value.
        kept: dict[str, object] = {}
        for name, value in values.items():
            try:
                AppSettings(**{**kept, name: value})  # type: ignore[arg-type]
            except InvalidInputError:
                _log.warning("setting %s invalid; default used", name)
                continue
            kept[name] = value
        try:
            return AppSettings(**kept)  # type: ignore[arg-type]
        except InvalidInputError:
            return AppSettings()

    def save(self, settings: AppSettings) -> None:
        self._settings.set(LOCK_MINUTES, str(settings.lock_minutes))
        self._settings.set(LOCK_ON_CARD_REMOVAL, "1" if settings.lock_on_card_removal else "0")
        self._settings.set(LANGUAGE, settings.language)
        for field_name, key in _OPTIONAL_TEXT.items():
            value = getattr(settings, field_name)
            if value is None:
                self._settings.delete(key)
            else:
                self._settings.set(key, str(value))

    def fhir_api_key(self) -> str | None:
        return self._secrets.get(FHIR_API_KEY_SECRET)

    def set_fhir_api_key(self, key: str | None) -> None:
        """Keep ``key`` (stripped) in the SecretStore; ``None`` or empty forgets it."""
        value = (key or "").strip()
        if not value:
            self._secrets.delete(FHIR_API_KEY_SECRET)
            return
        if any(c.isspace() or ord(c) < 32 for c in value):
            raise InvalidInputError(
                "La clé d'API de l'Annuaire Santé contient des espaces ou des caractères "
                "invalides.",
                message_en="The directory API key contains spaces or invalid characters.",
            )
        self._secrets.set(FHIR_API_KEY_SECRET, value)


__all__ = ["FHIR_API_KEY_SECRET", "AppSettingsStore"]
