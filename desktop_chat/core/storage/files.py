"""The database's files on disk: made private, and what a failure to open or copy them really was.

SQLite reports a full disk, a read-only folder and a damaged file with codes; the
user needs to hear which one it was, because the advice differs: a damaged file
is moved aside, a full disk is not (doing so could lose the chats).
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from pathlib import Path

from desktop_chat.core.errors import CorruptDatabase, DiskFull, ReadOnlyData, StorageError
from desktop_chat.core.paths import private_file, tighten


def open_error(exc: sqlite3.Error, path: Path) -> StorageError:
    """What went wrong while opening, in one true line: damaged only when SQLite says so."""
    folder = path.parent
    name = getattr(exc, "sqlite_errorname", None) or ""
    detail = describe(exc)
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return CorruptDatabase(
            f"{path} is damaged or not a Desktop Chat database ({detail}); "
            "it was left untouched: move it aside or restore a backup."
        )
    if name.startswith("SQLITE_FULL") or disk_is_full(exc, folder):
        return DiskFull(f"The disk holding {folder} is full: free some space and start again.")
    if name.startswith(("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_AUTH")):
        return ReadOnlyData(
            f"The data folder {folder} cannot be written ({detail}): "
            "check the permissions of the folder and the database, or choose another data folder."
        )
    if name.startswith("SQLITE_CANTOPEN"):
        return StorageError(
            f"The database {path} could not be opened ({detail}): "
            "check that its folder exists and that you may read and write it."
        )
    if name.startswith("SQLITE_IOERR"):
        return StorageError(
            f"The database {path} could not be read or written ({detail}); check the disk and try again."
        )
    return StorageError(
        f"The database {path} could not be opened ({detail}); try again, and restore a backup if it keeps failing."
    )


def describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return " ".join(str(exc).split())


def disk_is_full(exc: BaseException, folder: Path) -> bool:
    """A full disk, whatever SQLite called it: creating ``-shm`` on a full disk is an I/O error to it."""
    if isinstance(exc, OSError):
        return exc.errno == errno.ENOSPC
    name = getattr(exc, "sqlite_errorname", None) or ""
    if name.startswith("SQLITE_FULL"):
        return True
    if not name.startswith(("SQLITE_IOERR", "SQLITE_CANTOPEN")):
        return False
    try:
        return shutil.disk_usage(folder).free == 0
    except OSError:
        return False


def writable(path: Path) -> bool:
    """Whether the app may write the database and make its side files (``os.access`` knows read-only disks)."""
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return False
    return not path.exists() or os.access(path, os.W_OK)


def make_private(path: Path) -> bool:
    """Create the database file 0600 before SQLite does (SQLite gives -wal and -shm its mode)."""
    try:
        created = private_file(path)
    except OSError as exc:
        if disk_is_full(exc, path.parent):
            raise DiskFull(f"The disk holding {path.parent} is full: free some space and start again.") from exc
        raise StorageError(f"Cannot create the database {path}: {describe(exc)}.") from exc
    for side in ("-wal", "-shm", "-journal"):
        tighten(path.with_name(path.name + side))
    return created


def forget(path: Path, created: bool) -> None:
    """Remove the empty file made by ``_make_private`` when opening failed: a retry starts clean."""
    if not created:
        return
    try:
        if path.stat().st_size == 0:
            path.unlink()
    except OSError:
        pass


def copy_private(conn: sqlite3.Connection, target: Path) -> None:
    """SQLite's online backup into a new 0600 file (a backup holds every chat); a failed copy is removed."""
    try:
        private_file(target)
        copy = sqlite3.connect(target)
        try:
            conn.backup(copy)
        finally:
            copy.close()
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def backup_error(exc: sqlite3.Error | OSError, target: Path, what: str) -> StorageError:
    if disk_is_full(exc, target.parent):
        return DiskFull(f"{what}: the disk holding {target.parent} is full; free some space. Nothing was changed.")
    return StorageError(f"{what} ({describe(exc)}); nothing was changed.")
