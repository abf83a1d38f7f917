"""SMTP submission with aiosmtplib: TLS first, SASL PLAIN/LOGIN inside TLS only, DSN requested.

One call submits one message to its recipients and reports per recipient (a 5xx on one RCPT does
not stop the others). TLS is STARTTLS or implicit per the account, 1.2 at least, with the
profile's trust anchors plus the account's CA file (``app.protocols.tls``). When the server
offers DSN (RFC 3461) the envelope asks for one: ``MAIL FROM ... RET=HDRS ENVID=<id>`` and
``RCPT TO ... NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;<address>`` (ECO.2.3.1).

DATA is driven by hand so that the caller can commit a durable mark *just before* the final
``.``: the end of data is the point after which the server may have accepted the message even if
we never see its reply. ``on_end_of_data`` is awaited at that instant (see
``app.services.outbox_service`` for the never-a-second-copy rule built on it).
"""

from __future__ import annotations

import contextlib
import re
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import aiosmtplib
from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings

from app.errors import (
    EXIT_UNREACHABLE,
    AuthenticationError,
    ServerUnreachableError,
    UserFacingError,
)
from app.protocols.sasl import TokenSource, smtp_xoauth2_login
from app.protocols.tls import CertificateLoader, client_context, describe_tls_error

_QUEUE_ID = re.compile(r"queued as ([0-9A-Za-z]+)", re.IGNORECASE)


class SmtpError(UserFacingError):
    """A submission that did not go through; ``transient`` says whether retrying makes sense."""

    def __init__(
        self,
        message: str,
        *,
        transient: bool,
        code: int | None = None,
        server_text: str = "",
        message_en: str | None = None,
    ) -> None:
        super().__init__(message, message_en=message_en)
        self.transient = transient
        self.code = code
        self.server_text = server_text


class SmtpUnreachableError(SmtpError, ServerUnreachableError):
    """Network trouble: nothing reached the server, or the connection broke; always transient."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"Le serveur d'envoi est injoignable ({detail}) ; l'envoi sera réessayé.",
            message_en=f"The sending server cannot be reached ({detail}); it will be retried.",
            transient=True,
        )


class SmtpAuthError(SmtpError, AuthenticationError):
    def __init__(self, server_text: str, code: int | None) -> None:
        super().__init__(
            "Le serveur d'envoi a refusé l'identifiant ou le mot de passe du compte.",
            message_en="The sending server refused the account's login or password.",
            transient=False,
            code=code,
            server_text=server_text,
        )


@dataclass(frozen=True)
class SmtpAccount:
    """Where and how to submit. Credentials, one of: ``password`` (PLAIN/LOGIN inside TLS),
    ``token_source`` (SASL XOAUTH2 with a Pro Santé Connect token), ``client_certificate`` (the
    APP box's certificate in the TLS handshake is the credential: no AUTH command)."""

    host: str
    port: int
    implicit_tls: bool
    login: str
    password: str = field(default="", repr=False)
    ca_file: str | None = None
    timeout: float = 60.0
    local_hostname: str = "estafette.localhost"
    token_source: TokenSource | None = field(default=None, repr=False)
    client_certificate: CertificateLoader | None = field(default=None, repr=False)
    crl_files: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecipientOutcome:
    address: str
    code: int
    text: str

    @property
    def accepted(self) -> bool:
        return 200 <= self.code < 300

    @property
    def transient(self) -> bool:
        return 400 <= self.code < 500


@dataclass(frozen=True)
class SubmissionOutcome:
    recipients: tuple[RecipientOutcome, ...]
    data_code: int | None  # None: DATA was not sent (no recipient accepted)
    data_text: str
    queue_id: str | None
    dsn_requested: bool

    @property
    def accepted(self) -> tuple[str, ...]:
        if self.data_code is None or not 200 <= self.data_code < 300:
            return ()
        return tuple(r.address for r in self.recipients if r.accepted)


def xtext(value: str) -> str:
    """RFC 3461 xtext: printable ASCII except ``+`` and ``=``, the rest as ``+HH``."""
    out = []
    for byte in value.encode("utf-8"):
        if 33 <= byte <= 126 and byte not in (ord("+"), ord("=")):
            out.append(chr(byte))
        else:
            out.append(f"+{byte:02X}")
    return "".join(out)


def envelope_id(message_id: str) -> str:
    """The DSN ENVID for a Message-ID: its random part (ENVID is limited to 100 characters)."""
    return xtext(message_id.strip("<>").split("@", 1)[0])[:100]


def dot_stuffed(data: bytes) -> bytes:
    """``data`` with CRLF line ends and leading dots doubled (RFC 5321 4.5.2), ending with CRLF.

    Messages built by Estafette already have CRLF everywhere and base64 lines never start with a
    dot, so the common case is checked with C-speed scans instead of two regex passes over
    megabytes.
    """
    crlf = data.count(b"\r\n")
    if data.count(b"\n") != crlf or data.count(b"\r") != crlf:
        data = normalize_message_line_endings(data)
    elif not data.endswith(b"\r\n"):
        data += b"\r\n"
    if data.startswith(b".") or b"\n." in data:
        data = PERIOD_REGEX.sub(b"..", data)
    return data


def _is_tls_failure(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLError | ssl.CertificateError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _tls_error(exc: BaseException | None = None, server: str = "") -> SmtpError:
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            break
        if isinstance(seen, ssl.SSLCertVerificationError):
            # Revoked, expired, CRL expired or missing...: the TLS policy's own sentence.
            described = describe_tls_error(seen, server)
            return SmtpError(described.message, message_en=described.message_en,
                             transient=False)
        seen = seen.__cause__ or seen.__context__
    return SmtpError(
        "La connexion sécurisée au serveur d'envoi a échoué : certificat non reconnu par les "
        "autorités de confiance du compte, ou TLS inférieur à 1.2.",
        message_en="The secure connection to the sending server failed: certificate not trusted "
        "by the account's authorities, or TLS below 1.2.",
        transient=False,
    )


def _response_error(code: int, text: str, what: str) -> SmtpError:
    transient = 400 <= code < 500
    again = " ; nouvel essai prévu" if transient else ""
    return SmtpError(
        f"Le serveur d'envoi a refusé {what} ({code} {text.strip()[:200]}){again}.",
        message_en=f"The sending server refused {what} ({code} {text.strip()[:200]}).",
        transient=transient,
        code=code,
        server_text=text,
    )


class SmtpSubmitter:
    """Submits messages for one account; a new connection per call (submissions are rare)."""

    def __init__(self, *, account: SmtpAccount) -> None:
        self._account = account

    async def submit(
        self,
        *,
        envelope_from: str,
        recipients: Sequence[str],
        data: bytes,
        message_id: str,
        request_dsn: bool = True,
        eight_bit: bool = False,
        on_rcpt_done: Callable[[tuple[RecipientOutcome, ...]], Awaitable[None]] | None = None,
        on_end_of_data: Callable[[], Awaitable[None]] | None = None,
    ) -> SubmissionOutcome:
        account = self._account
        # The shared TLS policy (IGC-Santé anchors + the account's CA, CRLs, TLS >= 1.2).
        context = client_context(
            account.ca_file, client_cert=account.client_certificate, crl_files=account.crl_files
        )
        smtp = aiosmtplib.SMTP(
            hostname=account.host,
            port=account.port,
            use_tls=account.implicit_tls,
            start_tls=False,
            tls_context=context,
            timeout=account.timeout,
            local_hostname=account.local_hostname,
        )
        try:
            try:
                return await self._session(
                    smtp,
                    context,
                    envelope_from=envelope_from,
                    recipients=recipients,
                    data=data,
                    message_id=message_id,
                    request_dsn=request_dsn,
                    eight_bit=eight_bit,
                    on_rcpt_done=on_rcpt_done,
                    on_end_of_data=on_end_of_data,
                )
            except SmtpError:
                raise
            except aiosmtplib.SMTPAuthenticationError as exc:
                raise SmtpAuthError(exc.message, exc.code) from exc
            except aiosmtplib.SMTPConnectResponseError as exc:
                error = _response_error(exc.code, exc.message, "la connexion")
                if error.transient:
                    error.exit_code = EXIT_UNREACHABLE  # "421 service not available"
                raise error from exc
            except (
                aiosmtplib.SMTPConnectError,
                aiosmtplib.SMTPServerDisconnected,
                aiosmtplib.SMTPTimeoutError,
                OSError,
            ) as exc:
                if _is_tls_failure(exc):
                    raise _tls_error(exc, f"{account.host}:{account.port}") from exc
                raise SmtpUnreachableError(type(exc).__name__) from exc
            except aiosmtplib.SMTPResponseException as exc:
                raise _response_error(exc.code, exc.message, "la commande") from exc
        finally:
            smtp.close()

    async def _session(
        self,
        smtp: aiosmtplib.SMTP,
        context: ssl.SSLContext,
        *,
        envelope_from: str,
        recipients: Sequence[str],
        data: bytes,
        message_id: str,
        request_dsn: bool,
        eight_bit: bool,
        on_rcpt_done: Callable[[tuple[RecipientOutcome, ...]], Awaitable[None]] | None,
        on_end_of_data: Callable[[], Awaitable[None]] | None,
    ) -> SubmissionOutcome:
        account = self._account
        await smtp.connect()
        await smtp.ehlo()
        if not account.implicit_tls:
            if not smtp.supports_extension("starttls"):
                raise SmtpError(
                    "Le serveur d'envoi ne propose pas STARTTLS : envoi refusé sans chiffrement.",
                    message_en="The sending server does not offer STARTTLS: refusing to send "
                    "without encryption.",
                    transient=False,
                )
            await smtp.starttls(tls_context=context)
            await smtp.ehlo()
        # Whatever the mode, no credential and no byte of health data outside TLS >= 1.2.
        transport = smtp.transport
        ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
        if ssl_object is None or ssl_object.version() not in ("TLSv1.2", "TLSv1.3"):
            raise _tls_error()
        methods = smtp.server_auth_methods
        if account.token_source is not None:
            await smtp_xoauth2_login(smtp, account.login, account.token_source)
        elif account.client_certificate is not None:
            pass  # the certificate presented in the handshake authenticates the APP box
        elif "plain" in methods:
            await smtp.auth_plain(account.login, account.password)
        elif "login" in methods:
            await smtp.auth_login(account.login, account.password)
        else:
            raise SmtpError(
                "Le serveur d'envoi ne propose ni AUTH PLAIN ni AUTH LOGIN.",
                message_en="The sending server offers neither AUTH PLAIN nor AUTH LOGIN.",
                transient=False,
            )

        dsn = request_dsn and smtp.supports_extension("dsn")
        mail_options: list[str] = []
        if smtp.supports_extension("size"):
            mail_options.append(f"SIZE={len(data)}")
        if eight_bit:
            if not smtp.supports_extension("8bitmime"):
                raise SmtpError(
                    "Le serveur d'envoi n'accepte pas les messages 8 bits.",
                    message_en="The sending server does not accept 8-bit messages.",
                    transient=False,
                )
            mail_options.append("BODY=8BITMIME")
        if dsn:
            mail_options += ["RET=HDRS", f"ENVID={envelope_id(message_id)}"]
        try:
            await smtp.mail(envelope_from, options=mail_options)
        except aiosmtplib.SMTPSenderRefused as exc:
            raise _response_error(exc.code, exc.message, "l'expéditeur") from exc

        outcomes: list[RecipientOutcome] = []
        for address in recipients:
            rcpt_options = (
                ["NOTIFY=SUCCESS,FAILURE,DELAY", f"ORCPT=rfc822;{xtext(address)}"] if dsn else []
            )
            try:
                response = await smtp.rcpt(address, options=rcpt_options)
                outcomes.append(RecipientOutcome(address, response.code, response.message))
            except aiosmtplib.SMTPRecipientRefused as exc:
                outcomes.append(RecipientOutcome(address, exc.code, exc.message))
        rcpt_results = tuple(outcomes)
        if on_rcpt_done is not None:
            await on_rcpt_done(rcpt_results)
        if not any(o.accepted for o in rcpt_results):
            await smtp.rset()
            await _quit_quietly(smtp)
            return SubmissionOutcome(rcpt_results, None, "", None, dsn)

        start = await smtp.execute_command(b"DATA")
        if start.code != 354:
            raise _response_error(start.code, start.message, "le message")
        protocol = smtp.protocol
        if protocol is None:
            raise aiosmtplib.SMTPServerDisconnected("connection lost before DATA")
        body = dot_stuffed(data)
        protocol.write(body)
        if on_end_of_data is not None:
            await on_end_of_data()
        # The final "." and its reply: from here on the server may hold the message.
        protocol.write(b".\r\n")
        final = await protocol.read_response(timeout=account.timeout)
        match = _QUEUE_ID.search(final.message)
        await _quit_quietly(smtp)
        return SubmissionOutcome(
            rcpt_results, final.code, final.message, match.group(1) if match else None, dsn
        )


async def _quit_quietly(smtp: aiosmtplib.SMTP) -> None:
    # The message is already accepted or refused; a rude goodbye changes nothing.
    with contextlib.suppress(aiosmtplib.SMTPException, OSError):
        await smtp.quit()
