"""CIBA in poll mode as Pro Santé Connect runs it (MSSANTE §4, OpenID CIBA Core 1.0).

``start`` sends the backchannel request (login hint = national id, two-digit binding message,
channel CARD|MOBILE, acr eidas1, scope ``openid scope_all``); ``poll`` asks the token endpoint at
the pace the provider sets, adds 5 s on ``slow_down`` (CIBA §11), and stops on approval, refusal,
expiry or cancellation (cancel the task running it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from app.domain.session import CibaChannel, new_binding_code
from app.protocols.oidc.client import OidcClient, TokenEndpointError, TokenSet
from app.protocols.oidc.client_auth import BACKCHANNEL, TOKEN
from app.protocols.oidc.discovery import CIBA_GRANT
from app.protocols.oidc.errors import (
    LoginExpiredError,
    LoginRefusedError,
    OidcError,
    ProviderUnreachableError,
)

_log = logging.getLogger(__name__)

SLOW_DOWN_STEP = 5.0
DEFAULT_INTERVAL = 5.0
MAX_TRANSIENT_WAIT = 30.0

Sleep = Callable[[float], Awaitable[None]]


@dataclass
class CibaRequest:
    """A pending backchannel authentication; ``binding_code`` is what the UI shows."""

    auth_req_id: str = field(repr=False)
    binding_code: str
    channel: CibaChannel
    expires_at: float  # time.monotonic() clock
    interval: float


async def start(client: OidcClient, login_hint: str, *, channel: CibaChannel,
                binding_code: str | None = None,
                requested_expiry: int | None = None) -> CibaRequest:
    """Send the backchannel authentication request; the user now has to approve it."""
    code = binding_code or new_binding_code()
    settings = client.settings
    data = {"scope": settings.scope, "login_hint": login_hint, "binding_message": code,
            "channel": channel.value}
    if settings.acr_values:
        data["acr_values"] = settings.acr_values
    if requested_expiry:
        data["requested_expiry"] = str(requested_expiry)
    try:
        body = await client.post_form(BACKCHANNEL, data)
    except TokenEndpointError as exc:
        if exc.error in ("unknown_user_id", "invalid_user_code"):
            raise OidcError(
                "Pro Santé Connect ne connaît pas cet identifiant national.",
                message_en="Pro Santé Connect does not know this national identifier.",
                error=exc.error) from exc
        raise
    auth_req_id = body.get("auth_req_id")
    expires_in = body.get("expires_in")
    if not isinstance(auth_req_id, str) or not isinstance(expires_in, int | float):
        raise OidcError("Réponse CIBA incomplète de Pro Santé Connect.",
                        message_en="Incomplete CIBA answer from Pro Santé Connect.")
    interval = body.get("interval")
    return CibaRequest(
        auth_req_id=auth_req_id, binding_code=code, channel=channel,
        expires_at=time.monotonic() + float(expires_in),
        interval=float(interval) if isinstance(interval, int | float) and interval > 0
        else DEFAULT_INTERVAL)


async def poll(client: OidcClient, request: CibaRequest, *, sleep: Sleep = asyncio.sleep,
               on_slow_down: Callable[[float], None] | None = None) -> TokenSet:
    """Poll until the user answers; raises LoginRefusedError / LoginExpiredError.

    Network hiccups while polling are waited out (ECO.1.2.3) until the request's own expiry.
    """
    while True:
        if time.monotonic() >= request.expires_at:
            raise LoginExpiredError()
        await sleep(request.interval)
        try:
            body = await client.post_form(TOKEN, {"grant_type": CIBA_GRANT,
                                                  "auth_req_id": request.auth_req_id})
        except ProviderUnreachableError:
            _log.info("CIBA poll: provider unreachable, waiting")
            continue
        except TokenEndpointError as exc:
            if exc.error == "authorization_pending":
                continue
            if exc.error == "slow_down":
                request.interval += SLOW_DOWN_STEP
                _log.info("CIBA poll: slow_down, interval now %.0f s", request.interval)
                if on_slow_down is not None:
                    on_slow_down(request.interval)
                continue
            if exc.error == "access_denied":
                raise LoginRefusedError() from exc
            if exc.error == "expired_token":
                raise LoginExpiredError() from exc
            raise
        return await client.token_set(body, nonce=None)
