"""Profile settings: typed values with their rules (lock delay ≤ 2 h, MSSANTE §8), and their
storage in the encrypted profile (the API key in the SecretStore, never in the settings table)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.composition import Profile, open_profile
from app.domain.settings import (
    DEFAULT_LOCK_MINUTES,
    MAX_LOCK_MINUTES,
    AppSettings,
    clamp_lock_minutes,
)
from app.errors import InvalidInputError
from app.services.directory_service import configured_remotes
from app.services.whitelist_service import URL_SETTING
from app.store.outbox_store import SettingStore
from app.store.settings_store import FHIR_API_KEY_SECRET, AppSettingsStore


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as opened:
        yield opened


@pytest.fixture
def store(profile: Profile) -> AppSettingsStore:
    return AppSettingsStore(settings=SettingStore(database=profile.database),
                            secrets=profile.secrets)


def test_defaults() -> None:
    settings = AppSettings()
    assert settings.lock_minutes == DEFAULT_LOCK_MINUTES == 15
    assert settings.lock_seconds == 900
    assert settings.language == "fr"
    assert settings.lock_on_card_removal is True


@pytest.mark.parametrize(("given", "kept"), [
    (15, 15), (120, 120), (121, MAX_LOCK_MINUTES), (10_000, 120), (0, 1), (-5, 1),
    ("30", 30), (None, 15), ("", 15),
])
def test_lock_delay_is_clamped_to_two_hours(given: int | str | None, kept: int) -> None:
    """MSSANTE §8: automatic lock after inactivity, 2 h at most — out of range is clamped."""
    assert clamp_lock_minutes(given) == kept
    if given is not None:
        assert AppSettings(lock_minutes=given).lock_minutes == kept  # type: ignore[arg-type]


def test_lock_delay_not_a_number_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="minutes"):
        clamp_lock_minutes("quinze")


@pytest.mark.parametrize(("changes", "words"), [
    ({"language": "de"}, "Langue"),
    ({"export_folder": "relatif/dossier"}, "chemin absolu"),
    ({"whitelist_url": "http://listeblanche.example/lb.xml"}, "https://"),
    ({"fhir_base_url": "ftp://annuaire"}, "https://"),
    ({"ldap_uri": "http://ldap.example"}, "ldap://"),
    ({"ldap_uri": "ldaps://ldap.example"}, "base de recherche"),
    ({"ldap_uri": "ldaps://ldap.example", "ldap_base_dn": "annuaire"}, "base LDAP"),
    ({"directory_extraction_file": "extraction.txt"}, "chemin absolu"),
])
def test_bad_values_are_refused_in_french(changes: dict[str, object], words: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        AppSettings().with_changes(**changes)
    assert words in caught.value.message


def test_values_are_normalised() -> None:
    settings = AppSettings(language=" EN ", export_folder=" /srv/dossiers ", whitelist_url="  ",
                           ldap_uri="ldaps://ldap.example", ldap_base_dn="dc=example,dc=fr")
    assert settings.language == "en"
    assert settings.export_folder == "/srv/dossiers"
    assert settings.whitelist_url is None


def test_round_trip(store: AppSettingsStore) -> None:
    wanted = AppSettings(lock_minutes=45, lock_on_card_removal=False, language="en",
                         export_folder="/srv/dossiers-patients",
                         whitelist_url="https://listeblanche.example/lb.xml",
                         whitelist_ca_file="/etc/estafette/igc-sante.pem",
                         directory_extraction_file="/srv/annuaire/extraction.txt",
                         ldap_uri="ldap://127.0.0.1:3890", ldap_base_dn="dc=example,dc=fr",
                         fhir_base_url="https://annuaire.example/fhir")
    assert store.load() == AppSettings()  # nothing stored yet: the defaults
    store.save(wanted)
    assert store.load() == wanted
    store.save(AppSettings())
    assert store.load() == AppSettings()


def test_services_read_what_the_dialog_writes(profile: Profile, store: AppSettingsStore) -> None:
    """One source of truth: the whitelist and directory services see the saved values."""
    settings = SettingStore(database=profile.database)
    store.save(AppSettings(whitelist_url="https://listeblanche.example/lb.xml",
                           ldap_uri="ldap://127.0.0.1:3890", ldap_base_dn="dc=example,dc=fr"))
    assert settings.get(URL_SETTING) == "https://listeblanche.example/lb.xml"
    remotes, warnings = configured_remotes(settings)
    assert warnings == [] and len(remotes) == 1


def test_stored_out_of_range_or_broken_values_fall_back(profile: Profile,
                                                        store: AppSettingsStore) -> None:
    settings = SettingStore(database=profile.database)
    settings.set("ui.lock_minutes", "9999")
    settings.set("ui.language", "klingon")
    settings.set("export.folder", "/srv/ok")
    loaded = store.load()
    assert loaded.lock_minutes == 120
    assert loaded.language == "fr"
    assert loaded.export_folder == "/srv/ok"


def test_api_key_goes_to_the_secret_store(profile: Profile, store: AppSettingsStore) -> None:
    store.set_fhir_api_key("  cle-api-0123456789  ")
    assert profile.secrets.get(FHIR_API_KEY_SECRET) == "cle-api-0123456789"
    rows = profile.database.query("SELECT name, value FROM setting")
    assert all("cle-api" not in str(row["value"]) for row in rows)
    assert store.fhir_api_key() == "cle-api-0123456789"
    store.set_fhir_api_key("")
    assert store.fhir_api_key() is None
    with pytest.raises(InvalidInputError):
        store.set_fhir_api_key("deux mots")
