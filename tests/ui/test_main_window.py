"""The Qt shell: main window over a real encrypted profile, tree model, translations, launcher."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtTest import QAbstractItemModelTester

from app.composition import open_profile
from app.domain.account import Account, AuthMethod, Endpoint, MailboxKind, TlsMode
from ui import i18n
from ui.models.account_model import AccountModel, NodeType, Roles
from ui.windows.main_window import MainWindow

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HOSPITAL = "chu-lumiere.estafette-demo.mssante.fr"


def _account(address: str, kind: MailboxKind, login: str) -> Account:
    return Account(address=address, kind=kind, login=login, auth=AuthMethod.CERTIFICATE,
                   certificate="/nonexistent/box.p12",
                   imap=Endpoint("127.0.0.1", 993, TlsMode.IMPLICIT),
                   smtp=Endpoint("127.0.0.1", 587, TlsMode.STARTTLS))


@pytest.fixture
def accounts(tmp_path: Path) -> list[Account]:
    """Two accounts stored in, then read back from, a real encrypted profile."""
    profile = open_profile(tmp_path / "profile", key_file=tmp_path / "key")
    try:
        profile.accounts.add(_account(f"jean.martin@{HOSPITAL}", MailboxKind.PER,
                                      f"jean.martin@{HOSPITAL}"))
        profile.accounts.add(_account(f"cardiologie@{HOSPITAL}", MailboxKind.ORG,
                                      f"sophie.petit@{HOSPITAL}"))
        return profile.accounts.list()
    finally:
        profile.close()


@pytest.fixture
def english(qapp, tmp_path: Path) -> Iterator[None]:
    """English catalogue compiled from the .ts into tmp_path, installed for the test only."""
    i18n.compile_qm(i18n.ts_path("en"), i18n.qm_path("en", tmp_path))
    translators = i18n.install_translators(qapp, "en", directory=tmp_path)
    yield
    for translator in translators:
        QCoreApplication.removeTranslator(translator)


def test_tree_shows_accounts_kinds_and_panes(qtbot, accounts: list[Account]) -> None:
    window = MainWindow(accounts)
    qtbot.addWidget(window)
    window.show()
    model = window.account_model
    assert model.rowCount() == 2
    rows = {model.index(r, 0).data(): model.index(r, 0) for r in range(2)}
    assert set(rows) == {f"jean.martin@{HOSPITAL}", f"cardiologie@{HOSPITAL}"}
    assert rows[f"jean.martin@{HOSPITAL}"].data(Roles.KIND) == "PER"
    org = rows[f"cardiologie@{HOSPITAL}"]
    assert org.data(Roles.KIND) == "ORG"
    assert f"sophie.petit@{HOSPITAL}" in org.data(Roles.SUBTITLE)
    panes = [model.index(r, 0, org).data() for r in range(model.rowCount(org))]
    assert panes == ["Professionnels", "Patients"]  # the two MSSanté panes (spec §9)
    assert model.index(0, 0, org).data(Roles.NODE_TYPE) == NodeType.PANE
    assert window.account_count_label.text() == "2 comptes"
    assert window.placeholder.text() == "Aucun message sélectionné"
    assert window.account_tree.accessibleName()


def test_model_passes_qabstractitemmodeltester(qtbot, accounts: list[Account]) -> None:
    model = AccountModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    model.set_accounts(accounts)
    model.set_accounts(accounts[:1])
    model.set_accounts([])
    assert model.rowCount() == 0


def test_french_by_default(qtbot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    assert window.windowTitle() == "Estafette — Messagerie sécurisée de santé"
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["&Fichier", "&Édition", "&Affichage", "&Message", "&Outils", "Ai&de"]
    assert window.account_count_label.text() == "Aucun compte"


def test_english_with_lang_en(qtbot, english: None, accounts: list[Account]) -> None:
    window = MainWindow(accounts)
    qtbot.addWidget(window)
    assert window.windowTitle() == "Estafette — Secure health messaging"
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["&File", "&Edit", "&View", "&Message", "&Tools", "&Help"]
    org = window.account_model.account_index(f"cardiologie@{HOSPITAL}")
    assert window.account_model.index(0, 0, org).data() == "Professionals"


def test_shell_strings_have_an_english_translation() -> None:
    shell = {"MainWindow", "AccountModel", "Startup"}
    assert [m for m in i18n.unfinished(i18n.ts_path("en")) if m[0] in shell] == []


def test_cli_path_does_not_load_qt(tmp_path: Path) -> None:
    code = ("import sys; from ui import launcher; sys.argv = ['estafette', 'version']; "
            "rc = launcher.main(); assert 'PySide6' not in sys.modules, 'Qt loaded'; "
            "sys.exit(rc)")
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Estafette" in done.stdout
