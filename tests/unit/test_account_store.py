"""Accounts: domain validation and the encrypted account store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.composition import Profile, open_profile
from app.domain.account import (
    Account,
    AuthMethod,
    Endpoint,
    MailboxKind,
    TlsMode,
    check_address,
)
from app.errors import InvalidInputError
from app.events import AccountAdded, AccountRemoved, Event
from app.store.account_store import AccountStore, InMemorySecretStore, password_secret_name


def _account(**changes: Any) -> Account:
    values: dict[str, Any] = {
        "address": "secretariat@clinique.mssante.fr",
        "kind": MailboxKind.ORG,
        "login": "secretariat",
        "imap": Endpoint("imap.clinique.fr", 993, TlsMode.IMPLICIT),
        "smtp": Endpoint("smtp.clinique.fr", 587, TlsMode.STARTTLS),
    }
    values.update(changes)
    return Account(**values)


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as opened:
        yield opened


# --- domain ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [
        ("imap.exemple.fr:993", "imap.exemple.fr", 993),
        (" IMAP.Exemple.FR:143 ", "imap.exemple.fr", 143),
        ("127.0.0.1:1", "127.0.0.1", 1),
        ("[::1]:65535", "::1", 65535),
    ],
)
def test_endpoint_parse(text: str, host: str, port: int) -> None:
    endpoint = Endpoint.parse(text, "starttls")
    assert (endpoint.host, endpoint.port, endpoint.tls) == (host, port, TlsMode.STARTTLS)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("imap.exemple.fr", "HÔTE:PORT"),
        ("imap.exemple.fr:", "HÔTE:PORT"),
        (":993", "HÔTE:PORT"),
        ("imap.exemple.fr:99a", "HÔTE:PORT"),
        ("imap.exemple.fr:0", "hors de la plage"),
        ("imap.exemple.fr:65536", "hors de la plage"),
        ("imap exemple.fr:993", "n'est pas valide"),
        ("-bad-.fr:993", "n'est pas valide"),
        ("::1:993", "HÔTE:PORT"),
    ],
)
def test_endpoint_parse_rejects(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        Endpoint.parse(text, TlsMode.IMPLICIT)
    assert fragment in caught.value.text("fr")
    assert caught.value.text("en") != caught.value.text("fr")


def test_unknown_tls_mode() -> None:
    with pytest.raises(InvalidInputError, match="starttls, implicit"):
        Endpoint.parse("h.fr:1", "ssl")


@pytest.mark.parametrize("address", ["a@b.fr", "dr.jean.dupont@hopital.mssante.fr", "x+y@a-b.c.fr"])
def test_addresses_accepted(address: str) -> None:
    assert check_address(f" {address} ") == address


@pytest.mark.parametrize(
    "address",
    ["", "ab.fr", "a@b", "a@@b.fr", "a b@c.fr", "a@b..fr", "a@.b.fr", "<a@b.fr>", "a@b.fr."],
)
def test_addresses_refused(address: str) -> None:
    with pytest.raises(InvalidInputError):
        check_address(address)


def test_account_validation() -> None:
    with pytest.raises(InvalidInputError):
        _account(login=" ")
    with pytest.raises(InvalidInputError):
        _account(login="a b")
    with pytest.raises(InvalidInputError):
        _account(national_id="81-0000")
    assert _account(national_id="810001234567").national_id == "810001234567"


# --- store -------------------------------------------------------------------------------------


def test_add_list_get_remove(profile: Profile) -> None:
    seen: list[Event] = []
    profile.events.subscribe(Event, seen.append)
    first = _account(display_name="Secrétariat", ca_file="/etc/ca.pem", national_id="3123")
    second = _account(
        address="dr.a@clinique.mssante.fr", login="dra", kind=MailboxKind.PER, auth=AuthMethod.PSC
    )
    profile.accounts.add(first, password="s3cret")
    profile.accounts.add(second)
    assert profile.accounts.list() == [second, first]  # sorted by address
    assert profile.accounts.get("SECRETARIAT@clinique.mssante.fr") == first
    assert profile.accounts.password(first) == "s3cret"
    assert profile.accounts.password(second) is None
    profile.accounts.remove(first.address)
    assert profile.accounts.list() == [second]
    assert profile.secrets.get(password_secret_name(first)) is None
    assert seen == [
        AccountAdded(first.address, first.login),
        AccountAdded(second.address, second.login),
        AccountRemoved(first.address, first.login),
    ]


def test_duplicate_is_refused_case_insensitively(profile: Profile) -> None:
    profile.accounts.add(_account(), password="a")
    with pytest.raises(InvalidInputError, match="existe déjà"):
        profile.accounts.add(_account(address="Secretariat@Clinique.mssante.fr"), password="b")
    assert profile.accounts.password(_account()) == "a"
    # Same address, another login: a different account.
    profile.accounts.add(_account(login="autre"), password="c")
    assert len(profile.accounts.list()) == 2
    with pytest.raises(InvalidInputError, match="précisez"):
        profile.accounts.get(_account().address)
    assert profile.accounts.get(_account().address, "autre").login == "autre"


def test_password_required_for_password_auth(profile: Profile) -> None:
    with pytest.raises(InvalidInputError, match="mot de passe"):
        profile.accounts.add(_account())
    assert profile.accounts.list() == []


def test_unknown_account(profile: Profile) -> None:
    with pytest.raises(InvalidInputError, match="Aucun compte"):
        profile.accounts.get("personne@nulle.part.fr")
    with pytest.raises(InvalidInputError):
        profile.accounts.remove("personne@nulle.part.fr")


def test_password_is_not_in_the_account_table(profile: Profile) -> None:
    profile.accounts.add(_account(), password="hunter2-unique")
    rows = profile.database.query("SELECT * FROM account")
    assert all("hunter2-unique" not in str(v) for row in rows for v in tuple(row))
    assert profile.database.query("SELECT value FROM secret")[0][0] == "hunter2-unique"


def test_store_with_in_memory_secrets(profile: Profile) -> None:
    secrets = InMemorySecretStore()
    store = AccountStore(database=profile.database, secrets=secrets)
    store.add(_account(), password="pw")
    assert secrets.values == {password_secret_name(_account()): "pw"}
    assert profile.database.query("SELECT count(*) FROM secret")[0][0] == 0


def test_accounts_survive_reopening(tmp_path: Path) -> None:
    account = _account(certificate="/srv/app.p12", auth=AuthMethod.CERTIFICATE)
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as profile:
        profile.accounts.add(account)
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as profile:
        assert profile.accounts.list() == [account]
