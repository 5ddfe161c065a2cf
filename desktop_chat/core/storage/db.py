"""Open the one SQLite file safely: check it, back it up, migrate it.

The database has one owner (the thread that opened it): ``sqlite3`` refuses a
connection used from another thread, and the app keeps it that way on purpose.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from desktop_chat.core.errors import CorruptDatabase, DatabaseTooNew, StorageError
from desktop_chat.core.storage.migrations import MIGRATIONS, applied_migrations, schema_version

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_db_time(moment: datetime) -> str:
    """Timestamps are stored as UTC ISO-8601 text so that text order is time order."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_db_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Database:
    """A migrated SQLite connection with WAL, foreign keys and a busy timeout."""

    def __init__(self, connection: sqlite3.Connection, path: Path | None) -> None:
        self.conn = connection
        self.path = path

    @classmethod
    def open(cls, path: Path) -> Database:
        """Open (creating if needed) and migrate the database at ``path``.

        A newer schema or a file that is not SQLite is refused and left untouched.
        """
        _refuse_non_sqlite(path)
        existed = path.exists() and path.stat().st_size > 0
        try:
            conn = sqlite3.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StorageError(f"Cannot open the database {path}: {exc}. Check the folder's permissions.") from exc
        try:
            version = _check_version(conn, path)
            _configure(conn)
            pending = MIGRATIONS[version:]
            if pending and existed and version > 0:
                backup_database(conn, path, version)
            _migrate(conn, version)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise CorruptDatabase(
                f"{path} is damaged or not a Desktop Chat database ({exc}); "
                "it was left untouched: move it aside or restore a backup."
            ) from exc
        except Exception:
            conn.close()
            raise
        return cls(conn, path)

    @classmethod
    def in_memory(cls) -> Database:
        """A database that never touches disk (temporary chats, tests)."""
        conn = sqlite3.connect(":memory:", isolation_level=None)
        _configure(conn)
        _migrate(conn, 0)
        return cls(conn, None)

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of work; nested use joins the outer transaction."""
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def data_version(self) -> int:
        """Changes when another connection (another process) commits; cheap, for polling."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def integrity_check(self) -> str:
        row = self.conn.execute("PRAGMA integrity_check").fetchone()
        return str(row[0])


def _refuse_non_sqlite(path: Path) -> None:
    if not path.exists():
        return
    if path.is_dir():
        raise StorageError(f"{path} is a folder, not a database file: choose another data folder.")
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StorageError(f"Cannot read the database {path}: {exc.strerror}.") from exc
    if header and header != SQLITE_HEADER:
        raise CorruptDatabase(
            f"{path} is not an SQLite database; it was left untouched: move it aside or restore a backup."
        )


def _check_version(conn: sqlite3.Connection, path: Path) -> int:
    """Read the schema version without writing anything."""
    version = schema_version(conn)
    known = {name for name, _ in MIGRATIONS}
    unknown = [name for name in applied_migrations(conn) if name not in known]
    if version > len(MIGRATIONS) or unknown:
        raise DatabaseTooNew(
            f"{path} was written by a newer Desktop Chat (schema {max(version, len(MIGRATIONS) + 1)}, "
            f"this version knows {len(MIGRATIONS)}); it was left untouched: update the app."
        )
    return version


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode survives a killed process (the OS keeps the log); only a
    # power cut can lose the last commits, which is the usual desktop trade-off.
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def _migrate(conn: sqlite3.Connection, version: int) -> None:
    for index, (name, migrate) in enumerate(MIGRATIONS[version:], start=version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            migrate(conn)
            conn.execute(
                "INSERT INTO schema_migrations(name, applied_at) VALUES (?, ?)",
                (name, to_db_time(utcnow())),
            )
            conn.execute(f"PRAGMA user_version={index}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        log.info("applied migration %s", name)


def backup_database(conn: sqlite3.Connection, path: Path, version: int) -> Path:
    """Copy the database aside before a migration touches it."""
    stamp = utcnow().strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.stem}.v{version}-{stamp}.backup{path.suffix}")
    try:
        with sqlite3.connect(target) as copy:
            conn.backup(copy)
        copy.close()
    except (sqlite3.Error, OSError) as exc:
        target.unlink(missing_ok=True)
        raise StorageError(f"Could not back up {path} before upgrading it ({exc}); nothing was changed.") from exc
    log.info("backed up %s to %s", path, target)
    return target
