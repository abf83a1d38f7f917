"""The profile's services are built on first use; ``start_services`` runs what each open needs
(receipt catch-up, the document indexer's pending work), at once unless ``defer_services``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.composition import open_profile
from app.errors import UserFacingError
from app.services.receipt_runner import CATCH_UP_SETTING

ROOT = Path(__file__).resolve().parents[2]
# Modules the first screen does not need: opening a profile with deferred services must not
# import them (they were ~0.5 s of every start, tests/benchmarks ui).
SERVICE_MODULES = (
    "app.services.credentials", "app.services.outbox_service", "app.services.sync_engine",
    "app.services.receipt_runner", "app.services.receipt_service",
    "app.services.document_indexer", "app.services.whitelist_service",
    "app.protocols.smtp.submission", "app.protocols.oidc.client", "httpx", "joserfc",
)


def test_opening_with_deferred_services_imports_none_of_them(tmp_path: Path) -> None:
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from app.composition import open_profile\n"
        f"p = open_profile(Path({str(tmp_path / 'p')!r}), key_file=Path({str(tmp_path / 'k')!r}),"
        " defer_services=True)\n"
        "p.accounts.list(); p.messages\n"
        f"loaded = [m for m in {SERVICE_MODULES!r} if m in sys.modules]\n"
        "p.start_services()\n"
        f"after = [m for m in {SERVICE_MODULES!r} if m in sys.modules]\n"
        "p.close()\n"
        "print(json.dumps([loaded, after]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    loaded, after = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == []
    assert set(after) == set(SERVICE_MODULES)  # start_services builds them all


def test_deferred_services_start_on_demand_with_the_catch_up(tmp_path: Path) -> None:
    with open_profile(tmp_path / "p", key_file=tmp_path / "k", defer_services=True) as profile:
        assert profile._services == {}
        # Nothing ran yet: the catch-up marks a new profile's starting point when it runs.
        assert profile.settings.get(CATCH_UP_SETTING) is None
        profile.start_services()
        assert {"incoming", "sync", "documents", "receipts", "outbox", "credentials",
                "whitelist", "conversations"} <= set(profile._services)
        profile.incoming.wait_idle(timeout=30)
        assert profile.settings.get(CATCH_UP_SETTING) is not None
        # Built once, shared: the outbox the receipts use is the profile's.
        assert profile.receipts.store is profile._services["receipts"].store
        assert profile.outbox is profile._services["outbox"]
        profile.start_services()  # idempotent
        assert profile.sync is profile._services["sync"]


def test_eager_open_runs_the_catch_up_at_open(tmp_path: Path) -> None:
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as profile:
        assert "incoming" in profile._services and "documents" in profile._services
        profile.incoming.wait_idle(timeout=30)
        assert profile.settings.get(CATCH_UP_SETTING) is not None


def test_a_closed_profile_starts_no_background_work(tmp_path: Path) -> None:
    profile = open_profile(tmp_path / "p", key_file=tmp_path / "k", defer_services=True)
    _ = profile.whitelist  # a service built without threads of its own
    profile.close()  # nothing started: nothing to stop
    with pytest.raises(UserFacingError):
        profile.start_services()
    with pytest.raises(UserFacingError):
        _ = profile.documents
    assert "incoming" not in profile._services
