"""A profile whose store key is protected by a passphrase, from the command line: the passphrase
comes from ``ESTAFETTE_PASSPHRASE`` (or a prompt in a terminal), never an argument; wrong or
missing, the command says so in one sentence, exits 1 and leaves every file as it was."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from app.cli import PASSPHRASE_ENV, main
from app.composition import open_profile

PASSPHRASE = "cheval agrafe pile correcte"
ADD = [
    "account", "add", "--address", "dr.martin@hopital.mssante.fr", "--kind", "PER",
    "--imap", "imap.hopital.fr:993", "--imap-tls", "implicit",
    "--smtp", "smtp.hopital.fr:587", "--smtp-tls", "starttls",
    "--auth", "password", "--login", "martin",
]  # fmt: skip


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("ESTAFETTE_PASSWORD", raising=False)
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    base = ["--profile", str(tmp_path / "profile"), "--key-file", str(tmp_path / "store.key")]

    def run(*args: str, passphrase: str | None = None) -> Run:
        if passphrase is None:
            monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
        else:
            monkeypatch.setenv(PASSPHRASE_ENV, passphrase)
        capsys.readouterr()
        code = main([*base, *args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def protected(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A profile created by the CLI with ESTAFETTE_PASSPHRASE set: its key is wrapped."""
    monkeypatch.setenv("ESTAFETTE_PASSWORD", "pw")
    added = cli(*ADD, passphrase=PASSPHRASE)
    assert added.code == 0, added.err
    monkeypatch.delenv("ESTAFETTE_PASSWORD")
    key_text = (tmp_path / "store.key").read_text(encoding="ascii")
    assert key_text.startswith("estafette-wrapped-v1$")  # only the wrapped form is stored
    assert PASSPHRASE not in key_text
    return tmp_path


def _snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """Every file under ``root``: content digest and modification time."""
    return {str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(),
                                       p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_right_passphrase_opens_the_profile(cli: Any, protected: Path) -> None:
    listed = cli("account", "list", "--json", passphrase=PASSPHRASE)
    assert listed.code == 0, listed.err
    assert [a["address"] for a in json.loads(listed.out)] == ["dr.martin@hopital.mssante.fr"]
    with open_profile(protected / "profile", key_file=protected / "store.key",
                      passphrase=PASSPHRASE) as profile:
        assert len(profile.accounts.list()) == 1


@pytest.mark.parametrize(("passphrase", "french"), [
    ("cheval agrafe pile incorrecte",
     "La phrase de passe est incorrecte. Vérifiez la variable d'environnement "
     "ESTAFETTE_PASSPHRASE.\n"),
    (None,
     "Ce profil est protégé par une phrase de passe, nécessaire pour l'ouvrir. Définissez la "
     "variable d'environnement ESTAFETTE_PASSPHRASE ou lancez la commande dans un terminal.\n"),
])
def test_a_wrong_or_missing_passphrase_is_one_sentence_exit_1_nothing_written(
        cli: Any, protected: Path, passphrase: str | None, french: str) -> None:
    before = _snapshot(protected)
    for command in (["account", "list", "--json"], ["sync", "--once"], ["audit", "export"],
                    ["search", "résultats"], [*ADD[:3], "autre@hopital.mssante.fr", *ADD[4:]]):
        result = cli(*command, passphrase=passphrase)
        assert (result.code, result.out, result.err) == (1, "", french), command
        assert "Traceback" not in result.err
    assert _snapshot(protected) == before  # no key, database, pack or profile file touched
    # And the profile still opens with the right one.
    assert cli("account", "list", passphrase=PASSPHRASE).code == 0


def test_english_sentences(cli: Any, protected: Path, capsys: pytest.CaptureFixture[str],
                           monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["--lang", "en", "--profile", str(protected / "profile"), "--key-file",
            str(protected / "store.key"), "account", "list"]
    monkeypatch.setenv(PASSPHRASE_ENV, "wrong")
    capsys.readouterr()
    assert main(args) == 1
    assert capsys.readouterr().err == (
        "The passphrase is wrong. Check the ESTAFETTE_PASSPHRASE environment variable.\n")
    monkeypatch.delenv(PASSPHRASE_ENV)
    assert main(args) == 1
    assert capsys.readouterr().err == (
        "This profile is protected by a passphrase; it is needed to open it. Set the "
        "ESTAFETTE_PASSPHRASE environment variable or run the command in a terminal.\n")


class Terminal:
    def isatty(self) -> bool:
        return True


def test_in_a_terminal_the_passphrase_is_asked_once(
        cli: Any, protected: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prompts: list[str] = []
    answers = iter([PASSPHRASE, "pas la bonne"])

    def getpass(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr("getpass.getpass", getpass)
    ok = cli("account", "list")
    assert ok.code == 0, ok.err
    assert "dr.martin@hopital.mssante.fr" in ok.out
    wrong = cli("account", "list")
    assert (wrong.code, wrong.err) == (1, "La phrase de passe est incorrecte.\n")
    assert prompts == ["Phrase de passe du profil : "] * 2
    for text in (ok.out, ok.err, wrong.out, wrong.err, *prompts):
        assert PASSPHRASE not in text


def test_a_profile_without_passphrase_ignores_the_variable(cli: Any, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESTAFETTE_PASSWORD", "pw")
    assert cli(*ADD).code == 0
    assert not (tmp_path / "store.key").read_text().startswith("estafette-wrapped")
    assert cli("account", "list", passphrase="anything").code == 0


def test_help_documents_the_variables(cli: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for name in ("ESTAFETTE_PASSWORD", "ESTAFETTE_PASSPHRASE", "ESTAFETTE_PSC_CLIENT_SECRET"):
        assert name in text
