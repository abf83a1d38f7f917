"""Every third-party message of ../shared/corpus/mime APPENDed to the sandbox and synced.

None may crash the engine; each one the server accepted is stored, listed and searchable by a word
of its subject; malformed ones are marked broken rather than dropped.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from imapclient.exceptions import IMAPClientError

from tests.integration.sync_helpers import imap_as, local_folder, new_profile, scratch_folder
from tests.sandbox import demo_world as world

pytestmark = [pytest.mark.sandbox, pytest.mark.corpus]
_WORD = re.compile(r"\w{4,}")


def _corpus_messages(corpus: Path) -> list[Path]:
    root = corpus / "mime"
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".eml", ".msg"))


def test_every_corpus_message_syncs(sandbox: dict[str, Any], corpus: Path,
                                    tmp_path: Path) -> None:
    files = _corpus_messages(corpus)
    assert len(files) > 250, "the MIME corpus looks incomplete"
    # Dr Bernard's box, in a folder of its own: the seeded folders stay as they are.
    client = imap_as(sandbox, world.DR_BERNARD)
    folder = scratch_folder(client, "Corpus")
    refused: list[str] = []
    for path in files:
        try:
            client.append(folder, path.read_bytes())
        except IMAPClientError:
            refused.append(path.name)
    appended = len(files) - len(refused)
    # Dovecot refuses only what IMAP cannot carry (e.g. NUL bytes in a non-binary literal).
    assert len(refused) <= len(files) // 20, refused

    profile, account = new_profile(tmp_path, sandbox, world.DR_BERNARD)
    with profile:
        report = profile.sync.sync_account(account)
        assert len(local_folder(profile, account, folder)) == appended
        account_id = profile.messages.account_id(account.address, account.login)
        state = profile.messages.folder(account_id, folder)
        assert state is not None
        listed = profile.messages.list_folder(state.id, limit=10_000)
        assert len(listed) == appended
        assert all(m.state in ("complete", "broken") for m in listed)
        broken = [m for m in listed if m.state == "broken"]
        assert broken, "the corpus has malformed messages: some must be marked broken"
        assert report.broken >= len(broken)
        unfound = []
        for message in listed:
            words = _WORD.findall(message.subject)
            if not words:
                continue
            word = max(words, key=len)
            hits = profile.messages.search(word, account_id=account_id, limit=10_000)
            if message.id not in {h.id for h in hits}:
                unfound.append((message.subject, word))
        assert unfound == []
        for message in broken:
            detail = profile.messages.get(message.id)
            assert detail is not None and detail.broken_reason
            assert profile.messages.raw(message.id)  # kept, not dropped
    client.delete_folder(folder)
    client.logout()
