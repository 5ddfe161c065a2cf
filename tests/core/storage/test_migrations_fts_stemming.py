"""Migration 008: the full-text indexes are rebuilt with Porter stemming; the old index works until then."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from desktop_chat.core.memory.planner import plan_context
from desktop_chat.core.models import PartKind, Role, Strategy
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.db import Database
from desktop_chat.core.storage.migrations import MIGRATIONS
from desktop_chat.core.storage.store import Store

NOW = "2026-01-01T00:00:00+00:00"
BEFORE = [name for name, _ in MIGRATIONS].index("008_fts_stemming")


def _database_at_007(path: Path) -> None:
    """A database as the previous release left it: migrations 001-007, a chat with messages."""
    conn = sqlite3.connect(path, isolation_level=None)
    for name, migrate in MIGRATIONS[:BEFORE]:
        conn.execute("BEGIN")
        migrate(conn)
        conn.execute("INSERT INTO schema_migrations(name, applied_at) VALUES (?, ?)", (name, NOW))
        conn.execute("COMMIT")
    conn.execute(f"PRAGMA user_version={BEFORE}")
    conn.execute("INSERT INTO sessions(title, created_at, updated_at) VALUES ('Holiday planning', ?, ?)", (NOW, NOW))
    texts = ["We planned the trip to Porto for months.", "Lovely.", "Anything else?", "No.", "How is the plan going?"]
    # Newer small talk, so the window cannot reach the old messages within the budget.
    texts += [f"Small talk number {i}, about the weather and nothing else at all." for i in range(40)]
    for i, text in enumerate(texts):
        role = "user" if i % 2 == 0 else "assistant"
        conn.execute(
            "INSERT INTO messages(session_id, role, content, created_at) VALUES (1, ?, ?, ?)", (role, text, NOW)
        )
    conn.close()


def _tokenizer(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("SELECT sql FROM sqlite_master WHERE name = 'messages_fts'").fetchone()[0])
    finally:
        conn.close()


def _recalled_ids(store: Store, draft: str) -> tuple[int, ...]:
    session_id = store.sessions.list_by_activity()[0].id
    config = Settings(window_messages=1, recall_neighbours=0, recall_episodes=False)
    plan = plan_context(
        store, session_id, settings=config, model="gpt-4o-mini", strategy=Strategy.RECALL, draft=draft, budget=300
    )
    return next((p.message_ids for p in plan.parts if p.kind == PartKind.RECALLED), ())


def test_the_migration_rebuilds_the_index_with_stemming_and_takes_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "desktop-chat.sqlite3"
    _database_at_007(path)
    assert "porter" not in _tokenizer(path)

    store = Store.open(tmp_path)
    try:
        # Existing rows were indexed again: an inflected word is found by its stem, and titles still are.
        assert 1 in _recalled_ids(store, "What did we plan for the holiday?")
        assert store.sessions.search("planning")[0].session_title == "Holiday planning"
        assert store.sessions.search("plans")[0].session_title == "Holiday planning", "titles are stemmed too"
        # New messages are indexed by the new triggers.
        session_id = store.sessions.list_by_activity()[0].id
        added = store.messages.append(session_id, Role.ASSISTANT, "The boats were sailing all day.")
        hits = store.messages.recall_hits('"sail"', session_id=session_id)
        assert [hit[0] for hit in hits] == [added.id]
    finally:
        store.close()
    assert "porter" in _tokenizer(path)
    backups = list(tmp_path.glob(f"desktop-chat.v{BEFORE}-*.backup.sqlite3"))
    assert len(backups) == 1
    assert "porter" not in _tokenizer(backups[0]), "the backup is the database as it was"


def test_a_database_with_the_old_index_keeps_working_until_migrated(tmp_path: Path) -> None:
    path = tmp_path / "desktop-chat.sqlite3"
    _database_at_007(path)
    # Opened without migrating, as a process of the previous release would still hold it.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    # This release's code reads the parts column of migration 013; the index stays the old one.
    conn.execute("ALTER TABLE messages ADD COLUMN parts TEXT")
    store = Store(Database(conn, path))
    try:
        assert 1 in _recalled_ids(store, "Tell me about the planned trip"), "exact words are still found"
        assert 1 not in _recalled_ids(store, "What about the plan for the holidays?"), "no stemming yet"
    finally:
        store.close()
