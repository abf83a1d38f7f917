"""Where profiles live — kept apart from the composition root so that commands which only need a
path (``estafette version``, argument parsing) start without importing every service."""

from __future__ import annotations

import os
import sys
from pathlib import Path

DATABASE_NAME = "estafette.db"
PROFILE_INFO_NAME = "profile.json"


def default_profile_dir() -> Path:
    """The platform's per-user data directory for Estafette."""
    if sys.platform == "win32":
        base = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(base) / "Estafette"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "Estafette"
    xdg = os.environ.get("XDG_DATA_HOME")
    base_dir = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base_dir / "estafette"


def profile_exists(profile_dir: Path) -> bool:
    return (profile_dir / PROFILE_INFO_NAME).is_file()
