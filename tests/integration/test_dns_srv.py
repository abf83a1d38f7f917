"""Account set-up by DNS SRV (ECO.1.1.9, RFC 6186) against a real DNS server: Debian's dnsmasq on
127.0.0.1, on a free port, serving only the records given on its command line."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.domain.account import Endpoint, TlsMode
from app.errors import InvalidInputError
from app.protocols.dns_srv import (
    DnsLookupError,
    ResolverConfig,
    SrvService,
    lookup,
)

DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
DOMAIN = "cabinet.example.mssante.fr"
# service,target,port,priority,weight (dnsmasq's --srv-host order)
RECORDS = (
    f"_imap._tcp.{DOMAIN},imap.example,143,10,1",
    f"_imaps._tcp.{DOMAIN},imap.example,993,0,1",
    f"_submission._tcp.{DOMAIN},smtp-backup.example,587,20,5",
    f"_submission._tcp.{DOMAIN},smtp.example,587,0,1",
    f"_submission._tcp.{DOMAIN},smtp-heavy.example,2587,0,50",
    # Only IMAP for the lab: no submission, no implicit TLS.
    "_imap._tcp.labo.example.mssante.fr,mail.labo.example,143,0,0",
)


def _free_udp_tcp_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (DNS listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port for the DNS server")


def _wait_for_dns(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    import dns.message
    import dns.query

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"dnsmasq exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            dns.query.udp(dns.message.make_query(f"_imap._tcp.{DOMAIN}", "SRV"), "127.0.0.1",
                          port=port, timeout=0.5)
            return
        except Exception:
            time.sleep(0.1)
    pytest.fail(f"dnsmasq did not answer: {log.read_text(errors='replace')[-2000:]}")


@pytest.fixture(scope="module")
def dns_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    if not Path(DNSMASQ).exists():
        pytest.fail("dnsmasq is not installed (packaging/dev/setup-debian.sh installs it)")
    port = _free_udp_tcp_port()
    log = tmp_path_factory.mktemp("dnsmasq") / "dnsmasq.log"
    argv = [DNSMASQ, "--no-daemon", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
            "--listen-address=127.0.0.1", "--bind-interfaces", f"--port={port}",
            "--pid-file", "--user=root", "--log-queries",
            # Answer for the test domain itself (NXDOMAIN/NODATA), instead of REFUSED for lack
            # of an upstream server.
            "--local=/example.mssante.fr/",
            *(f"--srv-host={record}" for record in RECORDS)]
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        _wait_for_dns(proc, port, log)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_srv_records_found_and_sorted(dns_server: int) -> None:
    """ECO.1.1.9: the three RFC 6186 names are resolved; each list is in RFC 2782 order
    (priority ascending, then weight descending), and the address's domain is what is asked."""
    config = lookup(f"dr.martin@{DOMAIN}", ResolverConfig(nameservers=("127.0.0.1",),
                                                         port=dns_server, timeout=5))
    assert config.domain == DOMAIN
    assert config.found and config.missing == ()
    assert [(r.target, r.port, r.priority, r.weight) for r in config.submission] == [
        ("smtp-heavy.example", 2587, 0, 50),
        ("smtp.example", 587, 0, 1),
        ("smtp-backup.example", 587, 20, 5),
    ]
    assert [(r.service, r.port) for r in config.imap] == [(SrvService.IMAP, 143)]
    assert [(r.service, r.port) for r in config.imaps] == [(SrvService.IMAPS, 993)]
    # _imaps has the better priority (0 < 10): implicit TLS is chosen.
    assert config.best_imap() == Endpoint("imap.example", 993, TlsMode.IMPLICIT)
    assert config.best_submission() == Endpoint("smtp-heavy.example", 2587, TlsMode.STARTTLS)


def test_partial_records_list_what_is_missing(dns_server: int) -> None:
    """ECO.1.1.9: with only some SRV records, the found ones are used and the others listed."""
    config = lookup("labo.example.mssante.fr",
                    ResolverConfig(nameservers=("127.0.0.1",), port=dns_server))
    assert config.best_imap() == Endpoint("mail.labo.example", 143, TlsMode.STARTTLS)
    assert config.best_submission() is None
    assert set(config.missing) == {SrvService.SUBMISSION, SrvService.IMAPS}


def test_no_record_means_manual_setup(dns_server: int) -> None:
    """ECO.1.1.9: a domain without any SRV record is not an error, nothing is found (the
    wizard goes manual)."""
    config = lookup("nobody@absent.example.mssante.fr",
                    ResolverConfig(nameservers=("127.0.0.1",), port=dns_server))
    assert not config.found
    assert set(config.missing) == set(SrvService)
    assert config.best_imap() is None


def test_server_down_gives_a_clear_error() -> None:
    """Nothing listens on the port: a French error after the configured deadline, no hang."""
    port = _free_udp_tcp_port()
    with pytest.raises(DnsLookupError) as caught:
        lookup(DOMAIN, ResolverConfig(nameservers=("127.0.0.1",), port=port, timeout=1.0))
    text = caught.value.text("fr")
    assert "DNS" in text and "main" in text  # says what failed and what to do


def test_bad_domain_is_refused_before_any_query() -> None:
    with pytest.raises(InvalidInputError):
        lookup("pas une adresse@", ResolverConfig(nameservers=("127.0.0.1",), port=9))
    with pytest.raises(InvalidInputError):
        lookup("localhost", ResolverConfig(nameservers=("127.0.0.1",), port=9))


def test_refusing_server_gives_a_clear_error(dns_server: int) -> None:
    """dnsmasq refuses names it is not responsible for (no upstream): an error, not "no record"
    (which would silently send the user to manual set-up for the wrong reason)."""
    with pytest.raises(DnsLookupError, match="refusé"):
        lookup("ailleurs.example.org", ResolverConfig(nameservers=("127.0.0.1",),
                                                      port=dns_server))
