"""Sending against the sandbox: Postfix submission -> Dovecot, read back over IMAP.

One fake piece, said here as the architecture asks: ``_ScriptedProxy`` sits in front of the real
Postfix to script what it will not do on demand (a ``421`` greeting, i.e. a 4xx then success) and
to count connections (proving that refused recipients never reach the server). Past its scripted
answer it is a plain TCP pipe: TLS, SASL and SMTP are Postfix's own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
import io
import json
import os
import random
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient

from app.cli import main
from app.composition import open_profile
from app.domain.outgoing import OutboxState
from app.protocols.xdm.reader import read_xdm
from app.services.outbox_service import SendRequest
from tests.conftest import PROJECT_ROOT
from tests.sandbox import demo_documents as docs
from tests.sandbox import demo_world as world

pytestmark = pytest.mark.sandbox

MARTIN = world.DR_MARTIN
BERNARD = world.DR_BERNARD
PETIT = world.NURSE_PETIT
UNKNOWN = f"inconnu@{world.PRACTICE_CROIX_ROUSSE}"


def run_cli(*args: str, password: str | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    previous = os.environ.get("ESTAFETTE_PASSWORD")
    if password is not None:
        os.environ["ESTAFETTE_PASSWORD"] = password
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(args))
    finally:
        if password is not None:
            if previous is None:
                os.environ.pop("ESTAFETTE_PASSWORD", None)
            else:
                os.environ["ESTAFETTE_PASSWORD"] = previous
    return code, out.getvalue(), err.getvalue()


@dataclass
class SendProfile:
    base: list[str]  # --profile P --key-file K
    directory: Path
    key_file: Path

    def cli(self, *args: str) -> tuple[int, str, str]:
        return run_cli(*self.base, *args)


def make_profile(
    root: Path, sandbox: dict[str, Any], *, smtp_port: int | None = None
) -> SendProfile:
    root.mkdir(parents=True, exist_ok=True)
    directory, key_file = root / "profile", root / "key"
    profile = SendProfile(["--profile", str(directory), "--key-file", str(key_file)], directory,
                          key_file)
    code, _, err = run_cli(
        *profile.base, "account", "add", "--address", MARTIN.login, "--kind", "PER",
        "--imap", f"127.0.0.1:{sandbox['imaps']['port']}", "--imap-tls", "implicit",
        "--smtp", f"127.0.0.1:{smtp_port or sandbox['submission']['port']}",
        "--smtp-tls", "starttls", "--auth", "password", "--login", MARTIN.login,
        "--ca-file", sandbox["ca_file"], "--display-name", MARTIN.display_name,
        password=MARTIN.password,
    )
    assert code == 0, err
    code, _, err = profile.cli("whitelist", "refresh", "--url", sandbox["whitelist_url"],
                               "--ca-file", sandbox["ca_file"])
    assert code == 0, err
    return profile


@pytest.fixture(scope="module")
def martin(sandbox: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> SendProfile:
    return make_profile(tmp_path_factory.mktemp("send"), sandbox)


# --- reading mailboxes ------------------------------------------------------------------------


@contextlib.contextmanager
def imap(sandbox: dict[str, Any], person: world.Person) -> Iterator[IMAPClient]:
    context = ssl.create_default_context(cafile=sandbox["ca_file"])
    client = IMAPClient("127.0.0.1", sandbox["imaps"]["port"], ssl=True, ssl_context=context,
                        timeout=30)
    client.login(person.login, person.password)
    try:
        yield client
    finally:
        client.logout()


def copies(sandbox: dict[str, Any], person: world.Person, message_id: str,
           folder: str = "INBOX") -> list[bytes]:
    with imap(sandbox, person) as client:
        client.select_folder(folder, readonly=True)
        uids = client.search(["HEADER", "Message-ID", message_id])
        if not uids:
            return []
        fetched = client.fetch(uids, ["BODY.PEEK[]"])
        return [fetched[u][b"BODY[]"] for u in uids]


def wait_for_copies(sandbox: dict[str, Any], person: world.Person, message_id: str,
                    *, at_least: int = 1, timeout: float = 20.0) -> list[bytes]:
    deadline = time.monotonic() + timeout
    while True:
        found = copies(sandbox, person, message_id)
        if len(found) >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def parse(raw: bytes) -> email.message.EmailMessage:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


# --- the scripted proxy -----------------------------------------------------------------------


class _ScriptedProxy:
    """TCP proxy to Postfix; the first ``refuse`` connections get a 421 greeting."""

    def __init__(self, upstream_port: int, *, refuse: int = 0) -> None:
        self.upstream_port = upstream_port
        self.refuse = refuse
        self.connections = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            self.connections += 1
            if self.refuse > 0:
                self.refuse -= 1
                with contextlib.suppress(OSError):
                    conn.sendall(b"421 4.3.2 Service temporairement indisponible (script)\r\n")
                conn.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            for a, b in ((conn, upstream), (upstream, conn)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._stop = True
        self._server.close()


# --- tests --------------------------------------------------------------------------------------


def test_send_between_doctors_exact_headers(
    martin: SendProfile, sandbox: dict[str, Any], tmp_path: Path
) -> None:
    """ECO.2.2.1-4, ECO.2.2.7: what Dr Bernard receives from Dr Martin, header by header."""
    body = tmp_path / "body.txt"
    body.write_text("Chère consœur,\nL'échographie est normale.\nBien à vous.\n", "utf-8")
    attachment = tmp_path / "Compte rendu échographie.pdf"
    attachment.write_bytes(docs.make_pdf("Compte rendu", ["Échographie abdominale normale."]))
    subject = "Échographie de Mme Durand — résultats"
    code, out, err = martin.cli(
        "send", "--from", MARTIN.login, "--to", BERNARD.login, "--subject", subject,
        "--body-file", str(body), "--attach", str(attachment), "--request-mdn", "--json",
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["state"] == "filed" and result["queue_id"]
    message_id = result["message_id"]
    received = wait_for_copies(sandbox, BERNARD, message_id)
    assert len(received) == 1
    raw = received[0]
    message = parse(raw)
    assert message["Message-ID"] == message_id
    assert message_id.endswith(f"@{world.PRACTICE_RIVOLI}>")
    assert message["X-MSS-NIL"].startswith("Estafette/")
    assert message["Subject"] == subject
    assert message["From"].addresses[0].display_name == MARTIN.display_name
    assert message["From"].addresses[0].addr_spec == MARTIN.login
    assert message["To"].addresses[0].addr_spec == BERNARD.login
    assert message["Disposition-Notification-To"] is not None
    assert message["Date"] is not None
    assert b"filename*=utf-8''Compte%20rendu%20%C3%A9chographie.pdf" in raw
    (part,) = list(message.iter_attachments())
    assert part.get_filename() == "Compte rendu échographie.pdf"
    assert part.get_content() == attachment.read_bytes()
    text = message.get_body(("plain",))
    assert text is not None and "L'échographie est normale." in text.get_content()
    # The sender's copy, filed once in the SPECIAL-USE \Sent folder.
    assert len(copies(sandbox, MARTIN, message_id, folder="Sent")) == 1


def test_send_with_cda_attaches_xdm(
    martin: SendProfile, sandbox: dict[str, Any], tmp_path: Path
) -> None:
    """ECO.2.1: the CDA travels in IHE_XDM.ZIP with X-MSS-CODECDA, X-MSS-INS and the XDM
    subject; the receiver reads the same document and patient back."""
    patient = world.PATIENTS[0]
    pdf = docs.make_pdf("Compte rendu de biologie", ["Glycémie : 5,1 mmol/L"])
    cda = docs.make_cda_level1(
        patient, MARTIN, code="11502-2", code_system=docs.LOINC,
        display_name="CR d'examens biologiques", title="Compte rendu de biologie",
        effective_time=dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC), pdf=pdf,
    )
    cda_path = tmp_path / "cr-biologie.xml"
    cda_path.write_bytes(cda)
    code, out, err = martin.cli("send", "--from", MARTIN.login, "--to", BERNARD.login,
                                "--cda", str(cda_path), "--json")
    assert code == 0, err
    message_id = json.loads(out)["message_id"]
    (raw,) = wait_for_copies(sandbox, BERNARD, message_id)
    message = parse(raw)
    assert message["X-MSS-CODECDA"] == "11502-2"
    assert message["X-MSS-INS"] == "O"
    assert message["Subject"].startswith("XDM/1.0/DDM+")
    assert "DURAND" in message["Subject"].upper()
    names = {p.get_filename(): p for p in message.iter_attachments()}
    assert "IHE_XDM.ZIP" in names
    package = read_xdm(names["IHE_XDM.ZIP"].get_content())
    assert package.patient is not None and package.patient.ins is not None
    assert package.patient.ins.extension == patient.ins
    cdas = [d for d in package.documents if d.cda is not None]
    assert len(cdas) == 1 and cdas[0].data == cda and cdas[0].hash_ok


def test_reply_from_the_command_line_keeps_the_whole_thread(
    martin: SendProfile, sandbox: dict[str, Any]
) -> None:
    """``send --in-reply-to``: the reply's References carry the parent's own chain when the parent
    is in the profile (after a sync of Sent), the parent alone when it is not; a malformed
    Message-ID is refused before anything is queued."""
    root = "<racine.fil@ch-externe.mssante.fr>"
    code, out, err = martin.cli("send", "--from", MARTIN.login, "--to", BERNARD.login,
                                "--subject", "Avis", "--in-reply-to", root, "--json")
    assert code == 0, err
    first_id = json.loads(out)["message_id"]
    first = parse(wait_for_copies(sandbox, BERNARD, first_id)[0])
    assert first["In-Reply-To"] == root
    assert first["References"].split() == [root]

    code, _, err = martin.cli("sync")
    assert code == 0, err
    code, out, err = martin.cli("send", "--from", MARTIN.login, "--to", BERNARD.login,
                                "--subject", "Re: Avis", "--in-reply-to", first_id, "--json")
    assert code == 0, err
    second = parse(wait_for_copies(sandbox, BERNARD, json.loads(out)["message_id"])[0])
    assert second["In-Reply-To"] == first_id
    assert second["References"].split() == [root, first_id]

    code, _, err = martin.cli("send", "--from", MARTIN.login, "--to", BERNARD.login,
                              "--in-reply-to", "pas un identifiant")
    assert code != 0 and "Message-ID" in err


def test_one_recipient_of_three_refused_with_5xx(
    martin: SendProfile, sandbox: dict[str, Any]
) -> None:
    """Postfix answers 550 (unknown user) at RCPT for one address of a whitelisted domain: the
    two others get the message, the third is reported, and the command exits 1."""
    code, out, _ = martin.cli("send", "--from", MARTIN.login, "--to", BERNARD.login,
                              "--to", UNKNOWN, "--cc", PETIT.login, "--subject", "RCP",
                              "--json")
    assert code == 1
    result = json.loads(out)
    statuses = {r["address"]: (r["status"], r["code"]) for r in result["recipients"]}
    assert statuses[BERNARD.login] == ("accepted", 250)
    assert statuses[PETIT.login] == ("accepted", 250)
    assert statuses[UNKNOWN][0] == "failed" and statuses[UNKNOWN][1] == 550
    assert result["state"] == "filed"
    assert len(wait_for_copies(sandbox, BERNARD, result["message_id"])) == 1
    assert len(wait_for_copies(sandbox, PETIT, result["message_id"])) == 1


def test_4xx_then_success(sandbox: dict[str, Any], tmp_path: Path) -> None:
    """A 421 greeting (scripted) leaves the item in retry_wait with exit code 3; ``outbox
    retry`` then delivers it, once."""
    proxy = _ScriptedProxy(sandbox["submission"]["port"], refuse=1)
    try:
        profile = make_profile(tmp_path, sandbox, smtp_port=proxy.port)
        code, out, _ = profile.cli("send", "--from", MARTIN.login, "--to", BERNARD.login,
                                   "--subject", "Essai 4xx", "--json")
        assert code == 3
        first = json.loads(out)
        assert first["state"] == "retry_wait" and "421" in first["error"]
        code, out, err = profile.cli("outbox", "retry", str(first["id"]))
        assert code == 0, err
        code, out, _ = profile.cli("outbox", "list", "--json")
        (item,) = json.loads(out)
        assert item["state"] == "filed" and item["attempts"] == 2
        assert proxy.connections == 2
        assert len(wait_for_copies(sandbox, BERNARD, first["message_id"])) == 1
    finally:
        proxy.close()


@pytest.mark.parametrize(
    "address",
    [
        f"x@sous.{world.PRACTICE_RIVOLI}",  # a sub-domain of a listed domain
        "claire.bernard@cabinet-croix-rоusse.estafette-demo.mssante.fr",  # Cyrillic о
        "CLAIRE.BERNARD@CABINET-INCONNU.ESTAFETTE-DEMO.MSSANTE.FR",  # upper case, unlisted
        "claire.bernard@cabinet-inconnu.estafette-demo.mssante.fr.",  # trailing dot, unlisted
        "claire.bernard@croix-rousse.mssante.fr.evil.example",
        "123456789012345@patient.mssante.fr",  # not a valid INS
    ],
)
def test_whitelist_bypass_attempts_never_reach_postfix(
    sandbox: dict[str, Any], tmp_path: Path, address: str
) -> None:
    """Spec §1, ECO.2.2.6: blocked before queueing, with a French reason; no connection made."""
    proxy = _ScriptedProxy(sandbox["submission"]["port"])
    try:
        profile = make_profile(tmp_path, sandbox, smtp_port=proxy.port)
        code, out, err = profile.cli("send", "--from", MARTIN.login, "--to", BERNARD.login,
                                     "--to", address, "--subject", "Essai")
        assert code == 1
        assert "hors de la liste blanche" in err
        assert proxy.connections == 0
        code, out, _ = profile.cli("outbox", "list", "--json")
        assert json.loads(out) == []
    finally:
        proxy.close()


_WORKER = """
import asyncio, sys
from pathlib import Path
from app.composition import open_profile
profile = open_profile(Path(sys.argv[1]), key_file=Path(sys.argv[2]), create=False,
                       integrity_check=False)
print("READY", flush=True)
sys.stdin.readline()
result = asyncio.run(profile.outbox.process(int(sys.argv[3]), force=True))
print("DONE", result.item.state.value, flush=True)
profile.close()
"""


def _queue(profile: SendProfile, subject: str) -> tuple[int, str]:
    with open_profile(profile.directory, key_file=profile.key_file, create=False) as opened:
        item_id = opened.outbox.queue(
            SendRequest(from_address=MARTIN.login, to=(BERNARD.login,), subject=subject,
                        text="Essai d'interruption.\n"),
            undo_seconds=0,
        )
        return item_id, opened.outbox.store.get(item_id).message_id


def _start_worker(profile: SendProfile, item_id: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _WORKER, str(profile.directory), str(profile.key_file),
         str(item_id)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "READY"
    return proc


def test_kill_9_during_submission_never_duplicates(
    sandbox: dict[str, Any], tmp_path: Path
) -> None:
    """``kill -9`` at 20+ random instants of a submission (SMTP dialogue, end of DATA, Sent
    filing), then ``outbox retry``: every message ends filed and reaches Dr Bernard exactly
    once (the never-a-second-copy rule of app.services.outbox_service)."""
    profile = make_profile(tmp_path, sandbox)
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    # Calibration: how long one uninterrupted submission takes here, from "GO" to "DONE".
    item_id, message_id = _queue(profile, "Calibrage")
    proc = _start_worker(profile, item_id)
    started = time.monotonic()
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("GO\n")
    proc.stdin.flush()
    assert proc.stdout.readline().startswith("DONE filed")
    span = time.monotonic() - started
    proc.wait(timeout=30)
    sent = {message_id: "calibration"}
    outcomes: list[str] = []
    for round_number in range(22):
        item_id, message_id = _queue(profile, f"Interruption {round_number}")
        proc = _start_worker(profile, item_id)
        assert proc.stdin is not None
        proc.stdin.write("GO\n")
        proc.stdin.flush()
        time.sleep(rng.uniform(0.0, span * 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        with open_profile(profile.directory, key_file=profile.key_file, create=False) as opened:
            left = opened.outbox.store.get(item_id)
            outcomes.append(left.state.value + ("+end-of-data" if left.end_of_data_sent else ""))
        code, _, err = profile.cli("outbox", "retry", str(item_id))
        assert code == 0, err
        sent[message_id] = outcomes[-1]
    # The kills did land inside submissions (not only before or after them).
    interrupted = [o for o in outcomes if o.startswith(("submitting", "submitted"))]
    assert len(interrupted) >= 5, outcomes
    with open_profile(profile.directory, key_file=profile.key_file, create=False) as opened:
        assert {i.state for i in opened.outbox.items()} == {OutboxState.FILED}
    # Every copy is in; then give Postfix time to deliver any duplicate before counting.
    for message_id in sent:
        assert wait_for_copies(sandbox, BERNARD, message_id), message_id
    time.sleep(2.0)
    counts = {mid: len(copies(sandbox, BERNARD, mid)) for mid in sent}
    assert counts == dict.fromkeys(sent, 1), (counts, outcomes)
    sent_copies = {mid: len(copies(sandbox, MARTIN, mid, folder="Sent")) for mid in sent}
    assert sent_copies == dict.fromkeys(sent, 1), sent_copies
