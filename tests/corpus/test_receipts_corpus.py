"""Real, often malformed receipts (Direct Project acks, the ANS inline MDN example) are read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.domain.receipt import DispositionType, ReceiptKind, RecipientOutcome
from app.protocols.mime.receipts import parse_receipt_bytes

pytestmark = pytest.mark.corpus

ORIGINAL = "<9501051053.aa04167@IETF.CNRI.Reston.VA.US>"  # the acks' id, its stray space removed


def test_direct_project_acks_parse_and_link(corpus: Path) -> None:
    """ECO.2.3.1 / ECO.3.1.6: DSNs and MDNs are read and linked to the sent message."""
    paths = sorted((corpus / "acks" / "direct-nhin-d").glob("*.txt"))
    paths = [p for p in paths if "LICENSE" not in p.name]
    assert len(paths) == 12
    for path in paths:
        receipt = parse_receipt_bytes(path.read_bytes())
        assert receipt is not None, path.name
        expected = ReceiptKind.DSN if path.name.startswith("DSN") else ReceiptKind.MDN
        assert receipt.kind is expected, path.name
        if path.name == "MDNResponse.txt":
            # No Original-Message-ID, In-Reply-To or References at all: returned unlinked.
            assert not receipt.linked and receipt.notes
            assert receipt.disposition is not None
            assert receipt.disposition.type is DispositionType.PROCESSED
            continue
        assert receipt.original_message_id == ORIGINAL, path.name
        if expected is ReceiptKind.DSN:
            assert receipt.recipients[0].final_recipient == "Carol@Ivory.EDU"
            assert receipt.recipients[0].diagnostic == "550 error - no such recipient"
            want = (RecipientOutcome.UNKNOWN if "NoActionOrStatus" in path.name
                    else RecipientOutcome.FAILED)
            assert receipt.outcome() is want, path.name
        elif "NoDisp" in path.name:
            assert receipt.disposition is None and receipt.outcome() is RecipientOutcome.UNKNOWN
        else:
            assert receipt.outcome() is RecipientOutcome.READ, path.name
            assert receipt.recipients[0].final_recipient is not None
    friendly = parse_receipt_bytes(
        (corpus / "acks/direct-nhin-d/MDNMessageFriendlyNameFinalRecip.txt").read_bytes())
    assert friendly is not None
    assert friendly.recipients[0].final_recipient == "externUser1@starugh-stateline.com"


def test_ans_inline_mdn_example(corpus: Path) -> None:
    """ECO.3.1.6: the ANS MDN example (itself malformed) gives error 902 and links."""
    page = (corpus / "ans-spec/input/pagecontent/struct-msg-mdn.md").read_text()
    match = re.search(r"```\n(Date:.*?)```", page, re.DOTALL)
    assert match is not None
    receipt = parse_receipt_bytes(match.group(1).encode())
    assert receipt is not None and receipt.kind is ReceiptKind.MDN
    assert receipt.original_message_id == "<199509192301.23456>"
    assert receipt.integration_error is not None
    assert receipt.integration_error.code == 902
    assert receipt.integration_error.label == "Identifiant de patient inconnu"
    assert receipt.integration_error.ans_label == "Identifiant patient inconnu"
    assert receipt.outcome() is RecipientOutcome.INTEGRATION_ERROR
    assert receipt.recipients[0].final_recipient == "serviceY_auto@chb.mssante.fr"


def test_mimekit_and_enmime_reports(corpus: Path) -> None:
    """Other real DSN/MDN samples of the corpus are recognised and carry recipients."""
    found = 0
    for path in [
        *sorted((corpus / "mime/mimekit/UnitTests/TestData/messages").glob("delivery-status*")),
        *sorted((corpus / "mime/enmime/dsn/testdata").glob("*.raw")),
    ]:
        receipt = parse_receipt_bytes(path.read_bytes())
        assert receipt is not None, path.name
        assert receipt.kind is ReceiptKind.DSN, path.name
        assert receipt.recipients, path.name
        found += 1
    mdn = parse_receipt_bytes(
        (corpus / "mime/mimekit/UnitTests/TestData/messages/disposition-notification.txt")
        .read_bytes())
    assert mdn is not None and mdn.kind is ReceiptKind.MDN and mdn.disposition is not None
    assert found >= 6
