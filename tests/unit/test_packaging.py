"""The installable wheel carries what the program needs at run time: catalogues and migrations.

The wheel is built from a copy of the sources (offline: --no-build-isolation with the test
extras' setuptools and wheel), as a packager would, and then read back.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from ui import i18n

ROOT = i18n.PROJECT_ROOT


def _build_wheel(tmp_path: Path) -> zipfile.ZipFile:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.qm")
    for package in ("app", "ui"):
        shutil.copytree(ROOT / package, source / package, ignore=skip)
    # What `make setup` does before packaging: compile the committed .ts.
    i18n.compile_qm(i18n.ts_path("en"), i18n.qm_path("en", source / "ui" / "translations"))
    out = tmp_path / "dist"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    wheels = list(out.glob("estafette-*.whl"))
    assert len(wheels) == 1, wheels
    return zipfile.ZipFile(wheels[0])


def test_the_wheel_carries_the_english_catalogue_and_the_migrations(tmp_path: Path) -> None:
    with _build_wheel(tmp_path) as wheel:
        names = set(wheel.namelist())
        assert "ui/translations/estafette_en.qm" in names
        compiled = (tmp_path / "src" / "ui" / "translations" / "estafette_en.qm").read_bytes()
        assert wheel.read("ui/translations/estafette_en.qm") == compiled
        migrations = sorted(p.name for p in (ROOT / "app" / "store" / "migrations").glob("*.sql"))
        assert migrations
        for name in migrations:
            assert f"app/store/migrations/{name}" in names
        # Sources of translations and tests stay out of the installed program.
        assert not any(n.startswith(("tests/", "resources/")) for n in names)


def test_the_window_loads_its_catalogue_from_inside_the_package() -> None:
    """Where install_translators looks by default is a folder of the ui package itself."""
    package_dir = Path(i18n.__file__).resolve().parent
    assert i18n.qm_path("en").parent == package_dir / "translations"
