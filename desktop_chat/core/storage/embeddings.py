"""Message vectors for semantic recall: which messages still need one, writing them, reading them in order.

Vectors are opaque bytes here (the semantic package encodes them); only sendable
user and assistant messages get one, and a message's vector goes when it is
deleted or its text changes (migration 015).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from desktop_chat.core.storage.db import Repository, from_db_time
from desktop_chat.core.storage.scan import SENDABLE

_EMBEDDABLE = f"m.role IN ('user', 'assistant') AND m.{SENDABLE}"
# Under SQLite's oldest limit of 999 bound values per statement.
_IDS_PER_QUERY = 500


class StoredVector(NamedTuple):
    seq: int
    message_id: int
    session_id: int
    vector: bytes
    opening: str  # the message's first characters: a "Name:" label of an imported chat's speaker


def _pending(model: str, after_id: int, session_id: int | None) -> tuple[str, tuple[object, ...]]:
    where = f"m.id > ? AND {_EMBEDDABLE} AND (e.message_id IS NULL OR e.model IS NOT ?)"
    if session_id is None:
        return where, (after_id, model)
    return where + " AND m.session_id = ?", (after_id, model, session_id)


class EmbeddingRepository(Repository):
    _present = False

    def available(self) -> bool:
        """The table exists: a database still open in an older process has not run migration 015 yet."""
        if not self._present:
            self._present = bool(
                self._conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'message_embeddings'"
                ).fetchone()
            )
        return self._present

    def pending(self, model: str, *, after_id: int, limit: int, session_id: int | None = None) -> list[tuple[int, str]]:
        """Up to ``limit`` messages above ``after_id`` with no vector from ``model``, oldest first: (id, text).

        ``session_id``: of that chat only.
        """
        where, params = _pending(model, after_id, session_id)
        rows = self._conn.execute(
            f"SELECT m.id, m.content FROM messages m LEFT JOIN message_embeddings e ON e.message_id = m.id"
            f" WHERE {where} ORDER BY m.id LIMIT ?",
            (*params, limit),
        ).fetchall()
        return [(int(row[0]), str(row[1])) for row in rows]

    def pending_count(self, model: str, *, session_id: int | None = None) -> int:
        where, params = _pending(model, 0, session_id)
        (count,) = self._conn.execute(
            f"SELECT COUNT(*) FROM messages m LEFT JOIN message_embeddings e ON e.message_id = m.id WHERE {where}",
            params,
        ).fetchone()
        return int(count)

    def put(self, model: str, vectors: Sequence[tuple[int, str, bytes]]) -> int:
        """Store (message id, the text it was made from, vector); a message deleted or edited since is skipped.

        Returns how many were stored.
        """
        with self._db.transaction():
            before = self._conn.total_changes
            # INSERT OR REPLACE takes a new seq, so readers see a re-made vector as new.
            self._conn.executemany(
                "INSERT OR REPLACE INTO message_embeddings (message_id, model, vector)"
                " SELECT id, ?, ? FROM messages WHERE id = ? AND content = ?",
                [(model, blob, message_id, text) for message_id, text, blob in vectors],
            )
            return self._conn.total_changes - before

    def since(self, model: str, seq: int, *, limit: int = 50_000) -> list[StoredVector]:
        """Vectors written after ``seq``, in order, with their message's chat."""
        rows = self._conn.execute(
            "SELECT e.seq, e.message_id, m.session_id, e.vector, substr(m.content, 1, 40) FROM message_embeddings e"
            " JOIN messages m ON m.id = e.message_id WHERE e.seq > ? AND e.model = ? ORDER BY e.seq LIMIT ?",
            (seq, model, limit),
        ).fetchall()
        return [StoredVector(int(r[0]), int(r[1]), int(r[2]), bytes(r[3]), str(r[4] or "")) for r in rows]

    def current(self, model: str, ids: Sequence[int]) -> dict[int, tuple[int, datetime]]:
        """Those of ``ids`` that still have a vector and are sendable on the active branch: id -> (chat, time)."""
        found: dict[int, tuple[int, datetime]] = {}
        for start in range(0, len(ids), _IDS_PER_QUERY):
            chunk = list(ids[start : start + _IDS_PER_QUERY])
            rows = self._conn.execute(
                f"SELECT m.id, m.session_id, m.created_at FROM messages m JOIN message_embeddings e"
                f" ON e.message_id = m.id WHERE m.id IN ({','.join('?' * len(chunk))}) AND e.model = ?"
                f" AND m.active = 1 AND {_EMBEDDABLE}",
                [*chunk, model],
            ).fetchall()
            found.update({int(r[0]): (int(r[1]), from_db_time(r[2])) for r in rows})
        return found

    def count(self, model: str) -> int:
        (n,) = self._conn.execute("SELECT COUNT(*) FROM message_embeddings WHERE model = ?", (model,)).fetchone()
        return int(n)
