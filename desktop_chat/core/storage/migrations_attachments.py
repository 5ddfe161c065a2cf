"""The migrations of issue 23 (attachments), kept apart from ``migrations.py`` only for its length.

Listed in ``migrations.MIGRATIONS`` in order like every other migration.
"""

from __future__ import annotations

import sqlite3

from desktop_chat.core.storage.sql_script import run_script


def m016_attachments(conn: sqlite3.Connection) -> None:
    """Attached files (issue 23): one row per distinct content, and which message refers to which.

    The bytes live in the data folder (``attachments/<2 hex>/<sha256>``), never in the database;
    ``text`` is what was read from a document, so it can be searched and recalled. A row goes
    when the last message that refers to it does (the trigger); a row no message refers to yet
    is an attachment waiting in a composer, and ``AttachmentRepository.abandoned`` finds old ones.
    """
    run_script(
        conn,
        """
        CREATE TABLE attachments (
            sha256 TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            media_type TEXT NOT NULL,
            size INTEGER NOT NULL,
            text TEXT,
            units INTEGER,
            unit_name TEXT NOT NULL DEFAULT '',
            width INTEGER,
            height INTEGER,
            created_at TEXT NOT NULL
        );
        CREATE TABLE message_attachments (
            message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            sha256 TEXT NOT NULL REFERENCES attachments(sha256),
            PRIMARY KEY (message_id, position)
        );
        CREATE INDEX message_attachments_by_file ON message_attachments(sha256);
        CREATE TRIGGER attachment_unreferenced AFTER DELETE ON message_attachments
        WHEN NOT EXISTS (SELECT 1 FROM message_attachments WHERE sha256 = old.sha256)
        BEGIN
            DELETE FROM attachments WHERE sha256 = old.sha256;
        END;
        """,
    )


def m017_attachment_chunks(conn: sqlite3.Connection) -> None:
    """A document's text in chunks, indexed for full-text search: finding a chat by words inside what was
    attached to it, and picking the excerpts of a document too long to send whole. Chunks go with their
    attachment's row (the foreign key), their index entries with them (the triggers)."""
    tokenize = "porter unicode61 remove_diacritics 2"  # as messages_fts (m008): the same words match
    run_script(
        conn,
        f"""
        CREATE TABLE attachment_chunks (
            id INTEGER PRIMARY KEY,
            sha256 TEXT NOT NULL REFERENCES attachments(sha256) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            label TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL,
            UNIQUE (sha256, seq)
        );
        CREATE VIRTUAL TABLE attachment_chunks_fts USING fts5(
            text, content='attachment_chunks', content_rowid='id', tokenize='{tokenize}'
        );
        CREATE TRIGGER attachment_chunks_fts_insert AFTER INSERT ON attachment_chunks BEGIN
            INSERT INTO attachment_chunks_fts(rowid, text) VALUES (new.id, new.text);
        END;
        CREATE TRIGGER attachment_chunks_fts_delete AFTER DELETE ON attachment_chunks BEGIN
            INSERT INTO attachment_chunks_fts(attachment_chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END;
        """,
    )
