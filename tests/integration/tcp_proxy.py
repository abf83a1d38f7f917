"""A small TCP relay for the sync tests that scripts what a real server won't do on demand: drop
every connection at once, or cut the link in the middle of a response after N bytes.

The server behind it is the sandbox's real Dovecot; the relay forwards bytes untouched (TLS goes
end to end, so the client still checks Dovecot's certificate), and only ever listens on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType


class CuttableProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port = int(self._listener.getsockname()[1])
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._budget: int | None = None  # server->client bytes left before the cut, when armed
        self.connections = 0
        self.cuts = 0
        self.refuse = False
        self._closed = False
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()

    # --- control ----------------------------------------------------------------------------------

    def cut_all(self) -> None:
        """Drop every open connection now (like a server restart or a network loss)."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
            self.cuts += len(pairs)
        for pair in pairs:
            self._close(pair)

    def cut_after(self, server_bytes: int) -> None:
        """Forward ``server_bytes`` more bytes from the server, then cut (mid-response)."""
        with self._lock:
            self._budget = server_bytes

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._listener.close()
        self.cut_all()

    def __enter__(self) -> CuttableProxy:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # --- relay ------------------------------------------------------------------------------------

    @staticmethod
    def _close(pair: tuple[socket.socket, socket.socket]) -> None:
        for sock in pair:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.refuse:
                client.close()
                continue
            try:
                server = socket.create_connection(self._target, timeout=10)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            pair = (client, server)
            with self._lock:
                self._pairs.append(pair)
                self.connections += 1
            threading.Thread(target=self._pump, args=(client, server, pair, False),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, pair, True),
                             daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket,
              pair: tuple[socket.socket, socket.socket], downstream: bool) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                cut = False
                if downstream:
                    with self._lock:
                        if self._budget is not None:
                            if len(data) >= self._budget:
                                data, cut, self._budget = data[: self._budget], True, None
                                self.cuts += 1
                            else:
                                self._budget -= len(data)
                if data:
                    sink.sendall(data)
                if cut:
                    break
        except OSError:
            pass
        with self._lock:
            if pair in self._pairs:
                self._pairs.remove(pair)
        self._close(pair)
