"""Download the published whitelist and its sibling ``checksum`` over HTTPS (spec §1).

HTTPS only, TLS 1.2 or later, trust limited to the profile's anchors (IGC-Santé in production,
the sandbox CA in tests; ``app.protocols.tls``), no redirect to another scheme, and a size cap
while streaming so a hostile server cannot exhaust memory. Nothing is parsed or trusted here:
the caller verifies the checksum, then parses.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

import httpx

from app.errors import InvalidInputError, ServerUnreachableError, UserFacingError
from app.protocols.tls import client_context
from app.protocols.whitelist.parser import MAX_WHITELIST_BYTES

CHECKSUM_NAME = "checksum"
_MAX_CHECKSUM_BYTES = 4096


class WhitelistDownloadError(UserFacingError):
    """The server answered, but not with a usable file (HTTP error, too big)."""


@dataclass(frozen=True)
class DownloadedWhitelist:
    url: str
    checksum_url: str
    xml: bytes
    checksum: bytes


def checksum_url_for(url: str) -> str:
    """The ``checksum`` file published beside the list: same folder, name ``checksum``."""
    return urllib.parse.urljoin(url, CHECKSUM_NAME)


def _check_url(url: str) -> str:
    parsed = urllib.parse.urlsplit(url.strip())
    if parsed.scheme != "https" or not parsed.hostname:
        raise InvalidInputError(
            f"L'adresse de la liste blanche doit être une URL https:// complète (reçu : {url}).",
            message_en=f"The whitelist address must be a full https:// URL (got: {url}).",
        )
    return url.strip()


async def _get(client: httpx.AsyncClient, url: str, limit: int) -> bytes:
    try:
        async with client.stream("GET", url) as response:
            if response.status_code != 200:
                raise WhitelistDownloadError(
                    f"Le serveur de la liste blanche a répondu {response.status_code} pour {url}.",
                    message_en=f"The whitelist server answered {response.status_code} for {url}.",
                )
            chunks: list[bytes] = []
            total = 0
            async for chunk in response.aiter_bytes():
                total += len(chunk)
                if total > limit:
                    raise WhitelistDownloadError(
                        f"Fichier refusé : {url} dépasse {limit} octets.",
                        message_en=f"File refused: {url} exceeds {limit} bytes.",
                    )
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.ConnectError as exc:
        if "CERTIFICATE_VERIFY_FAILED" in str(exc) or "SSL" in str(exc):
            raise UserFacingError(
                f"Le certificat du serveur de la liste blanche ({url}) n'est pas reconnu par les "
                "autorités de confiance : liste non téléchargée.",
                message_en=f"The whitelist server's certificate ({url}) is not trusted: "
                "list not downloaded.",
            ) from exc
        raise ServerUnreachableError(
            f"Le serveur de la liste blanche est injoignable ({url}).",
            message_en=f"The whitelist server cannot be reached ({url}).",
        ) from exc
    except (httpx.TransportError, OSError) as exc:
        raise ServerUnreachableError(
            f"Le serveur de la liste blanche est injoignable ({url}).",
            message_en=f"The whitelist server cannot be reached ({url}).",
        ) from exc


async def download_whitelist(
    url: str, *, ca_file: str | None = None, timeout: float = 30.0
) -> DownloadedWhitelist:
    """Fetch the list at ``url`` and the ``checksum`` beside it."""
    url = _check_url(url)
    sum_url = checksum_url_for(url)
    context = client_context(ca_file)
    async with httpx.AsyncClient(
        verify=context, timeout=timeout, follow_redirects=False, trust_env=False
    ) as client:
        xml = await _get(client, url, MAX_WHITELIST_BYTES)
        checksum = await _get(client, sum_url, _MAX_CHECKSUM_BYTES)
    return DownloadedWhitelist(url=url, checksum_url=sum_url, xml=xml, checksum=checksum)
