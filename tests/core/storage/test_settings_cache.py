"""``SettingsStore.load`` is cached until the database changes: its own writes, another connection's, a rollback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from desktop_chat.core.paths import database_path
from desktop_chat.core.storage.store import Store


def test_load_is_cached_until_something_writes(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    try:
        first = store.settings.load()
        assert store.settings.load() is first, "read and validated once, not per call"
        store.settings.set("window_messages", first.window_messages + 3)
        assert store.settings.load().window_messages == first.window_messages + 3
        store.settings.reset("window_messages")
        assert store.settings.load().window_messages == first.window_messages
    finally:
        store.close()


def test_another_programs_write_is_seen(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    try:
        before = store.settings.load().window_messages
        with sqlite3.connect(database_path(tmp_path)) as other:
            other.execute(
                "INSERT INTO settings(key, value) VALUES ('window_messages', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (str(before + 5),),
            )
        other.close()
        assert store.settings.load().window_messages == before + 5
    finally:
        store.close()


def test_a_rolled_back_write_is_not_kept(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    try:
        before = store.settings.load().window_messages

        class Undo(Exception):
            pass

        try:
            with store.db.transaction():
                store.settings.set("window_messages", before + 7)
                assert store.settings.load().window_messages == before + 7  # read inside, not cached
                raise Undo
        except Undo:
            pass
        assert store.settings.load().window_messages == before
    finally:
        store.close()
