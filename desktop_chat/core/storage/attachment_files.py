"""The bytes of attached files, stored once under their SHA-256 in the data folder's ``attachments`` folder.

Content-addressed: the same file attached twice (in one chat or many) is kept once, and a
stored copy never changes, so a chat opens the very bytes that were sent. Files are written
to a temporary name and renamed, so a crash never leaves half a file under a real hash.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

from desktop_chat.core.paths import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE

FOLDER_NAME = "attachments"
_HASH = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20
OPENED = "opened"  # named copies made to open a file (``named_copy``)
_UNSAFE = re.compile(r"[\x00-\x1f/\\:*?\"<>|]")


class AttachmentFiles:
    def __init__(self, data_folder: Path) -> None:
        self.folder = data_folder / FOLDER_NAME

    @classmethod
    def beside(cls, database: Path | None) -> AttachmentFiles | None:
        """The files kept beside the database at ``database`` (None: an in-memory store keeps no files)."""
        return cls(database.parent) if database is not None else None

    def path(self, sha256: str) -> Path:
        if not _HASH.fullmatch(sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return self.folder / sha256[:2] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put_bytes(self, data: bytes) -> str:
        """Store ``data``; returns its hash (already stored: nothing is written)."""
        sha = hashlib.sha256(data).hexdigest()
        if not self.exists(sha):
            self._write(sha, iter((data,)))
        else:
            self._touch(sha)
        return sha

    def put_file(self, source: Path) -> tuple[str, int]:
        """Store a copy of ``source``; returns its hash and size. Reads it twice (hash, then copy) only when new."""
        digest = hashlib.sha256()
        size = 0
        with source.open("rb") as f:
            while block := f.read(_CHUNK):
                digest.update(block)
                size += len(block)
        sha = digest.hexdigest()
        if not self.exists(sha):
            with source.open("rb") as f:
                self._write(sha, iter(lambda: f.read(_CHUNK), b""))
        else:
            self._touch(sha)
        return sha, size

    def read(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def delete(self, sha256: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(sha256).unlink()

    def named_copy(self, sha256: str, name: str) -> Path:
        """A read-only copy of the stored file under its own name, for the desktop to open.

        The stored copy has no extension, so a desktop guessing the application by name would open a
        .docx as a ZIP; and an application saving over what it opened must never change the stored
        bytes (they are named by their hash). The copy lives in ``opened/`` and goes at a sweep a day on.
        """
        safe = _UNSAFE.sub("_", Path(name).name).strip(". ") or "attachment"
        target = self.folder / OPENED / sha256[:16] / safe
        if not target.is_file():
            target.parent.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
            shutil.copyfile(self.path(sha256), target)
            os.chmod(target, 0o400)
        return target

    def forget_named_copies(self, older_than: float) -> None:
        """Delete the copies made to open files whose time (``st_mtime``) is before ``older_than``."""
        opened = self.folder / OPENED
        if not opened.is_dir():
            return
        for folder in opened.iterdir():
            for copy in folder.iterdir() if folder.is_dir() else ():
                with contextlib.suppress(OSError):
                    if copy.stat().st_mtime < older_than:
                        copy.unlink()
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty

    def stored(self) -> Iterator[str]:
        """The hashes of every stored file."""
        if not self.folder.is_dir():
            return
        for sub in self.folder.iterdir():
            if sub.is_dir():
                yield from (f.name for f in sub.iterdir() if _HASH.fullmatch(f.name))

    def _touch(self, sha: str) -> None:
        """A file stored again is young again: a sweep of old unreferenced files must not take it now."""
        with contextlib.suppress(OSError):
            os.utime(self.path(sha))

    def _write(self, sha: str, blocks: Iterator[bytes]) -> None:
        target = self.path(sha)
        target.parent.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
        os.chmod(self.folder, PRIVATE_DIR_MODE)
        partial = target.with_name(f".{sha}.{os.getpid()}.partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
        try:
            with os.fdopen(fd, "wb") as out:
                for block in blocks:
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
            raise
