"""The command line, run in-process (and once as ``python -m app``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.cli import GuiRequest, main
from app.composition import default_profile_dir, open_profile

ROOT = Path(__file__).resolve().parents[2]


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("ESTAFETTE_PASSWORD", raising=False)
    monkeypatch.delenv("ESTAFETTE_PASSPHRASE", raising=False)
    base = ["--profile", str(tmp_path / "profile"), "--key-file", str(tmp_path / "store.key")]

    def run(*args: str, profile: bool = True, **kw: Any) -> Run:
        capsys.readouterr()
        code = main([*(base if profile else []), *args], **kw)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


ADD = [
    "account", "add", "--address", "dr.martin@hopital.mssante.fr", "--kind", "PER",
    "--imap", "imap.hopital.fr:993", "--imap-tls", "implicit",
    "--smtp", "smtp.hopital.fr:587", "--smtp-tls", "starttls",
    "--auth", "password", "--login", "martin",
]  # fmt: skip


def test_version(cli: Any) -> None:
    result = cli("version", profile=False)
    assert (result.code, result.out, result.err) == (0, "Estafette 0.1.0\n", "")


def test_account_add_then_list_json(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESTAFETTE_PASSWORD", "pw-from-env")
    added = cli(*ADD, "--national-id", "810001234567")
    assert added.code == 0, added.err
    assert "ajouté" in added.out
    listed = cli("account", "list", "--json")
    assert listed.code == 0
    assert json.loads(listed.out) == [
        {
            "address": "dr.martin@hopital.mssante.fr",
            "kind": "PER",
            "login": "martin",
            "imap": "imap.hopital.fr:993",
            "imap_tls": "implicit",
            "smtp": "smtp.hopital.fr:587",
            "smtp_tls": "starttls",
            "auth": "password",
            "display_name": None,
        }
    ]
    human = cli("account", "list")
    assert "dr.martin@hopital.mssante.fr (PER)" in human.out and "identifiant martin" in human.out


def test_password_is_kept_in_the_store(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESTAFETTE_PASSWORD", "pw-from-env")
    assert cli(*ADD).code == 0
    with open_profile(tmp_path / "profile", key_file=tmp_path / "store.key") as profile:
        (account,) = profile.accounts.list()
        assert profile.accounts.password(account) == "pw-from-env"


def test_duplicate_account_is_refused(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESTAFETTE_PASSWORD", "pw")
    assert cli(*ADD).code == 0
    again = cli(*ADD)
    assert again.code == 1
    assert "existe déjà" in again.err and "Traceback" not in again.err
    assert again.err.count("\n") == 1


def test_password_needed_without_terminal(cli: Any) -> None:
    result = cli(*ADD)  # stdin is not a terminal under pytest, no ESTAFETTE_PASSWORD
    assert result.code == 1
    assert "ESTAFETTE_PASSWORD" in result.err
    assert json.loads(cli("account", "list", "--json").out) == []


PSC_OPTIONS = [
    "--psc-issuer", "https://psc.example.test", "--psc-client-id", "estafette",
    "--psc-client-auth", "public", "--national-id", "810001234567",
]  # fmt: skip


def _p12(path: Path, password: str) -> None:
    """A self-signed PKCS#12 for an APP box, valid now."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "app@hopital.mssante.fr")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"app", key, cert, None, BestAvailableEncryption(password.encode())
        )
    )


def test_psc_and_certificate_accounts_need_no_mail_password(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PSC: provider settings, no password. Certificate: the PKCS#12 password (checked, then
    kept in the SecretStore), no mail password."""
    p12 = tmp_path / "app.p12"
    _p12(p12, "p12-secret")
    psc = [*ADD[:-3], "psc", "--login", "martin", *PSC_OPTIONS]
    assert cli(*psc).code == 0
    cert = [
        *ADD[:3], "app@hopital.mssante.fr", "--kind", "app", *ADD[6:-3], "certificate",
        "--login", "app", "--certificate", str(p12), "--ca-file", str(p12),
    ]  # fmt: skip
    monkeypatch.setenv("ESTAFETTE_PASSWORD", "wrong")
    refused = cli(*cert)
    assert refused.code == 1 and "mot de passe" in refused.err
    monkeypatch.setenv("ESTAFETTE_PASSWORD", "p12-secret")
    result = cli(*cert)
    assert result.code == 0, result.err
    with open_profile(tmp_path / "profile", key_file=tmp_path / "store.key") as profile:
        app_account = profile.accounts.get("app@hopital.mssante.fr")
        assert profile.credentials.certificate(app_account).subject_cn == app_account.address
        martin = profile.accounts.get(ADD[3])
        assert profile.credentials.psc_settings(martin).issuer == "https://psc.example.test"
    assert app_account.certificate == str(p12) and app_account.kind.value == "APP"
    listed = json.loads(cli("account", "list", "--json").out)
    assert sorted(a["auth"] for a in listed) == ["certificate", "psc"]


def test_psc_account_needs_its_provider_settings(cli: Any) -> None:
    result = cli(*ADD[:-3], "psc", "--login", "martin")
    assert result.code == 2 and "--psc-issuer" in result.err


def test_missing_certificate_file(cli: Any, tmp_path: Path) -> None:
    args = [*ADD[:-3], "certificate", "--login", "m", "--certificate", str(tmp_path / "no.p12")]
    result = cli(*args)
    assert result.code == 1 and "introuvable" in result.err


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (("--imap", "imap.hopital.fr"), "HÔTE:PORT"),
        (("--smtp", "smtp.hopital.fr:70000"), "65535"),
        (("--address", "pas-une-adresse"), "adresse"),
    ],
)
def test_bad_input_is_one_sentence(cli: Any, change: tuple[str, str], fragment: str) -> None:
    args = list(ADD)
    args[args.index(change[0]) + 1] = change[1]
    result = cli(*args)
    assert result.code == 1
    assert fragment in result.err
    assert "Traceback" not in result.err and result.err.count("\n") == 1


def test_usage_errors_exit_2(cli: Any) -> None:
    bad_kind = list(ADD)
    bad_kind[bad_kind.index("--kind") + 1] = "XYZ"
    for args in (bad_kind, ["account", "add"], ["nonsense"], ["account"], ["--lang", "de"]):
        result = cli(*args)
        assert result.code == 2, args
        assert result.err.startswith("Commande incorrecte"), result.err


def test_english(cli: Any) -> None:
    result = cli("--lang", "en", "sync")
    assert result.code == 1
    assert result.err.startswith("No Estafette profile in ") and result.err.count("\n") == 1
    assert cli("--lang", "en", "account", "list").out == "No account.\n"
    assert cli("--lang", "en", "account", "add").err.startswith("Invalid command line")


def test_gui_without_runner(cli: Any) -> None:
    for args in ([], ["gui"]):
        result = cli(*args)
        assert result.code == 2
        assert "interface graphique est indisponible" in result.err


def test_gui_runner_receives_the_request(cli: Any, tmp_path: Path) -> None:
    seen: list[GuiRequest] = []

    def runner(request: GuiRequest) -> int:
        seen.append(request)
        return 7

    assert cli("--lang", "en", gui_runner=runner).code == 7
    assert cli("gui", gui_runner=runner).code == 7
    assert cli("--lang=fr", "gui", gui_runner=runner).code == 7
    assert seen[0] == GuiRequest(
        profile_dir=tmp_path / "profile", key_file=tmp_path / "store.key", lang="en",
        lang_given=True,
    )
    # Without --lang the window follows the profile's language setting: the runner is told.
    assert seen[1].lang == "fr" and seen[1].lang_given is False
    assert seen[2].lang == "fr" and seen[2].lang_given is True


def test_key_file_readable_by_others(cli: Any, tmp_path: Path) -> None:
    key = tmp_path / "store.key"
    key.write_text("00" * 32)
    key.chmod(0o644)
    result = cli(*ADD[:-3], "psc", "--login", "martin", *PSC_OPTIONS)
    assert result.code == 1
    assert "chmod 600" in result.err
    assert not (tmp_path / "profile" / "estafette.db").exists()


def test_traceback_only_with_verbose(cli: Any) -> None:
    quiet = cli("sync")
    assert "Traceback" not in quiet.err and quiet.code == 1
    loud = cli("-v", "sync")
    assert "Traceback" in loud.err and loud.code == 1


def test_list_does_not_create_a_profile(cli: Any, tmp_path: Path) -> None:
    result = cli("account", "list", "--json")
    assert (result.code, json.loads(result.out)) == (0, [])
    assert not (tmp_path / "profile").exists()
    assert not (tmp_path / "store.key").exists()


def test_default_profile_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if sys.platform in ("win32", "darwin"):
        pytest.skip("XDG applies to Linux and other Unix desktops")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_profile_dir() == tmp_path / "estafette"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_profile_dir() == Path.home() / ".local" / "share" / "estafette"


def test_python_m_app_version() -> None:
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "app", "version"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "Estafette 0.1.0\n", "")
    assert "PySide6" not in done.stdout


def test_cli_does_not_import_qt() -> None:
    code = "import sys, app.cli; sys.exit('PySide6' in sys.modules or 'ui' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False)
    assert done.returncode == 0
