"""SQLite errors during use become one-line StorageErrors; nothing above storage sees sqlite3."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_chat.core.errors import StorageError
from desktop_chat.core.models import Role
from desktop_chat.core.paths import database_path
from desktop_chat.core.storage import db as db_module
from desktop_chat.core.storage.db import Database, Repository
from desktop_chat.core.storage.store import Store


@pytest.fixture
def impatient_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """A store that gives up on a lock after 50 ms instead of 5 s."""
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_MS", 50)
    store = Store.open(tmp_path / "data")
    yield store
    store.close()


def one_line(error: StorageError) -> str:
    text = str(error)
    assert "\n" not in text and isinstance(error.__cause__, sqlite3.Error)
    assert not isinstance(error, sqlite3.Error)
    return text


def test_a_database_locked_by_another_copy_says_so(impatient_store: Store, tmp_path: Path) -> None:
    session = impatient_store.sessions.create("chat")
    other = sqlite3.connect(database_path(tmp_path / "data"), isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StorageError) as appending:
            impatient_store.messages.append(session.id, Role.USER, "hello")
        assert "busy" in one_line(appending.value) and "close the other copies of the app" in str(appending.value)
        with pytest.raises(StorageError) as transaction, impatient_store.db.transaction():
            pass
        assert "busy" in one_line(transaction.value)
        with pytest.raises(StorageError, match="busy"):
            impatient_store.settings.set("window_messages", 12)
    finally:
        other.execute("ROLLBACK")
        other.close()
    # Once the other copy lets go, the same store works, and nothing half-written was left behind.
    impatient_store.messages.append(session.id, Role.USER, "hello")
    assert impatient_store.messages.count(session.id) == 1


def test_a_full_disk_says_to_free_space_and_keeps_what_was_saved(store: Store) -> None:
    session = store.sessions.create("chat")
    store.messages.append(session.id, Role.USER, "kept")
    pages = store.db._conn.execute("PRAGMA page_count").fetchone()[0]
    store.db._conn.execute(f"PRAGMA max_page_count = {pages}")  # the "disk" is full now
    with pytest.raises(StorageError) as caught:
        store.messages.append(session.id, Role.USER, "x" * 200_000)
    assert "full; free some disk space" in one_line(caught.value)
    assert [m.content for m in store.messages.all(session.id)] == ["kept"]


def test_a_closed_database_is_a_storage_error(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    store.close()
    with pytest.raises(StorageError) as caught:
        store.sessions.list_by_activity()
    assert "closed" in one_line(caught.value)
    with pytest.raises(StorageError):
        store.upkeep_state.for_session(1)


def test_a_repository_method_may_not_be_a_generator() -> None:
    with pytest.raises(TypeError, match="must return a list"):

        class Streaming(Repository):
            def rows(self) -> Iterator[int]:
                yield 1


def test_database_connection_is_private() -> None:
    database = Database.in_memory()
    try:
        assert not hasattr(database, "conn")
    finally:
        database.close()
