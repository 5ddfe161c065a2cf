"""A real HTTP file server on 127.0.0.1 that honours Range requests, with faults to inject.

``FileServer`` serves ``files`` (path -> bytes) and records every request's path and headers.
Faults: ``drop_at`` (close the connection after sending that many bytes of the file, once,
having promised all of it), ``wrong_bytes`` (send other bytes of the same length),
``bytes_per_second`` (throttle, so a download can be cancelled or its process killed midway),
``lfs_sha256`` (the ``X-Linked-Etag`` header Hugging Face sends for a Git LFS file); ``redirect`` answers a
path with 302 to another and that file's SHA-256 as ``X-Linked-Etag``, as a Hugging Face resolve link does.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

_RANGE = re.compile(r"bytes=(\d+)-$")


def gguf_bytes(size: int, seed: int = 1) -> bytes:
    """``size`` bytes that start like a GGUF model file (the magic), the rest varied by ``seed``."""
    body = hashlib.sha256(str(seed).encode()).digest() * (size // 32 + 1)
    return (b"GGUF" + body)[:size]


@dataclass
class Seen:
    path: str
    headers: dict[str, str]

    @property
    def range(self) -> str | None:
        return self.headers.get("range")


@dataclass
class FileServer:
    files: dict[str, bytes] = field(default_factory=dict)
    drop_at: int | None = None
    wrong_bytes: bool = False
    bytes_per_second: float | None = None
    lfs_sha256: dict[str, str] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)  # path -> path, as Hugging Face's resolve links
    seen: list[Seen] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    def add(self, path: str, data: bytes, *, lfs: bool = False) -> str:
        """Serve ``data`` at ``path``; ``lfs``: send its SHA-256 as Hugging Face does. Returns the URL."""
        self.files[path] = data
        if lfs:
            self.lfs_sha256[path] = hashlib.sha256(data).hexdigest()
        return self.url(path)

    def redirect(self, path: str, to: str) -> str:
        """``path`` answers 302 to ``to``, with ``to``'s SHA-256 as ``X-Linked-Etag`` (Hugging Face's way)."""
        self.redirects[path] = to
        return self.url(path)

    def url(self, path: str) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def ranges(self) -> list[str | None]:
        return [s.range for s in self.seen]

    def __enter__(self) -> FileServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                owner.seen.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}))
                target = owner.redirects.get(self.path)
                if target is not None:
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.send_header("X-Linked-Etag", f'"{hashlib.sha256(owner.files[target]).hexdigest()}"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = owner.files.get(self.path)
                if data is None:
                    self.send_error(404)
                    return
                start = 0
                wanted = _RANGE.match(self.headers.get("Range", ""))
                if wanted:
                    start = int(wanted.group(1))
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                if owner.wrong_bytes:
                    body = bytes(b ^ 0x5A for b in body)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Accept-Ranges", "bytes")
                if self.path in owner.lfs_sha256:
                    self.send_header("X-Linked-Etag", f'"{owner.lfs_sha256[self.path]}"')
                self.end_headers()
                self._send(body, start)

            def _send(self, body: bytes, start: int) -> None:
                step = 64 * 1024
                sent = 0
                began = time.monotonic()
                try:
                    while sent < len(body):
                        drop = owner.drop_at
                        if drop is not None and start + sent + step > drop >= start + sent:
                            self.wfile.write(body[sent : drop - start])
                            self.wfile.flush()
                            owner.drop_at = None  # once
                            self.close_connection = True
                            self.connection.shutdown(2)
                            return
                        self.wfile.write(body[sent : sent + step])
                        sent += step
                        rate = owner.bytes_per_second
                        if rate:
                            ahead = sent / rate - (time.monotonic() - began)
                            if ahead > 0:
                                time.sleep(ahead)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def file_server() -> Iterator[FileServer]:
    with FileServer() as server:
        yield server
