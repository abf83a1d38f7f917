"""Start, stop and inspect the whole sandbox: every server under one directory, endpoints.json."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from . import demo_world
from .common import SandboxContext, SandboxError, pid_alive, pid_files, stop_pid_file, write_json

ENDPOINTS = "endpoints.json"


def status(base: Path) -> dict[str, Any]:
    """Which recorded servers are alive, and the endpoints if the sandbox is complete."""
    procs: dict[str, bool] = {}
    for pid_file in pid_files(base):
        try:
            procs[pid_file.stem] = pid_alive(int(pid_file.read_text().strip()))
        except (OSError, ValueError):
            procs[pid_file.stem] = False
    endpoints_path = base / ENDPOINTS
    running = bool(procs) and all(procs.values()) and endpoints_path.is_file()
    return {"running": running, "processes": procs,
            "endpoints": str(endpoints_path) if running else None}


def down(base: Path) -> None:
    """Stop every process recorded under ``base`` (by PID, process group first)."""
    for pid_file in pid_files(base):
        stop_pid_file(pid_file)
    (base / ENDPOINTS).unlink(missing_ok=True)


def _accounts(ctx: SandboxContext) -> list[dict[str, Any]]:
    accounts: list[dict[str, Any]] = []
    for box in demo_world.MAILBOXES:
        if box.kind == "PER" and box.owner is not None:
            accounts.append({"address": box.address, "kind": "PER", "login": box.owner.login,
                             "password": box.owner.password, "national_id": box.owner.national_id,
                             "certificate": None, "display_name": box.display_name})
        elif box.kind == "ORG":
            # One entry per member: the ORG box opened with that person's own login.
            for member in box.members:
                accounts.append({"address": box.address, "kind": "ORG", "login": member.login,
                                 "password": member.password,
                                 "national_id": member.national_id, "certificate": None,
                                 "display_name": box.display_name})
        elif box.kind == "APP":
            accounts.append({"address": box.address, "kind": "APP", "login": box.address,
                             "password": None, "national_id": None,
                             "certificate": ctx.pki.get("app_p12"),
                             "certificate_password": demo_world.LAB_CERTIFICATE_PASSWORD,
                             "display_name": box.display_name})
    return accounts


def up(base: Path, *, seed: bool = True) -> dict[str, Any]:
    """Start every server (idempotent: a running sandbox is left as is); write endpoints.json."""
    base = base.resolve()
    base.mkdir(parents=True, exist_ok=True)
    if status(base)["running"]:
        loaded: dict[str, Any] = json.loads((base / ENDPOINTS).read_text())
        return loaded
    down(base)  # leftovers of a half-started or crashed run
    # Imported here so that `status`/`down` work even where a server's tooling is missing.
    from . import (
        dovecot,
        fhir_server,
        oidc_provider,
        pki,
        postfix,
        seed_messages,
        slapd,
        softhsm,
        static_https,
    )

    started = time.monotonic()
    ctx = SandboxContext(base)
    try:
        timings: dict[str, float] = {}
        steps = (
            ("pki", pki.create),
            ("oidc", oidc_provider.start),  # first: Dovecot's oauth2 passdb introspects against it
            ("dovecot", dovecot.start),
            ("postfix", postfix.start),  # needs Dovecot's auth and LMTP listeners
            ("slapd", slapd.start),
            ("softhsm", softhsm.create),
            ("https", static_https.start),
            ("fhir", fhir_server.start),  # stand-in for the Annuaire Santé FHIR API
        )
        for name, step in steps:
            t0 = time.monotonic()
            step(ctx)
            timings[name] = round(time.monotonic() - t0, 2)
        endpoints: dict[str, Any] = {"ca_file": ctx.pki["ca_file"], **ctx.endpoints}
        endpoints["accounts"] = _accounts(ctx)
        endpoints["pki"] = ctx.pki
        endpoints["base_dir"] = str(base)
        if seed:
            t0 = time.monotonic()
            endpoints["seeded"] = seed_messages.deliver(ctx, endpoints)
            timings["seed"] = round(time.monotonic() - t0, 2)
        endpoints["timings"] = timings
        endpoints["started_in_seconds"] = round(time.monotonic() - started, 2)
        write_json(base / ENDPOINTS, endpoints)
        return endpoints
    except BaseException:
        down(base)
        raise


__all__ = ["ENDPOINTS", "SandboxError", "down", "status", "up"]
