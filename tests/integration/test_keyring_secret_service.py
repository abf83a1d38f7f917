"""The store key in the real OS keyring: GNOME Keyring's Secret Service on a private D-Bus.

No sandbox servers needed; the test starts its own session bus and keyring daemon, with HOME
pointing into tmp_path so no real keyring is touched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    import keyring

    from app.composition import open_profile
    from app.domain.account import Account, AuthMethod, Endpoint, MailboxKind
    from app.store.keys import vetted_keyring

    profile_dir = Path(sys.argv[1])
    backend = vetted_keyring()
    account = Account(
        address="dr.keyring@hopital.mssante.fr",
        kind=MailboxKind.PER,
        login="keyring",
        imap=Endpoint.parse("imap.hopital.fr:993", "implicit"),
        smtp=Endpoint.parse("smtp.hopital.fr:587", "starttls"),
        auth=AuthMethod.PASSWORD,
    )
    with open_profile(profile_dir) as profile:
        profile.accounts.add(account, password="ZORGLUB-SECRET-42")
        profile_id = profile.info.profile_id
    with open_profile(profile_dir) as profile:
        (again,) = profile.accounts.list()
        password = profile.accounts.password(again)
        in_db = profile.database.query("SELECT count(*) FROM secret")[0][0]
    stored_key = keyring.get_password("estafette", profile_id)
    print(json.dumps({
        "backend": type(backend).__module__ + "." + type(backend).__name__,
        "same": again == account,
        "password": password,
        "secrets_in_db": in_db,
        "key_len": len(bytes.fromhex(stored_key or "")),
    }))
    """
)


def test_profile_round_trip_through_secret_service(tmp_path: Path) -> None:
    """Create a profile whose key lives in the Secret Service, write, close, reopen, read."""
    missing = [t for t in ("dbus-run-session", "gnome-keyring-daemon") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (apt: dbus, gnome-keyring) for a real keyring")
    home = tmp_path / "home"
    home.mkdir()
    script = tmp_path / "probe.py"
    script.write_text(SCRIPT)
    profile_dir = tmp_path / "profile"
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
        "PYTHONPATH": str(ROOT),
    }
    (tmp_path / "run").mkdir(mode=0o700)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    inner = (
        "printf PASS | gnome-keyring-daemon --unlock --components=secrets >/dev/null; "
        f'exec "{sys.executable}" "{script}" "{profile_dir}"'
    )
    done = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", inner],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {
        "backend": "keyring.backends.SecretService.Keyring",
        "same": True,
        "password": "ZORGLUB-SECRET-42",
        "secrets_in_db": 0,
        "key_len": 32,
    }
    # The key and the password went to the keyring, not beside the database.
    for path in profile_dir.rglob("*"):
        data = path.read_bytes()
        assert b"ZORGLUB-SECRET-42" not in data and b"hopital" not in data, path
