"""Reply and forward rules (app.domain.reply): subjects without stacked prefixes, threading
headers per RFC 5322 §3.6.4 (trimmed), recipients without our own addresses, quoting."""

from __future__ import annotations

import pytest

from app.domain.reply import (
    MAX_REFERENCES,
    ReplyContext,
    forward_subject,
    normalize_message_id,
    quote,
    reply_in_reply_to,
    reply_recipients,
    reply_references,
    reply_subject,
)

ME = "jean.martin@cabinet.mssante.fr"


@pytest.mark.parametrize(("subject", "expected"), [
    ("Résultats", "Re: Résultats"),
    ("Re: Résultats", "Re: Résultats"),
    ("RE : Résultats", "Re: Résultats"),
    ("Re: RE: re :Résultats", "Re: Résultats"),
    ("Re[2]: Résultats", "Re: Résultats"),
    ("AW: Befund", "Re: Befund"),
    ("TR: Résultats", "Re: TR: Résultats"),
    ("Reprise du traitement", "Re: Reprise du traitement"),  # "Re" inside a word stays
    ("", "Re:"),
])
def test_reply_subject_does_not_stack(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected


@pytest.mark.parametrize(("subject", "expected"), [
    ("Compte rendu", "TR: Compte rendu"),
    ("TR: Compte rendu", "TR: Compte rendu"),
    ("Fwd: Compte rendu", "TR: Compte rendu"),
    ("Re: Compte rendu", "TR: Re: Compte rendu"),
    ("Trajet", "TR: Trajet"),
])
def test_forward_subject(subject: str, expected: str) -> None:
    assert forward_subject(subject) == expected


def test_references_are_the_parents_followed_by_its_message_id() -> None:
    parent = ReplyContext(message_id="<c@x>", references=("<a@x>", "<b@x>"),
                          in_reply_to=("<b@x>",))
    assert reply_references(parent) == ("<a@x>", "<b@x>", "<c@x>")
    assert reply_in_reply_to(parent) == "<c@x>"


def test_references_start_from_a_single_in_reply_to_only() -> None:
    assert reply_references(ReplyContext(message_id="<c@x>", in_reply_to=("<b@x>",))) == (
        "<b@x>", "<c@x>")
    # Two identifiers in In-Reply-To: ambiguous, not used (RFC 5322 §3.6.4).
    assert reply_references(ReplyContext(message_id="<c@x>",
                                         in_reply_to=("<a@x> <b@x>",))) == ("<c@x>",)
    assert reply_references(ReplyContext(message_id="<c@x>")) == ("<c@x>",)
    assert reply_references(ReplyContext()) == ()


def test_references_without_duplicates_and_parent_last() -> None:
    parent = ReplyContext(message_id="<c@x>", references=("<a@x>", "<c@x>", "<a@x>", "<b@x>"))
    assert reply_references(parent) == ("<a@x>", "<b@x>", "<c@x>")


def test_long_chains_keep_the_root_and_the_latest() -> None:
    chain = tuple(f"<m{i}@x>" for i in range(40))
    refs = reply_references(ReplyContext(message_id="<last@x>", references=chain))
    assert len(refs) == MAX_REFERENCES
    assert refs[0] == "<m0@x>"
    assert refs[-1] == "<last@x>"
    assert refs[-2] == "<m39@x>"
    assert refs[1] == f"<m{40 - (MAX_REFERENCES - 2)}@x>"


def test_message_ids_are_normalised() -> None:
    assert normalize_message_id("abc@host") == "<abc@host>"
    assert normalize_message_id("  <abc@host> (comment)") == "<abc@host>"
    assert normalize_message_id("") is None
    assert normalize_message_id("two words") is None


def test_reply_goes_to_reply_to_else_from() -> None:
    parent = ReplyContext(from_=(("Labo", "labo@bio.mssante.fr"),),
                          reply_to=(("", "secretariat@bio.mssante.fr"),),
                          to=(("", ME),))
    assert reply_recipients(parent, [ME]).to == ("secretariat@bio.mssante.fr",)
    parent = ReplyContext(from_=(("Labo", "labo@bio.mssante.fr"),), to=(("", ME),))
    assert reply_recipients(parent, [ME]).to == ("labo@bio.mssante.fr",)


def test_reply_all_excludes_our_addresses_and_duplicates() -> None:
    parent = ReplyContext(
        from_=(("", "a@x.mssante.fr"),),
        to=(("", ME.upper()), ("", "b@x.mssante.fr"), ("", "A@x.mssante.fr")),
        cc=(("", "c@x.mssante.fr"), ("", "nurse@chu.mssante.fr"), ("", "b@x.mssante.fr")))
    recipients = reply_recipients(parent, [ME, "nurse@chu.mssante.fr"], reply_all=True)
    assert recipients.to == ("a@x.mssante.fr",)
    assert recipients.cc == ("b@x.mssante.fr", "c@x.mssante.fr")
    assert reply_recipients(parent, [ME], reply_all=False).cc == ()


def test_reply_to_our_own_sent_message_goes_to_its_recipients() -> None:
    parent = ReplyContext(from_=(("", ME),), to=(("", "b@x.mssante.fr"),),
                          cc=(("", "c@x.mssante.fr"),))
    assert reply_recipients(parent, [ME]).to == ("b@x.mssante.fr",)
    assert reply_recipients(parent, [ME], reply_all=True).cc == ("c@x.mssante.fr",)


def test_quote_marks_every_line() -> None:
    assert quote("Bonjour,\n\nRésultats normaux.\n> avant\n\n") == (
        "> Bonjour,\n>\n> Résultats normaux.\n>> avant")
