"""Opening, migrating and refusing database files."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from desktop_chat.core.errors import CorruptDatabase, DatabaseTooNew, StorageError
from desktop_chat.core.models import Role
from desktop_chat.core.storage.db import Database
from desktop_chat.core.storage.migrations import MIGRATIONS
from desktop_chat.core.storage.store import Store


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tables(db: Database) -> set[str]:
    return {row[0] for row in db._conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}


@pytest.mark.parametrize("empty_file", [False, True], ids=["missing", "zero-bytes"])
def test_migrates_from_nothing(tmp_path: Path, empty_file: bool) -> None:
    path = tmp_path / "chat.sqlite3"
    if empty_file:
        path.touch()
    db = Database.open(path)
    try:
        assert {
            "sessions",
            "messages",
            "summaries",
            "facts",
            "fact_events",
            "settings",
            "messages_fts",
        } <= tables(db)
        assert db._conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        applied = [row[0] for row in db._conn.execute("SELECT name FROM schema_migrations ORDER BY rowid")]
        assert applied == [name for name, _ in MIGRATIONS]
        assert db._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db._conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    finally:
        db.close()
    assert not list(tmp_path.glob("*.backup*")), "a brand-new database needs no backup"


def test_reopening_is_idempotent_and_keeps_data(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    session = store.sessions.create("Keep me")
    store.messages.append(session.id, Role.USER, "hello there")
    store.close()
    for _ in range(2):
        store = Store.open(tmp_path)
        assert [s.title for s in store.sessions.list_by_activity()] == ["Keep me"]
        assert store.db._conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == len(MIGRATIONS)
        store.close()
    assert not list(tmp_path.glob("*.backup*"))


def test_older_schema_is_backed_up_then_migrated(tmp_path: Path) -> None:
    path = tmp_path / "desktop-chat.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    name, first = MIGRATIONS[0]
    first(conn)
    conn.execute("INSERT INTO schema_migrations(name, applied_at) VALUES (?, '2026-01-01T00:00:00+00:00')", (name,))
    conn.execute(
        "INSERT INTO sessions(title, created_at, updated_at) VALUES"
        " ('old chat', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')"
    )
    conn.execute("PRAGMA user_version=1")
    conn.close()

    store = Store.open(tmp_path)
    try:
        assert [s.title for s in store.sessions.list_by_activity()] == ["old chat"]
        assert store.sessions.search("old")[0].session_title == "old chat", "existing titles are indexed"
    finally:
        store.close()
    backups = list(tmp_path.glob("desktop-chat.v1-*.backup.sqlite3"))
    assert len(backups) == 1
    check = sqlite3.connect(backups[0])
    assert check.execute("PRAGMA user_version").fetchone()[0] == 1
    assert check.execute("SELECT title FROM sessions").fetchall() == [("old chat",)]
    check.close()


def test_newer_schema_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "chat.sqlite3"
    Database.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    conn.execute("INSERT INTO schema_migrations(name, applied_at) VALUES ('999_from_the_future', 'x')")
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(DatabaseTooNew) as caught:
        Database.open(path)
    message = str(caught.value)
    assert str(path) in message and "newer" in message and "update the app" in message
    assert "\n" not in message
    assert digest(path) == before
    assert not list(tmp_path.glob("*.backup*"))


@pytest.mark.parametrize(
    "content",
    [b"this is my shopping list, not a database\n" * 50, b"SQLite format 3\x00" + b"\xde\xad\xbe\xef" * 2000],
    ids=["text-file", "damaged-sqlite"],
)
def test_corrupt_file_is_reported_not_overwritten(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "chat.sqlite3"
    path.write_bytes(content)
    with pytest.raises(CorruptDatabase) as caught:
        Database.open(path)
    message = str(caught.value)
    assert str(path) in message and "\n" not in message
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chat.sqlite3"]


def test_a_folder_in_place_of_the_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "chat.sqlite3").mkdir()
    with pytest.raises(StorageError, match="is a folder"):
        Database.open(tmp_path / "chat.sqlite3")


def test_transaction_rolls_back_everything_on_error(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    session = store.sessions.create("t")
    with pytest.raises(RuntimeError), store.db.transaction():
        store.messages.append(session.id, Role.USER, "one")
        store.messages.append(session.id, Role.USER, "two")
        raise RuntimeError("boom")
    assert store.messages.count(session.id) == 0
    store.close()
