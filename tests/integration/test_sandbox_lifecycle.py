"""The sandbox's own contract: `up` is idempotent, `down` leaves no process and no listening port,
and a server that cannot start is named with its log while everything already started is stopped.

These tests start their own sandboxes (not the session fixture) because they stop and break them.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sandbox import orchestrator
from tests.sandbox.common import HOST, SandboxError, pid_alive

pytestmark = pytest.mark.sandbox


@pytest.fixture
def base() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="estafette-lifecycle-"))
    try:
        yield path
    finally:
        orchestrator.down(path)


def _ports(endpoints: dict[str, Any]) -> list[int]:
    ports = []
    for key in ("imap", "imaps", "submission", "lmtp"):
        ports.append(int(endpoints[key]["port"]))
    for uri in (endpoints["ldap"]["uri"], endpoints["ldap"]["ldaps_uri"]):
        ports.append(int(uri.rstrip("/").rsplit(":", 1)[1]))
    for url in (endpoints["oidc"]["issuer"], endpoints["whitelist_url"],
                endpoints["fhir"]["base_url"]):
        ports.append(int(url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1]))
    return ports


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def _recorded_pids(base: Path) -> list[int]:
    return [int(p.read_text()) for p in (base / "pids").glob("*.pid")]


def test_up_is_idempotent_and_down_leaves_nothing_behind(base: Path) -> None:
    endpoints = orchestrator.up(base, seed=False)
    assert (base / "endpoints.json").is_file()
    pids = _recorded_pids(base)
    ports = _ports(endpoints)
    assert pids and all(pid_alive(pid) for pid in pids)
    assert all(_listening(port) for port in ports)

    again = orchestrator.up(base, seed=False)  # already running: the same servers, untouched
    assert again["imap"] == endpoints["imap"]
    assert sorted(_recorded_pids(base)) == sorted(pids)
    assert orchestrator.status(base)["running"] is True

    # Every process of the sandbox, including daemons' children (Postfix's master detaches).
    family = _descendants(pids)
    orchestrator.down(base)
    assert [pid for pid in family if pid_alive(pid)] == []
    assert [port for port in ports if _listening(port)] == []
    assert orchestrator.status(base)["running"] is False
    assert not (base / "endpoints.json").exists()


def test_up_after_down_in_the_same_directory_works(base: Path) -> None:
    orchestrator.up(base, seed=False)
    orchestrator.down(base)
    endpoints = orchestrator.up(base, seed=False)
    assert all(_listening(port) for port in _ports(endpoints))


def test_a_server_that_cannot_start_is_named_and_the_others_are_stopped(
        base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Postfix's start command is replaced by one that fails the way a broken daemon does (a
    fatal line, exit 1) — a real Postfix will not fail on demand. The error names the server and
    carries its log, and the servers started before it (OIDC provider, Dovecot) are stopped."""
    from tests.sandbox import common

    real_spawn = common.SandboxContext.spawn

    def spawn(self: common.SandboxContext, name: str, argv: Any, **kwargs: Any) -> Any:
        if name == "postfix":
            argv = ["sh", "-c", "echo 'postfix/master: fatal: simulated start failure'; exit 1"]
        return real_spawn(self, name, argv, **kwargs)

    monkeypatch.setattr(common.SandboxContext, "spawn", spawn)
    with pytest.raises(SandboxError) as failure:
        orchestrator.up(base, seed=False)
    message = str(failure.value)
    assert message.startswith("postfix")
    assert "simulated start failure" in message  # the log tail
    assert _recorded_pids(base) == []
    assert _processes_mentioning(base) == []


def _descendants(pids: list[int]) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = set(pids), list(pids)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return sorted(found)


def _processes_mentioning(base: Path) -> list[str]:
    """Command lines of live processes that refer to the sandbox directory."""
    hits = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or not pid_alive(int(entry)):
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as cmd:
                line = cmd.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(base) in line:
            hits.append(f"{entry}: {line}")
    return hits


def test_endpoints_json_has_the_documented_shape(sandbox: dict[str, Any]) -> None:
    """The fields issue 2 promises to every other test and tool."""
    data = json.loads((Path(sandbox["base_dir"]) / "endpoints.json").read_text())
    assert Path(data["ca_file"]).is_file()
    for key in ("imap", "imaps", "submission"):
        assert set(data[key]) >= {"host", "port", "tls"} and data[key]["host"] == HOST
    assert data["imap"]["tls"] == "starttls" and data["imaps"]["tls"] == "implicit"
    assert set(data["lmtp"]) >= {"host", "port"}
    assert set(data["ldap"]) >= {"uri", "ldaps_uri", "base_dn", "bind_dn", "bind_password"}
    assert set(data["oidc"]) >= {"issuer", "clients"}
    assert data["whitelist_url"].startswith("https://")
    assert set(data["softhsm"]) >= {"module", "conf", "token_label", "pin"}
    kinds = {a["kind"] for a in data["accounts"]}
    assert kinds == {"PER", "ORG", "APP"}
    for account in data["accounts"]:
        assert set(account) >= {"address", "kind", "login", "password", "national_id",
                                "certificate"}
        assert account["address"].endswith(".mssante.fr")
    app_box = next(a for a in data["accounts"] if a["kind"] == "APP")
    assert app_box["password"] is None and Path(app_box["certificate"]).is_file()
    assert data["started_in_seconds"] > 0
