"""Sandbox plumbing: ports, processes, logs, and failures that say which server and why."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"


class SandboxError(RuntimeError):
    """A server of the sandbox could not be set up or started; the message names it and says why."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def log_tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


@dataclass
class SandboxContext:
    """What every server module receives: where its state goes, the PKI, ports, process spawning.

    Every server keeps its files under ``base / <name>``, its log in ``base / logs / <name>.log``
    and its PID in ``base / pids / <name>.pid`` (the process leads its own process group, so
    ``down`` can stop it and its children together).
    """

    base: Path
    ports: dict[str, int] = field(default_factory=dict)
    # Filled by tests.sandbox.pki.create(): paths as strings.
    pki: dict[str, str] = field(default_factory=dict)
    # Endpoint fragments published by the servers started so far (what endpoints.json will hold).
    endpoints: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for sub in ("logs", "pids"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)

    def dir(self, name: str) -> Path:
        path = self.base / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def port(self, name: str) -> int:
        """The port named ``name`` (allocated once, then stable for this run)."""
        if name not in self.ports:
            self.ports[name] = free_port()
        return self.ports[name]

    def log_path(self, name: str) -> Path:
        return self.base / "logs" / f"{name}.log"

    def spawn(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start a long-running server in its own session, output to its log, PID recorded."""
        log = open(self.log_path(name), "ab")  # noqa: SIM115 - handed to the child
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        try:
            proc = subprocess.Popen(
                list(argv),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=cwd,
                env=full_env,
                start_new_session=True,
            )
        except OSError as exc:
            raise SandboxError(f"{name}: cannot start {argv[0]}: {exc}") from exc
        finally:
            log.close()
        (self.base / "pids" / f"{name}.pid").write_text(str(proc.pid))
        return proc

    def run(self, name: str, argv: Sequence[str], *, env: Mapping[str, str] | None = None,
            input: bytes | None = None, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
        """Run a set-up command to completion; failure raises SandboxError with its output."""
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        try:
            done = subprocess.run(list(argv), input=input, capture_output=True, env=full_env,
                                  timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SandboxError(f"{name}: {argv[0]} failed: {exc}") from exc
        with open(self.log_path(name), "ab") as log:
            log.write(b"$ " + " ".join(argv).encode() + b"\n" + done.stdout + done.stderr + b"\n")
        if done.returncode != 0:
            out = (done.stdout + done.stderr).decode(errors="replace").strip()[-2000:]
            raise SandboxError(f"{name}: {' '.join(argv[:2])} exited {done.returncode}: {out}")
        return done

    def wait_tcp(self, name: str, port: int, *, proc: subprocess.Popen[bytes] | None = None,
                 timeout: float = 30.0) -> None:
        """Wait until ``port`` accepts connections; raise with the server's log tail otherwise.

        A guard, not a speed check (servers listen within a second; ``make bench`` measures the
        start): on a loaded 2-core machine Node's start was once seen to take over 10 s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise SandboxError(
                    f"{name} exited with code {proc.returncode} before listening on {port}.\n"
                    f"--- {self.log_path(name)} ---\n{log_tail(self.log_path(name))}")
            try:
                with socket.create_connection((HOST, port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise SandboxError(f"{name} did not listen on {HOST}:{port} within {timeout:.0f} s.\n"
                           f"--- {self.log_path(name)} ---\n{log_tail(self.log_path(name))}")


def pid_files(base: Path) -> list[Path]:
    pids = base / "pids"
    return sorted(pids.glob("*.pid")) if pids.is_dir() else []


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours still answers kill(0); treat it as gone.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def stop_pid_file(path: Path, *, grace: float = 5.0) -> None:
    """Stop the process group recorded in ``path`` (TERM, then KILL) and remove the file."""
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        path.unlink(missing_ok=True)
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for target in (lambda s: os.killpg(pid, s), lambda s: os.kill(pid, s)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                target(sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and pid_alive(pid):
            time.sleep(0.05)
        if not pid_alive(pid):
            break
    path.unlink(missing_ok=True)


def write_json(path: Path, data: object) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False))
    tmp.replace(path)
