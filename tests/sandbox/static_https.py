"""A small HTTPS static file server: the whitelist publication and, later, FHIR stand-in responses.

``start(ctx)`` fills ``<base>/www`` (the whitelist under ``/listeblanche/``) and runs this module as
its own process: ``python -m tests.sandbox.static_https --root DIR --port P --cert C --key K``.
It serves files only from its root (no directory listings, no ``..``, no symlink escaping the root),
on 127.0.0.1, TLS 1.2 or later with the sandbox server certificate.
"""

from __future__ import annotations

import argparse
import ssl
import sys
import urllib.parse
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509

from . import whitelist_file
from .common import HOST, SandboxContext

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
WHITELIST_DIR = "listeblanche"


class StaticHandler(SimpleHTTPRequestHandler):
    """Files under ``directory`` and nothing else; anything resembling traversal gets 403."""

    server_version = "EstafetteSandboxStatic/1"
    sys_version = ""
    timeout = 30
    extensions_map = {  # noqa: RUF012 - the base class declares it as a plain class attribute
        **SimpleHTTPRequestHandler.extensions_map,
        "": "text/plain",
        ".xml": "application/xml",
        ".json": "application/json",
    }

    def __init__(self, *args: Any, directory: str, **kwargs: Any) -> None:
        self._root = Path(directory).resolve()
        super().__init__(*args, directory=str(self._root), **kwargs)

    def _escapes_root(self) -> bool:
        raw = self.path.split("?", 1)[0].split("#", 1)[0]
        # Decode repeatedly: %252e%252e must not turn into ".." anywhere downstream.
        decoded, previous = raw, None
        while decoded != previous:
            previous, decoded = decoded, urllib.parse.unquote(decoded)
        segments = decoded.replace("\\", "/").split("/")
        if any(seg in ("..", ".") or "\x00" in seg for seg in segments):
            return True
        target = Path(self.translate_path(self.path)).resolve()
        return target != self._root and not target.is_relative_to(self._root)

    def send_head(self) -> Any:
        if self._escapes_root():
            self.send_error(HTTPStatus.FORBIDDEN, "Path outside the served directory")
            return None
        return super().send_head()

    def list_directory(self, path: str | Any) -> None:
        self.send_error(HTTPStatus.NOT_FOUND, "No directory listing")
        return None


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Failed handshakes (tests probing old TLS versions, clients rejecting our CA) are expected:
        # one line in the log, not a traceback.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ssl.SSLError, ConnectionError, TimeoutError)):
            print(f"{client_address[0]}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        else:
            super().handle_error(request, client_address)


def serve(root: Path, port: int, cert: str, key: str) -> None:
    handler = partial(StaticHandler, directory=str(root))
    httpd = _Server((HOST, port), handler)
    # No handshake in accept(): a slow or failing client must not block the accepting thread.
    httpd.socket = tls_context(cert, key).wrap_socket(
        httpd.socket, server_side=True, do_handshake_on_connect=False)
    print(f"serving {root} on https://{HOST}:{port}/", file=sys.stderr, flush=True)
    httpd.serve_forever()


def operator_dn(cert_path: str) -> str:
    """The DN of the sandbox operator's server certificate, as the whitelist spells it."""
    cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    return cert.subject.rfc4514_string()


def start(ctx: SandboxContext) -> None:
    """Write the whitelist into ``<base>/www`` and serve that directory over HTTPS."""
    root = ctx.dir("www")
    whitelist_file.write(root / WHITELIST_DIR, operator_dn(ctx.pki["server_cert"]))
    port = ctx.port("https")
    proc = ctx.spawn("static_https", [
        sys.executable, "-m", "tests.sandbox.static_https", "--root", str(root),
        "--port", str(port), "--cert", ctx.pki["server_chain"], "--key", ctx.pki["server_key"],
    ], cwd=PROJECT_ROOT)
    ctx.wait_tcp("static_https", port, proc=proc)
    base_url = f"https://localhost:{port}"
    folder = f"{base_url}/{WHITELIST_DIR}"
    ctx.endpoints["whitelist_url"] = f"{folder}/{whitelist_file.XML_NAME}"
    ctx.endpoints["whitelist_checksum_url"] = f"{folder}/{whitelist_file.CHECKSUM_NAME}"
    ctx.endpoints["https"] = {"base_url": base_url, "root": str(root)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.sandbox.static_https")
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--port", required=True, type=int)
    parser.add_argument("--cert", required=True, help="PEM certificate chain")
    parser.add_argument("--key", required=True, help="PEM private key")
    args = parser.parse_args(argv)
    try:
        serve(args.root, args.port, args.cert, args.key)
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
