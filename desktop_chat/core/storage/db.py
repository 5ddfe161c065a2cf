"""Open the one SQLite file safely: check it, back it up, migrate it; map SQLite's errors to ours.

The database has one owner (the thread that opened it): ``sqlite3`` refuses a
connection used from another thread, and the app keeps it that way on purpose.

The connection is private to this package: every query lives in a repository
(a ``Repository`` subclass), and every public repository method turns a
``sqlite3.Error`` into a ``StorageError`` with one line a user can act on, so
nothing above the storage layer knows SQLite exists. The mapping costs one
``try`` per repository call, never one per row.
"""

from __future__ import annotations

import functools
import inspect
import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from desktop_chat.core.errors import CorruptDatabase, DatabaseBusy, DatabaseTooNew, DiskFull, ReadOnlyData, StorageError
from desktop_chat.core.paths import make_private_dirs
from desktop_chat.core.storage.files import (
    backup_error,
    copy_private,
    describe,
    disk_is_full,
    forget,
    make_private,
    open_error,
    writable,
)
from desktop_chat.core.storage.migrations import MIGRATIONS, applied_migrations, schema_version
from desktop_chat.core.storage.waiting import LOOP_BUSY_TIMEOUT_MS, loop_running

# (step, steps, what): step 0 is the backup, then each migration 1..steps.
MigrationProgress = Callable[[int, int, str], None]

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000  # off an event loop's thread (the CLI): SQLite may sleep this long for a lock


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_db_time(moment: datetime) -> str:
    """Timestamps are stored as UTC ISO-8601 text so that text order is time order."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_db_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


# What SQLite reports (by error-code prefix) and the line a user can act on.
_ERRORS: tuple[tuple[tuple[str, ...], type[StorageError], str], ...] = (
    (
        ("SQLITE_BUSY", "SQLITE_LOCKED"),
        DatabaseBusy,
        "The database {where} is busy: another program or another copy of Desktop Chat holds it locked; "
        "close the other copies of the app and try again.",
    ),
    (
        ("SQLITE_FULL",),
        DiskFull,
        "The disk holding the database {where} is full; free some disk space and try again.",
    ),
    (
        ("SQLITE_READONLY",),
        ReadOnlyData,
        "The database {where} cannot be written (read-only); check the permissions of the file and its folder.",
    ),
    (
        ("SQLITE_CORRUPT", "SQLITE_NOTADB"),
        CorruptDatabase,
        "The database {where} is damaged ({detail}); restore a backup or move it aside.",
    ),
    (
        ("SQLITE_IOERR", "SQLITE_CANTOPEN"),
        StorageError,
        "The database {where} could not be read or written ({detail}); check the disk and try again.",
    ),
)


def storage_error(exc: sqlite3.Error, path: Path | None) -> StorageError:
    """One actionable line for what SQLite reported while the database was in use."""
    where = str(path) if path is not None else "in memory"
    name = getattr(exc, "sqlite_errorname", None) or ""
    detail = " ".join(str(exc).split())
    if path is not None and disk_is_full(exc, path.parent):
        name = "SQLITE_FULL"  # SQLite reports a full disk under its -shm file as an I/O error
    for prefixes, kind, template in _ERRORS:
        if name.startswith(prefixes):
            return kind(template.format(where=where, detail=detail))
    if isinstance(exc, sqlite3.ProgrammingError) and "closed" in detail:
        return StorageError(f"The database {where} is already closed; open the chat again.")
    return StorageError(
        f"The database {where} could not be used ({detail}); try again, and restore a backup if it keeps failing."
    )


class Database:
    """A migrated SQLite connection with WAL, foreign keys and a busy timeout.

    ``notice``: None, or why the database was opened for reading only (the data folder
    cannot be written, or its disk is full), in the line a front end shows about it.
    """

    def __init__(self, connection: sqlite3.Connection, path: Path | None, *, notice: str | None = None) -> None:
        self._conn = connection
        self.path = path
        self.notice = notice
        self._busy_timeout = BUSY_TIMEOUT_MS  # what _configure set

    @property
    def read_only(self) -> bool:
        return self.notice is not None

    def pace(self) -> None:
        """Let SQLite wait for another program's lock only briefly on a thread that runs an event loop.

        A window's loop must never sleep in SQLite (a held lock froze typing); the writes
        it cannot drop wait in ``waiting.when_free`` instead. Elsewhere the long wait stays.
        Runs before every repository call: one cheap check, a PRAGMA only when the mode flips.
        """
        wanted = LOOP_BUSY_TIMEOUT_MS if loop_running() else BUSY_TIMEOUT_MS
        if wanted != self._busy_timeout:
            self._conn.execute(f"PRAGMA busy_timeout={wanted}")
            self._busy_timeout = wanted

    def error(self, exc: sqlite3.Error) -> StorageError:
        return storage_error(exc, self.path)

    @classmethod
    def open(cls, path: Path, *, progress: MigrationProgress | None = None) -> Database:
        """Open (creating if needed) and migrate the database at ``path``.

        ``progress(step, steps, what)`` is told before the backup and before each migration.

        A newer schema or a file that is not SQLite is refused and left untouched. A
        database that cannot be written (a read-only folder, file or disk) is opened for
        reading only. Each failure says what is true: the disk is full, the folder is
        read-only, the file is damaged (only when SQLite says so).
        """
        _refuse_non_sqlite(path)
        existed = path.exists() and path.stat().st_size > 0
        if not writable(path):
            return cls._open_read_only(path)
        created = make_private(path)
        try:
            conn = sqlite3.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            forget(path, created)
            raise open_error(exc, path) from exc
        try:
            version = _check_version(conn, path)
            _configure(conn)
            pending = MIGRATIONS[version:]
            if pending and existed and version > 0:
                if progress is not None:
                    progress(0, len(pending), "copying the database aside first")
                backup_database(conn, path, version)
            _migrate(conn, version, progress if existed and version > 0 else None)
        except sqlite3.Error as exc:
            conn.close()
            forget(path, created)
            error = open_error(exc, path)
            if isinstance(error, ReadOnlyData) and existed:
                return cls._open_read_only(path)  # the permission bits allowed it, the disk did not
            if isinstance(error, DiskFull) and existed:
                return cls._open_read_only(path, full=error)  # SQLite's -shm needs room even to read
            raise error from exc
        except Exception:
            conn.close()
            forget(path, created)
            raise
        return cls(conn, path)

    @classmethod
    def _open_read_only(cls, path: Path, *, full: DiskFull | None = None) -> Database:
        """Open an up-to-date database for reading only, so the user can still read and export.

        ``mode=ro`` first: it sees what another process commits. It needs the ``-shm``
        file, which a read-only folder (or a full disk) cannot get, so ``immutable=1`` is
        the fallback: without ``-shm`` no ``-wal`` holds anything unseen, and no other
        copy of the app can commit there either. ``full``: the disk is full (the error to
        raise if even reading fails).
        """
        folder = path.parent
        if full is None:
            notice = (
                f"The data folder {folder} is read-only: chats can be read and exported, "
                "but nothing can be saved until it is writable again."
            )
        else:
            notice = (
                f"The disk holding {folder} is full: chats can be read and exported, "
                "but nothing can be saved until some space is freed."
            )
        if not (path.exists() and path.stat().st_size > 0):
            raise ReadOnlyData(
                f"The data folder {folder} is read-only and holds no chats yet: "
                "make it writable or choose another data folder."
            )
        uri = path.absolute().as_uri()
        failure: sqlite3.Error | None = None
        for query in ("mode=ro", "immutable=1"):
            try:
                conn = sqlite3.connect(f"{uri}?{query}", uri=True, isolation_level=None)
            except sqlite3.Error as exc:
                failure = exc
                continue
            try:
                version = _check_version(conn, path)
                _configure(conn)
                conn.execute("PRAGMA query_only=ON")
            except sqlite3.Error as exc:
                conn.close()
                failure = exc
                continue
            except Exception:
                conn.close()
                raise
            if version < len(MIGRATIONS):
                conn.close()
                if full is not None:
                    raise full
                raise ReadOnlyData(
                    f"{path} must be upgraded for this version of Desktop Chat, but the data folder {folder} "
                    "is read-only: make it writable and start again."
                )
            log.info("opened %s read-only", path)
            return cls(conn, path, notice=notice)
        assert failure is not None
        if full is not None:
            raise full from failure
        error = open_error(failure, path)
        if type(error) is StorageError or isinstance(error, ReadOnlyData):
            raise ReadOnlyData(
                f"The data folder {folder} is read-only and the database in it could not be read "
                f"({describe(failure)}): check the permissions of the folder and the file."
            ) from failure
        raise error from failure

    @classmethod
    def in_memory(cls) -> Database:
        """A database that never touches disk (temporary chats, tests)."""
        conn = sqlite3.connect(":memory:", isolation_level=None)
        _configure(conn)
        _migrate(conn, 0)
        return cls(conn, None)

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of work; nested use joins the outer transaction."""
        conn = self._conn
        try:
            nested = conn.in_transaction  # a closed connection raises here
            if not nested:
                self.pace()
                conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self.error(exc) from exc
        if nested:
            yield
            return
        try:
            yield
        except BaseException:
            if conn.in_transaction:  # SQLite may have rolled back already (a full disk, say)
                conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise self.error(exc) from exc

    def data_version(self) -> int:
        """Changes when another connection (another process) commits; cheap, for polling."""
        try:
            return int(self._conn.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error as exc:
            raise self.error(exc) from exc

    def integrity_check(self) -> str:
        try:
            row = self._conn.execute("PRAGMA integrity_check").fetchone()
        except sqlite3.Error as exc:
            raise self.error(exc) from exc
        return str(row[0])

    def backup(self, target: Path) -> Path:
        """A consistent copy of the live database at ``target`` (SQLite's online backup; writers may go on)."""
        try:
            make_private_dirs(target.parent)
            copy_private(self._conn, target)
        except (sqlite3.Error, OSError) as exc:
            raise backup_error(exc, target, f"Could not back up the database to {target}") from exc
        log.info("backed up %s to %s", self.path, target)
        return target


_Method = TypeVar("_Method", bound=Callable[..., Any])


def _mapping_errors(method: _Method) -> _Method:
    @functools.wraps(method)
    def mapped(self: Repository, *args: Any, **kwargs: Any) -> Any:
        try:
            self._db.pace()
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise self._db.error(exc) from exc

    return mapped  # type: ignore[return-value]


class Repository:
    """Base of every repository: owns no state but the database, and maps SQLite errors.

    Every public method a subclass defines is wrapped so that a ``sqlite3.Error``
    (busy, locked, disk full, read-only, closed) leaves it as a ``StorageError``.
    Repository methods return lists, never generators, so the mapping covers the fetch too.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._conn = db._conn  # package-private: only repositories run SQL

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, value in list(vars(cls).items()):
            if name.startswith("_") or not inspect.isfunction(value):
                continue
            if inspect.isgeneratorfunction(value):
                raise TypeError(f"{cls.__name__}.{name}: a repository method must return a list, not a generator")
            setattr(cls, name, _mapping_errors(value))


def _refuse_non_sqlite(path: Path) -> None:
    if not path.exists():
        return
    if path.is_dir():
        raise StorageError(f"{path} is a folder, not a database file: choose another data folder.")
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StorageError(
            f"Cannot read the database {path} ({describe(exc)}): check the permissions of the file and its folder."
        ) from exc
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


def pending_migrations(path: Path) -> int:
    """How many migrations the database at ``path`` is waiting for (0: none, a new file, or unreadable).

    Read-only and quick: the window asks first, to show the update's progress instead of freezing.
    Anything wrong with the file is left for ``Database.open`` to say.
    """
    if not (path.exists() and path.stat().st_size > 0):
        return 0
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
        try:
            version = schema_version(conn)
        finally:
            conn.close()
    except sqlite3.Error:
        return 0
    return max(0, len(MIGRATIONS) - version) if version > 0 else 0


def _migrate(conn: sqlite3.Connection, version: int, progress: MigrationProgress | None = None) -> None:
    pending = len(MIGRATIONS) - version
    for index, (name, migrate) in enumerate(MIGRATIONS[version:], start=version + 1):
        if progress is not None:
            progress(index - version, pending, name.split("_", 1)[-1].replace("_", " "))
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
        copy_private(conn, target)
    except (sqlite3.Error, OSError) as exc:
        raise backup_error(exc, target, f"Could not back up {path} before upgrading it") from exc
    log.info("backed up %s to %s", path, target)
    return target
