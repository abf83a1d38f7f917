"""The keeper of the last valid CRL (``app.services.crl_cache``): what it keeps on disk, when it
refreshes, and what connections get — the network replaced by bodies in a dict, the validation
and the files real."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from app.errors import InvalidInputError
from app.protocols import tls
from app.protocols.crl_fetch import (
    CrlDownloadError,
    CrlError,
    ValidatedCrl,
    issuer_id,
    parse_crl,
    validate_crl,
)
from app.services import crl_cache
from app.services.crl_cache import CrlCache, CrlUnavailableError
from app.store.durable_files import write_atomically
from tests.unit.test_crl_validation import DAY, HOUR, NOW, Authority

URL = "http://crl.test/ac.crl"


class Clock:
    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class Server:
    """What each URL serves; ``None``: an HTTP 404."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes | None] = {}
        self.calls: list[str] = []

    def fetch(self, url: str, *, issuers: Any, now: dt.datetime, kept: Any,
              **_options: Any) -> ValidatedCrl:
        self.calls.append(url)
        body = self.bodies.get(url)
        if body is None:
            raise CrlDownloadError(
                f"Le serveur de la liste de révocation a répondu 404 pour {url}.")
        return validate_crl(parse_crl(body, source=url), issuers=issuers, now=now, kept=kept,
                            source=url)


@pytest.fixture
def ca(tmp_path: Path) -> tuple[Authority, Path]:
    authority = Authority()
    path = tmp_path / "ca.pem"
    path.write_bytes(authority.cert.public_bytes(Encoding.PEM))
    return authority, path


def cache_for(tmp_path: Path, ca_file: Path, server: Server, clock: Clock,
              urls: tuple[str, ...] = (URL,)) -> CrlCache:
    return CrlCache(directory=tmp_path / "profile" / "crl", urls=urls,
                    trusted_files=lambda: [ca_file], clock=clock, fetch=server.fetch)


def test_a_valid_crl_is_kept_in_the_profile_and_handed_to_connections(
        tmp_path: Path, ca: tuple[Authority, Path]) -> None:
    """ECO.1.1.7: a CRL that validated is written under the profile (PEM, one file per issuer)
    and is what connections get; a new keeper over the same directory finds it again."""
    authority, ca_file = ca
    server, clock = Server(), Clock()
    server.bodies[URL] = authority.crl(number=1).public_bytes(Encoding.DER)
    cache = cache_for(tmp_path, ca_file, server, clock)
    [outcome] = cache.refresh()
    assert outcome.status == "updated" and outcome.kept is not None
    path = tmp_path / "profile" / "crl" / f"{issuer_id(authority.cert)}.crl.pem"
    assert cache.files() == [path] == [outcome.kept.path]
    assert path.read_bytes().startswith(b"-----BEGIN X509 CRL-----")
    assert tls.client_context(str(ca_file), crl_files=cache.files())  # OpenSSL loads it
    again = cache_for(tmp_path, ca_file, Server(), clock)
    assert again.files() == [path]
    assert again.kept()[0].facts.number == 1
    assert sorted(p.name for p in path.parent.iterdir()) == sorted([path.name, "sources.json"])


def test_a_refused_crl_never_replaces_the_kept_one(tmp_path: Path,
                                                   ca: tuple[Authority, Path]) -> None:
    """ECO.1.1.7: garbage, a forged, an expired or an older CRL, or an HTTP error, leave the kept
    file byte for byte as it was, and it stays in use; the failure is reported in French."""
    authority, ca_file = ca
    server, clock = Server(), Clock()
    server.bodies[URL] = authority.crl(this_update=NOW - HOUR, number=5).public_bytes(
        Encoding.DER)
    cache = cache_for(tmp_path, ca_file, server, clock)
    cache.refresh()
    [path] = cache.files()
    kept = path.read_bytes()
    hostile = {
        "garbage": b"<html>proxy error</html>",
        "forged": authority.crl(key=ec.generate_private_key(ec.SECP256R1()))
        .public_bytes(Encoding.DER),
        "expired": authority.crl(this_update=NOW - 9 * DAY, next_update=NOW - DAY)
        .public_bytes(Encoding.DER),
        "older": authority.crl(this_update=NOW - 3 * HOUR, number=4).public_bytes(Encoding.DER),
        "404": None,
    }
    for name, body in hostile.items():
        server.bodies[URL] = body
        [outcome] = cache.refresh(force=True)
        assert outcome.status == "failed", name
        assert outcome.error is not None and outcome.error.message
        assert outcome.kept is not None and outcome.kept.path == path
        assert path.read_bytes() == kept, name
        assert cache.files() == [path]
        [status] = cache.status()
        assert status.last_error is outcome.error


def test_a_refresh_is_due_only_when_the_kept_crl_ages(tmp_path: Path,
                                                      ca: tuple[Authority, Path]) -> None:
    """ECO.1.1.7: the kept CRL is refreshed once it is older than the refresh interval or its
    next update is near — not at every connection; a failed download is not retried at once."""
    authority, ca_file = ca
    server, clock = Server(), Clock()
    server.bodies[URL] = authority.crl(this_update=NOW - HOUR,
                                       next_update=NOW + 7 * DAY).public_bytes(Encoding.DER)
    cache = cache_for(tmp_path, ca_file, server, clock)
    cache.connection_files()
    cache.connection_files()
    assert server.calls == [URL]
    clock.now = NOW + 23 * HOUR - dt.timedelta(minutes=1)
    cache.connection_files()
    assert server.calls == [URL]
    clock.now = NOW + 23 * HOUR  # 24 h after the kept CRL's this-update
    server.bodies[URL] = None
    assert cache.connection_files()  # the download failed: the kept one is still handed over
    assert server.calls == [URL, URL]
    clock.now += crl_cache.RETRY_AFTER - dt.timedelta(seconds=1)
    cache.connection_files()
    assert server.calls == [URL, URL]
    clock.now += dt.timedelta(seconds=1)
    server.bodies[URL] = authority.crl(this_update=clock.now - HOUR).public_bytes(Encoding.DER)
    [outcome] = cache.refresh()
    assert outcome.status == "updated" and outcome.kept is not None
    assert outcome.kept.facts.this_update == clock.now - HOUR


def test_a_short_lived_crl_is_refreshed_before_its_next_update(
        tmp_path: Path, ca: tuple[Authority, Path]) -> None:
    """ECO.1.1.7: a CRL valid for a few hours is refreshed ahead of its next update."""
    authority, ca_file = ca
    server, clock = Server(), Clock()
    server.bodies[URL] = authority.crl(this_update=NOW - HOUR,
                                       next_update=NOW + 3 * HOUR).public_bytes(Encoding.DER)
    cache = cache_for(tmp_path, ca_file, server, clock)
    cache.refresh()
    assert not cache.is_due(URL, NOW + HOUR - dt.timedelta(seconds=1))
    assert cache.is_due(URL, NOW + HOUR)


def test_configured_but_never_obtained_fails_closed(tmp_path: Path,
                                                    ca: tuple[Authority, Path]) -> None:
    """ECO.1.1.7: with CRL URLs configured and no CRL ever obtained, connections are refused
    (the TLS policy's "CRL introuvable" sentence), never left unchecked."""
    _authority, ca_file = ca
    server, clock = Server(), Clock()
    cache = cache_for(tmp_path, ca_file, server, clock)
    with pytest.raises(CrlUnavailableError) as raised:
        cache.connection_files()
    assert raised.value.message == tls.describe_tls_error(_code(3)).message
    assert "404" in raised.value.text()
    # No URL configured: no revocation checking, as before.
    assert cache_for(tmp_path, ca_file, server, clock, urls=()).connection_files() == []


def _code(code: int) -> Any:
    import ssl

    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_code = code
    return error


def test_urls_come_from_the_setting(tmp_path: Path, ca: tuple[Authority, Path]) -> None:
    """ECO.1.1.7: the administrator's CRL URLs are a setting, checked when set."""

    class Settings:
        def __init__(self) -> None:
            self.values: dict[str, str] = {}

        def get(self, name: str) -> str | None:
            return self.values.get(name)

        def set(self, name: str, value: str) -> None:
            self.values[name] = value

        def delete(self, name: str) -> None:
            self.values.pop(name, None)

    settings = Settings()
    cache = CrlCache(directory=tmp_path / "crl", settings=settings)  # type: ignore[arg-type]
    assert not cache.enabled()
    cache.set_urls(["http://crl.test/a.crl", " https://crl.test/b.crl "])
    assert cache.urls() == ["http://crl.test/a.crl", "https://crl.test/b.crl"]
    with pytest.raises(InvalidInputError):
        cache.set_urls(["ftp://crl.test/c.crl"])
    settings.values[crl_cache.URLS_SETTING] += "\nnot-a-url, http://crl.test/a.crl"
    assert cache.urls() == ["http://crl.test/a.crl", "https://crl.test/b.crl"]
    settings.values[crl_cache.REFRESH_HOURS_SETTING] = "6"
    assert cache.refresh_interval() == 6 * HOUR
    cache.set_urls([])
    assert not cache.enabled()


def test_a_crl_is_written_atomically(tmp_path: Path) -> None:
    """ECO.1.1.7: the kept file is replaced through a synced temporary file in the same
    directory: a failure before the rename leaves the old file and no stray temporary."""
    path = tmp_path / "x.crl.pem"
    path.write_bytes(b"old")

    def refuse(_temporary: Path) -> None:
        raise CrlError("refusée")

    with pytest.raises(CrlError):
        write_atomically(path, b"new", check=refuse)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["x.crl.pem"]
    write_atomically(path, b"new")
    assert path.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["x.crl.pem"]


def test_a_damaged_kept_file_is_not_used(tmp_path: Path, ca: tuple[Authority, Path]) -> None:
    """ECO.1.1.7: a kept file damaged on disk is ignored (fail closed until a good CRL comes),
    then replaced by the next valid download."""
    authority, ca_file = ca
    server, clock = Server(), Clock()
    server.bodies[URL] = authority.crl().public_bytes(Encoding.DER)
    cache_for(tmp_path, ca_file, server, clock).refresh()
    [path] = (tmp_path / "profile" / "crl").glob("*.crl.pem")
    path.write_bytes(path.read_bytes()[:100])
    server.bodies[URL] = None
    fresh = cache_for(tmp_path, ca_file, server, clock)
    with pytest.raises(CrlUnavailableError):
        fresh.connection_files()
    server.bodies[URL] = authority.crl().public_bytes(Encoding.DER)
    fresh.refresh(force=True)
    assert fresh.files() == [path]
    assert parse_crl(path.read_bytes()).next_update_utc is not None
