"""Whitelist refresh from the sandbox's HTTPS publication (spec §1): checksum verified, trust
limited to the configured CA, and the last good list kept whenever a refresh fails."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_send import SendProfile, run_cli
from tests.sandbox import demo_world as world
from tests.sandbox import whitelist_file

pytestmark = pytest.mark.sandbox

BERNARD = world.DR_BERNARD.login
NEWCOMER = "dr.nouveau@clinique-nouvelle.estafette-demo.mssante.fr"


@pytest.fixture
def profile(tmp_path: Path) -> SendProfile:
    directory, key = tmp_path / "profile", tmp_path / "key"
    return SendProfile(["--profile", str(directory), "--key-file", str(key)], directory, key)


def _publish(sandbox: dict[str, Any], folder: str, names: list[str], *,
             bad_checksum: bool = False) -> str:
    """Write a list into the sandbox's served directory; return its URL."""
    root = Path(sandbox["https"]["root"]) / folder
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    generated = dt.datetime.now(dt.UTC).replace(microsecond=0)
    domains = [
        whitelist_file.Domain(n, n.upper(), "CN=test", "contact", "support", generated)
        for n in names
    ]
    xml = whitelist_file.build_xml(domains, generated)
    (root / whitelist_file.XML_NAME).write_bytes(xml)
    digest = whitelist_file.checksum(xml)
    if bad_checksum:
        digest = digest[::-1]
    (root / whitelist_file.CHECKSUM_NAME).write_text(digest, "ascii")
    return f"{sandbox['https']['base_url']}/{folder}/{whitelist_file.XML_NAME}"


def _check(profile: SendProfile, *addresses: str) -> dict[str, bool]:
    code, out, err = profile.cli("whitelist", "check", *addresses, "--json")
    assert code in (0, 1), err
    return {d["address"]: d["allowed"] for d in json.loads(out)}


def test_refresh_from_sandbox_url_with_its_ca(profile: SendProfile,
                                              sandbox: dict[str, Any]) -> None:
    code, out, err = profile.cli("whitelist", "refresh", "--url", sandbox["whitelist_url"],
                                 "--ca-file", sandbox["ca_file"])
    assert code == 0, err
    assert f"{len(world.WHITELISTED_DOMAINS)} domaines" in out
    assert "SHA-256 vérifiée" in out
    code, out, _ = profile.cli("whitelist", "check", BERNARD, f"x@sous.{world.PRACTICE_RIVOLI}",
                               "--json")
    assert code == 1  # one address is blocked
    decisions = json.loads(out)
    assert [d["allowed"] for d in decisions] == [True, False]
    assert all(set(d) == {"address", "allowed", "reason"} for d in decisions)
    assert "sous-domaines" in decisions[1]["reason"]
    # The URL and CA are remembered: a refresh without arguments uses them.
    code, _, err = profile.cli("whitelist", "refresh")
    assert code == 0, err


def test_untrusted_certificate_is_refused(profile: SendProfile,
                                          sandbox: dict[str, Any]) -> None:
    """Without the sandbox CA the server is not trusted (no public web CA fallback)."""
    code, _, err = profile.cli("whitelist", "refresh", "--url", sandbox["whitelist_url"])
    assert code != 0
    assert "certificat" in err or "autorité" in err


def test_bad_checksum_refused_and_last_good_list_kept(profile: SendProfile,
                                                      sandbox: dict[str, Any]) -> None:
    ca = sandbox["ca_file"]
    assert profile.cli("whitelist", "refresh", "--url", sandbox["whitelist_url"],
                       "--ca-file", ca)[0] == 0
    assert _check(profile, BERNARD, NEWCOMER) == {BERNARD: True, NEWCOMER: False}

    tampered = _publish(sandbox, "k-tampered", ["clinique-nouvelle.estafette-demo.mssante.fr"],
                        bad_checksum=True)
    code, _, err = profile.cli("whitelist", "refresh", "--url", tampered, "--ca-file", ca)
    assert code == 1
    assert "somme de contrôle" in err
    # Still the previous list: the tampered one never took effect.
    assert _check(profile, BERNARD, NEWCOMER) == {BERNARD: True, NEWCOMER: False}

    good = _publish(sandbox, "k-good", [*world.WHITELISTED_DOMAINS,
                                        "clinique-nouvelle.estafette-demo.mssante.fr"])
    assert profile.cli("whitelist", "refresh", "--url", good, "--ca-file", ca)[0] == 0
    assert _check(profile, BERNARD, NEWCOMER) == {BERNARD: True, NEWCOMER: True}


def test_missing_checksum_and_unreachable_server(profile: SendProfile,
                                                 sandbox: dict[str, Any]) -> None:
    url = _publish(sandbox, "k-nosum", list(world.WHITELISTED_DOMAINS))
    (Path(sandbox["https"]["root"]) / "k-nosum" / whitelist_file.CHECKSUM_NAME).unlink()
    code, _, err = profile.cli("whitelist", "refresh", "--url", url,
                               "--ca-file", sandbox["ca_file"])
    assert code == 1 and "404" in err
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    code, _, err = profile.cli("whitelist", "refresh", "--url",
                               f"https://localhost:{closed_port}/listeblanchemssante.xml",
                               "--ca-file", sandbox["ca_file"])
    assert code == 3, err
    assert "injoignable" in err


def test_refresh_from_the_real_list_file(profile: SendProfile, corpus: Path) -> None:
    """The real ANS publication (619 entries, unclosed root element) with its checksum."""
    path = corpus / "whitelist" / "listeblanchemssante.xml"
    code, out, err = run_cli(*profile.base, "whitelist", "refresh", "--file", str(path))
    assert code == 0, err
    assert "(619 entrées)" in out
    assert _check(profile, BERNARD) == {BERNARD: False}  # sandbox domains are not real ones
