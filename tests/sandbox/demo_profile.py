"""Create (idempotently) the demo profile that `make run` opens: sandbox accounts already set up.

It drives the real command line (``estafette account add``), as a user or an installer script would.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from .orchestrator import ENDPOINTS

# Which sandbox accounts a demo workstation holds: both GPs, the cardiology ORG box as opened by
# nurse Sophie Petit, and the lab's APP box.
DEMO_LOGINS = (
    "jean.martin@cabinet-rivoli.estafette-demo.mssante.fr",
    "claire.bernard@cabinet-croix-rousse.estafette-demo.mssante.fr",
    "sophie.petit@chu-lumiere.estafette-demo.mssante.fr",
    "resultats@labo-bioval.estafette-demo.mssante.fr",
)


def _estafette(profile: Path, *args: str, env: dict[str, str] | None = None) -> str:
    argv = [sys.executable, "-m", "app", "--profile", str(profile),
            "--key-file", str(profile) + ".key", *args]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False,
                          stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise SystemExit(f"demo profile: `estafette {' '.join(args[:2])}` failed: "
                         f"{done.stderr.strip()}")
    return done.stdout


def _forget_stale_profile(profile: Path, endpoints: dict[str, Any]) -> None:
    """Ports change with every `sandbox up`: a demo profile made for another run is rebuilt."""
    stamp = profile.with_name(profile.name + ".sandbox")
    current = json.dumps([endpoints["imap"], endpoints["submission"], endpoints["ca_file"]])
    if stamp.is_file() and stamp.read_text() == current:
        return
    shutil.rmtree(profile, ignore_errors=True)
    Path(str(profile) + ".key").unlink(missing_ok=True)
    stamp.write_text(current)


def create(sandbox_dir: Path, profile: Path) -> list[str]:
    endpoints: dict[str, Any] = json.loads((sandbox_dir / ENDPOINTS).read_text())
    _forget_stale_profile(profile, endpoints)
    existing = {(a["address"], a["login"])
                for a in json.loads(_estafette(profile, "account", "list", "--json"))}
    added: list[str] = []
    imap, smtp = endpoints["imap"], endpoints["submission"]
    for account in endpoints["accounts"]:
        key = (account["address"], account["login"])
        if account["login"] not in DEMO_LOGINS or key in existing:
            continue
        args = ["account", "add", "--address", account["address"], "--kind", account["kind"],
                "--imap", f"{imap['host']}:{imap['port']}", "--imap-tls", imap["tls"],
                "--smtp", f"{smtp['host']}:{smtp['port']}", "--smtp-tls", smtp["tls"],
                "--login", account["login"], "--ca-file", endpoints["ca_file"]]
        env = dict(os.environ)
        if account["kind"] == "APP":
            args += ["--auth", "certificate", "--certificate", account["certificate"]]
            env["ESTAFETTE_PASSWORD"] = account["certificate_password"]
        else:
            args += ["--auth", "password", "--national-id", account["national_id"]]
            env["ESTAFETTE_PASSWORD"] = account["password"]
        _estafette(profile, *args, env=env)
        added.append(f"{account['address']} ({account['login']})")
    return added


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.sandbox.demo_profile")
    parser.add_argument("--dir", required=True, type=Path, help="the running sandbox's directory")
    parser.add_argument("--profile", required=True, type=Path)
    args = parser.parse_args()
    added = create(args.dir.resolve(), args.profile.resolve())
    print(f"demo profile {args.profile}: " + (", ".join(added) if added else "up to date"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
