"""The organisation LDAP client against the sandbox's real OpenLDAP slapd (issue #6, item 3)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.domain.directory_entry import DirectoryBoxType, DirectorySource
from app.errors import AuthenticationError, InvalidInputError, ServerUnreachableError
from app.protocols.ldap import LdapDirectory, LdapDirectoryConfig, build_filter
from tests.sandbox import demo_world, pki, slapd
from tests.sandbox.common import SandboxContext, free_port, stop_pid_file

pytestmark = pytest.mark.sandbox

# Every mailbox the sandbox directory holds: the demo boxes, the crowd, three extra ORG boxes.
EXPECTED_TOTAL = len(demo_world.MAILBOXES) + slapd.EXTRA_PEOPLE + 3


def _config(sandbox: dict[str, Any], **overrides: Any) -> LdapDirectoryConfig:
    ldap_ep = sandbox["ldap"]
    values: dict[str, Any] = {"uri": ldap_ep["uri"], "base_dn": ldap_ep["base_dn"],
                              "starttls": True, "ca_file": sandbox["ca_file"]}
    values.update(overrides)
    return LdapDirectoryConfig(**values)


def test_starttls_anonymous_search_maps_the_entry(sandbox: dict[str, Any]) -> None:
    directory = LdapDirectory(_config(sandbox))
    results = directory.search("Martin")
    martin = next(e for e in results if e.address == demo_world.DR_MARTIN.login)
    assert martin.source is DirectorySource.LDAP
    assert martin.box_type is DirectoryBoxType.PER
    assert (martin.given_name, martin.family_name) == ("Jean", "Martin")
    assert martin.rpps == demo_world.DR_MARTIN.rpps
    assert (martin.city, martin.postcode, martin.department) == ("Lyon", "69001", "69")
    assert martin.structure == "Cabinet médical Rivoli"


def test_ldaps_with_service_account_bind(sandbox: dict[str, Any]) -> None:
    ldap_ep = sandbox["ldap"]
    directory = LdapDirectory(_config(sandbox, uri=ldap_ep["ldaps_uri"], bind_dn=ldap_ep["bind_dn"],
                                      bind_password=ldap_ep["bind_password"]))
    results = directory.search("cardiologie@")
    assert [e.address for e in results] == [demo_world.CARDIOLOGY_BOX.address]
    assert results[0].box_type is DirectoryBoxType.ORG
    assert results[0].name == "CHU Lumière — Cardiologie"


def test_wrong_password_is_an_authentication_error(sandbox: dict[str, Any]) -> None:
    ldap_ep = sandbox["ldap"]
    directory = LdapDirectory(_config(sandbox, bind_dn=ldap_ep["bind_dn"],
                                      bind_password="not-the-password"))
    with pytest.raises(AuthenticationError) as info:
        directory.search("Martin")
    assert "refusé l'identification" in info.value.message


def test_untrusted_ca_is_refused(sandbox: dict[str, Any], tmp_path: Path) -> None:
    """DEMAND: a server certificate from another CA stops the connection (no silent fallback)."""
    other = SandboxContext(tmp_path / "other-pki")
    pki.create(other)
    directory = LdapDirectory(_config(sandbox, uri=sandbox["ldap"]["ldaps_uri"],
                                      ca_file=other.pki["ca_file"]))
    with pytest.raises(ServerUnreachableError) as info:
        directory.search("Martin")
    assert "certificat" in info.value.message
    # StartTLS fails the same clear way.
    starttls = LdapDirectory(_config(sandbox, ca_file=other.pki["ca_file"]))
    with pytest.raises(ServerUnreachableError, match="certificat"):
        starttls.search("Martin")


@pytest.mark.parametrize("hostile", ["*)(uid=*", ")(|(objectClass=*)", "*", "\\2a", "(", "\\"])
def test_filter_injection_is_escaped(sandbox: dict[str, Any], hostile: str) -> None:
    """The user's text is data: it can never widen the filter to the whole directory."""
    directory = LdapDirectory(_config(sandbox))
    assert directory.search(hostile, limit=500) == []
    built = build_filter("(cn={q}*)", hostile)
    assert built.count("(") == 1 and built.count(")") == 1
    assert "*" not in built[:-2]


def test_paged_results_cover_the_whole_directory(sandbox: dict[str, Any]) -> None:
    """page_size 5 over ~40 entries: 8+ pages, each entry exactly once."""
    directory = LdapDirectory(_config(sandbox, page_size=5, filter_template="(mail=*{q})"))
    results = directory.search("", limit=1000)
    addresses = [e.address for e in results]
    assert len(addresses) == EXPECTED_TOTAL
    assert len(set(addresses)) == len(addresses)
    assert demo_world.LAB_BOX.address in addresses


def test_limit_stops_paging(sandbox: dict[str, Any]) -> None:
    directory = LdapDirectory(_config(sandbox, page_size=5, filter_template="(mail=*{q})"))
    assert len(directory.search("", limit=7)) == 7


def test_closed_port_is_server_unreachable(sandbox: dict[str, Any]) -> None:
    directory = LdapDirectory(_config(sandbox, uri=f"ldap://127.0.0.1:{free_port()}",
                                      timeout=3))
    with pytest.raises(ServerUnreachableError) as info:
        directory.search("Martin")
    assert info.value.exit_code == 3
    assert "injoignable" in info.value.message


def test_insecure_configuration_is_refused_without_the_lab_switch(
        sandbox: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError):
        _config(sandbox, starttls=False)
    with pytest.raises(InvalidInputError):
        _config(sandbox, filter_template="(cn=*)")
    with pytest.raises(InvalidInputError):
        _config(sandbox, attribute_map={"mail": "password"})
    plain = LdapDirectory(_config(sandbox, starttls=False, allow_insecure=True))
    assert plain.search("Martin")


def test_query_too_long_or_with_control_characters_is_invalid_input(
        sandbox: dict[str, Any]) -> None:
    directory = LdapDirectory(_config(sandbox))
    with pytest.raises(InvalidInputError):
        directory.search("x" * 1000)
    with pytest.raises(InvalidInputError):
        directory.search("mar\x00tin")


@pytest.fixture
def own_slapd(sandbox: dict[str, Any], tmp_path: Path) -> Iterator[tuple[SandboxContext, dict]]:
    """A second slapd, ours alone, so that stopping it does not disturb the shared sandbox."""
    ctx = SandboxContext(tmp_path / "own")
    ctx.pki = dict(sandbox["pki"])
    slapd.start(ctx)
    try:
        yield ctx, dict(ctx.endpoints["ldap"])  # type: ignore[call-overload]
    finally:
        stop_pid_file(ctx.base / "pids" / "slapd.pid")


def test_slapd_that_goes_away_mid_search(sandbox: dict[str, Any],
                                         own_slapd: tuple[SandboxContext, dict]) -> None:
    ctx, ep = own_slapd
    directory = LdapDirectory(_config(sandbox, uri=ep["uri"], base_dn=ep["base_dn"], page_size=5,
                                      filter_template="(mail=*{q})", timeout=3))
    results = directory.iter_search("", limit=1000)
    first_page = [next(results) for _ in range(5)]
    assert len(first_page) == 5
    stop_pid_file(ctx.base / "pids" / "slapd.pid")
    with pytest.raises(ServerUnreachableError) as info:
        list(results)
    assert "injoignable" in info.value.message
    # And a new search against the dead server says the same, not a traceback.
    with pytest.raises(ServerUnreachableError):
        directory.search("Martin")
