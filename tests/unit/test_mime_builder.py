"""The MIME builder: RFC 5322 headers, UTF-8, attachments, MSSanté headers (spec §6)."""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
from datetime import UTC, datetime

import pytest

from app.domain.outgoing import (
    PATIENT_MAX_BYTES,
    Attachment,
    MssHeaders,
    OutgoingMessage,
    SendRefusedError,
    check_display_name,
    check_size,
    retry_delay,
)
from app.protocols.mime.builder import PRODUCT_REFERENCE, build_message, new_message_id

SENDER = "jean.martin@cabinet-rivoli.estafette-demo.mssante.fr"
TO = "claire.bernard@cabinet-croix-rousse.estafette-demo.mssante.fr"
PATIENT = "275036912304584@patient.mssante.fr"


def _parse(data: bytes) -> email.message.EmailMessage:
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def _message(**overrides: object) -> OutgoingMessage:
    values: dict[str, object] = {
        "from_address": SENDER,
        "from_name": "Dr Jean MARTIN",
        "to": (TO,),
        "subject": "Compte rendu d'échographie — Mme Durand",
        "text": "Bonjour,\nÉchographie normale.\n",
    }
    values.update(overrides)
    return OutgoingMessage(**values)  # type: ignore[arg-type]


def test_headers_are_ascii_with_encoded_words_and_utf8_round_trip() -> None:
    """ECO.2.2.3-4: UTF-8 content; headers travel as RFC 2047 encoded-words."""
    built = build_message(_message())
    head = built.data.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    assert b"=?utf-8?" in head
    parsed = _parse(built.data)
    assert parsed["Subject"] == "Compte rendu d'échographie — Mme Durand"
    assert parsed.get_content_type() == "text/plain"
    assert parsed.get_content().replace("\r\n", "\n") == "Bonjour,\nÉchographie normale.\n"
    assert parsed["Content-Transfer-Encoding"] == "quoted-printable"
    assert b"\r\n" in built.data and b"\n" not in built.data.replace(b"\r\n", b"")


def test_message_id_date_and_threading_headers() -> None:
    """ECO.2.2.1-2: Message-ID at the sender's domain, In-Reply-To and References."""
    built = build_message(
        _message(in_reply_to="<parent@x.mssante.fr>", references=("<root@x.mssante.fr>",)),
        now=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
    )
    parsed = _parse(built.data)
    assert parsed["Message-ID"] == built.message_id
    assert re.fullmatch(
        r"<[0-9a-f]{32}\.\d+@cabinet-rivoli\.estafette-demo\.mssante\.fr>", built.message_id
    )
    assert parsed["In-Reply-To"] == "<parent@x.mssante.fr>"
    assert parsed["References"] == "<root@x.mssante.fr> <parent@x.mssante.fr>"
    assert parsed["Date"] == "Sun, 01 Mar 2026 09:30:00 +0000"
    assert new_message_id(SENDER) != new_message_id(SENDER)


def test_sender_display_name_and_mss_nil() -> None:
    """ECO.2.2.7 (display name) and X-MSS-NIL on every message."""
    parsed = _parse(build_message(_message(from_name="Dr Jean MARTIN — Médecin")).data)
    assert parsed["From"].addresses[0].display_name == "Dr Jean MARTIN — Médecin"
    assert parsed["From"].addresses[0].addr_spec == SENDER
    assert parsed["X-MSS-NIL"] == PRODUCT_REFERENCE
    assert PRODUCT_REFERENCE.startswith("Estafette/")
    assert parsed["X-MSS-CODECDA"] is None and parsed["X-MSS-INS"] is None
    assert parsed["Disposition-Notification-To"] is None
    assert parsed["X-MSS-MES"] is None


@pytest.mark.parametrize("name", ["", "   ", SENDER, "x", "jean@exemple.fr", "Dr\u200bX"])
def test_meaningless_display_names_are_refused(name: str) -> None:
    """ECO.2.2.7: no sending without a meaningful sender display name."""
    with pytest.raises(SendRefusedError, match="nom d'expéditeur"):
        check_display_name(name, SENDER)


def test_meaningful_display_name_is_normalised() -> None:
    assert check_display_name("  Dr  Jean   MARTIN ", SENDER) == "Dr Jean MARTIN"


def test_attachments_get_rfc2231_names_and_exact_bytes() -> None:
    payload = bytes(range(256)) * 400  # > splice threshold: the fast base64 path
    small = b"%PDF-1.4 petit"
    built = build_message(
        _message(
            attachments=(
                Attachment("Résumé été.bin", payload, "application/octet-stream"),
                Attachment("Ordonnance n°2.pdf", small, "application/pdf"),
            )
        )
    )
    assert b"filename*=utf-8''R%C3%A9sum%C3%A9%20%C3%A9t%C3%A9.bin" in built.data
    parsed = _parse(built.data)
    assert parsed.get_content_type() == "multipart/mixed"
    parts = list(parsed.iter_attachments())
    assert [p.get_filename() for p in parts] == ["Résumé été.bin", "Ordonnance n°2.pdf"]
    assert parts[0].get_content() == payload
    assert parts[1].get_content() == small
    assert parts[1].get_content_type() == "application/pdf"
    # MIME-Version belongs to the top level only.
    assert built.data.count(b"MIME-Version:") == 1
    assert all(len(line) <= 998 for line in built.data.split(b"\r\n"))


def test_multipart_alternative_for_html() -> None:
    """ECO.2.2.3: text/plain or multipart/alternative."""
    parsed = _parse(build_message(_message(html="<p>Bonjour <b>Claire</b></p>")).data)
    assert parsed.get_content_type() == "multipart/alternative"
    kinds = [p.get_content_type() for p in parsed.iter_parts()]
    assert kinds == ["text/plain", "text/html"]


def test_mss_headers_mdn_and_end_of_conversation() -> None:
    """X-MSS-CODECDA / X-MSS-INS with a CDA, X-MSS-MES: FIN (ECO.2.2.8), MDN request."""
    parsed = _parse(
        build_message(
            _message(
                to=(PATIENT,),
                mss=MssHeaders(code_cda="11502-2,34133-9", ins="O"),
                end_conversation=True,
                request_mdn=True,
            )
        ).data
    )
    assert parsed["X-MSS-CODECDA"] == "11502-2,34133-9"
    assert parsed["X-MSS-INS"] == "O"
    assert parsed["X-MSS-MES"] == "FIN"
    (name, addr), = email.utils.getaddresses([str(parsed["Disposition-Notification-To"])])
    assert (name, addr) == ("Dr Jean MARTIN", SENDER)


def test_bcc_never_appears_in_headers() -> None:
    hidden = "secret@chu-lumiere.estafette-demo.mssante.fr"
    built = build_message(_message(bcc=(hidden,)))
    assert hidden.encode() not in built.data
    assert (hidden, "bcc") in [(a, k.value) for a, k in _message(bcc=(hidden,)).recipients]


def test_eight_bit_only_when_allowed() -> None:
    built = build_message(_message(), allow_8bit=True)
    assert built.eight_bit
    assert "Échographie".encode() in built.data
    assert not build_message(_message()).eight_bit


def test_size_limits() -> None:
    """Spec §5: 25 MB for a patient; the account's own limit for everyone."""
    check_size(PATIENT_MAX_BYTES + 1, (TO,), None)
    with pytest.raises(SendRefusedError, match="patient"):
        check_size(PATIENT_MAX_BYTES + 1, (TO, PATIENT), None)
    with pytest.raises(SendRefusedError, match="limite"):
        check_size(2_000_001, (TO,), 2_000_000)
    check_size(PATIENT_MAX_BYTES, (PATIENT,), None)


def test_retry_backoff_grows_and_is_capped() -> None:
    delays = [retry_delay(n) for n in range(1, 12)]
    assert delays[0] == 30 and delays[1] == 60 and delays[2] == 120
    assert delays == sorted(delays) and delays[-1] == 3600
