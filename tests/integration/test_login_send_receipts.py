"""The pieces together, through the command line in-process, against the sandbox:

- the APP box sends with its certificate (TLS client authentication, no password);
- a PSC account sends after a CIBA login approved on the "phone" (the sandbox control API, from a
  thread), its token used over SASL XOAUTH2; a refused login is audited;
- every submission leaves a content-free ``send`` row in the audit trail;
- receipts: Dr Martin asks the lab's APP box for a read receipt, the lab syncs (certificate login)
  and answers automatically, Martin syncs and his outbox shows "processed" for the lab; a DSN
  failure is linked to its recipient;
- patient conversations: a patient reply attaches to the conversation, closing sends
  ``X-MSS-MES: FIN``, a Mon espace santé bounce blocks the next message with a French reason.
"""

from __future__ import annotations

import csv
import email.utils
import io
import json
import os
import smtplib
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.test_send import copies, parse, run_cli, wait_for_copies
from tests.sandbox import demo_world as world

pytestmark = pytest.mark.sandbox

MARTIN = world.DR_MARTIN
BERNARD = world.DR_BERNARD
LAB = world.LAB_BOX
PATIENT = world.PATIENTS[1]  # no seeded conversation with Dr Martin
BOUNCING_PATIENT = world.PATIENTS[2]


class Profile:
    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.directory, self.key = root / "profile", root / "key"
        self.base = ["--profile", str(self.directory), "--key-file", str(self.key)]

    def cli(self, *args: str, password: str | None = None,
            env: dict[str, str] | None = None) -> tuple[int, str, str]:
        saved = {k: os.environ.get(k) for k in (env or {})}
        os.environ.update(env or {})
        try:
            return run_cli(*self.base, *args, password=password)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def ok(self, *args: str, **kwargs: Any) -> str:
        code, out, err = self.cli(*args, **kwargs)
        assert code == 0, err
        return out

    def whitelist(self, sandbox: dict[str, Any]) -> None:
        self.ok("whitelist", "refresh", "--url", sandbox["whitelist_url"],
                "--ca-file", sandbox["ca_file"])

    def audit_rows(self) -> list[dict[str, str]]:
        out = self.ok("audit", "export")
        return list(csv.DictReader(io.StringIO(out), delimiter=";"))

    def outbox(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = json.loads(self.ok("outbox", "list", "--json"))
        return items


def endpoints(sandbox: dict[str, Any]) -> list[str]:
    return ["--imap", f"127.0.0.1:{sandbox['imaps']['port']}", "--imap-tls", "implicit",
            "--smtp", f"127.0.0.1:{sandbox['submission']['port']}", "--smtp-tls", "starttls",
            "--ca-file", sandbox["ca_file"]]


def password_profile(root: Path, sandbox: dict[str, Any], person: world.Person) -> Profile:
    profile = Profile(root)
    profile.ok("account", "add", "--address", person.login, "--kind", "PER",
               *endpoints(sandbox), "--auth", "password", "--login", person.login,
               "--display-name", person.display_name, "--national-id", person.national_id,
               password=person.password)
    profile.whitelist(sandbox)
    return profile


def lab_profile(root: Path, sandbox: dict[str, Any]) -> Profile:
    app = next(a for a in sandbox["accounts"] if a["kind"] == "APP")
    profile = Profile(root)
    profile.ok("account", "add", "--address", LAB.address, "--kind", "APP", *endpoints(sandbox),
               "--auth", "certificate", "--certificate", app["certificate"],
               "--login", LAB.address, "--display-name", LAB.display_name,
               password=app["certificate_password"])
    profile.whitelist(sandbox)
    return profile


def body_file(tmp_path: Path, text: str = "Bonjour,\n\nMerci.\n") -> str:
    path = tmp_path / "body.txt"
    path.write_text(text, encoding="utf-8")
    return str(path)


def sent_message_id(out: str) -> str:
    document: dict[str, Any] = json.loads(out)
    return str(document["message_id"])


# --- 1. APP certificate, PSC and audit -------------------------------------------------------


def test_app_box_sends_with_its_certificate(sandbox: dict[str, Any], tmp_path: Path) -> None:
    """Issue 5 item 5: no password, the certificate in the TLS handshake authenticates the box."""
    lab = lab_profile(tmp_path, sandbox)
    code, out, err = lab.cli("send", "--from", LAB.address, "--to", MARTIN.login,
                             "--subject", "Résultats disponibles", "--body-file",
                             body_file(tmp_path), "--json")
    assert code == 0, err
    message_id = sent_message_id(out)
    assert len(wait_for_copies(sandbox, MARTIN, message_id)) == 1
    rows = [r for r in lab.audit_rows() if r["Action"] == "envoi"]
    assert rows and rows[-1]["Résultat"] == "succès"
    assert rows[-1]["Requête au serveur"] == "DATA"
    assert rows[-1]["Réponse du serveur"].startswith("250")


class Phone:
    """The professional's e-CPS app: approves (or refuses) the next CIBA request for ``sub``."""

    def __init__(self, sandbox: dict[str, Any], sub: str, action: str = "approve") -> None:
        self.oidc = sandbox["oidc"]
        self.context = ssl.create_default_context(cafile=sandbox["ca_file"])
        self.sub, self.action = sub, action
        self.acted: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._known: set[str] = set()
        with httpx.Client(verify=self.context, timeout=10) as http:
            self._known = {r["auth_req_id"] for r in self._requests(http)}
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _requests(self, http: httpx.Client) -> list[dict[str, Any]]:
        response = http.get(f"{self.oidc['control_url']}/ciba/requests?sub={self.sub}")
        assert response.status_code == 200, response.text
        requests: list[dict[str, Any]] = response.json()["requests"]
        return requests

    def _run(self) -> None:
        with httpx.Client(verify=self.context, timeout=10) as http:
            deadline = time.monotonic() + 30
            while not self._stop.is_set() and time.monotonic() < deadline:
                fresh = [r for r in self._requests(http) if r["auth_req_id"] not in self._known]
                if fresh:
                    request = max(fresh, key=lambda r: r["created_at"])
                    http.post(f"{self.oidc['control_url']}/ciba/requests/"
                              f"{request['auth_req_id']}/{self.action}", json={})
                    self.acted.append(request)
                    return
                time.sleep(0.1)

    def __enter__(self) -> Phone:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


@pytest.fixture
def psc_martin(sandbox: dict[str, Any], tmp_path: Path) -> Iterator[Profile]:
    client = sandbox["oidc"]["clients"]["ciba"]
    profile = Profile(tmp_path / "psc")
    profile.ok("account", "add", "--address", MARTIN.login, "--kind", "PER",
               *endpoints(sandbox), "--auth", "psc", "--login", MARTIN.login,
               "--display-name", MARTIN.display_name, "--national-id", MARTIN.national_id,
               "--psc-issuer", sandbox["oidc"]["issuer"], "--psc-client-id", client["client_id"],
               env={"ESTAFETTE_PSC_CLIENT_SECRET": client["client_secret"]})
    profile.whitelist(sandbox)
    yield profile


def test_psc_account_sends_after_ciba_approval(
    sandbox: dict[str, Any], psc_martin: Profile, tmp_path: Path
) -> None:
    """ECO.1.2.1: CIBA in the terminal (binding code shown), then SASL XOAUTH2 on submission;
    the audit trail gets the login and a content-free send row (ECO.4.1.1)."""
    subject = "Patient Dupont — suite de la consultation"
    with Phone(sandbox, MARTIN.login) as phone:
        code, out, err = psc_martin.cli("send", "--from", MARTIN.login, "--to", BERNARD.login,
                                        "--subject", subject, "--body-file",
                                        body_file(tmp_path), "--json")
    assert code == 0, err
    assert phone.acted and f"Code de vérification : {phone.acted[0]['binding_message']}" in err
    message_id = sent_message_id(out)
    received = wait_for_copies(sandbox, BERNARD, message_id)
    assert len(received) == 1 and parse(received[0])["Subject"] == subject
    rows = psc_martin.audit_rows()
    logins = [r for r in rows if r["Action"] == "connexion"]
    assert logins and logins[-1]["Résultat"] == "succès"
    assert logins[-1]["Identifiant national"] == MARTIN.national_id
    sends = [r for r in rows if r["Action"] == "envoi"]
    assert len(sends) == 1
    assert sends[0]["Résultat"] == "succès" and sends[0]["Nombre de destinataires"] == "1"
    assert sends[0]["Domaines des destinataires"] == world.PRACTICE_CROIX_ROUSSE
    export = psc_martin.ok("audit", "export")
    for forbidden in (subject, "Dupont", "Bonjour", "body.txt", BERNARD.login):
        assert forbidden not in export


def test_refused_psc_login_is_audited_and_nothing_is_sent(
    sandbox: dict[str, Any], psc_martin: Profile, tmp_path: Path
) -> None:
    with Phone(sandbox, MARTIN.login, action="refuse") as phone:
        code, _out, err = psc_martin.cli("send", "--from", MARTIN.login, "--to", BERNARD.login,
                                         "--subject", "Refusé", "--body-file",
                                         body_file(tmp_path))
    assert phone.acted and code == 1, err
    rows = psc_martin.audit_rows()
    failed = [r for r in rows if r["Action"] == "connexion" and r["Résultat"] == "échec"]
    assert failed and failed[-1]["Erreur"] == "authentification refusée"
    assert [i["state"] for i in psc_martin.outbox()] == ["cancelled"]


# --- 3. receipts -----------------------------------------------------------------------------


def test_lab_answers_a_read_receipt_and_martin_sees_processed(
    sandbox: dict[str, Any], tmp_path: Path
) -> None:
    """ECO.3.1.6 / ANS MDN profile: an APP box answers automatically; the MDN is linked back to
    the sent message and its recipient."""
    martin = password_profile(tmp_path / "martin", sandbox, MARTIN)
    lab = lab_profile(tmp_path / "lab", sandbox)
    code, out, err = martin.cli("send", "--from", MARTIN.login, "--to", LAB.address,
                                "--subject", "Demande de bilan", "--body-file",
                                body_file(tmp_path), "--request-mdn", "--json")
    assert code == 0, err
    message_id = sent_message_id(out)
    lab.ok("sync")  # certificate login (SASL EXTERNAL); the MDN is queued then sent
    mdn_items = [i for i in lab.outbox() if i["recipients"][0]["address"] == MARTIN.login]
    assert mdn_items and mdn_items[-1]["state"] == "filed"
    deadline = time.monotonic() + 20
    status = None
    while time.monotonic() < deadline:
        martin.ok("sync")
        item = next(i for i in martin.outbox() if i["message_id"] == message_id)
        status = item["recipients"][0]["receipt"]
        if status == "processed":
            break
        time.sleep(0.5)
    assert status == "processed"
    # The MDN itself, as Martin received it: automatic, ANS profile.
    mdn = parse(copies(sandbox, MARTIN, mdn_items[-1]["message_id"])[0])
    assert mdn["Content-Type"].startswith("multipart/report")
    assert "disposition-notification" in mdn["Content-Type"]


def test_a_failure_dsn_is_linked_to_its_recipient(
    sandbox: dict[str, Any], tmp_path: Path
) -> None:
    """ECO.2.3.1: a DSN reporting a failure for one recipient (delivered by LMTP, as a remote
    MTA would send it) marks that recipient failed; the other one gets its success DSN."""
    martin = password_profile(tmp_path / "martin", sandbox, MARTIN)
    code, out, err = martin.cli("send", "--from", MARTIN.login, "--to", BERNARD.login,
                                "--cc", world.NURSE_PETIT.login, "--subject", "Réunion",
                                "--body-file", body_file(tmp_path), "--json")
    assert code == 0, err
    message_id = sent_message_id(out)
    dsn = _failure_dsn(message_id, world.NURSE_PETIT.login)
    _lmtp(sandbox, f"MAILER-DAEMON@{world.HOSPITAL}", MARTIN.login, dsn)
    deadline = time.monotonic() + 20
    statuses: dict[str, Any] = {}
    while time.monotonic() < deadline:
        martin.ok("sync")
        item = next(i for i in martin.outbox() if i["message_id"] == message_id)
        statuses = {r["address"]: r for r in item["recipients"]}
        if statuses[world.NURSE_PETIT.login]["receipt"] == "failed" and \
                statuses[BERNARD.login]["receipt"] == "delivered":
            break
        time.sleep(0.5)
    petit = statuses[world.NURSE_PETIT.login]
    assert (petit["receipt"], petit["receipt_status_code"]) == ("failed", "5.2.1")
    # Postfix's own success DSN (NOTIFY=SUCCESS was asked at submission).
    assert statuses[BERNARD.login]["receipt"] == "delivered"


def _failure_dsn(original_id: str, recipient: str) -> bytes:
    boundary = "dsn-boundary-1"
    lines = [
        f"From: Mail Delivery System <MAILER-DAEMON@{world.HOSPITAL}>",
        f"To: {MARTIN.login}",
        "Subject: Undelivered Mail Returned to Sender",
        f"Date: {email.utils.formatdate()}",
        f"Message-ID: {email.utils.make_msgid(domain=world.HOSPITAL)}",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
        "",
        f"--{boundary}",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        "Your message could not be delivered: mailbox disabled.",
        f"--{boundary}",
        "Content-Type: message/delivery-status",
        "",
        f"Reporting-MTA: dns; smtp.{world.HOSPITAL}",
        f"X-Original-Message-ID: {original_id}",
        "",
        f"Final-Recipient: rfc822; {recipient}",
        f"Original-Recipient: rfc822;{recipient}",
        "Action: failed",
        "Status: 5.2.1",
        "Diagnostic-Code: smtp; 550 5.2.1 mailbox disabled",
        "",
        f"--{boundary}",
        "Content-Type: text/rfc822-headers",
        "",
        f"Message-ID: {original_id}",
        f"From: {MARTIN.login}",
        "",
        f"--{boundary}--",
        "",
    ]
    return "\r\n".join(lines).encode("ascii")


def _lmtp(sandbox: dict[str, Any], sender: str, rcpt: str, data: bytes) -> None:
    with smtplib.LMTP(sandbox["lmtp"]["host"], int(sandbox["lmtp"]["port"]), timeout=10) as lmtp:
        lmtp.sendmail(sender, [rcpt], data)


# --- 4. patient conversations ----------------------------------------------------------------


def test_patient_conversation_reply_close_and_bounce(
    sandbox: dict[str, Any], tmp_path: Path
) -> None:
    """Spec §5, ECO.2.2.6, ECO.2.2.8: the professional opens, the patient's reply attaches, the
    closing message carries X-MSS-MES: FIN; a Mon espace santé bounce blocks the next message."""
    from app.composition import open_profile
    from app.domain.conversation import ConversationState
    from app.store.conversation_store import ConversationStore

    martin = password_profile(tmp_path / "martin", sandbox, MARTIN)
    code, out, err = martin.cli("send", "--from", MARTIN.login, "--to", PATIENT.address,
                                "--subject", "Vos résultats", "--body-file",
                                body_file(tmp_path), "--json")
    assert code == 0, err
    first_id = sent_message_id(out)
    reply = _patient_reply(PATIENT.address, first_id)
    _lmtp(sandbox, PATIENT.address, MARTIN.login, reply)
    martin.ok("sync")
    code, out, err = martin.cli("send", "--from", MARTIN.login, "--to", PATIENT.address,
                                "--subject", "Fin du suivi", "--body-file", body_file(tmp_path),
                                "--end-conversation", "--json")
    assert code == 0, err
    closing_id = sent_message_id(out)
    with open_profile(martin.directory, key_file=martin.key) as profile:
        conversation = ConversationStore(database=profile.database).find_by_message_ids(
            MARTIN.login, (first_id,)
        )
    assert conversation is not None
    assert conversation.state is ConversationState.CLOSED
    assert reply_id(reply) in conversation.message_ids and closing_id in conversation.message_ids

    # A second patient: the first message bounces at Mon espace santé (account closed).
    code, out, err = martin.cli("send", "--from", MARTIN.login, "--to",
                                BOUNCING_PATIENT.address, "--subject", "Rendez-vous",
                                "--body-file", body_file(tmp_path), "--json")
    assert code == 0, err
    bounce = _mes_bounce(sent_message_id(out), BOUNCING_PATIENT.address)
    _lmtp(sandbox, "", MARTIN.login, bounce)
    martin.ok("sync")
    code, _out, err = martin.cli("send", "--from", MARTIN.login, "--to",
                                 BOUNCING_PATIENT.address, "--subject", "Relance",
                                 "--body-file", body_file(tmp_path))
    assert code == 1
    assert "Envoi impossible : la messagerie Mon espace santé de ce patient est fermée" in err


def _patient_reply(patient: str, original_id: str) -> bytes:
    lines = [
        f"From: {patient}",
        f"To: {MARTIN.login}",
        "Subject: Re: Vos résultats".encode("ascii", "replace").decode(),
        f"Date: {email.utils.formatdate()}",
        f"Message-ID: <reponse.{int(time.time() * 1000)}@{world.PATIENT_DOMAIN}>",
        f"In-Reply-To: {original_id}",
        f"References: {original_id}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Merci docteur.",
        "",
    ]
    return "\r\n".join(lines).encode("utf-8")


def reply_id(raw: bytes) -> str:
    for line in raw.decode("utf-8").split("\r\n"):
        if line.startswith("Message-ID: "):
            return line.split(": ", 1)[1]
    raise AssertionError("no Message-ID")


def _mes_bounce(original_id: str, recipient: str) -> bytes:
    boundary = "mes-bounce"
    lines = [
        f"From: Mon espace sante <mailer-daemon@{world.PATIENT_DOMAIN}>",
        f"To: {MARTIN.login}",
        "Subject: Undelivered Mail Returned to Sender",
        f"Date: {email.utils.formatdate()}",
        f"Message-ID: <bounce.{int(time.time() * 1000)}@{world.PATIENT_DOMAIN}>",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
        "",
        f"--{boundary}",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        "The patient's mailbox is closed.",
        f"--{boundary}",
        "Content-Type: message/delivery-status",
        "",
        f"Reporting-MTA: dns; mx.{world.PATIENT_DOMAIN}",
        f"X-Original-Message-ID: {original_id}",
        "",
        f"Final-Recipient: rfc822; {recipient}",
        "Action: failed",
        "Status: 5.2.1",
        "Diagnostic-Code: smtp; 550 5.2.1 messagerie fermee",
        "",
        f"--{boundary}--",
        "",
    ]
    return "\r\n".join(lines).encode("ascii")
