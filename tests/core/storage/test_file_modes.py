"""The data folder is the user's alone: 0700, and every file the app writes in it 0600, whatever the umask."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_chat.core.logs import PrivateRotatingFileHandler, setup_logging
from desktop_chat.core.models import Role
from desktop_chat.core.paths import database_path, log_path, prepare_data_folder, window_settings_path
from desktop_chat.core.storage.migrations import MIGRATIONS
from desktop_chat.core.storage.store import Store

pytestmark = pytest.mark.skipif(os.name != "posix", reason="permission bits are POSIX")


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The usual desktop umask, under which files are 644 and folders 755 unless the app says otherwise."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def modes(folder: Path) -> dict[str, int]:
    """Every path under ``folder`` (itself as "."), relative, with its permission bits."""
    found = {".": mode(folder)}
    for path in folder.rglob("*"):
        found[str(path.relative_to(folder))] = mode(path)
    return found


def old_install(folder: Path) -> None:
    """A data folder as an older version left it: schema 1 (so opening backs it up first)."""
    folder.mkdir(parents=True)
    conn = sqlite3.connect(database_path(folder), isolation_level=None)
    name, first = MIGRATIONS[0]
    first(conn)
    conn.execute("INSERT INTO schema_migrations(name, applied_at) VALUES (?, '2026-01-01T00:00:00+00:00')", (name,))
    conn.execute("PRAGMA user_version=1")
    conn.close()


@pytest.fixture
def detached_logging() -> Iterator[list[logging.Handler]]:
    """Handlers added to the root logger by the test, removed and closed after it; the root's level restored."""
    added: list[logging.Handler] = []
    root = logging.getLogger()
    level = root.level
    yield added
    for handler in added:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)  # setup_logging lowers it to INFO: later tests asserting "nothing logged" would see INFO


def test_a_fresh_data_folder_is_0700_and_every_file_in_it_0600(
    tmp_path: Path, detached_logging: list[logging.Handler]
) -> None:
    folder = tmp_path / "new" / "data"
    handler = setup_logging(log_path(folder))
    assert handler is not None
    detached_logging.append(handler)
    logging.getLogger("desktop_chat.test").warning("a line in the log")
    ini = window_settings_path(folder)
    ini.write_text("[General]\n")  # as Qt would, keeping the file's mode
    store = Store.open(folder)
    try:
        session = store.sessions.create("secret chat")
        store.messages.append(session.id, Role.USER, "my secret")
        open_now = modes(folder)  # -wal and -shm exist while the database is open
        store.db.backup(folder / "backups" / "copy.sqlite3")
    finally:
        store.close()
    assert {"desktop-chat.sqlite3-wal", "desktop-chat.sqlite3-shm"} <= set(open_now)
    everything = {**open_now, **modes(folder)}
    folders = {name for name in everything if (folder / name).is_dir()}
    assert folders == {".", "logs", "backups"}
    assert {name: bits for name, bits in everything.items() if name in folders} == dict.fromkeys(folders, 0o700)
    files = {name: bits for name, bits in everything.items() if name not in folders}
    assert set(files) >= {"desktop-chat.sqlite3", "logs/desktop-chat.log", "window.ini", "backups/copy.sqlite3"}
    assert files == dict.fromkeys(files, 0o600)
    assert mode(tmp_path / "new") == 0o700, "a folder the app made on the way is private too (XDG asks 0700)"


def test_the_backup_taken_before_a_migration_is_0600(tmp_path: Path) -> None:
    old_install(tmp_path / "data")
    os.chmod(database_path(tmp_path / "data"), 0o600)
    Store.open(tmp_path / "data").close()
    backups = list((tmp_path / "data").glob("desktop-chat.v1-*.backup.sqlite3"))
    assert len(backups) == 1
    assert mode(backups[0]) == 0o600


def test_rotated_logs_are_0600(tmp_path: Path) -> None:
    target = tmp_path / "logs" / "desktop-chat.log"
    target.parent.mkdir(mode=0o700)
    handler = PrivateRotatingFileHandler(target)
    handler.maxBytes = 200
    handler.setFormatter(logging.Formatter("%(message)s"))
    try:
        for number in range(20):
            handler.emit(logging.LogRecord("t", logging.INFO, __file__, 1, f"line {number} " * 5, None, None))
    finally:
        handler.close()
    logs = sorted(target.parent.iterdir())
    assert len(logs) == 4, "the file and three rotated ones"
    assert {log.name: mode(log) for log in logs} == {log.name: 0o600 for log in logs}


def test_an_install_left_readable_by_others_is_made_private_on_start(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    old_install(folder)
    for name in ("logs", "backups", "models"):
        (folder / name).mkdir()
    for name in (
        "window.ini",
        "desktop-chat.sqlite3-wal",
        "desktop-chat.v1-20260101T000000.backup.sqlite3",
        "logs/desktop-chat.log",
        "logs/desktop-chat.log.1",
        "backups/desktop-chat-20260101T000000.sqlite3",
    ):
        (folder / name).write_bytes(b"")
    for path in [folder, *folder.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)

    Store.open(folder).close()

    everything = modes(folder)
    assert {name: bits & 0o077 for name, bits in everything.items()} == dict.fromkeys(everything, 0)
    assert everything["."] == 0o700 and everything["logs"] == 0o700
    assert everything["desktop-chat.sqlite3"] == 0o600 and everything["window.ini"] == 0o600


def test_a_folder_the_user_named_with_other_files_keeps_its_mode_but_our_files_are_private(tmp_path: Path) -> None:
    """``--data-dir ~/Documents``: the folder is the user's, not ours to lock; our files in it are private."""
    folder = tmp_path / "documents"
    folder.mkdir()
    os.chmod(folder, 0o755)
    (folder / "letter.txt").write_text("a letter")
    os.chmod(folder / "letter.txt", 0o644)
    store = Store.open(folder)
    store.close()
    assert mode(folder) == 0o755
    assert mode(folder / "letter.txt") == 0o644
    assert mode(database_path(folder)) == 0o600
    # The same folder holding only what the app put there is the app's own, and is tightened.
    (folder / "letter.txt").unlink()
    prepare_data_folder(folder)
    assert mode(folder) == 0o700


def test_a_log_on_a_full_disk_says_so_once_and_stops(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], detached_logging: list[logging.Handler]
) -> None:
    from tests.helpers.mounts import fill, tmpfs

    with tmpfs(tmp_path / "disk", "1m") as disk:
        handler = setup_logging(log_path(disk / "data"))
        assert isinstance(handler, PrivateRotatingFileHandler)
        detached_logging.append(handler)
        fill(disk)
        logger = logging.getLogger("desktop_chat.test")
        for number in range(800):  # a long reply's worth of records
            logger.warning("delta %d saved", number)
        assert handler.stopped
        logging.getLogger().removeHandler(handler)
        handler.close()
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"Logging stopped: the disk is full ({disk}/data/logs/desktop-chat.log); the app goes on without a log."
    ]
