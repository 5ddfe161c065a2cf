"""Index-only reads of a chat's active branch, for the context planner.

Each query here is answered from the covering index ``messages_scan`` (session,
active, id, role, status, token_count) or from the counts the sessions table
keeps, never by reading message text: the planner runs them on every keystroke.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from desktop_chat.core.models import Role
from desktop_chat.core.storage.db import Repository, from_db_time

# Streaming messages are unfinished and failed ones hold no reply: neither is sent.
SENDABLE = "status IN ('complete', 'stopped')"
_NO_UPPER_BOUND = 1 << 62
_ROLES = {role.value: role for role in Role}


class TimelineRow(NamedTuple):
    """What episode boundaries need of a message: its time and the source session an import recorded."""

    id: int
    role: Role
    created_at: datetime
    token_count: int | None
    source_session: str | None  # ``meta.session`` of an imported chat, when it has one


class ScanRepository(Repository):
    def newest_user_id(self, session_id: int) -> int | None:
        """The newest sendable user message on the active branch."""
        row = self._conn.execute(
            f"SELECT id FROM messages WHERE session_id = ? AND active = 1 AND role = 'user' AND {SENDABLE}"
            " ORDER BY id DESC LIMIT 1",
            (session_id,),
        ).fetchone()
        return int(row[0]) if row else None

    def newest_role(self, session_id: int) -> Role | None:
        """Who wrote the newest sendable message on the active branch (None: there is none)."""
        row = self._conn.execute(
            f"SELECT role FROM messages WHERE session_id = ? AND active = 1 AND {SENDABLE} ORDER BY id DESC LIMIT 1",
            (session_id,),
        ).fetchone()
        return _ROLES[row[0]] if row else None

    def newest_first(
        self, session_id: int, *, below: int | None, above: int | None, limit: int
    ) -> list[tuple[int, Role, int | None]]:
        """Up to ``limit`` sendable messages with ``above < id < below``, newest first: (id, role, cached count)."""
        rows = self._conn.execute(
            f"SELECT id, role, token_count FROM messages WHERE session_id = ? AND active = 1 AND {SENDABLE}"
            " AND id < ? AND id > ? ORDER BY id DESC LIMIT ?",
            (session_id, _upper(below), above or 0, limit),
        ).fetchall()
        return [(row[0], _ROLES[row[1]], row[2]) for row in rows]

    def sendable_bounds(
        self, session_id: int, *, above: int | None, below: int | None
    ) -> tuple[int | None, int | None]:
        """The first and the last sendable message strictly between two ids."""
        bounds = f"session_id = ? AND active = 1 AND {SENDABLE} AND id > ? AND id < ?"
        params = (session_id, above or 0, _upper(below))
        first = self._conn.execute(f"SELECT id FROM messages WHERE {bounds} ORDER BY id LIMIT 1", params).fetchone()
        last = self._conn.execute(f"SELECT id FROM messages WHERE {bounds} ORDER BY id DESC LIMIT 1", params).fetchone()
        return (first[0] if first else None, last[0] if last else None)

    def active_count(self, session_id: int | None) -> int:
        """Active messages of a session (of every session when None), from the counts the sessions table keeps."""
        if session_id is None:
            row = self._conn.execute("SELECT COALESCE(SUM(message_count), 0) FROM sessions").fetchone()
        else:
            row = self._conn.execute("SELECT message_count FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return int(row[0]) if row else 0

    def active_count_after(self, session_id: int, after: int) -> int:
        """Active messages with an id above ``after``: counted from the newest end, where the window is."""
        row = self._conn.execute(
            "SELECT COUNT(*) FROM messages WHERE session_id = ? AND active = 1 AND id > ?", (session_id, after)
        ).fetchone()
        return int(row[0])

    def sendable_ids_between(self, session_id: int, *, above: int | None, below: int | None, limit: int) -> list[int]:
        """Up to ``limit`` sendable ids strictly between two ids, oldest first."""
        rows = self._conn.execute(
            f"SELECT id FROM messages WHERE session_id = ? AND active = 1 AND {SENDABLE}"
            " AND id > ? AND id < ? ORDER BY id LIMIT ?",
            (session_id, above or 0, _upper(below), limit),
        )
        return [int(r[0]) for r in rows]

    def sendable_neighbours(self, session_id: int, message_id: int, n: int) -> list[int]:
        """Up to ``n`` sendable messages either side of ``message_id``, in id order."""
        before = self._conn.execute(
            f"SELECT id FROM messages WHERE session_id = ? AND active = 1 AND {SENDABLE} AND id < ?"
            " ORDER BY id DESC LIMIT ?",
            (session_id, message_id, n),
        ).fetchall()
        after = self._conn.execute(
            f"SELECT id FROM messages WHERE session_id = ? AND active = 1 AND {SENDABLE} AND id > ?"
            " ORDER BY id LIMIT ?",
            (session_id, message_id, n),
        ).fetchall()
        return sorted(int(r[0]) for r in [*before, *after])

    def timeline(self, session_id: int, message_id: int, before: int, after: int) -> list[TimelineRow]:
        """``message_id`` with up to ``before``/``after`` sendable messages either side, in id order.

        ``meta`` is read only for its ``session`` key (an imported chat's session boundary).
        """
        columns = "id, role, created_at, token_count, json_extract(meta, '$.session')"
        where = f"session_id = ? AND active = 1 AND {SENDABLE}"
        older = self._conn.execute(
            f"SELECT {columns} FROM messages WHERE {where} AND id <= ? ORDER BY id DESC LIMIT ?",
            (session_id, message_id, before + 1),
        ).fetchall()
        newer = self._conn.execute(
            f"SELECT {columns} FROM messages WHERE {where} AND id > ? ORDER BY id LIMIT ?",
            (session_id, message_id, after),
        ).fetchall()
        return [
            TimelineRow(r[0], _ROLES[r[1]], from_db_time(r[2]), r[3], None if r[4] is None else str(r[4]))
            for r in [*reversed(older), *newer]
        ]

    def rows(self, ids: list[int]) -> list[TimelineRow]:
        """The timeline rows of ``ids`` (any chat), those still sendable on the active branch, in id order."""
        if not ids:
            return []
        columns = "id, role, created_at, token_count, json_extract(meta, '$.session')"
        found = self._conn.execute(
            f"SELECT {columns} FROM messages WHERE id IN ({','.join('?' * len(ids))}) AND active = 1 AND {SENDABLE}"
            " ORDER BY id",
            ids,
        ).fetchall()
        return [
            TimelineRow(r[0], _ROLES[r[1]], from_db_time(r[2]), r[3], None if r[4] is None else str(r[4]))
            for r in found
        ]

    def word_frequency(self, word: str, cap: int) -> int:
        """How many messages (of any chat) contain ``word``, counting no further than ``cap``."""
        row = self._conn.execute(
            "SELECT COUNT(*) FROM (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? LIMIT ?)",
            (f'"{word}"', cap),
        ).fetchone()
        return int(row[0])

    def word_frequency_in(self, word: str, session_id: int, cap: int) -> int:
        """How many active messages of one chat contain ``word``, counting no further than ``cap``."""
        row = self._conn.execute(
            # CROSS JOIN: the index drives (SQLite would otherwise walk the chat and test each row).
            "SELECT COUNT(*) FROM (SELECT m.id FROM messages_fts CROSS JOIN messages m ON m.id = messages_fts.rowid"
            " WHERE messages_fts MATCH ? AND m.session_id = ? AND m.active = 1 LIMIT ?)",
            (f'"{word}"', session_id, cap),
        ).fetchone()
        return int(row[0])


def _upper(below: int | None) -> int:
    return below if below is not None else _NO_UPPER_BOUND
