"""Replying to and forwarding a message: subjects, threading headers, recipients, quoting.

Pure rules, no I/O: the window computes a reply from the parent message it shows.

- ``Re: `` is added once (a subject already starting with ``Re:``, ``RE :``, ``Re[2]:`` or ``AW:``
  gets one ``Re: `` instead of a stack); ``TR: `` likewise for a forward.
- ``In-Reply-To`` is the parent's ``Message-ID``; ``References`` is the parent's ``References``
  (or, without it, its single ``In-Reply-To``) followed by the parent's ``Message-ID``
  (RFC 5322 §3.6.4). A long chain is trimmed as mail clients do: the first identifier (the
  thread's root) and the most recent ones are kept, so the header stays short and threading works.
- Reply goes to ``Reply-To`` when present, else ``From``; a reply to our own message (in Sent)
  goes to its recipients. Reply all adds the other recipients in Cc, never one of our own
  addresses, never twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

NamedAddress = tuple[str, str]  # (display name, address), as ``app.domain.message`` has it

# At most this many identifiers in References: the root and the latest ones (Thunderbird and
# others trim the same way; servers and clients cope badly with very long header lines).
MAX_REFERENCES = 20

_REPLY_PREFIX = re.compile(
    r"^\s*(?:re|aw)\s*(?:\[\d+\]|\(\d+\))?\s*:\s*", re.IGNORECASE
)
_FORWARD_PREFIX = re.compile(r"^\s*(?:tr|fwd?)\s*(?:\[\d+\])?\s*:\s*", re.IGNORECASE)
_MSG_ID = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class ReplyContext:
    """What a reply needs from the parent message (read from its headers)."""

    message_id: str | None = None
    references: tuple[str, ...] = ()
    in_reply_to: tuple[str, ...] = ()
    subject: str = ""
    from_: tuple[NamedAddress, ...] = ()
    reply_to: tuple[NamedAddress, ...] = ()
    to: tuple[NamedAddress, ...] = ()
    cc: tuple[NamedAddress, ...] = ()


@dataclass(frozen=True)
class ReplyRecipients:
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()


def _strip_prefixes(subject: str, pattern: re.Pattern[str]) -> tuple[str, bool]:
    text = " ".join(subject.split())
    found = False
    while True:
        match = pattern.match(text)
        if match is None or match.end() == 0:
            return text, found
        text, found = text[match.end():], True


def reply_subject(subject: str) -> str:
    """``Re: `` once, whatever prefixes the parent's subject already stacked."""
    text, _found = _strip_prefixes(subject, _REPLY_PREFIX)
    return f"Re: {text}" if text else "Re:"


def forward_subject(subject: str) -> str:
    """``TR: `` once (the French clients' prefix for a forward)."""
    text, _found = _strip_prefixes(subject, _FORWARD_PREFIX)
    return f"TR: {text}" if text else "TR:"


def normalize_message_id(value: str | None) -> str | None:
    """``<id@host>`` from a header value (angle brackets added when missing), or None."""
    if not value:
        return None
    match = _MSG_ID.search(value)
    if match is not None:
        return match.group(0)
    bare = value.strip().strip("<>").strip()
    if not bare or any(c.isspace() or c in "<>" for c in bare):
        return None
    return f"<{bare}>"


def _ids(values: Iterable[str]) -> list[str]:
    found: list[str] = []
    for value in values:
        matches = _MSG_ID.findall(value or "")
        if matches:
            found.extend(matches)
        else:
            single = normalize_message_id(value)
            if single is not None:
                found.append(single)
    return found


def reply_references(parent: ReplyContext, *, limit: int = MAX_REFERENCES) -> tuple[str, ...]:
    """The ``References`` of a reply to ``parent`` (its ``Message-ID`` last), trimmed to
    ``limit`` identifiers: the first (the thread's root) and the latest ones."""
    chain = _ids(parent.references)
    if not chain:
        previous = _ids(parent.in_reply_to)
        if len(previous) == 1:  # RFC 5322: only an unambiguous In-Reply-To starts the chain
            chain = previous
    own = normalize_message_id(parent.message_id)
    unique: list[str] = []
    for item in chain:
        if item != own and item not in unique:
            unique.append(item)
    if own is not None:
        unique.append(own)
    if limit >= 2 and len(unique) > limit:
        unique = [unique[0], *unique[len(unique) - (limit - 1):]]
    return tuple(unique)


def reply_in_reply_to(parent: ReplyContext) -> str | None:
    return normalize_message_id(parent.message_id)


def _bare(addresses: Sequence[NamedAddress]) -> list[str]:
    return [address.strip() for _name, address in addresses if address and address.strip()]


def reply_recipients(parent: ReplyContext, own_addresses: Iterable[str], *,
                     reply_all: bool = False) -> ReplyRecipients:
    """Who a reply goes to. ``own_addresses``: every address of ours (the box, the login)."""
    own = {a.casefold() for a in own_addresses if a}
    senders = _bare(parent.from_)
    from_us = bool(senders) and all(s.casefold() in own for s in senders)
    # Our own message (in Sent): answering it continues with its recipients.
    primary = (_bare(parent.to) if from_us else _bare(parent.reply_to)) or senders
    seen: set[str] = set()

    def keep(addresses: Iterable[str], *, allow_own: bool = False) -> tuple[str, ...]:
        kept: list[str] = []
        for address in addresses:
            key = address.casefold()
            if key in seen or (key in own and not allow_own):
                continue
            seen.add(key)
            kept.append(address)
        return tuple(kept)

    # Writing to oneself is allowed when it is the only way back (a note to self).
    to = keep(primary) or keep(primary, allow_own=True)
    if not reply_all:
        return ReplyRecipients(to=to)
    others = [*_bare(parent.to), *_bare(parent.cc)]
    if from_us:
        others = _bare(parent.cc)
    return ReplyRecipients(to=to, cc=keep(others))


def quote(text: str) -> str:
    """``text`` quoted for a reply: ``> `` before each line, ``>`` on the empty ones (RFC 3676
    style; a line already quoted gets one more ``>``)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    quoted = []
    for line in lines:
        if not line:
            quoted.append(">")
        elif line.startswith(">"):
            quoted.append(">" + line)
        else:
            quoted.append("> " + line)
    return "\n".join(quoted)


__all__ = [
    "MAX_REFERENCES",
    "ReplyContext",
    "ReplyRecipients",
    "forward_subject",
    "normalize_message_id",
    "quote",
    "reply_in_reply_to",
    "reply_recipients",
    "reply_references",
    "reply_subject",
]
