"""Whitelist: parsing hostile XML, checksum, and the recipient decision (spec §1, §5)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.address import parse_address
from app.domain.whitelist import Whitelist
from app.errors import UserFacingError
from app.protocols.whitelist import (
    MAX_WHITELIST_BYTES,
    WhitelistChecksumError,
    WhitelistFormatError,
    parse_whitelist,
    verify_checksum,
)
from app.protocols.whitelist.parser import REPAIRED_ROOT_END_WARNING

NS = "https://listeblanche.mssante.fr/schema"
# Oracle independent of the code under test: the standard library's IDNA 2003 codec.
CLINIQUE_A_LABEL = "clinique-été".encode("idna").decode("ascii")


def _domain(name: str, *, date: str = "2025-03-13T14:54:10Z", extra: str = "") -> str:
    return (
        "<Domaine>"
        f"<Nom>{name}</Nom>"
        "<Description>Domaine de test</Description>"
        "<DNCertificatOperateur>CN=mss.example.fr,O=OPERATEUR,C=FR</DNCertificatOperateur>"
        "<ResponsableContact>01 02 03 04 05, resp@example.fr</ResponsableContact>"
        "<SupportContact>01 02 03 04 06, support@example.fr</SupportContact>"
        f"<DateMAJ>{date}</DateMAJ>{extra}"
        "</Domaine>"
    )


def _xml(*domains: str, generated: str = "2025-03-13T14:54:10Z", ns: str = NS) -> bytes:
    body = "".join(domains)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<ListeBlancheMSSante xmlns="{ns}">'
        f"<DateDeGeneration>{generated}</DateDeGeneration>"
        f"<ListeDomaines>{body}</ListeDomaines>"
        "</ListeBlancheMSSante>"
    ).encode()


LIST = _xml(
    _domain("cabinet.mssante.fr"),
    _domain("CH-Abcd.MSSante.fr."),
    _domain("hôpital.mssante.fr"),
    _domain(f"{CLINIQUE_A_LABEL}.mssante.fr"),  # "clinique-été", published as an A-label
    _domain("cabinet.mssante.fr", extra=""),  # the ANS repeats names, one per operator cert
)


@pytest.fixture
def whitelist() -> Whitelist:
    return parse_whitelist(LIST)


def test_parse_fields(whitelist: Whitelist) -> None:
    assert whitelist.generated_at == datetime(2025, 3, 13, 14, 54, 10, tzinfo=UTC)
    assert len(whitelist.entries) == 5
    assert whitelist.domains == {
        "cabinet.mssante.fr",
        "ch-abcd.mssante.fr",
        "xn--hpital-ixa.mssante.fr",
        f"{CLINIQUE_A_LABEL}.mssante.fr",
    }
    assert len(whitelist) == 4
    assert whitelist.warnings == ()
    entry = whitelist.entries[0]
    assert entry.description == "Domaine de test"
    assert entry.operator_certificate_dn == "CN=mss.example.fr,O=OPERATEUR,C=FR"
    assert entry.responsible_contact == "01 02 03 04 05, resp@example.fr"
    assert entry.support_contact == "01 02 03 04 06, support@example.fr"
    assert entry.updated_at == datetime(2025, 3, 13, 14, 54, 10, tzinfo=UTC)
    assert len(whitelist.entries_for("CABINET.mssante.fr.")) == 2
    assert whitelist.entries_for("x.cabinet.mssante.fr") == ()
    assert "hôpital.mssante.fr" in whitelist
    assert "clinique-été.mssante.fr" in whitelist


@pytest.mark.parametrize(
    "address",
    [
        "secretariat@cabinet.mssante.fr",
        "Secretariat@CABINET.MSSANTE.FR",
        "secretariat@cabinet.mssante.fr.",
        "secretariat＠cabinet．mssante．fr",  # fullwidth @ and dots
        "dr.martin@ch-abcd.mssante.fr",
        "accueil@HÔPITAL.mssante.fr",
        "accueil@xn--hpital-ixa.mssante.fr",
        "accueil@clinique-été.mssante.fr",
    ],
)
def test_listed_domains_are_allowed_whatever_the_spelling(
    whitelist: Whitelist, address: str
) -> None:
    decision = whitelist.check(address)
    assert decision.allowed, decision.reason
    assert "liste blanche" in decision.reason
    assert decision.parsed is not None


@pytest.mark.parametrize(
    ("address", "fragment"),
    [
        ("a@x.cabinet.mssante.fr", "sous-domaines ne sont pas autorisés"),
        ("a@x.y.cabinet.mssante.fr", "sous-domaines ne sont pas autorisés"),
        ("a@x.hôpital.mssante.fr", "seul hôpital.mssante.fr"),
        ("a@evilcabinet.mssante.fr", "n'est pas dans la liste blanche"),
        ("a@cabinet-mssante.fr", "n'est pas une adresse MSSanté"),
        ("a@evilmssante.fr", "n'est pas une adresse MSSanté"),
        ("a@cabinet.mssante.fr.evil.com", "n'est pas une adresse MSSanté"),
        ("a@cabinet.mssante.com", "n'est pas une adresse MSSanté"),
        ("a@mssante.fr", "n'est pas une adresse MSSanté"),
        ("a@cabinet.mss\u0430nte.fr", "écritures"),  # Cyrillic а
        ("a@c\u0430binet.mssante.fr", "écritures"),
        ("Dr Martin <a@cabinet.mssante.fr>", "chevrons"),
        ("a@@cabinet.mssante.fr", "plusieurs @"),
        ("", "vide"),
    ],
)
def test_everything_else_is_refused_with_a_reason(
    whitelist: Whitelist, address: str, fragment: str
) -> None:
    """Spec §1: only exactly listed domains may receive health data."""
    decision = whitelist.check(address)
    assert not decision.allowed
    assert fragment in decision.reason
    assert decision.reason.endswith(".")


def test_invalid_address_keeps_the_text_as_given(whitelist: Whitelist) -> None:
    decision = whitelist.check("Dr Martin <a@cabinet.mssante.fr>")
    assert decision.address == "Dr Martin <a@cabinet.mssante.fr>"
    assert decision.parsed is None


def test_valid_decision_carries_the_normalised_address(whitelist: Whitelist) -> None:
    decision = whitelist.check(parse_address("Dr.Martin@HÔPITAL.mssante.fr."))
    assert decision.allowed
    assert decision.address == "Dr.Martin@xn--hpital-ixa.mssante.fr"


def test_patient_addresses_need_a_valid_ins(whitelist: Whitelist) -> None:
    """Spec §5 / ECO.2.2.6: patient.mssante.fr is not listed; its local part must be an INS."""
    assert "patient.mssante.fr" not in whitelist
    allowed = whitelist.check("184127645108946@patient.mssante.fr")
    assert allowed.allowed
    assert "INS" in allowed.reason
    corsica = f"255082A004012{97 - 2550819004012 % 97:02d}@PATIENT.mssante.fr"
    assert whitelist.check(corsica).allowed
    for local, fragment in [
        ("184127645108947", "clé"),
        ("jean.dupont", "15 caractères"),
        ("1841276451089", "15 caractères"),
    ]:
        refused = whitelist.check(f"{local}@patient.mssante.fr")
        assert not refused.allowed
        assert "matricule INS" in refused.reason and fragment in refused.reason
    assert not whitelist.check("184127645108946@x.patient.mssante.fr").allowed


def test_from_domains() -> None:
    built = Whitelist.from_domains(datetime(2025, 1, 1, tzinfo=UTC), ["A.mssante.fr."])
    assert built.domains == {"a.mssante.fr"}
    assert built.check("x@a.mssante.fr").allowed


# ---- hostile and malformed XML ----------------------------------------------------------------


def _refused(data: bytes, fragment: str) -> WhitelistFormatError:
    with pytest.raises(WhitelistFormatError, match=fragment) as caught:
        parse_whitelist(data)
    assert isinstance(caught.value, UserFacingError)
    return caught.value


def test_xxe_system_entity_is_never_read(tmp_path: Path) -> None:
    """An external entity must not be resolved: neither /etc/passwd nor any local file."""
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CONTENT-42.mssante.fr")
    for target in ("file:///etc/passwd", secret.as_uri()):
        data = (
            '<?xml version="1.0"?>'
            f'<!DOCTYPE ListeBlancheMSSante [<!ENTITY xxe SYSTEM "{target}">]>'
            f'<ListeBlancheMSSante xmlns="{NS}"><DateDeGeneration>2025-03-13T14:54:10Z'
            "</DateDeGeneration><ListeDomaines><Domaine><Nom>&xxe;</Nom></Domaine>"
            "</ListeDomaines></ListeBlancheMSSante>"
        ).encode()
        error = _refused(data, "DTD")
        assert "root:" not in error.message
        assert "SECRET-CONTENT" not in error.message


def test_external_dtd_is_refused() -> None:
    data = (
        '<?xml version="1.0"?>'
        '<!DOCTYPE ListeBlancheMSSante SYSTEM "http://127.0.0.1:9/evil.dtd">'
        f'<ListeBlancheMSSante xmlns="{NS}"/>'
    ).encode()
    _refused(data, "DTD")


def test_billion_laughs_is_refused() -> None:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )
    data = (
        f'<?xml version="1.0"?><!DOCTYPE lolz [{entities}]>'
        f'<ListeBlancheMSSante xmlns="{NS}"><DateDeGeneration>&lol9;</DateDeGeneration>'
        "</ListeBlancheMSSante>"
    ).encode()
    _refused(data, "DTD")


def test_huge_input_is_refused_before_parsing() -> None:
    padding = b" " * (MAX_WHITELIST_BYTES + 1 - len(LIST))
    _refused(LIST + padding, "maximum")


def test_size_limit_is_not_hit_by_a_list_at_the_limit() -> None:
    padding = b" " * (MAX_WHITELIST_BYTES - len(LIST))
    assert len(parse_whitelist(LIST + padding)) == 4


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "vide"),
        (b"   \n", "vide"),
        (b"not xml at all", "XML bien formé"),
        (b"\xff\xfe\x00garbage", "XML bien formé"),
        (b"%PDF-1.4 binary", "XML bien formé"),
        (LIST[: len(LIST) // 2], "XML bien formé"),
        (_xml(_domain("a.mssante.fr"), ns="https://evil.example/schema"), "espace de noms"),
        (_xml(_domain("a.mssante.fr"), ns=""), "espace de noms « aucun »"),
        (f'<Liste xmlns="{NS}"/>'.encode(), "élément racine « Liste »"),
        (_xml(), "aucun domaine"),
        (_xml(_domain("")), "pas de Nom"),
        (_xml(_domain("   ")), "pas de Nom"),
        (_xml("<Domaine><Description>x</Description></Domaine>"), "pas de Nom"),
        (_xml(_domain("a..mssante.fr")), "incorrect"),
        (_xml(_domain("a b.mssante.fr")), "incorrect"),
        (_xml(_domain("a.mssante.fr"), generated="13/03/2025"), "date de génération"),
        (_xml(_domain("a.mssante.fr"), generated=""), "DateDeGeneration manquante"),
        (_xml(_domain("a.mssante.fr", date="hier")), "date de mise à jour"),
        (
            f'<ListeBlancheMSSante xmlns="{NS}"><DateDeGeneration>2025-03-13T14:54:10Z'
            "</DateDeGeneration></ListeBlancheMSSante>".encode(),
            "ListeDomaines manquant",
        ),
    ],
)
def test_malformed_lists_are_refused_clearly(data: bytes, fragment: str) -> None:
    _refused(data, fragment)


def test_domains_in_another_namespace_are_ignored() -> None:
    foreign = '<Domaine xmlns="urn:other"><Nom>evil.mssante.fr</Nom></Domaine>'
    whitelist = parse_whitelist(_xml(_domain("a.mssante.fr"), foreign))
    assert whitelist.domains == {"a.mssante.fr"}


def test_missing_root_end_tag_is_repaired_and_noted() -> None:
    """The list the ANS publishes ends after </ListeDomaines>: only that defect is repaired."""
    cut = LIST[: LIST.rindex(b"</ListeBlancheMSSante>")] + b"\n"
    whitelist = parse_whitelist(cut)
    assert whitelist.domains == parse_whitelist(LIST).domains
    assert whitelist.warnings == (REPAIRED_ROOT_END_WARNING,)


def test_a_list_cut_elsewhere_is_not_repaired() -> None:
    """A download cut in the middle of the list must not pass for a shorter list."""
    for marker in (b"</Domaine>", b"</Nom>", b"<ListeDomaines>"):
        cut = LIST[: LIST.rindex(marker) + len(marker)]
        _refused(cut, "XML bien formé")
    # Cut after </ListeDomaines> but with garbage after it: not the known defect.
    end = LIST.rindex(b"</ListeBlancheMSSante>")
    _refused(LIST[:end] + b"<Domaine>", "XML bien formé")


def test_optional_fields_may_be_absent() -> None:
    data = _xml("<Domaine><Nom>a.mssante.fr</Nom></Domaine>")
    entry = parse_whitelist(data).entries[0]
    assert entry.description == ""
    assert entry.updated_at is None


def test_a_date_without_zone_is_read_as_utc() -> None:
    whitelist = parse_whitelist(_xml(_domain("a.mssante.fr"), generated="2025-03-13T14:54:10"))
    assert whitelist.generated_at == datetime(2025, 3, 13, 14, 54, 10, tzinfo=UTC)


# ---- checksum -----------------------------------------------------------------------------------

DIGEST = hashlib.sha256(LIST).hexdigest()


@pytest.mark.parametrize(
    "checksum",
    [
        DIGEST,  # the ANS format: bare hex, no newline
        DIGEST + "\n",
        DIGEST.upper(),
        f"{DIGEST}  listeblanchemssante.xml\n",  # sha256sum format
        f"  {DIGEST}\r\n",
        DIGEST.encode(),
    ],
)
def test_checksum_formats(checksum: str | bytes) -> None:
    verify_checksum(LIST, checksum)


def test_checksum_mismatch_is_refused() -> None:
    tampered = LIST.replace(b"cabinet.mssante.fr", b"cabinet.mssante.eu", 1)
    with pytest.raises(WhitelistChecksumError, match="ne correspond pas") as caught:
        verify_checksum(tampered, DIGEST)
    assert isinstance(caught.value, UserFacingError)


@pytest.mark.parametrize(
    "checksum", ["", "   ", DIGEST[:-1], DIGEST + "0", "z" * 64, "é".encode(), b"\xff" * 64]
)
def test_unreadable_checksum_is_refused(checksum: str | bytes) -> None:
    with pytest.raises(WhitelistChecksumError, match="illisible"):
        verify_checksum(LIST, checksum)


@given(st.binary(max_size=300))
def test_arbitrary_bytes_give_a_clear_error(data: bytes) -> None:
    """Bad input gives a clear error, never an unexpected exception."""
    with pytest.raises(WhitelistFormatError):
        parse_whitelist(data)


@given(st.integers(min_value=0, max_value=len(LIST) - 1))
def test_any_truncation_is_refused_or_equal(cut: int) -> None:
    """A list cut anywhere is refused, except right after </ListeDomaines> (the known defect)."""
    try:
        whitelist = parse_whitelist(LIST[:cut])
    except WhitelistFormatError:
        return
    assert LIST[:cut].rstrip().endswith(b"</ListeDomaines>")
    assert whitelist.domains == parse_whitelist(LIST).domains
