"""The schema, as an ordered list of small named migrations.

Each migration runs once, in its own transaction, and is recorded in
``schema_migrations``; ``PRAGMA user_version`` is the number applied. Never edit
or reorder a released migration: append a new one.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable

from desktop_chat.core.storage.migrations_attachments import m016_attachments, m017_attachment_chunks
from desktop_chat.core.storage.sql_script import run_script

Migration = tuple[str, Callable[[sqlite3.Connection], None]]


def m001_core_tables(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            name TEXT PRIMARY KEY,
            applied_at TEXT NOT NULL
        );
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            strategy TEXT,
            strategy_options TEXT NOT NULL DEFAULT '{}',
            system_prompt TEXT NOT NULL DEFAULT '',
            model TEXT,
            profile TEXT,
            pinned INTEGER NOT NULL DEFAULT 0,
            archived INTEGER NOT NULL DEFAULT 0,
            temporary INTEGER NOT NULL DEFAULT 0,
            message_count INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX sessions_by_activity ON sessions(updated_at DESC, id DESC);
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            parent_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,
            role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
            content TEXT NOT NULL,
            created_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'complete'
                CHECK (status IN ('complete', 'streaming', 'stopped', 'failed')),
            model TEXT,
            token_count INTEGER,
            usage TEXT,
            meta TEXT,
            error TEXT,
            active INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX messages_by_session ON messages(session_id, active, id);
        CREATE INDEX messages_by_parent ON messages(parent_id);
        CREATE TABLE summaries (
            session_id INTEGER PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
            text TEXT NOT NULL,
            covers_through INTEGER NOT NULL,
            token_count INTEGER NOT NULL,
            model TEXT,
            updated_at TEXT NOT NULL,
            edited_by_user INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE facts (
            id INTEGER PRIMARY KEY,
            scope INTEGER REFERENCES sessions(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            source_message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,
            source_quote TEXT,
            origin TEXT NOT NULL CHECK (origin IN ('extracted', 'user')),
            status TEXT NOT NULL
                CHECK (status IN ('active', 'pending', 'rejected', 'superseded', 'deleted')),
            pinned INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            superseded_by INTEGER REFERENCES facts(id) ON DELETE SET NULL,
            edited_by_user INTEGER NOT NULL DEFAULT 0,
            reason TEXT
        );
        CREATE INDEX facts_by_scope ON facts(scope, status);
        CREATE INDEX facts_by_source ON facts(source_message_id);
        CREATE INDEX facts_by_superseded ON facts(superseded_by);
        CREATE TABLE fact_events (
            id INTEGER PRIMARY KEY,
            fact_id INTEGER NOT NULL REFERENCES facts(id) ON DELETE CASCADE,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            old TEXT,
            new TEXT
        );
        CREATE INDEX fact_events_by_fact ON fact_events(fact_id, id);
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )
        """,
    )


def m002_message_counts(conn: sqlite3.Connection) -> None:
    """Keep sessions.message_count (active messages) so the sidebar never counts rows."""
    run_script(
        conn,
        """
        CREATE TRIGGER messages_count_insert AFTER INSERT ON messages BEGIN
            UPDATE sessions SET message_count = message_count + new.active WHERE id = new.session_id;
        END;
        CREATE TRIGGER messages_count_delete AFTER DELETE ON messages BEGIN
            UPDATE sessions SET message_count = message_count - old.active WHERE id = old.session_id;
        END;
        CREATE TRIGGER messages_count_active AFTER UPDATE OF active ON messages
        WHEN new.active != old.active BEGIN
            UPDATE sessions SET message_count = message_count + new.active - old.active
            WHERE id = new.session_id;
        END;
        UPDATE sessions SET message_count =
            (SELECT COUNT(*) FROM messages m WHERE m.session_id = sessions.id AND m.active = 1)
        """,
    )


def m003_full_text_search(conn: sqlite3.Connection) -> None:
    """FTS5 over message content and session titles, kept in sync by triggers."""
    run_script(
        conn,
        """
        CREATE VIRTUAL TABLE messages_fts USING fts5(
            content, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
            INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
        END;
        CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
        END;
        CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
            INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
        END;
        CREATE VIRTUAL TABLE sessions_fts USING fts5(
            title, content='sessions', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER sessions_fts_insert AFTER INSERT ON sessions BEGIN
            INSERT INTO sessions_fts(rowid, title) VALUES (new.id, new.title);
        END;
        CREATE TRIGGER sessions_fts_delete AFTER DELETE ON sessions BEGIN
            INSERT INTO sessions_fts(sessions_fts, rowid, title) VALUES ('delete', old.id, old.title);
        END;
        CREATE TRIGGER sessions_fts_update AFTER UPDATE OF title ON sessions BEGIN
            INSERT INTO sessions_fts(sessions_fts, rowid, title) VALUES ('delete', old.id, old.title);
            INSERT INTO sessions_fts(rowid, title) VALUES (new.id, new.title);
        END;
        INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');
        INSERT INTO sessions_fts(sessions_fts) VALUES ('rebuild')
        """,
    )


def m004_upkeep_state(conn: sqlite3.Connection) -> None:
    """Progress of each session's memory upkeep jobs, so they resume where they stopped."""
    run_script(
        conn,
        """
        CREATE TABLE upkeep_state (
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            job TEXT NOT NULL CHECK (job IN ('summary', 'facts')),
            through_id INTEGER,
            status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
            error TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (session_id, job)
        )
        """,
    )


def m005_covering_scan_index(conn: sqlite3.Connection) -> None:
    """Let the context planner scan a chat newest-first from the index alone.

    Planning reads (id, role, status, token_count) of many messages per keystroke;
    with these columns in the index it never touches the rows that hold the text.
    The old (session_id, active, id) index is a prefix of this one.
    """
    run_script(
        conn,
        """
        CREATE INDEX messages_scan ON messages(session_id, active, id, role, status, token_count);
        DROP INDEX messages_by_session
        """,
    )


def m006_session_origin(conn: sqlite3.Connection) -> None:
    """A stable origin id per chat, so importing the same export twice adds nothing.

    A chat made here gets a random uuid; an imported chat keeps the origin of its
    source (or a fingerprint of its content). Existing chats get a uuid now.
    """
    conn.execute("ALTER TABLE sessions ADD COLUMN origin TEXT")
    ids = [row[0] for row in conn.execute("SELECT id FROM sessions")]
    conn.executemany("UPDATE sessions SET origin = ? WHERE id = ?", [(str(uuid.uuid4()), i) for i in ids])
    conn.execute("CREATE UNIQUE INDEX sessions_by_origin ON sessions(origin) WHERE origin IS NOT NULL")


def m007_chat_claims(conn: sqlite3.Connection) -> None:
    """One row per chat that is answering right now, so two processes never reply in one chat at once.

    The owner refreshes ``heartbeat_at`` while it holds the claim; a claim whose
    heartbeat is old, or whose process is gone from this host, may be taken over.
    """
    run_script(
        conn,
        """
        CREATE TABLE chat_claims (
            session_id INTEGER PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
            owner TEXT NOT NULL,
            pid INTEGER NOT NULL,
            host TEXT NOT NULL,
            taken_at TEXT NOT NULL,
            heartbeat_at TEXT NOT NULL
        )
        """,
    )


def m008_fts_stemming(conn: sqlite3.Connection) -> None:
    """Rebuild the full-text indexes with Porter stemming, so "plan" finds "planned" and "plans".

    The tokenizer of an FTS5 table cannot be changed in place: both tables and
    their triggers are made again and rebuilt from the rows they index (external
    content), which keeps every message and title searchable. Queries are
    stemmed by the same tokenizer, so the search code is the same before and after.
    """
    tokenize = "porter unicode61 remove_diacritics 2"
    run_script(
        conn,
        f"""
        DROP TRIGGER messages_fts_insert;
        DROP TRIGGER messages_fts_delete;
        DROP TRIGGER messages_fts_update;
        DROP TABLE messages_fts;
        DROP TRIGGER sessions_fts_insert;
        DROP TRIGGER sessions_fts_delete;
        DROP TRIGGER sessions_fts_update;
        DROP TABLE sessions_fts;
        CREATE VIRTUAL TABLE messages_fts USING fts5(
            content, content='messages', content_rowid='id', tokenize='{tokenize}'
        );
        CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
            INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
        END;
        CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
        END;
        CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
            INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
        END;
        CREATE VIRTUAL TABLE sessions_fts USING fts5(
            title, content='sessions', content_rowid='id', tokenize='{tokenize}'
        );
        CREATE TRIGGER sessions_fts_insert AFTER INSERT ON sessions BEGIN
            INSERT INTO sessions_fts(rowid, title) VALUES (new.id, new.title);
        END;
        CREATE TRIGGER sessions_fts_delete AFTER DELETE ON sessions BEGIN
            INSERT INTO sessions_fts(sessions_fts, rowid, title) VALUES ('delete', old.id, old.title);
        END;
        CREATE TRIGGER sessions_fts_update AFTER UPDATE OF title ON sessions BEGIN
            INSERT INTO sessions_fts(sessions_fts, rowid, title) VALUES ('delete', old.id, old.title);
            INSERT INTO sessions_fts(rowid, title) VALUES (new.id, new.title);
        END;
        INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');
        INSERT INTO sessions_fts(sessions_fts) VALUES ('rebuild')
        """,
    )


def m009_reply_plans(conn: sqlite3.Connection) -> None:
    """The plan each reply was made from (ids and counts, not text), for "why this reply".

    One row per assistant message; ``parts`` and ``omitted`` are JSON lists of
    {kind, tokens, reason, message_ids, fact_ids, summary_through}.
    """
    run_script(
        conn,
        """
        CREATE TABLE reply_plans (
            message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            strategy TEXT NOT NULL,
            model TEXT NOT NULL,
            budget INTEGER NOT NULL,
            context_window INTEGER NOT NULL,
            reserved_reply INTEGER NOT NULL,
            total_tokens INTEGER NOT NULL,
            exact_counts INTEGER NOT NULL DEFAULT 1,
            parts TEXT NOT NULL,
            omitted TEXT NOT NULL DEFAULT '[]'
        );
        CREATE INDEX reply_plans_by_session ON reply_plans(session_id)
        """,
    )


def m010_private_facts(conn: sqlite3.Connection) -> None:
    """A fact marked private is sent only to local models (a loopback server)."""
    conn.execute("ALTER TABLE facts ADD COLUMN private INTEGER NOT NULL DEFAULT 0")


def m011_summary_history(conn: sqlite3.Connection) -> None:
    """Every earlier state of a chat's summary, so its changes can be undone after a restart.

    One row per change (a user's edit or undo, an upkeep fold, a branch rollback):
    the state it replaced (``text`` NULL: there was no summary), who changed it and
    when; ``undo_of`` names the row an undo brought back.
    """
    run_script(
        conn,
        """
        CREATE TABLE summary_history (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            text TEXT,
            covers_through INTEGER,
            token_count INTEGER,
            model TEXT,
            edited_by_user INTEGER NOT NULL DEFAULT 0,
            changed_by TEXT NOT NULL CHECK (changed_by IN ('user', 'upkeep', 'system')),
            changed_at TEXT NOT NULL,
            undo_of INTEGER
        );
        CREATE INDEX summary_history_by_session ON summary_history(session_id, id)
        """,
    )


def m012_streaming_index(conn: sqlite3.Connection) -> None:
    """Find replies left streaming without a scan: the window polls for them while another process streams."""
    run_script(conn, "CREATE INDEX messages_streaming ON messages(id) WHERE status = 'streaming'")


def m013_message_parts(conn: sqlite3.Connection) -> None:
    """Messages become lists of typed parts; every existing message is one text part (its ``content``).

    ``parts`` holds the JSON list of a message's parts when it is more than one text part
    (a tool call, an attachment); NULL means one text part, the ``content`` column, so no
    row is rewritten and ``content`` (the text of the text parts) stays what FTS indexes.
    The role CHECK is widened for tool results: only the stored schema text changes
    (SQLite's documented procedure for loosening a CHECK; no row is touched).
    """
    conn.execute("ALTER TABLE messages ADD COLUMN parts TEXT")
    (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'messages'").fetchone()
    old = "CHECK (role IN ('system', 'user', 'assistant'))"
    if old in sql:
        (version,) = conn.execute("PRAGMA schema_version").fetchone()
        conn.execute("PRAGMA writable_schema=ON")
        conn.execute(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'messages'",
            (sql.replace(old, "CHECK (role IN ('system', 'user', 'assistant', 'tool'))"),),
        )
        conn.execute(f"PRAGMA schema_version={version + 1}")
        conn.execute("PRAGMA writable_schema=OFF")


def m014_usage(conn: sqlite3.Connection) -> None:
    """What each request used and cost: replies and memory upkeep (fact extraction, summaries, titles).

    No foreign keys on purpose: money spent stays in the month's total after its chat is deleted,
    and a temporary chat's requests (ids above the temporary base, never in this file) count too;
    the row holds numbers and names only, never text. ``cost_usd`` is NULL when the price is
    unknown (never 0), 0 for a local server; ``estimated``: the provider sent no usage, so the
    tokens were counted with the app's tokenizer.
    """
    run_script(
        conn,
        """
        CREATE TABLE usage_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            session_id INTEGER,
            message_id INTEGER,
            kind TEXT NOT NULL CHECK (kind IN ('reply', 'facts', 'summary', 'title')),
            profile TEXT NOT NULL,
            model TEXT NOT NULL,
            prompt_tokens INTEGER NOT NULL,
            completion_tokens INTEGER NOT NULL,
            cached_tokens INTEGER NOT NULL DEFAULT 0,
            estimated INTEGER NOT NULL DEFAULT 0,
            pricing TEXT NOT NULL CHECK (pricing IN ('free', 'priced', 'unknown')),
            cost_usd REAL,
            priced_by TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX usage_by_time ON usage_log(at);
        CREATE INDEX usage_by_session ON usage_log(session_id, kind);
        CREATE INDEX usage_by_message ON usage_log(message_id) WHERE message_id IS NOT NULL
        """,
    )


def m015_message_embeddings(conn: sqlite3.Connection) -> None:
    """Semantic recall: one vector per sendable message, made in the background by a local model.

    ``seq`` grows with every write, so a reader's in-memory index catches up with "seq > the
    last one I read" (an edited message is embedded again under a new seq). A message's
    vector goes with it (ON DELETE CASCADE) and is dropped when its text changes, so the
    indexer makes it anew; until then recall finds that message by its words alone. A later
    migration that rebuilds ``messages`` (a table copy) would drop every vector through the
    cascade: the indexer would make them all again, minutes of work on a big history.
    """
    run_script(
        conn,
        """
        CREATE TABLE message_embeddings (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            message_id INTEGER NOT NULL UNIQUE REFERENCES messages(id) ON DELETE CASCADE,
            model TEXT NOT NULL,
            vector BLOB NOT NULL
        );
        CREATE TRIGGER message_embeddings_stale AFTER UPDATE OF content ON messages
        WHEN old.content IS NOT new.content
        BEGIN
            DELETE FROM message_embeddings WHERE message_id = old.id;
        END;
        """,
    )


MIGRATIONS: list[Migration] = [
    ("001_core_tables", m001_core_tables),
    ("002_message_counts", m002_message_counts),
    ("003_full_text_search", m003_full_text_search),
    ("004_upkeep_state", m004_upkeep_state),
    ("005_covering_scan_index", m005_covering_scan_index),
    ("006_session_origin", m006_session_origin),
    ("007_chat_claims", m007_chat_claims),
    ("008_fts_stemming", m008_fts_stemming),
    ("009_reply_plans", m009_reply_plans),
    ("010_private_facts", m010_private_facts),
    ("011_summary_history", m011_summary_history),
    ("012_streaming_index", m012_streaming_index),
    ("013_message_parts", m013_message_parts),
    ("014_usage", m014_usage),
    ("015_message_embeddings", m015_message_embeddings),
    ("016_attachments", m016_attachments),
    ("017_attachment_chunks", m017_attachment_chunks),
]


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").fetchone()
    if not exists:
        return []
    return [row[0] for row in conn.execute("SELECT name FROM schema_migrations ORDER BY rowid")]
