"""Download a model file into ``<data dir>/models/``: resumable, checked for disk space first, verified by SHA-256.

Blocking (the window runs it in a thread, the command line in its own process). The bytes go
to ``NAME.part``, and what they are (URL, expected SHA-256, total size) to ``NAME.part.json``,
so a dropped connection is resumed at once with an HTTP Range request, and a download stopped
by a cancel, a crash or a restart of the app is resumed the next time it is asked for. Only a
file whose SHA-256 matches becomes ``NAME``; a mismatch removes the partial file.

Where the SHA-256 comes from: the catalog's entry or ``--sha256``; else the one Hugging Face
sends for a file it stores in Git LFS (``X-Linked-Etag``, or an ``ETag`` that is 64 hex
digits). With none of them a download is refused before a byte is written: an unverified
model file is the one thing this must never produce.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import http.client
import json
import logging
import os
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import IO, Any, Literal
from urllib.parse import unquote, urlparse

from desktop_chat.core.errors import ChecksumUnknown, DesktopChatError, LocalModelError, UnknownModelSource
from desktop_chat.core.providers.local.catalog import DISK_MARGIN, CatalogEntry, disk_free, find_entry, gb
from desktop_chat.core.providers.local.files import check_gguf

log = logging.getLogger(__name__)

CHUNK = 256 * 1024
TIMEOUT = 60.0  # seconds without a byte before the connection counts as dropped (and is resumed)
RETRIES = 5  # connection drops survived in one run, each resumed where it stopped
PROGRESS_EVERY = 0.1  # seconds between progress reports
_HEX64 = re.compile(r"^[0-9a-f]{64}$")

Stage = Literal["starting", "downloading", "verifying", "done"]


class DownloadCancelled(DesktopChatError):
    """The user cancelled; the partial file is kept so the same download resumes."""


@dataclass(frozen=True, slots=True)
class DownloadProgress:
    file: str
    stage: Stage
    done: int
    total: int | None
    speed: float  # bytes per second, over the last few seconds
    seconds_left: float | None

    def line(self) -> str:
        """One line for a terminal or a label: '1.2 GB of 2.0 GB · 35.1 MB/s · 23 s left'."""
        if self.stage == "verifying":
            return f"{self.file}: checking the SHA-256…"
        of = f" of {gb(self.total)}" if self.total else ""
        left = f" · {_duration(self.seconds_left)} left" if self.seconds_left is not None else ""
        return f"{self.file}: {gb(self.done)}{of} · {self.speed / 1e6:.1f} MB/s{left}"

    def to_json(self) -> str:
        """One line for the window, which runs a download in a child process (``--progress-json``)."""
        fields = (self.file, self.stage, self.done, self.total, round(self.speed), self.seconds_left)
        return PROGRESS_PREFIX + json.dumps(dict(zip(_FIELDS, fields, strict=True)))

    @classmethod
    def from_json(cls, line: str) -> DownloadProgress | None:
        """The progress a ``to_json`` line carries; None for any other line (the one-line error)."""
        if not line.startswith(PROGRESS_PREFIX):
            return None
        try:
            raw = json.loads(line.removeprefix(PROGRESS_PREFIX))
            return cls(**{k: raw[k] for k in _FIELDS})
        except (ValueError, KeyError, TypeError):
            return None


PROGRESS_PREFIX = "progress "
_FIELDS = ("file", "stage", "done", "total", "speed", "seconds_left")

Progress = Callable[[DownloadProgress], None]


@dataclass(frozen=True, slots=True)
class Source:
    """What to download: the URL, the file name it gets, the SHA-256 known beforehand, the size if known."""

    url: str
    file: str
    sha256: str | None
    size: int | None

    @classmethod
    def resolve(cls, target: str, sha256: str | None = None) -> Source:
        """A catalog id or an http(s) URL; ``sha256`` (from the user) wins over the catalog's."""
        if sha256 is not None:
            sha256 = sha256.strip().lower()
            if not _HEX64.match(sha256):
                raise LocalModelError(f"{sha256!r} is not a SHA-256: give 64 hexadecimal digits.")
        entry: CatalogEntry | None = find_entry(target)
        if entry is not None:
            return cls(entry.url, entry.file, sha256 or entry.sha256, entry.size_bytes)
        parsed = urlparse(target)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise UnknownModelSource(f"{target!r} is neither a catalog model's id nor an http(s) URL of a .gguf file.")
        name = unquote(parsed.path.rsplit("/", 1)[-1])
        if not name.lower().endswith(".gguf") or "/" in name or name.startswith("."):
            raise LocalModelError(f"The URL does not name a .gguf file ({name or 'no file name'}); give a .gguf URL.")
        return cls(target, name, sha256, None)


def part_paths(folder: Path, file: str) -> tuple[Path, Path]:
    return folder / f"{file}.part", folder / f"{file}.part.json"


def download(
    source: Source,
    folder: Path,
    *,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    retries: int = RETRIES,
    timeout: float = TIMEOUT,
) -> Path:
    """Download ``source`` into ``folder`` and return the verified file; raises one-line errors."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / source.file
    if final.exists():
        raise LocalModelError(f"{source.file} is already downloaded ({final}); remove it first to download it again.")
    part, meta_path = part_paths(folder, source.file)
    with _locked(part):
        return _Download(
            source=source,
            final=final,
            part=part,
            meta_path=meta_path,
            progress=progress,
            cancel=cancel,
            retries=retries,
            timeout=timeout,
        ).run()


class _Download:
    def __init__(
        self,
        *,
        source: Source,
        final: Path,
        part: Path,
        meta_path: Path,
        progress: Progress | None,
        cancel: threading.Event | None,
        retries: int,
        timeout: float,
    ) -> None:
        self.source, self.final, self.part, self.meta_path = source, final, part, meta_path
        self.report = progress or (lambda p: None)
        self.cancel = cancel or threading.Event()
        self.retries, self.timeout = retries, timeout
        self.meta = self._read_meta()
        self.sha256: str | None = source.sha256 or self.meta.get("sha256")
        self.total: int | None = self.meta.get("total") or source.size
        self._samples: list[tuple[float, int]] = []
        self._last_report = 0.0

    def _read_meta(self) -> dict[str, Any]:
        """What an earlier run of this download recorded; a partial file of another URL is started over."""
        try:
            meta = json.loads(self.meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        if not isinstance(meta, dict) or meta.get("url") != self.source.url or not self.part.exists():
            self._discard()
            return {}
        if self.source.sha256 and meta.get("sha256") and meta["sha256"] != self.source.sha256:
            self._discard()  # the user expects other bytes than those kept
            return {}
        return meta

    def _discard(self) -> None:
        for path in (self.part, self.meta_path):
            path.unlink(missing_ok=True)

    def _save_meta(self) -> None:
        text = json.dumps({"url": self.source.url, "sha256": self.sha256, "total": self.total})
        tmp = self.meta_path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.meta_path)

    def have(self) -> int:
        try:
            return self.part.stat().st_size
        except FileNotFoundError:
            return 0

    def run(self) -> Path:
        self._check_disk(self.total, self.have())
        self._tell("starting", self.have())
        dropped = 0
        while True:
            try:
                if self._fetch():
                    break
            except (OSError, http.client.HTTPException) as exc:  # a dropped or stalled connection: resume
                dropped += 1
                log.info("download of %s interrupted (%s); resuming from %s", self.source.file, exc, self.have())
                if dropped > self.retries:
                    raise LocalModelError(
                        f"The download of {self.source.file} kept failing ({_why(exc)}); {gb(self.have())} is kept: "
                        "run the same download again to resume."
                    ) from None
                self._pause(min(0.2 * dropped, 2.0))
        return self._verify()

    def _pause(self, seconds: float) -> None:
        if self.cancel.wait(seconds):
            self._cancelled()

    def _fetch(self) -> bool:
        """One request from where the partial file ends; True when the whole file is here."""
        offset = self.have()
        known = self.meta.get("total")  # the server's own figure from an earlier run (the catalog's may be rounded)
        if known is not None and offset >= known and self.sha256:
            return True
        headers = {"User-Agent": "desktop-chat", **({"Range": f"bytes={offset}-"} if offset else {})}
        redirects = _Redirects()
        opener = urllib.request.build_opener(redirects)
        try:
            # http(s) only: Source.resolve checked the scheme, and urllib follows no redirect to file:.
            request = urllib.request.Request(self.source.url, headers=headers)  # noqa: S310
            response = opener.open(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 416 and offset and self.total == offset:
                return True
            raise LocalModelError(
                f"The server refused the download of {self.source.file} (HTTP {exc.code}); check the URL."
            ) from None
        with response:
            status = response.status
            if status not in (200, 206):
                raise LocalModelError(
                    f"The server refused the download of {self.source.file} (HTTP {status}); check the URL."
                )
            if status == 200 or not _range_starts_at(response.headers, offset):
                offset = 0  # the server sent the whole file: start over
            total = _total(response.headers, offset)
            if total is not None:
                self.total = total
            if not self.sha256:
                self.sha256 = _lfs_sha256([*redirects.seen, response.headers])
                if not self.sha256:
                    raise ChecksumUnknown(
                        f"No SHA-256 is known for {self.source.file} and the server sends none: give the file's "
                        "SHA-256 (its model page lists it) so the download can be checked."
                    )
            self._check_disk(self.total, offset)
            self._save_meta()
            with self.part.open("r+b" if offset else "wb") as out:
                out.truncate(offset)
                out.seek(offset)
                self._copy(iter(lambda: response.read(CHUNK), b""), out, offset)
        have = self.have()
        if self.total is not None and have < self.total:
            raise ConnectionResetError(f"the connection closed at {have} of {self.total} bytes")
        return True

    def _copy(self, chunks: Iterator[bytes], out: IO[bytes], done: int) -> None:
        for chunk in chunks:
            if self.cancel.is_set():
                out.flush()
                self._cancelled()
            try:
                out.write(chunk)
            except OSError as exc:
                if exc.errno == errno.ENOSPC:
                    raise LocalModelError(
                        f"The disk filled up while downloading {self.source.file}; free some space and run the "
                        "same download again to resume."
                    ) from None
                raise
            done += len(chunk)
            self._tell("downloading", done)
        self._tell("downloading", done, force=True)  # the last figure, however fast it came

    def _cancelled(self) -> None:
        kept = self.have()
        raise DownloadCancelled(
            f"The download of {self.source.file} was cancelled; {gb(kept)} is kept: download it again to resume."
        )

    def _check_disk(self, total: int | None, have: int) -> None:
        """Refuse before writing when what is still to come does not fit on the disk (with a margin)."""
        if total is None:
            return
        free = disk_free(self.part.parent)
        needed = max(total - have, 0) + DISK_MARGIN
        if free is not None and needed > free:
            raise LocalModelError(
                f"Not enough disk space for {self.source.file}: it needs {gb(needed)} more, {gb(free)} is free "
                f"in {self.part.parent}; free some space and try again."
            )

    def _tell(self, stage: Stage, done: int, *, force: bool = False) -> None:
        now = time.monotonic()
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[0][0] > 3.0:
            self._samples.pop(0)
        if not force and stage == "downloading" and now - self._last_report < PROGRESS_EVERY:
            return
        self._last_report = now
        (t0, d0) = self._samples[0]
        speed = (done - d0) / (now - t0) if now > t0 else 0.0
        left = (self.total - done) / speed if self.total and speed > 0 else None
        self.report(DownloadProgress(self.source.file, stage, done, self.total, speed, left))

    def _verify(self) -> Path:
        have = self.have()
        self._tell("verifying", have, force=True)
        digest = hashlib.sha256()
        with self.part.open("rb") as handle:
            while block := handle.read(1024 * 1024):
                if self.cancel.is_set():
                    self._cancelled()
                digest.update(block)
        if digest.hexdigest() != self.sha256:
            self._discard()
            raise LocalModelError(
                f"The download of {self.source.file} does not match its SHA-256 (expected {self.sha256}, got "
                f"{digest.hexdigest()}); it was removed. Check the URL and the checksum, then try again."
            )
        try:
            check_gguf(self.part)
        except LocalModelError:
            self._discard()
            raise LocalModelError(f"{self.source.file} is not a GGUF model file; it was removed.") from None
        os.replace(self.part, self.final)
        self.meta_path.unlink(missing_ok=True)
        self._tell("done", have, force=True)
        return self.final


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects like urllib's own, keeping each redirect's headers: Hugging Face sends a Git LFS
    file's SHA-256 (``X-Linked-Etag``) on the redirect to its storage, not on the file's response."""

    def __init__(self) -> None:
        self.seen: list[Message] = []

    def redirect_request(  # noqa: PLR0917 - urllib's signature
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        self.seen.append(headers)
        return super().redirect_request(req, fp, code, msg, headers, newurl)  # the Range header goes along


def _range_starts_at(headers: Message, offset: int) -> bool:
    return str(headers.get("content-range", "")).startswith(f"bytes {offset}-")


def _total(headers: Message, offset: int) -> int | None:
    """The whole file's size: from Content-Range's '/TOTAL' on a 206, else the offset plus Content-Length."""
    content_range = str(headers.get("content-range", ""))
    if "/" in content_range and content_range.rsplit("/", 1)[1].isdigit():
        return int(content_range.rsplit("/", 1)[1])
    length = str(headers.get("content-length", ""))
    return offset + int(length) if length.isdigit() else None


def _lfs_sha256(answers: list[Message]) -> str | None:
    """The SHA-256 Hugging Face gives a Git LFS file: ``X-Linked-Etag`` on the redirect, or an ETag of 64 hex."""
    for headers in answers:
        for header in ("x-linked-etag", "etag"):
            value = str(headers.get(header, "")).strip().removeprefix("W/").strip('"').lower()
            if _HEX64.match(value):
                return value
    return None


def _why(exc: Exception) -> str:
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@contextlib.contextmanager
def _locked(part: Path) -> Iterator[None]:
    """One download of a file at a time, across processes (the window and a terminal)."""
    part.parent.mkdir(parents=True, exist_ok=True)
    lock_path = part.with_name(part.name + ".lock")
    handle = lock_path.open("a+b")
    acquired = False
    try:
        try:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:
            pass  # no advisory locks here (Windows): two downloads of one file are the user's to avoid
        except OSError:
            raise LocalModelError(
                f"{part.name.removesuffix('.part')} is being downloaded already (by this app or another window)."
            ) from None
        acquired = True
        yield
    finally:
        # Only the holder removes the lock file: one that failed to lock must not let a third process in.
        if acquired:
            lock_path.unlink(missing_ok=True)
        handle.close()
