"""End to end through Pro Santé Connect (issue #7, item 9; ECO.1.2.1): the real main window over
an encrypted profile whose only account is Dr Martin's, set up for PSC (CIBA, then SASL XOAUTH2).

The window opens the login dialog by itself; the test acts as the user (e-CPS channel, "Se
connecter"), reads the two-digit binding code *from the dialog* and plays the professional's phone
through the sandbox provider's control API. Then: the sync over XOAUTH2 against the real Dovecot,
the inbox, the lab's XDM message and its CDA, a message to Dr Bernard through the real Postfix
submission (XOAUTH2 too), received exactly once in her INBOX, and the audit trail.

Cancelling the dialog starts no sync and stores nothing; a refusal on the phone shows the French
refusal in the dialog.

Everything runs on qasync's loop, as in ``ui.main`` (the dialog's CIBA task and the PSC session
live there, the sync threads wait on it for tokens): the scenarios are coroutines, and their
waits are ``until()`` polls under one ``asyncio.wait_for`` guard — a failure guard only, no test
measures time.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import ssl
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import qasync
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.composition import Profile, open_profile
from app.domain.account import Account, AuthMethod, Endpoint, MailboxKind, TlsMode
from app.domain.audit import AuditAction, AuditFailure, AuditOutcome
from app.events import Event
from app.services.auth_events import LoginCancelled
from app.services.credentials import PscAccountSettings
from app.store.outbox_store import OutboxItem
from tests.integration.psc_helpers import Control
from tests.integration.sync_helpers import imap_as
from tests.sandbox import demo_world as world
from tests.ui.test_composer import whitelist_xml
from tests.ui.test_end_to_end import _row_with, _select_account
from ui.bridge import EventBridge
from ui.dialogs.login_dialog import LoginDialog, Page
from ui.models.message_list_model import Roles as ListRoles
from ui.widgets.preview import CdaPreview, XdmPreview
from ui.windows.main_window import MainWindow

pytestmark = pytest.mark.sandbox

MARTIN = world.DR_MARTIN
BERNARD = world.DR_BERNARD
GUARD_S = 120  # failure guard of a whole scenario, never a measurement
T = TypeVar("T")


# --- fixtures -------------------------------------------------------------------------------------

@pytest.fixture
def control(sandbox: dict[str, Any]) -> Iterator[Control]:
    """The sandbox provider's control API: the professional's phone (as tests/integration)."""
    with httpx.Client(verify=ssl.create_default_context(cafile=sandbox["ca_file"]),
                      timeout=10) as http:
        yield Control(http, sandbox["oidc"])


def psc_account(sandbox: dict[str, Any], person: world.Person) -> Account:
    imap, smtp = sandbox["imaps"], sandbox["submission"]
    return Account(
        address=person.login, kind=MailboxKind.PER, login=person.login,
        display_name=person.display_name,
        imap=Endpoint(imap["host"], int(imap["port"]), TlsMode(imap["tls"])),
        smtp=Endpoint(smtp["host"], int(smtp["port"]), TlsMode(smtp["tls"])),
        auth=AuthMethod.PSC, ca_file=sandbox["ca_file"], national_id=person.national_id,
    )


@pytest.fixture
def profile(tmp_path: Path, sandbox: dict[str, Any]) -> Iterator[Profile]:
    """An encrypted key-file profile with Dr Martin's PSC account (no password: the CIBA client's
    settings and secret only, as ``estafette account add --auth psc`` stores them)."""
    profile: Profile = open_profile(tmp_path / "profile", key_file=tmp_path / "key")
    account = psc_account(sandbox, MARTIN)
    profile.accounts.add(account)
    client = sandbox["oidc"]["clients"]["ciba"]
    profile.credentials.save_psc_settings(
        account, PscAccountSettings(issuer=sandbox["oidc"]["issuer"],
                                    client_id=client["client_id"]), client["client_secret"])
    xml = whitelist_xml(*world.WHITELISTED_DOMAINS)
    profile.whitelist.refresh_from_bytes(xml, hashlib.sha256(xml).hexdigest(), source="test")
    yield profile
    profile.close()


# --- helpers --------------------------------------------------------------------------------------

def run(loop: qasync.QEventLoop, scenario: Callable[[], Awaitable[T]]) -> T:
    return loop.run_until_complete(asyncio.wait_for(scenario(), timeout=GUARD_S))


def run_then_close(loop: qasync.QEventLoop, scenario: Callable[[], Awaitable[None]],
                   state: dict[str, Any], bridge: Any) -> None:
    """``run`` the scenario; whatever happens, close the window it opened and the bridge."""
    try:
        run(loop, scenario)
    finally:
        window = state.get("window")
        if window is not None:
            window.close()
        bridge.close()


async def until(condition: Callable[[], object]) -> None:
    while not condition():
        await asyncio.sleep(0.02)


def secret_names(profile: Profile) -> dict[str, str]:
    """Every secret of the key-file profile (they live in its encrypted database)."""
    return {str(name): str(value)
            for name, value in profile.database.query("SELECT name, value FROM secret")}


def open_window(qtbot: QtBot, profile: Profile, bridge: EventBridge,
                loop: qasync.QEventLoop) -> MainWindow:
    window = MainWindow(profile.accounts.list(), profile=profile, bridge=bridge,
                        undo_seconds=0.2, loop=loop, use_tray=False)
    qtbot.addWidget(window)
    window.show()
    return window


def login_dialog(window: MainWindow) -> LoginDialog | None:
    dialog = getattr(window, "login_dialog", None)
    return dialog if isinstance(dialog, LoginDialog) and dialog.isVisible() else None


async def start_mobile_login(qtbot: QtBot, window: MainWindow) -> tuple[LoginDialog, str]:
    """As the user: the window asked for a PSC login by itself; choose the e-CPS app, give the
    national id if the field is empty, "Se connecter"; return the binding code the dialog shows."""
    await until(lambda: login_dialog(window) is not None)
    dialog = login_dialog(window)
    assert dialog is not None
    assert dialog.pages.currentIndex() == Page.CHOOSE
    qtbot.mouseClick(dialog.mobile_radio, Qt.MouseButton.LeftButton)
    assert dialog.mobile_radio.isChecked()
    if not dialog.id_edit.text():
        qtbot.keyClicks(dialog.id_edit, MARTIN.rpps)
    assert dialog.id_edit.text() in {MARTIN.national_id, MARTIN.rpps}
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    await until(lambda: dialog.binding_code)
    assert dialog.pages.currentIndex() == Page.WAIT
    assert dialog.code_label.text() == "Code de vérification :"
    assert "e-CPS" in dialog.wait_label.text()
    code = dialog.binding_code
    assert re.fullmatch(r"\d\d", code), code
    return dialog, code


def log_lines(sandbox: dict[str, Any], name: str, start: int) -> list[str]:
    path = Path(sandbox["base_dir"]) / "logs" / f"{name}.log"
    with path.open("rb") as log:
        log.seek(start)
        return log.read().decode("utf-8", "replace").splitlines()


def log_size(sandbox: dict[str, Any], name: str) -> int:
    path = Path(sandbox["base_dir"]) / "logs" / f"{name}.log"
    return path.stat().st_size if path.exists() else 0


def inbox_copies(sandbox: dict[str, Any], person: world.Person, message_id: str) -> int:
    client = imap_as(sandbox, person)
    try:
        client.select_folder("INBOX", readonly=True)
        return len(client.search(["HEADER", "Message-ID", message_id]))
    finally:
        client.logout()


# --- 1. log in with PSC, sync, read, preview, send, receive ---------------------------------------

def test_psc_login_sync_open_preview_send_receive(
        qtbot: QtBot, loop: qasync.QEventLoop, profile: Profile, sandbox: dict[str, Any],
        control: Control) -> None:
    """ECO.1.2.1: CIBA on the e-CPS app, then XOAUTH2 on IMAP and SMTP; ECO.1.2.5: no token or
    password stored; ECO.4.1.1: login and send traced for the person, without content."""
    account = profile.accounts.get(MARTIN.login)
    assert account.auth is AuthMethod.PSC
    assert profile.accounts.password(account) is None
    dovecot_from, postfix_from = log_size(sandbox, "dovecot"), log_size(sandbox, "postfix")
    bridge = EventBridge(profile.events)
    state: dict[str, Any] = {}

    async def scenario() -> None:
        window = open_window(qtbot, profile, bridge, loop)
        state["window"] = window
        # Log in: the window opens the PSC dialog by itself (no session, nothing synced yet).
        dialog, code = await start_mobile_login(qtbot, window)
        auth: Any = dialog._auth
        assert not window._synced
        assert not profile.credentials.has_session(account)
        request = control.approve(MARTIN.login, code)  # the phone shows the same code: approve
        assert request["channel"] == "MOBILE" and request["login_hint"] == MARTIN.national_id
        await until(lambda: dialog.outcome == "approved")
        assert dialog.outcome_title.text() == "Connexion approuvée"
        assert "Jean Martin" in dialog.outcome_text.text()
        state["session"] = dialog.session
        assert profile.credentials.has_session(account)

        # The session's token is a real one for Dr Martin (introspection, as Dovecot asks).
        token = await dialog.session.access_token()
        state["tokens"] = {token}
        introspected = control.introspect(token)
        assert introspected["active"] and introspected["sub"] == MARTIN.login

        # Sync: over XOAUTH2 (the session's token), then the inbox lists the seeded messages.
        await until(lambda: MARTIN.login in window._synced)
        _select_account(window, MARTIN.login)
        await until(lambda: window.current_folder_id() is not None)
        await until(lambda: _row_with(window, "biologiques DURAND", "Bioval") is not None)
        model = window.message_model
        assert model is not None and model.rowCount() >= 5

        # Open the lab's structured message: the reader, the IHE_XDM.ZIP attachment.
        row = _row_with(window, "biologiques DURAND", "Bioval")
        assert row is not None and model.index(row, 0).data(ListRoles.IS_XDM)
        message_id = model.index(row, 0).data(ListRoles.MESSAGE_ID)
        shown: list[int] = []
        window.message_shown.connect(shown.append)
        window.message_list.table.selectRow(row)  # type: ignore[union-attr]
        await until(lambda: message_id in shown)
        assert "Laboratoire Bioval" in window.reader.body.toPlainText()

        # Preview its package (the patient) and the CDA inside, in the window's preview pane.
        position = next(i for i, a in enumerate(window.attachments())
                        if (a.name or "").upper() == "IHE_XDM.ZIP")
        previews: list[Any] = []
        window.preview_opened.connect(previews.append)
        window.preview_attachment(position)
        await until(lambda: previews)
        preview = previews[0]
        assert isinstance(preview, XdmPreview)
        await until(lambda: preview.result is not None)
        assert "DURAND" in preview.patient_label.text().upper()
        await until(lambda: isinstance(preview.document_preview, CdaPreview))
        cda = preview.document_preview
        assert isinstance(cda, CdaPreview)
        await until(lambda: not cda.is_loading())
        assert cda.error is None and "DURAND" in cda.browser.toPlainText().upper()
        assert window.preview_panel.isVisible() and window.preview_panel.preview is preview
        window.close_preview()

        # Compose to Dr Bernard and send (the undo window is shortened).
        subject = f"PSC bout en bout {uuid.uuid4().hex[:8]}"
        state["subject"] = subject
        composers: list[Any] = []
        window.composer_opened.connect(composers.append)
        window.new_message_action.trigger()
        await until(lambda: composers)
        composer = composers[0]
        await until(lambda: composer.from_account() is not None)
        assert composer.from_account()[0] == MARTIN.login
        composer.to_field.add_addresses([BERNARD.login])
        composer.subject_edit.setText(subject)
        composer.body_edit.setPlainText("Bonjour Claire,\n\nEnvoyé après connexion PSC.\n")
        await until(lambda: not composer._runner.busy)
        queued: list[int] = []
        composer.queued.connect(queued.append)
        composer.send()
        await until(lambda: queued)

        # Through the real submission, on the window's loop (the token lives there).
        def item() -> OutboxItem:
            return next(i for i in profile.outbox.items() if i.id == queued[0])

        await until(lambda: item().state.value in {"submitted", "filed", "failed"})
        sent = item()
        assert sent.state.value != "failed", sent.last_error
        state["sent"] = sent
        # Dr Bernard receives it exactly once (IMAP as her, on the server).
        found = await asyncio.to_thread(inbox_copies, sandbox, BERNARD, sent.message_id)
        while not found:
            await asyncio.sleep(0.2)
            found = await asyncio.to_thread(inbox_copies, sandbox, BERNARD, sent.message_id)
        await until(lambda: item().state.value == "filed")  # the copy in Sent is done too
        state["copies"] = await asyncio.to_thread(inbox_copies, sandbox, BERNARD,
                                                  sent.message_id)
        # The PSC session may have renewed its token meanwhile: remember the current one.
        state["tokens"].add(await dialog.session.access_token())
        window.close()
        await until(lambda: window._closing)
        await auth.aclose()  # the application's exit: the session's tokens dropped

    run_then_close(loop, scenario, state, bridge)

    sent: OutboxItem = state["sent"]
    assert state["copies"] == 1

    # The servers saw token logins: Dovecot's login line, Postfix's line for this very message.
    dovecot = log_lines(sandbox, "dovecot", dovecot_from)
    assert any(f"user=<{MARTIN.login}>, method=XOAUTH2" in line for line in dovecot), dovecot[-20:]
    postfix = log_lines(sandbox, "postfix", postfix_from)
    assert sent.queue_id
    submitted = [line for line in postfix if f"{sent.queue_id}: client=" in line]
    assert len(submitted) == 1, postfix[-20:]
    assert f"sasl_method=XOAUTH2, sasl_username={MARTIN.login}" in submitted[0]

    # Nothing of the session on disk or in the secrets; no password for the account.
    secrets = secret_names(profile)
    assert list(secrets) == [f"psc-client-secret:{MARTIN.login}:{MARTIN.login}"]
    session = state["session"]
    tokens = set(state["tokens"])
    stored = getattr(session, "_tokens", None)
    if stored is not None:
        tokens |= {t for t in (stored.refresh_token, stored.id_token) if t}
    for value in secrets.values():
        assert not any(t in value for t in tokens)
    assert profile.accounts.password(account) is None

    # The audit trail: the PSC login and the send, for the person by name, never the subject.
    entries = profile.audit.entries(mailbox=MARTIN.login)
    logins = [e for e in entries if e.action is AuditAction.LOGIN
              and e.outcome is AuditOutcome.SUCCESS]
    assert logins
    assert any(e.request == "AUTHENTICATE XOAUTH2" and e.response == "OK" for e in logins)
    sends = [e for e in entries if e.action is AuditAction.SEND]
    assert len(sends) == 1 and sends[0].outcome is AuditOutcome.SUCCESS
    assert sends[0].recipient_count == 1
    assert sends[0].recipient_domains == (world.PRACTICE_CROIX_ROUSSE,)
    for entry in logins + sends:
        assert entry.actor.login == MARTIN.login
        assert entry.actor.national_id == MARTIN.national_id
    subject = state["subject"]
    for entry in entries:
        assert subject not in repr(entry) and BERNARD.login not in repr(entry)


# --- 2. cancelled, then refused ---------------------------------------------------------------

def test_psc_login_cancelled_then_refused(
        qtbot: QtBot, loop: qasync.QEventLoop, profile: Profile, sandbox: dict[str, Any],
        control: Control) -> None:
    """Cancel while the code is shown: the CIBA request is abandoned, no sync, no session, a
    clear state in the status bar. Then "Synchroniser" asks again, and a refusal on the phone
    shows the French refusal in the dialog (and still no sync)."""
    account = profile.accounts.get(MARTIN.login)
    bridge = EventBridge(profile.events)
    events: list[Event] = []
    profile.events.subscribe(Event, events.append)
    state: dict[str, Any] = {}
    secrets_before = secret_names(profile)

    async def scenario() -> None:
        window = open_window(qtbot, profile, bridge, loop)
        state["window"] = window

        # 1. The user cancels while the binding code is shown.
        dialog, _code = await start_mobile_login(qtbot, window)
        # Asking to sync again meanwhile (F5) does not open a second login.
        window.sync_action.trigger()
        assert [d for d in window.findChildren(LoginDialog) if d.isVisible()] == [dialog]
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        await until(lambda: any(isinstance(e, LoginCancelled) for e in events))
        await until(lambda: dialog.pages.currentIndex() == Page.CHOOSE)
        assert dialog.session is None and dialog.outcome == ""
        qtbot.mouseClick(dialog.findChild(type(dialog.start_button), "closeLoginButton"),
                         Qt.MouseButton.LeftButton)
        await until(lambda: login_dialog(window) is None)
        await asyncio.sleep(0.3)  # let anything wrongly scheduled show up (not a measurement)
        assert not window._synced and not window._syncing
        assert not profile.credentials.has_session(account)
        assert MARTIN.login not in window._watches
        assert window.status.connection_state(MARTIN.login) == "disconnected"
        status = window.status.sync_label.text()
        assert MARTIN.login in status and "Pro Santé Connect" in status, status
        assert window.status.connection_label.text() != "● Connecté"

        # 2. "Synchroniser" asks for the login again; the professional refuses on the phone.
        window.sync_action.trigger()
        dialog, code = await start_mobile_login(qtbot, window)
        control.act(MARTIN.login, code, "refuse")
        await until(lambda: dialog.outcome == "refused")
        assert dialog.pages.currentIndex() == Page.OUTCOME
        assert dialog.outcome_title.text() == "Connexion refusée"
        assert dialog.outcome_text.text() == "La demande de connexion a été refusée."
        assert dialog.retry_button.isVisible()
        qtbot.mouseClick(dialog.done_button, Qt.MouseButton.LeftButton)
        await until(lambda: login_dialog(window) is None)
        assert not window._synced and not window._syncing
        assert not profile.credentials.has_session(account)
        window.close()

    run_then_close(loop, scenario, state, bridge)

    # No session material was stored; nothing logged in nor synced for the account.
    assert secret_names(profile) == secrets_before
    entries = profile.audit.entries(mailbox=MARTIN.login)
    assert not [e for e in entries if e.outcome is AuditOutcome.SUCCESS
                and e.action in {AuditAction.LOGIN, AuditAction.SYNC}]
    # Both tries are traced for the person (ECO.4.1.1: failures too): cancelled, then refused.
    logins = [e for e in entries if e.action is AuditAction.LOGIN]
    assert [e.failure for e in logins] == [AuditFailure.CANCELLED, AuditFailure.AUTHENTICATION]
    for entry in logins:
        assert entry.outcome is not AuditOutcome.SUCCESS
        assert entry.actor.login == MARTIN.login
        assert entry.actor.national_id == MARTIN.national_id
