"""``python -m tests.sandbox up|down|status --dir DIR``: the local sandbox of real servers."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .common import SandboxError
from .orchestrator import ENDPOINTS, down, status, up


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.sandbox")
    parser.add_argument("command", choices=("up", "down", "status"))
    parser.add_argument("--dir", required=True, type=Path, help="where all sandbox state lives")
    parser.add_argument("--no-seed", action="store_true", help="do not deliver the demo messages")
    args = parser.parse_args(argv)
    if args.command == "up":
        try:
            endpoints = up(args.dir, seed=not args.no_seed)
        except SandboxError as exc:
            print(f"sandbox: {exc}", file=sys.stderr)
            return 1
        print(f"sandbox up in {endpoints.get('started_in_seconds', 0)} s: "
              f"{args.dir.resolve() / ENDPOINTS}")
        return 0
    if args.command == "down":
        down(args.dir)
        print("sandbox down")
        return 0
    print(json.dumps(status(args.dir), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
