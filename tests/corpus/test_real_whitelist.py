"""The real MSSanté whitelist published by the ANS (2025-03-13, 619 entries), spec §1.

Facts about this copy, checked below: 619 ``Domaine`` elements naming 516 distinct domains (the
ANS repeats a name once per operator certificate), one name in upper case (``UC-CMP``), no
Unicode or ``xn--`` name, and the file ends after ``</ListeDomaines>`` without closing its root
element (its published checksum covers the file as is).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.domain.address import normalize_domain
from app.domain.whitelist import Whitelist
from app.protocols.whitelist import WhitelistChecksumError, parse_whitelist, verify_checksum
from app.protocols.whitelist.parser import REPAIRED_ROOT_END_WARNING

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def raw(corpus: Path) -> bytes:
    return (corpus / "whitelist" / "listeblanchemssante.xml").read_bytes()


@pytest.fixture(scope="module")
def checksum(corpus: Path) -> str:
    return (corpus / "whitelist" / "checksum").read_text(encoding="ascii")


@pytest.fixture(scope="module")
def whitelist(raw: bytes) -> Whitelist:
    return parse_whitelist(raw)


def _raw_names(raw: bytes) -> list[str]:
    # Independent of the parser: a plain scan of the <Nom> elements.
    return [m.decode("utf-8") for m in re.findall(rb"<Nom>([^<]*)</Nom>", raw)]


def test_checksum_verifies(raw: bytes, checksum: str) -> None:
    """The published SHA-256 matches the published bytes (bare hex, no newline)."""
    verify_checksum(raw, checksum)


def test_one_changed_byte_fails_the_checksum(raw: bytes, checksum: str) -> None:
    tampered = raw.replace(b"aphp.mssante.fr", b"aphp.mssante.fx", 1)
    assert tampered != raw
    with pytest.raises(WhitelistChecksumError):
        verify_checksum(tampered, checksum)


def test_parses_all_entries(raw: bytes, whitelist: Whitelist) -> None:
    names = _raw_names(raw)
    assert len(names) == 619
    assert len(whitelist.entries) == 619
    assert len(whitelist.domains) == len({n.lower() for n in names}) == 516
    assert whitelist.generated_at == datetime(2025, 3, 13, 14, 54, 10, tzinfo=UTC)
    assert all(e.updated_at is not None for e in whitelist.entries)
    assert all(e.operator_certificate_dn.startswith("CN=") for e in whitelist.entries)


def test_the_published_file_lacks_its_root_end_tag(raw: bytes, whitelist: Whitelist) -> None:
    """Documents the upstream defect that the parser repairs (and only that one)."""
    assert b"</ListeBlancheMSSante>" not in raw
    assert raw.rstrip().endswith(b"</ListeDomaines>")
    assert whitelist.warnings == (REPAIRED_ROOT_END_WARNING,)
    closed = parse_whitelist(raw + b"</ListeBlancheMSSante>\n")
    assert closed.warnings == ()
    assert closed.domains == whitelist.domains


def test_repeated_names_keep_every_operator_entry(whitelist: Whitelist) -> None:
    assert len(whitelist.entries_for("15-20.mssante.fr")) == 5
    assert len(whitelist.entries_for("aphp.mssante.fr")) == 2


def test_every_listed_domain_is_allowed(raw: bytes, whitelist: Whitelist) -> None:
    """Spec §1: every domain of the list may receive mail, whatever the spelling."""
    for name in _raw_names(raw):
        for spelling in (name, name.upper(), name.lower() + "."):
            decision = whitelist.check(f"secretariat@{spelling}")
            assert decision.allowed, (name, decision.reason)


def test_a_subdomain_of_each_listed_domain_is_refused(whitelist: Whitelist) -> None:
    """Spec §1: the list names domains, not zones: x.<listed> is not listed."""
    for domain in whitelist.domains:
        sub = f"intrus.{domain}"
        assert sub not in whitelist.domains
        decision = whitelist.check(f"a@{sub}")
        assert not decision.allowed, sub
        assert "sous-domaines" in decision.reason


def test_a_prefixed_look_alike_of_each_domain_is_refused(whitelist: Whitelist) -> None:
    """``evil<name>.mssante.fr`` shares a suffix with a listed name but is another domain."""
    for domain in whitelist.domains:
        evil = "evil" + domain
        if evil in whitelist.domains:
            continue
        assert not whitelist.check(f"a@{evil}").allowed, evil


def test_uppercase_name_is_normalised(raw: bytes, whitelist: Whitelist) -> None:
    assert "UC-CMP.mssante.fr" in _raw_names(raw)
    assert "uc-cmp.mssante.fr" in whitelist.domains
    assert whitelist.check("contact@uc-cmp.mssante.fr").allowed


def test_names_are_stable_a_labels(raw: bytes, whitelist: Whitelist) -> None:
    """This copy has no IDNA name; every name normalises to itself in lower case."""
    non_ascii = [n for n in _raw_names(raw) if not n.isascii() or "xn--" in n.lower()]
    assert non_ascii == []
    for domain in whitelist.domains:
        assert normalize_domain(domain) == (domain, domain)


def test_a_unicode_name_in_the_real_list_is_handled(raw: bytes) -> None:
    """The spec says some names are Unicode: inject one into the real file, both ways."""
    unicode_list = raw.replace(
        b"<Nom>apta78.mssante.fr</Nom>", "<Nom>Hôpital-Côte.mssante.fr</Nom>".encode(), 1
    )
    a_label_list = raw.replace(
        b"<Nom>apta78.mssante.fr</Nom>", b"<Nom>XN--HPITAL-CTE-RBBH.mssante.fr</Nom>", 1
    )
    assert unicode_list != raw and a_label_list != raw
    for data in (unicode_list, a_label_list):
        whitelist = parse_whitelist(data)
        assert "xn--hpital-cte-rbbh.mssante.fr" in whitelist.domains
        assert "apta78.mssante.fr" not in whitelist.domains
        for address in (
            "accueil@hôpital-côte.mssante.fr",
            "accueil@HÔPITAL-CÔTE.mssante.fr.",
            "accueil@xn--hpital-cte-rbbh.mssante.fr",
        ):
            assert whitelist.check(address).allowed, address
        assert not whitelist.check("accueil@h\u043epital-c\u043ete.mssante.fr").allowed
