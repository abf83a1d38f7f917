"""Address parsing: normalisation, hostile inputs, look-alike domains (spec §1, §5)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.address import (
    InvalidAddressError,
    MssAddress,
    is_mssante,
    is_patient_address,
    normalize_domain,
    parse_address,
)
from app.errors import UserFacingError


def test_plain_address() -> None:
    address = parse_address("  Jean.Dupont@CH-Abcd.MSSante.fr \n")
    assert address.local_part == "Jean.Dupont"  # kept for display
    assert address.domain == "ch-abcd.mssante.fr"
    assert address.domain_unicode == "ch-abcd.mssante.fr"
    assert address.ascii == "Jean.Dupont@ch-abcd.mssante.fr"
    assert str(address) == "Jean.Dupont@ch-abcd.mssante.fr"


def test_local_part_compares_case_insensitively() -> None:
    a = parse_address("Jean.Dupont@ch.mssante.fr")
    b = parse_address("jean.dupont@CH.mssante.fr.")
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1
    assert a != parse_address("jean.dupond@ch.mssante.fr")
    assert a.__eq__("jean.dupont@ch.mssante.fr") is NotImplemented


def test_trailing_dot_is_removed() -> None:
    assert parse_address("a@ch.mssante.fr.").domain == "ch.mssante.fr"


def test_unicode_domain_has_both_forms() -> None:
    address = parse_address("secretariat@Hôpital-Côte.mssante.fr")
    # Oracle: the standard library's IDNA 2003 codec agrees with IDNA 2008 on such names.
    expected_label = "hôpital-côte".encode("idna").decode("ascii")
    assert expected_label.startswith("xn--")
    assert address.domain == f"{expected_label}.mssante.fr"
    assert address.domain_unicode == "hôpital-côte.mssante.fr"
    assert address.display == "secretariat@hôpital-côte.mssante.fr"
    assert address == parse_address(f"secretariat@{expected_label.upper()}.mssante.fr")


def test_decomposed_accents_give_the_same_domain() -> None:
    composed = parse_address("a@h\u00f4pital.mssante.fr")
    decomposed = parse_address("a@ho\u0302pital.mssante.fr")
    assert composed.domain == decomposed.domain == "xn--hpital-ixa.mssante.fr"


def test_fullwidth_characters_are_normalised() -> None:
    """A fullwidth ＠ or letter typed with an Asian input method is the ASCII character."""
    address = parse_address("ｊｅａｎ＠ｃｈ．ｍｓｓａｎｔｅ．ｆｒ")
    assert address.ascii == "jean@ch.mssante.fr"
    assert parse_address("jean＠ch.mssante.fr") == parse_address("jean@ch.mssante.fr")


def test_ideographic_full_stop_separates_labels() -> None:
    assert parse_address("a@ch\u3002mssante\u3002fr").domain == "ch.mssante.fr"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "vide"),
        ("   ", "vide"),
        ("jean.dupont", "manque le @"),
        ("@ch.mssante.fr", "avant @"),
        ("jean@", "après @"),
        ("a@@ch.mssante.fr", "plusieurs @"),
        ("a@b@ch.mssante.fr", "plusieurs @"),
        ("Jean Dupont <jean@ch.mssante.fr>", "sans nom ni chevrons"),
        ("<jean@ch.mssante.fr>", "chevrons"),
        ('"Jean Dupont" jean@ch.mssante.fr', "guillemets"),
        ('"jean"@ch.mssante.fr', "guillemets"),
        ('"a@b"@ch.mssante.fr', "guillemets"),
        ("jean dupont@ch.mssante.fr", "espace"),
        ("jean@ch .mssante.fr", "espace"),
        ("jean@ch.mssante.fr\u00a0x", "espace"),
        ("jean\x00@ch.mssante.fr", "contrôle"),
        ("jean\n@ch.mssante.fr", "contrôle"),
        ("jean@ch\r.mssante.fr", "contrôle"),
        ("jean\u200b@ch.mssante.fr", "invisible"),  # zero-width space
        ("jean@ch.mssante.fr\u202e", "invisible"),  # right-to-left override
        ("jean@ch\u00ad.mssante.fr", "invisible"),  # soft hyphen
        ("a@ch.mssante.fr, b@ch.mssante.fr", "seule adresse à la fois"),
        ("a@ch.mssante.fr;b@ch.mssante.fr", "seule adresse à la fois"),
        ("jean(commentaire)@ch.mssante.fr", "réservés"),
        ("mailto:jean@ch.mssante.fr", "réservés"),
        ("jean@[127.0.0.1]", "réservés"),
        ("jean@127.0.0.1", "adresse IP"),
        (".jean@ch.mssante.fr", "point"),
        ("jean.@ch.mssante.fr", "point"),
        ("je..an@ch.mssante.fr", "point"),
        ("jéan@ch.mssante.fr", "interdit avant @"),
        ("x" * 65 + "@ch.mssante.fr", "64"),
        ("jean@localhost", "incomplet"),
        ("jean@.ch.mssante.fr", "point en trop"),
        ("jean@ch..mssante.fr", "point en trop"),
        ("jean@ch.mssante.fr..", "point en trop"),
        ("jean@-ch.mssante.fr", "tiret"),
        ("jean@ch-.mssante.fr", "tiret"),
        ("jean@ch_x.mssante.fr", "interdit dans le nom de domaine"),
        ("jean@ch*.mssante.fr", "interdit dans le nom de domaine"),
        ("jean@ab--cd.mssante.fr", "valide"),
        ("jean@xn--zz.mssante.fr", "valide"),
        ("jean@" + "a" * 64 + ".mssante.fr", "trop long"),
        ("jean@" + ".".join(["a" * 60] * 5) + ".fr", "trop long"),
        ("j" * 2000 + "@ch.mssante.fr", "trop longue"),
    ],
)
def test_bad_addresses_are_refused_with_a_clear_reason(text: str, fragment: str) -> None:
    with pytest.raises(InvalidAddressError, match=fragment) as caught:
        parse_address(text)
    error = caught.value
    assert isinstance(error, UserFacingError)
    assert isinstance(error, ValueError)
    assert error.message[0].isupper() and error.message.endswith(".")


@pytest.mark.parametrize(
    "text",
    [
        "jean@mss\u0430nte.fr",  # Cyrillic а
        "jean@ch.mss\u0430nte.fr",
        "jean@\u0441h.mssante.fr",  # Cyrillic с
        "jean@ch-\u03bfrleans.mssante.fr",  # Greek omicron
        "jean@\u0430\u0441\u0435.mssante.fr",  # "асе": all Cyrillic, reads as Latin "ace"
        "jean@\u0440\u0430\u0440.mssante.fr",  # "рар": all Cyrillic, reads "pap"
        "jean@aph\u0440.mssante.fr",
        "jean@cl\u0131nique.mssante.fr",  # Latin dotless ı
        "jean@xn--mssnte-5nf.fr",  # the Cyrillic а spelled as an A-label
        "jean@\u0570\u0585\u057d.mssante.fr",  # Armenian "հօս" reads "hou"
        "jean@ch.MSS\u0410NTE.fr",  # Cyrillic capital А, folded by IDNA
    ],
)
def test_look_alike_domains_are_refused(text: str) -> None:
    """Spec §1: a look-alike of a listed domain must not be mistaken for it."""
    with pytest.raises(InvalidAddressError, match=r"(écritures|imite)"):
        parse_address(text)


def test_mixed_script_message_names_the_scripts() -> None:
    with pytest.raises(InvalidAddressError) as caught:
        parse_address("jean@mss\u0430nte.fr")
    assert "CYRILLIC" in caught.value.message and "LATIN" in caught.value.message


@pytest.mark.parametrize(
    "domain",
    [
        "clinique-de-l-étoile.mssante.fr",
        "hôpital.mssante.fr",
        "\u0436\u0437\u043b.example",  # Cyrillic without Latin look-alikes
        "日本語.jp",
        "カタカナー.jp",  # katakana with the prolonged sound mark
        "한국.kr",
    ],
)
def test_single_script_unicode_domains_are_accepted(domain: str) -> None:
    address = parse_address(f"a@{domain}")
    assert address.domain.isascii()
    assert address.domain_unicode == domain.lower()


def test_normalize_domain_without_lookalike_policy() -> None:
    """Names published by the ANS are checked for syntax only."""
    assert normalize_domain("MSS\u0430NTE.fr.", check_lookalikes=False) == (
        "xn--mssnte-5nf.fr",
        "mss\u0430nte.fr",
    )
    with pytest.raises(InvalidAddressError):
        normalize_domain("a..fr", check_lookalikes=False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a@ch.mssante.fr", True),
        ("a@CH.MSSANTE.FR.", True),
        ("a@x.y.mssante.fr", True),
        ("a@evilmssante.fr", False),
        ("a@mssante.fr.evil.com", False),
        ("a@mssante.fr", False),  # the zone itself is no operator domain
        ("a@mssante.com", False),
        ("a@gmail.com", False),
        ("not an address", False),
        ("a@mss\u0430nte.fr", False),
    ],
)
def test_is_mssante_on_a_label_boundary(text: str, expected: bool) -> None:
    """Spec §1: MSSanté addresses end in .mssante.fr."""
    assert is_mssante(text) is expected


def test_is_mssante_accepts_parsed_addresses() -> None:
    assert is_mssante(parse_address("a@ch.mssante.fr"))
    assert not is_mssante(MssAddress("a", "evilmssante.fr", "evilmssante.fr"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("184127645108946@patient.mssante.fr", True),
        ("184127645108946@PATIENT.mssante.fr.", True),
        ("255082a004012" + f"{97 - 2550819004012 % 97:02d}" + "@patient.mssante.fr", True),
        ("184127645108947@patient.mssante.fr", False),  # bad key
        ("jean.dupont@patient.mssante.fr", False),
        ("184127645108946@ch.mssante.fr", False),
        ("184127645108946@x.patient.mssante.fr", False),
        ("184127645108946@patient.mssante.fr.evil.com", False),
    ],
)
def test_is_patient_address(text: str, expected: bool) -> None:
    """Spec §5 / ECO.2.2.6: <INS matricule>@patient.mssante.fr."""
    assert is_patient_address(text) is expected


_ATEXT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~"
local_parts = st.lists(
    st.text(alphabet=_ATEXT, min_size=1, max_size=10), min_size=1, max_size=3
).map(".".join)
labels = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?\Z").filter(lambda s: s[2:4] != "--")


@given(local_parts, st.lists(labels, min_size=1, max_size=3))
def test_valid_addresses_round_trip(local: str, domain_labels: list[str]) -> None:
    domain = ".".join([*domain_labels, "mssante", "fr"])
    address = parse_address(f"{local}@{domain.upper()}.")
    assert address.local_part == local
    assert address.domain == domain
    assert parse_address(address.ascii) == address
    assert is_mssante(address)


@given(st.text(max_size=80))
def test_arbitrary_text_never_raises_anything_else(text: str) -> None:
    """Bad input gives a clear error, never an unexpected exception."""
    try:
        address = parse_address(text)
    except InvalidAddressError as exc:
        assert exc.message
    else:
        assert address.domain.isascii()
        assert parse_address(address.ascii) == address
