"""``AttachmentRepository``: attached files' rows (what was read from them) and which message refers to which.

``messages.append`` records the references (``message_attachments``) with the message, in its transaction.

The bytes are not here: ``storage/attachment_files.py`` keeps them in the data folder under their hash.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from desktop_chat.core.attachments.chunks import chunk_text
from desktop_chat.core.errors import NotFound
from desktop_chat.core.models import Attachment
from desktop_chat.core.storage.db import Repository, to_db_time, utcnow
from desktop_chat.core.storage.messages import fts_any_query


@dataclass(frozen=True, slots=True)
class StoredChunk:
    id: int
    sha256: str
    seq: int
    label: str
    text: str
    rank: float


_COLUMNS = "sha256, name, media_type, size, text, units, unit_name, width, height"


def _attachment(row: Sequence[Any]) -> Attachment:
    return Attachment(*row)


class AttachmentRepository(Repository):
    _present = False

    def available(self) -> bool:
        """The tables exist: a database still open in an older process has not run migrations 016-017 yet."""
        if not self._present:
            self._present = bool(
                self._conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'attachment_chunks'"
                ).fetchone()
            )
        return self._present

    def add(self, attachment: Attachment, *, at: datetime | None = None) -> None:
        """Keep ``attachment``'s row, a document's text in chunks too; the same content added again (under any
        name) keeps the first row."""
        a = attachment
        with self._db.transaction():
            cursor = self._conn.execute(
                f"INSERT OR IGNORE INTO attachments({_COLUMNS}, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (a.sha256, a.name, a.media_type, a.size, a.text, a.units, a.unit_name, a.width, a.height,
                 to_db_time(at or utcnow())),
            )  # fmt: skip
            if cursor.rowcount and a.text:
                self._conn.executemany(
                    "INSERT INTO attachment_chunks(sha256, seq, label, text) VALUES (?, ?, ?, ?)",
                    [(a.sha256, c.seq, c.label, c.text) for c in chunk_text(a.text)],
                )

    def chunks(self, sha256: str) -> list[StoredChunk]:
        """A document's chunks in order."""
        rows = self._conn.execute(
            "SELECT id, sha256, seq, label, text, 0.0 FROM attachment_chunks WHERE sha256 = ? ORDER BY seq", (sha256,)
        )
        return [StoredChunk(*row) for row in rows]

    def chunk_count(self, sha256: str) -> int:
        row = self._conn.execute("SELECT COUNT(*) FROM attachment_chunks WHERE sha256 = ?", (sha256,)).fetchone()
        return int(row[0])

    def search_chunks(self, words: str, shas: Sequence[str] | None = None, *, limit: int = 50) -> list[StoredChunk]:
        """Chunks holding any of ``words`` (stemmed, as message search), best match first; only those of
        ``shas`` when given. ``rank`` is FTS5's bm25 (lower is better)."""
        query = fts_any_query(words)
        if query is None or (shas is not None and not shas):
            return []
        among = ""
        params: list[object] = [query]
        if shas is not None:
            among = f" AND c.sha256 IN ({','.join('?' * len(shas))})"
            params += list(shas)
        rows = self._conn.execute(
            "SELECT c.id, c.sha256, c.seq, c.label, c.text, bm25(attachment_chunks_fts)"
            " FROM attachment_chunks_fts JOIN attachment_chunks c ON c.id = attachment_chunks_fts.rowid"
            f" WHERE attachment_chunks_fts MATCH ?{among} ORDER BY bm25(attachment_chunks_fts) LIMIT ?",
            [*params, limit],
        )
        return [StoredChunk(*row) for row in rows]

    def get(self, sha256: str) -> Attachment:
        row = self._conn.execute(f"SELECT {_COLUMNS} FROM attachments WHERE sha256 = ?", (sha256,)).fetchone()
        if row is None:
            raise NotFound(f"The attached file {sha256[:12]} is no longer stored: attach it again.", kind="attachment")
        return _attachment(row)

    def has(self, sha256: str) -> bool:
        return self._conn.execute("SELECT 1 FROM attachments WHERE sha256 = ?", (sha256,)).fetchone() is not None

    def of_messages(self, message_ids: Sequence[int]) -> dict[int, list[Attachment]]:
        """The attachments each of ``message_ids`` refers to, in order (messages without any left out)."""
        found: dict[int, list[Attachment]] = {}
        for start in range(0, len(message_ids), 500):
            chunk = list(message_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT l.message_id, {', '.join('a.' + c.strip() for c in _COLUMNS.split(','))}"
                " FROM message_attachments l JOIN attachments a ON a.sha256 = l.sha256"
                f" WHERE l.message_id IN ({marks}) ORDER BY l.message_id, l.position",
                chunk,
            ).fetchall()
            for row in rows:
                found.setdefault(row[0], []).append(_attachment(row[1:]))
        return found

    def of_session(self, session_id: int) -> list[tuple[int, str]]:
        """(message id, sha256) of every file the chat's active messages carry, oldest first."""
        if not self.available():
            return []
        # Driven by message_attachments (small), not by the chat's messages (maybe 100,000).
        rows = self._conn.execute(
            "SELECT l.message_id, l.sha256 FROM message_attachments l CROSS JOIN messages m ON m.id = l.message_id"
            " WHERE m.session_id = ? AND m.active = 1 ORDER BY l.message_id, l.position",
            (session_id,),
        )
        return [(int(row[0]), str(row[1])) for row in rows]

    def referenced(self) -> set[str]:
        """Every stored row's hash (the files the data folder must keep)."""
        return {row[0] for row in self._conn.execute("SELECT sha256 FROM attachments")}

    def abandoned(self, before: datetime) -> list[str]:
        """Rows no message refers to, added before ``before``: attachments left in a composer and never sent."""
        rows = self._conn.execute(
            "SELECT sha256 FROM attachments a WHERE created_at < ?"
            " AND NOT EXISTS (SELECT 1 FROM message_attachments l WHERE l.sha256 = a.sha256)",
            (to_db_time(before),),
        )
        return [row[0] for row in rows]

    def delete(self, shas: Sequence[str]) -> None:
        """Forget rows no message refers to (a row still referred to is kept)."""
        with self._db.transaction():
            self._conn.executemany(
                "DELETE FROM attachments WHERE sha256 = ?"
                " AND NOT EXISTS (SELECT 1 FROM message_attachments WHERE sha256 = ?)",
                [(sha, sha) for sha in shas],
            )
