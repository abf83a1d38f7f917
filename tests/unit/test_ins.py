"""INS matricule: key, Corsica, month conventions, OIDs and the patient address (spec §5)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.address import is_patient_address, parse_address
from app.domain.ins import (
    PATIENT_DOMAIN,
    InsError,
    InsMatricule,
    InsOid,
    UnqualifiedInsError,
    compute_key,
    is_valid_ins,
    parse_ins,
    patient_address,
)
from app.errors import UserFacingError

# The keys below are computed here from the published formula, key = 97 - (number mod 97), with
# the number written out by hand (Corsica: 2A -> 19, 2B -> 18), not with compute_key.
WIKIPEDIA_BODY = "1841276451089"  # the usual example: key 46
WIKIPEDIA_KEY = 97 - (1841276451089 % 97)
CORSE_DU_SUD_BODY = "255082A004012"
CORSE_DU_SUD_KEY = 97 - (2550819004012 % 97)
HAUTE_CORSE_BODY = "171032B123456"
HAUTE_CORSE_KEY = 97 - (1710318123456 % 97)


def test_formula_constants_are_what_the_literature_says() -> None:
    assert WIKIPEDIA_KEY == 46


@pytest.mark.parametrize(
    ("body", "key"),
    [
        (WIKIPEDIA_BODY, WIKIPEDIA_KEY),
        (CORSE_DU_SUD_BODY, CORSE_DU_SUD_KEY),
        (HAUTE_CORSE_BODY, HAUTE_CORSE_KEY),
    ],
)
def test_valid_matricules_parse_with_their_key(body: str, key: int) -> None:
    """Spec §5: 13 characters + key = 97 - number mod 97, Corsica 2A/2B as 19/18."""
    assert compute_key(body) == key
    ins = parse_ins(f"{body}{key:02d}")
    assert ins.value == f"{body}{key:02d}"
    assert ins.body == body
    assert ins.key == key


def test_corsica_flag_and_lowercase_letters() -> None:
    ins = parse_ins(f"{CORSE_DU_SUD_BODY.lower()}{CORSE_DU_SUD_KEY:02d}")
    assert ins.is_corsica
    assert ins.value == f"{CORSE_DU_SUD_BODY}{CORSE_DU_SUD_KEY:02d}"
    assert not parse_ins(f"{WIKIPEDIA_BODY}{WIKIPEDIA_KEY}").is_corsica


def test_corsica_key_differs_from_the_naive_20() -> None:
    """Treating 2A as "20" gives another key: the substitution matters."""
    naive = 97 - (2550820004012 % 97)
    assert naive != CORSE_DU_SUD_KEY
    with pytest.raises(InsError, match="clé"):
        parse_ins(f"{CORSE_DU_SUD_BODY}{naive:02d}")


def test_spaces_as_printed_on_cards_are_ignored() -> None:
    assert parse_ins(" 1 84 12 76 451 089 46 ").value == "184127645108946"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("184127645108947", "clé"),
        ("184127645108945", "clé"),
        ("18412764510894", "15 caractères"),
        ("1841276451089460", "15 caractères"),
        ("", "vide"),
        ("   ", "vide"),
        ("18412764510894X", "chiffres"),
        ("1841276451089-6", "chiffres"),
        ("184122C12345678", "chiffres"),  # 2C is not a department
        ("1841A7645108946", "chiffres"),  # letters only at positions 6-7
        ("１８４１２７６４５１０８９４６", "chiffres"),  # fullwidth digits are not ASCII digits
    ],
)
def test_invalid_matricules_are_refused_clearly(text: str, fragment: str) -> None:
    with pytest.raises(InsError, match=fragment) as caught:
        parse_ins(text)
    assert isinstance(caught.value, UserFacingError)
    assert caught.value.message[0].isupper() and caught.value.message.endswith(".")


def _with_key(body: str) -> str:
    return f"{body}{97 - int(body) % 97:02d}"


@pytest.mark.parametrize("month", ["01", "12", "20", "30", "42", "50", "99"])
def test_conventional_months_of_real_nirs_are_accepted(month: str) -> None:
    """INSEE uses 20-42 and 50-99 when the birth month is unknown: such NIRs exist."""
    assert parse_ins(_with_key(f"184{month}76451089")).value[3:5] == month


@pytest.mark.parametrize("month", ["00", "13", "19", "43", "49"])
def test_impossible_months_are_refused(month: str) -> None:
    with pytest.raises(InsError, match="Mois de naissance"):
        parse_ins(_with_key(f"184{month}76451089"))


def test_direct_construction_keeps_the_invariant() -> None:
    with pytest.raises(InsError):
        InsMatricule("184127645108947")


def test_repr_does_not_leak_the_matricule() -> None:
    ins = parse_ins("184127645108946")
    assert "184127645108946" not in repr(ins)
    assert "4512" not in repr(ins)
    assert str(ins) == "184127645108946"


def test_oids() -> None:
    """Spec §5: the four INS identifier systems."""
    assert InsOid("1.2.250.1.213.1.4.8") is InsOid.INS_NIR
    assert InsOid.INS_NIA == "1.2.250.1.213.1.4.9"
    assert InsOid.TEST_NIR == "1.2.250.1.213.1.4.10"
    assert InsOid.DEMO == "1.2.250.1.213.1.4.11"
    assert InsOid.TEST_NIR.is_test and InsOid.DEMO.is_test
    assert not InsOid.INS_NIR.is_test and not InsOid.INS_NIA.is_test
    with pytest.raises(ValueError):
        InsOid("1.2.250.1.213.1.4.12")


def test_patient_address_requires_a_qualified_ins() -> None:
    """ECO.2.2.6: the patient address is built only from a qualified INS."""
    ins = parse_ins("184127645108946")
    with pytest.raises(UnqualifiedInsError, match="qualifié") as caught:
        patient_address(ins, qualified=False)
    assert isinstance(caught.value, UserFacingError)
    address = patient_address(ins, qualified=True)
    assert address.ascii == "184127645108946@patient.mssante.fr"
    assert address.domain == PATIENT_DOMAIN
    assert is_patient_address(address)
    assert address == parse_address("184127645108946@patient.mssante.fr")


def test_patient_address_from_text_checks_the_key() -> None:
    """ECO.2.2.6: a mistyped matricule never becomes an address."""
    assert patient_address("1 84 12 76 451 089 46", qualified=True).local_part == (
        "184127645108946"
    )
    with pytest.raises(InsError, match="clé"):
        patient_address("184127645108947", qualified=True)


_MONTHS = [f"{m:02d}" for m in [*range(1, 13), *range(20, 43), *range(50, 100)]]

bodies = st.builds(
    lambda sex, year, month, dept, rest: f"{sex}{year}{month}{dept}{rest}",
    st.sampled_from("12345678"),
    st.from_regex(r"\A[0-9]{2}\Z"),
    st.sampled_from(_MONTHS),
    st.one_of(st.from_regex(r"\A[0-9]{2}\Z"), st.sampled_from(["2A", "2B"])),
    st.from_regex(r"\A[0-9]{6}\Z"),
)


def _numeric(body: str) -> int:
    return int(body.replace("2A", "19", 1) if body[5:7] == "2A" else body.replace("2B", "18", 1))


@given(bodies)
def test_any_body_with_its_computed_key_parses(body: str) -> None:
    key = 97 - _numeric(body) % 97
    assert is_valid_ins(f"{body}{key:02d}")
    assert parse_ins(f"{body}{key:02d}").key == key


@given(bodies, st.integers(min_value=0, max_value=14), st.integers(min_value=1, max_value=9))
def test_changing_one_digit_is_always_detected(body: str, position: int, delta: int) -> None:
    value = f"{body}{97 - _numeric(body) % 97:02d}"
    if not value[position].isdigit():
        position = 0
    changed = value[:position] + str((int(value[position]) + delta) % 10) + value[position + 1 :]
    with pytest.raises(InsError):
        parse_ins(changed)
