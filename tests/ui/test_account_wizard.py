"""The account wizard: DNS SRV autoconfiguration (ECO.1.1.9, RFC 6186) against a real DNS server
(dnsmasq on 127.0.0.1, the fixture of tests/integration/test_dns_srv.py), manual fallback when
the DNS has nothing or does not answer, and the account written to a real encrypted profile."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.composition import Profile, open_profile
from app.domain.account import AuthMethod, Endpoint, MailboxKind, TlsMode
from app.protocols.dns_srv import ResolverConfig
from tests.integration.test_dns_srv import DOMAIN, _free_udp_tcp_port, dns_server
from ui.dialogs.account_wizard import AccountWizard, Page

__all__ = ["dns_server"]  # the module-scoped dnsmasq fixture, used here by name


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    with open_profile(tmp_path / "p", key_file=tmp_path / "k") as opened:
        yield opened


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wizard-test")
    yield pool
    pool.shutdown(wait=True)


def make_wizard(qtbot: QtBot, profile: Profile, executor: ThreadPoolExecutor,
                port: int, timeout: float = 5.0) -> AccountWizard:
    wizard = AccountWizard(profile.accounts, executor=executor,
                           resolver=ResolverConfig(nameservers=("127.0.0.1",), port=port,
                                                   timeout=timeout))
    qtbot.addWidget(wizard)
    wizard.open()
    return wizard


def test_srv_autoconfig_then_psc_account(qtbot: QtBot, profile: Profile,
                                         executor: ThreadPoolExecutor, dns_server: int) -> None:
    """ECO.1.1.9: the servers found by DNS SRV fill the wizard and end up in the account."""
    wizard = make_wizard(qtbot, profile, executor, dns_server)
    qtbot.keyClicks(wizard.address_edit, f"dr.martin@{DOMAIN}")
    assert wizard.auth is AuthMethod.PSC  # the default for PER boxes
    wizard.next_button.click()
    qtbot.waitUntil(lambda: wizard.pages.currentIndex() == Page.SERVERS, timeout=10_000)
    assert "DNS" in wizard.source_label.text() and DOMAIN in wizard.source_label.text()
    # _imaps._tcp has the better priority; submission's first record by priority then weight.
    assert (wizard.imap_host.text(), wizard.imap_port.value(),
            wizard.imap_tls.currentData()) == ("imap.example", 993, "implicit")
    assert (wizard.smtp_host.text(), wizard.smtp_port.value(),
            wizard.smtp_tls.currentData()) == ("smtp-heavy.example", 2587, "starttls")
    assert wizard.login_edit.text() == f"dr.martin@{DOMAIN}"
    assert wizard.national_id_edit.isVisibleTo(wizard)
    assert not wizard.password_edit.isVisibleTo(wizard)
    assert wizard.grab().save("/tmp/u4-wizard-servers.png")

    wizard.next_button.click()  # no national id yet
    assert "identifiant national" in wizard.error_label.text()
    qtbot.keyClicks(wizard.national_id_edit, "10001234567")
    with qtbot.waitSignal(wizard.account_added, timeout=10_000):
        wizard.next_button.click()
    stored = profile.accounts.get(f"dr.martin@{DOMAIN}")
    assert stored.kind is MailboxKind.PER and stored.auth is AuthMethod.PSC
    assert stored.national_id == "810001234567"
    assert stored.imap == Endpoint("imap.example", 993, TlsMode.IMPLICIT)


def test_no_record_falls_back_to_manual_password_account(
        qtbot: QtBot, profile: Profile, executor: ThreadPoolExecutor, dns_server: int) -> None:
    """ECO.1.1.9: no SRV record for the domain: the wizard falls back to manual host/port."""
    wizard = make_wizard(qtbot, profile, executor, dns_server)
    qtbot.keyClicks(wizard.address_edit, "accueil@absent.example.mssante.fr")
    wizard.kind_box.setCurrentIndex(wizard.kind_box.findData("ORG"))
    wizard.auth_box.setCurrentIndex(wizard.auth_box.findData("password"))
    wizard.next_button.click()
    qtbot.waitUntil(lambda: wizard.pages.currentIndex() == Page.SERVERS, timeout=10_000)
    assert "Aucune configuration automatique" in wizard.source_label.text()
    assert wizard.imap_host.text() == "imap.absent.example.mssante.fr"  # a starting point
    wizard.imap_host.setText("127.0.0.1")
    wizard.imap_port.setValue(1143)
    wizard.imap_tls.setCurrentIndex(wizard.imap_tls.findData("starttls"))
    wizard.login_edit.setText("accueil")
    qtbot.keyClicks(wizard.password_edit, "mot-de-passe")
    with qtbot.waitSignal(wizard.account_added, timeout=10_000):
        wizard.next_button.click()
    assert wizard.password_edit.text() == ""
    stored = profile.accounts.get("accueil@absent.example.mssante.fr")
    assert stored.kind is MailboxKind.ORG
    assert stored.imap == Endpoint("127.0.0.1", 1143, TlsMode.STARTTLS)
    assert profile.accounts.password(stored) == "mot-de-passe"


def test_dns_down_says_why_and_goes_manual(qtbot: QtBot, profile: Profile,
                                           executor: ThreadPoolExecutor) -> None:
    """ECO.1.1.9: a DNS server that does not answer leads to manual set-up, saying why."""
    wizard = make_wizard(qtbot, profile, executor, _free_udp_tcp_port(), timeout=1.0)
    qtbot.keyClicks(wizard.address_edit, f"dr.martin@{DOMAIN}")
    wizard.next_button.click()
    qtbot.waitUntil(lambda: wizard.pages.currentIndex() == Page.SERVERS, timeout=10_000)
    text = wizard.source_label.text()
    assert "impossible" in text and "DNS" in text and "à la main" in text


def test_app_box_uses_a_certificate_and_duplicates_are_refused(
        qtbot: QtBot, profile: Profile, executor: ThreadPoolExecutor, dns_server: int) -> None:
    wizard = make_wizard(qtbot, profile, executor, dns_server)
    qtbot.keyClicks(wizard.address_edit, "labo@labo.example.mssante.fr")
    wizard.kind_box.setCurrentIndex(wizard.kind_box.findData("APP"))
    assert wizard.auth is AuthMethod.CERTIFICATE
    wizard.next_button.click()
    qtbot.waitUntil(lambda: wizard.pages.currentIndex() == Page.SERVERS, timeout=10_000)
    assert wizard.imap_host.text() == "mail.labo.example"
    assert wizard.certificate_edit.isVisibleTo(wizard)
    wizard.certificate_edit.setText("/srv/labo/labo.p12")
    with qtbot.waitSignal(wizard.account_added, timeout=10_000):
        wizard.next_button.click()

    again = make_wizard(qtbot, profile, executor, dns_server)
    qtbot.keyClicks(again.address_edit, "labo@labo.example.mssante.fr")
    again.kind_box.setCurrentIndex(again.kind_box.findData("APP"))
    again.next_button.click()
    qtbot.waitUntil(lambda: again.pages.currentIndex() == Page.SERVERS, timeout=10_000)
    again.certificate_edit.setText("/srv/labo/labo.p12")
    again.next_button.click()
    qtbot.waitUntil(lambda: "existe déjà" in again.error_label.text(), timeout=10_000)
    assert again.isVisible()


def test_bad_address_stays_on_the_first_page(qtbot: QtBot, profile: Profile,
                                             executor: ThreadPoolExecutor) -> None:
    wizard = make_wizard(qtbot, profile, executor, 9)
    qtbot.keyClicks(wizard.address_edit, "pas une adresse")
    wizard.next_button.click()
    assert wizard.pages.currentIndex() == Page.ADDRESS
    assert "n'est pas une adresse" in wizard.error_label.text()
