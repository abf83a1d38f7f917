"""IMAP sessions for accounts that do not log in with a password (ECO.1.2.1, APP boxes).

``AuthenticatedImapConnection`` is an ``ImapConnection`` whose TLS handshake carries the APP box's
client certificate (then SASL EXTERNAL), or whose login is SASL XOAUTH2 with a Pro Santé Connect
token (``app.protocols.sasl``: on a 401 challenge, one refresh and one retry). Everything after
the login (capabilities, ENABLE, the sync commands) is the base class's own code.

It also checks the server certificate against the kept CRLs (ECO.1.1.6–7): ``crl_files`` is
called when the TLS context is built, on the connection's thread (it may refresh a CRL that is
due, and refuses when revocation cannot be checked); a certificate refused during the handshake
is worded by ``app.protocols.tls.describe_tls_error`` (revoked, CRL expired or missing...).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from app.domain.account import Endpoint
from app.errors import UserFacingError
from app.protocols import sasl
from app.protocols.imap.connection import ImapConnection
from app.protocols.tls import CertificateLoader, client_context, describe_tls_error

CrlFiles = Callable[[], Sequence[str | Path]]


class AuthenticatedImapConnection(ImapConnection):
    def __init__(
        self,
        *,
        endpoint: Endpoint,
        ca_file: str | None = None,
        client_certificate: CertificateLoader | None = None,
        token_source: sasl.TokenSource | None = None,
        token_loop: asyncio.AbstractEventLoop | None = None,
        timeout: float = 30.0,
        name: str = "imap",
        executor: ThreadPoolExecutor | None = None,
        crl_files: CrlFiles | None = None,
    ) -> None:
        super().__init__(
            endpoint=endpoint, ca_file=ca_file, timeout=timeout, name=name, executor=executor
        )
        if token_source is not None and token_loop is None:
            raise ValueError("a token source needs the event loop it lives on")
        self._client_certificate = client_certificate
        self._token_source = token_source
        self._token_loop = token_loop
        self._crl_files = crl_files

    def _ssl_context(self) -> ssl.SSLContext:
        # Same policy as the base class (app.protocols.tls), plus the client certificate and
        # the kept CRLs.
        crls = self._crl_files() if self._crl_files is not None else ()
        return client_context(self._ca_file, client_cert=self._client_certificate,
                              crl_files=crls)

    def connect(self) -> None:
        try:
            super().connect()
        except UserFacingError as exc:
            cause = exc.__cause__
            if isinstance(cause, ssl.SSLCertVerificationError):
                # "Révoqué", "CRL expirée"...: the policy's own sentence, not OpenSSL's.
                raise describe_tls_error(cause, str(self.endpoint)) from cause
            raise

    def login(self, login: str, password: str) -> None:
        """LOGIN for password accounts; otherwise the SASL exchange stands in for LOGIN and the
        base class does the rest (capabilities after login, ENABLE QRESYNC/CONDSTORE)."""
        if self._client_certificate is None and self._token_source is None:
            super().login(login, password)
            return
        client = self.client
        certificate, source, loop = self._client_certificate, self._token_source, self._token_loop

        def sasl_login(user: str, _password: str) -> Any:
            if source is not None and loop is not None:
                sasl.imap_xoauth2_login_blocking(client, user, source, loop)
            elif certificate is not None:
                sasl.imap_external_login(client)
            return None

        # An instance attribute shadows IMAPClient.login for this one session only.
        client.login = sasl_login
        try:
            super().login(login, password)
        finally:
            del client.login
