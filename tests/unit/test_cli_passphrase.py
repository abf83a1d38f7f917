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

from app.cli import NEW_PASSPHRASE_ENV, PASSPHRASE_ENV, main
from app.composition import open_profile
from app.errors import WrongPassphraseError
from app.store.keys import unwrap_key

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

    def run(*args: str, passphrase: str | None = None, new: str | None = None) -> Run:
        for name, value in ((PASSPHRASE_ENV, passphrase), (NEW_PASSPHRASE_ENV, new)):
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
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


# --- adding, changing, removing the passphrase (estafette passphrase set|remove) -----------

OLD, NEW = PASSPHRASE, "licorne bleue du mardi"


@pytest.fixture
def plain_profile(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A profile with an account, its key not protected."""
    monkeypatch.setenv("ESTAFETTE_PASSWORD", "pw")
    assert cli(*ADD).code == 0
    monkeypatch.delenv("ESTAFETTE_PASSWORD")
    return tmp_path


def _store_files(root: Path) -> dict[str, str]:
    """The database and pack files: what a passphrase change must not touch."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / "profile").rglob("*"))
            if p.is_file() and p.name != "profile.json"}


def _opens(root: Path, passphrase: str | None) -> bool:
    with open_profile(root / "profile", key_file=root / "store.key",
                      passphrase=passphrase) as profile:
        return [a.address for a in profile.accounts.list()] == ["dr.martin@hopital.mssante.fr"]


def test_add_change_then_remove_a_passphrase(cli: Any, plain_profile: Path) -> None:
    key_file = plain_profile / "store.key"
    raw = key_file.read_text().strip()
    store = _store_files(plain_profile)

    added = cli("passphrase", "set", new=OLD)
    assert (added.code, added.err) == (0, "")
    assert _store_files(plain_profile) == store  # the database was not even opened
    assert added.out == ("La clé du profil est maintenant protégée par la nouvelle phrase de "
                         "passe.\n")
    wrapped = key_file.read_text().strip()
    assert wrapped.startswith("estafette-wrapped-v1$") and raw not in wrapped
    assert unwrap_key(wrapped, OLD).hex() == raw  # the same store key, wrapped
    assert cli("account", "list").code == 1  # now needs the passphrase
    assert _opens(plain_profile, OLD)

    changed = cli("passphrase", "set", passphrase=OLD, new=NEW)
    assert changed.code == 0, changed.err
    with pytest.raises(WrongPassphraseError):
        _opens(plain_profile, OLD)
    assert _opens(plain_profile, NEW)

    removed = cli("passphrase", "remove", passphrase=NEW)
    assert (removed.code, removed.out) == (
        0, "La clé du profil n'est plus protégée par une phrase de passe.\n")
    assert key_file.read_text().strip() == raw
    assert _opens(plain_profile, None)
    # The key file stayed private, and no temporary file was left beside it.
    assert key_file.stat().st_mode & 0o077 == 0
    assert sorted(p.name for p in plain_profile.iterdir()) == ["profile", "store.key"]


def test_a_wrong_current_passphrase_changes_nothing(cli: Any, plain_profile: Path) -> None:
    assert cli("passphrase", "set", new=OLD).code == 0
    key_file = plain_profile / "store.key"
    before = (key_file.read_bytes(), key_file.stat().st_mtime_ns)
    for args in (("set",), ("remove",)):
        wrong = cli("passphrase", *args, passphrase="pas la bonne", new=NEW)
        assert (wrong.code, wrong.out) == (1, "")
        assert wrong.err == ("La phrase de passe est incorrecte. Vérifiez la variable "
                             "d'environnement ESTAFETTE_PASSPHRASE.\n")
        missing = cli("passphrase", *args, new=NEW)
        assert missing.code == 1 and "ESTAFETTE_PASSPHRASE" in missing.err
    assert (key_file.read_bytes(), key_file.stat().st_mtime_ns) == before
    assert _opens(plain_profile, OLD)


def test_an_empty_new_passphrase_is_refused(cli: Any, plain_profile: Path) -> None:
    before = (plain_profile / "store.key").read_bytes()
    empty = cli("passphrase", "set", new="")
    assert (empty.code, empty.err) == (1, "La phrase de passe ne peut pas être vide.\n")
    no_terminal = cli("passphrase", "set")
    assert no_terminal.code == 1
    assert no_terminal.err.startswith("Une nouvelle phrase de passe est nécessaire")
    assert (plain_profile / "store.key").read_bytes() == before


def test_in_a_terminal_the_new_passphrase_is_typed_twice(
        cli: Any, plain_profile: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prompts: list[str] = []
    answers = iter([OLD, "autre chose", OLD, OLD, NEW, NEW, "pas la bonne"])

    def getpass(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr("getpass.getpass", getpass)
    before = (plain_profile / "store.key").read_bytes()
    mismatch = cli("passphrase", "set")
    assert (mismatch.code, mismatch.err) == (
        1, "Les deux saisies de la nouvelle phrase de passe diffèrent ; rien n'a été changé.\n")
    assert (plain_profile / "store.key").read_bytes() == before
    # An unprotected key: the current passphrase is not asked.
    assert cli("passphrase", "set").code == 0
    assert prompts == ["Nouvelle phrase de passe : ", "Nouvelle phrase de passe, à nouveau : "] * 2
    prompts.clear()
    # A protected key: the current one is asked too, once, and checked.
    wrong = cli("passphrase", "set")
    assert (wrong.code, wrong.err) == (1, "La phrase de passe est incorrecte.\n")
    assert prompts == ["Nouvelle phrase de passe : ", "Nouvelle phrase de passe, à nouveau : ",
                       "Phrase de passe actuelle du profil : "]
    assert _opens(plain_profile, OLD)


