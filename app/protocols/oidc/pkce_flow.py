"""Authorization code + PKCE through the system browser with a loopback redirect (RFC 8252).

A one-shot HTTP listener on ``127.0.0.1:0`` receives the redirect; ``state`` (CSRF) and, in the ID
token, ``nonce`` (replay) are checked; ``iss`` is checked when the provider sends it (RFC 9207).
The browser opener is injectable (tests post the provider's login form themselves).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import secrets
import webbrowser
from collections.abc import Callable
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge

from app.protocols.oidc.client import OidcClient, TokenSet
from app.protocols.oidc.client_auth import TOKEN
from app.protocols.oidc.errors import LoginExpiredError, LoginRefusedError, OidcError

_log = logging.getLogger(__name__)

LOOPBACK_HOST = "127.0.0.1"
MAX_REQUEST_BYTES = 16 * 1024
DONE_PAGE = (
    "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Estafette</title>"
    "</head><body><p>{text}</p></body></html>")

BrowserOpener = Callable[[str], object]


async def _default_open(url: str) -> None:
    opened = await asyncio.to_thread(webbrowser.open, url)
    if not opened:
        raise OidcError(
            "Impossible d'ouvrir le navigateur pour la connexion Pro Santé Connect.",
            message_en="The browser could not be opened for the Pro Santé Connect login.")


class LoopbackRedirect:
    """Waits for the one redirect carrying ``state``; answers anything else with an error page."""

    def __init__(self, path: str, state: str) -> None:
        self.path = path or "/"
        self.state = state
        self.port = 0
        self._server: asyncio.Server | None = None
        self._result: asyncio.Future[dict[str, str]] = \
            asyncio.get_running_loop().create_future()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._handle, LOOPBACK_HOST, 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def wait(self) -> dict[str, str]:
        return await self._result

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            writer.close()
            return
        status, text = "400 Bad Request", "Requête inattendue."
        try:
            line = head[:MAX_REQUEST_BYTES].split(b"\r\n", 1)[0].decode("ascii")
            method, target, _version = line.split(" ", 2)
            parts = urlsplit(target)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if method == "GET" and parts.path == self.path and not self._result.done():
                if query.get("state") == self.state:
                    self._result.set_result(query)
                    status = "200 OK"
                    text = ("Connexion terminée : vous pouvez fermer cette fenêtre et revenir à "
                            "Estafette.") if "code" in query else \
                        "La connexion n'a pas abouti. Revenez à Estafette."
                else:
                    text = "Réponse de connexion inattendue (state) : ignorée."
        except (UnicodeDecodeError, ValueError):
            pass
        body = DONE_PAGE.format(text=text).encode("utf-8")
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
            .encode("ascii") + body)
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()


def loopback_redirect_uri(registered: str, port: int) -> str:
    parts = urlsplit(registered)
    return urlunsplit((parts.scheme or "http", f"{LOOPBACK_HOST}:{port}", parts.path or "/",
                       "", ""))


async def login(client: OidcClient, *, open_browser: BrowserOpener | None = None,
                login_hint: str | None = None, timeout: float = 300.0) -> TokenSet:
    """Run the whole browser login and return validated tokens.

    ``open_browser(url)`` may be sync or async; by default the system browser (``webbrowser``).
    """
    meta = await client.metadata()
    if not meta.authorization_endpoint:
        raise OidcError("Pro Santé Connect ne propose pas la connexion par navigateur.",
                        message_en="Pro Santé Connect does not offer the browser login.")
    settings = client.settings
    state = secrets.token_urlsafe(24)
    nonce = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(64)  # 86 characters, within RFC 7636's 43..128
    listener = LoopbackRedirect(urlsplit(settings.redirect_uri).path, state)
    port = await listener.start()
    try:
        redirect_uri = loopback_redirect_uri(settings.redirect_uri, port)
        params = {"client_id": settings.client_id, "response_type": "code",
                  "scope": settings.scope, "redirect_uri": redirect_uri, "state": state,
                  "nonce": nonce, "code_challenge": create_s256_code_challenge(verifier),
                  "code_challenge_method": "S256"}
        if settings.acr_values:
            params["acr_values"] = settings.acr_values
        if login_hint:
            params["login_hint"] = login_hint
        separator = "&" if "?" in meta.authorization_endpoint else "?"
        url = f"{meta.authorization_endpoint}{separator}{urlencode(params)}"
        opener = open_browser or _default_open
        outcome = opener(url)
        if inspect.isawaitable(outcome):
            await outcome
        try:
            query = await asyncio.wait_for(listener.wait(), timeout=timeout)
        except TimeoutError as exc:
            raise LoginExpiredError(
                "La connexion dans le navigateur n'a pas été terminée à temps.",
                message_en="The browser login was not completed in time.") from exc
    finally:
        await listener.close()

    if "iss" in query and query["iss"].rstrip("/") != meta.issuer.rstrip("/"):
        raise OidcError("La réponse vient d'un autre fournisseur d'identité ; elle est refusée.",
                        message_en="The answer comes from another identity provider; refused.")
    if "error" in query:
        if query["error"] in ("access_denied", "login_required", "consent_required"):
            raise LoginRefusedError()
        raise OidcError(f"Pro Santé Connect a refusé la connexion ({query['error']}).",
                        message_en=f"Pro Santé Connect refused the login ({query['error']}).",
                        error=query["error"])
    code = query.get("code")
    if not code:
        raise OidcError("Réponse de connexion incomplète.", message_en="Incomplete login answer.")
    body = await client.post_form(TOKEN, {"grant_type": "authorization_code", "code": code,
                                          "redirect_uri": redirect_uri,
                                          "code_verifier": verifier})
    return await client.token_set(body, nonce=nonce)


