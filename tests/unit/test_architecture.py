"""The layering of ../shared/design/ARCHITECTURE.md, enforced: a wrong arrow fails the suite."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint_imports)], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_the_contracts_cover_the_required_rules() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contracts = {c["name"]: c for c in config["contracts"]}
    forbidden = next(c for c in contracts.values() if c["type"] == "forbidden")
    assert forbidden["source_modules"] == ["app"]
    assert {"PySide6", "ui"} <= set(forbidden["forbidden_modules"])
    layers = next(c for c in contracts.values() if c["type"] == "layers")["layers"]
    assert layers[-1] == "app.domain"
    assert layers.index("app.services") < layers.index("app.protocols | app.store")


def test_app_never_imports_qt_even_lazily() -> None:
    """import-linter sees module-level imports; this also catches imports inside functions."""
    offenders = []
    for path in (ROOT / "app").rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            stripped = line.strip()
            if stripped.startswith(("import PySide6", "from PySide6", "import ui", "from ui",
                                    "import qasync", "from qasync")):
                offenders.append(f"{path.relative_to(ROOT)}:{number}")
            if "importlib.import_module(\"ui" in stripped or "__import__(\"PySide6" in stripped:
                offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []
