"""Sessions: create, rename, pin, archive, delete, list by activity, search."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from desktop_chat.core.errors import NotFound
from desktop_chat.core.models import SearchHit, Session, Strategy
from desktop_chat.core.storage.attachment_search import attachment_hits
from desktop_chat.core.storage.db import Repository, from_db_time, to_db_time, utcnow
from desktop_chat.core.storage.glance import chat_to_reopen

_COLUMNS = (
    "id, title, created_at, updated_at, strategy, strategy_options, system_prompt, model, profile, "
    "pinned, archived, temporary, message_count, origin"
)
_UNSET: Any = object()
RANK_BY_RELEVANCE_UP_TO = 10_000


def _row_to_session(row: sqlite3.Row | tuple[Any, ...]) -> Session:
    return Session(
        id=row[0],
        title=row[1],
        created_at=from_db_time(row[2]),
        updated_at=from_db_time(row[3]),
        strategy=Strategy(row[4]) if row[4] else None,
        strategy_options=json.loads(row[5]),
        system_prompt=row[6],
        model=row[7],
        profile=row[8],
        pinned=bool(row[9]),
        archived=bool(row[10]),
        temporary=bool(row[11]),
        message_count=row[12],
        origin=row[13],
    )


def fts_query(text: str) -> str | None:
    """Turn what a user typed into a safe FTS5 query: every word must match, as a prefix.

    Users type natural text ("what's Alex's city?"), not FTS syntax, so quotes and
    operators are neutralised rather than passed through.
    """
    words = re.findall(r"\w+", text, flags=re.UNICODE)
    if not words:
        return None
    return " ".join(f'"{word}"*' for word in words)


# The sidebar's order: pinned chats, then by last activity, archived chats last (an archived
# chat that is pinned counts as archived). ``listing_key`` is the same order in Python, so a
# view that holds a page can place a changed chat without asking again.
_LISTING_RANK = "(CASE WHEN archived = 1 THEN 2 WHEN pinned = 1 THEN 0 ELSE 1 END)"


def listing_key(session: Session) -> tuple[int, float, int]:
    """Where a chat sits in the listing (smaller first): temporary, pinned, by activity, archived."""
    rank = -1 if session.temporary else 2 if session.archived else 0 if session.pinned else 1
    return (rank, -session.updated_at.timestamp(), -session.id)


class SessionRepository(Repository):
    def create(
        self,
        title: str = "",
        *,
        strategy: Strategy | None = None,
        strategy_options: dict[str, Any] | None = None,
        system_prompt: str = "",
        model: str | None = None,
        profile: str | None = None,
        created_at: datetime | None = None,
        updated_at: datetime | None = None,
        temporary: bool = False,
        pinned: bool = False,
        archived: bool = False,
        origin: str | None = None,
    ) -> Session:
        """A new chat. ``origin`` (default: a fresh uuid) identifies it across export and import."""
        created = to_db_time(created_at or utcnow())
        cursor = self._conn.execute(
            "INSERT INTO sessions(title, created_at, updated_at, strategy, strategy_options, system_prompt,"
            " model, profile, temporary, pinned, archived, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                title,
                created,
                to_db_time(updated_at) if updated_at else created,
                strategy.value if strategy else None,
                json.dumps(strategy_options or {}),
                system_prompt,
                model,
                profile,
                int(temporary),
                int(pinned),
                int(archived),
                origin or str(uuid.uuid4()),
            ),
        )
        assert cursor.lastrowid is not None
        return self.get(cursor.lastrowid)

    def get(self, session_id: int) -> Session:
        row = self._conn.execute(f"SELECT {_COLUMNS} FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise NotFound(f"There is no chat {session_id}; it may have been deleted.", kind="chat")
        return _row_to_session(row)

    def by_origin(self, origin: str) -> Session | None:
        """The chat with this origin id (an imported chat keeps its source's), if there is one."""
        row = self._conn.execute(f"SELECT {_COLUMNS} FROM sessions WHERE origin = ?", (origin,)).fetchone()
        return _row_to_session(row) if row else None

    def idle_since(self, cutoff: datetime, *, include_archived: bool = True) -> list[Session]:
        """Unpinned, saved chats with no activity since ``cutoff``, least recently active first."""
        archived = "" if include_archived else " AND archived = 0"
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM sessions WHERE pinned = 0 AND temporary = 0 AND updated_at < ?{archived}"
            " ORDER BY updated_at, id",
            (to_db_time(cutoff),),
        )
        return [_row_to_session(row) for row in rows]

    def set_times(self, session_id: int, *, created_at: datetime, updated_at: datetime) -> None:
        """Set when a chat began and was last active (an import dates a chat by its messages)."""
        self._conn.execute(
            "UPDATE sessions SET created_at = ?, updated_at = ? WHERE id = ?",
            (to_db_time(created_at), to_db_time(updated_at), session_id),
        )

    def start_ids_above(self, id_base: int) -> None:
        """Make SQLite number new sessions and messages above ``id_base``, with one hidden anchor row in each.

        Only for an empty in-memory database: temporary chats get ids that can never
        clash with a saved chat's. The anchor is a temporary session with no active message.
        """
        now = to_db_time(utcnow())
        with self._db.transaction():
            self._conn.execute(
                "INSERT INTO sessions(id, title, created_at, updated_at, temporary) VALUES (?, '', ?, ?, 1)",
                (id_base, now, now),
            )
            self._conn.execute(
                "INSERT INTO messages(id, session_id, role, content, created_at, active)"
                " VALUES (?, ?, 'system', '', ?, 0)",
                (id_base, id_base, now),
            )

    def exists(self, session_id: int) -> bool:
        return self._conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is not None

    def to_reopen(self, last: int | None) -> int | None:
        """The saved chat the window opens at start (``glance.chat_to_reopen``: the first look's rule too)."""
        chat = chat_to_reopen(self._conn, last)
        return None if chat is None else chat[0]

    def list_by_activity(self, *, include_archived: bool = False, limit: int | None = None) -> list[Session]:
        """Sessions by last activity, newest first."""
        where = "" if include_archived else "WHERE archived = 0"
        sql = f"SELECT {_COLUMNS} FROM sessions {where} ORDER BY updated_at DESC, id DESC"
        params: tuple[int, ...] = ()
        if limit is not None:
            sql += " LIMIT ?"
            params = (limit,)
        return [_row_to_session(row) for row in self._conn.execute(sql, params)]

    def page(self, *, after: Session | None = None, limit: int = 50, include_archived: bool = False) -> list[Session]:
        """The next ``limit`` saved chats in listing order (``listing_key``) after ``after`` (keyset paging)."""
        clauses = [] if include_archived else ["archived = 0"]
        params: list[object] = []
        if after is not None:
            rank = listing_key(after)[0]
            clauses.append(
                f"({_LISTING_RANK} > ? OR ({_LISTING_RANK} = ? AND (updated_at < ? OR (updated_at = ? AND id < ?))))"
            )
            moment = to_db_time(after.updated_at)
            params += [rank, rank, moment, moment, after.id]
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"SELECT {_COLUMNS} FROM sessions {where} ORDER BY {_LISTING_RANK}, updated_at DESC, id DESC LIMIT ?"
        return [_row_to_session(row) for row in self._conn.execute(sql, (*params, limit))]

    def update(
        self,
        session_id: int,
        *,
        title: str = _UNSET,
        strategy: Strategy | None = _UNSET,
        strategy_options: dict[str, Any] = _UNSET,
        system_prompt: str = _UNSET,
        model: str | None = _UNSET,
        profile: str | None = _UNSET,
        pinned: bool = _UNSET,
        archived: bool = _UNSET,
    ) -> Session:
        """Change a session's settings. Does not count as activity."""
        values: dict[str, object] = {}
        if title is not _UNSET:
            values["title"] = title
        if strategy is not _UNSET:
            values["strategy"] = strategy.value if strategy else None
        if strategy_options is not _UNSET:
            values["strategy_options"] = json.dumps(strategy_options)
        if system_prompt is not _UNSET:
            values["system_prompt"] = system_prompt
        if model is not _UNSET:
            values["model"] = model
        if profile is not _UNSET:
            values["profile"] = profile
        if pinned is not _UNSET:
            values["pinned"] = int(pinned)
        if archived is not _UNSET:
            values["archived"] = int(archived)
        if values:
            assignments = ", ".join(f"{column} = ?" for column in values)
            cursor = self._conn.execute(
                f"UPDATE sessions SET {assignments} WHERE id = ?", (*values.values(), session_id)
            )
            if cursor.rowcount == 0:
                raise NotFound(f"There is no chat {session_id}; it may have been deleted.", kind="chat")
        return self.get(session_id)

    def restore(self, session_id: int, at: datetime | None = None) -> Session:
        """Bring an archived chat back to the list, whole; counts as activity, so retention waits again."""
        with self._db.transaction():
            self.update(session_id, archived=False)
            self.touch(session_id, at)
        return self.get(session_id)

    def rename(self, session_id: int, title: str) -> Session:
        return self.update(session_id, title=title.strip())

    def touch(self, session_id: int, at: datetime | None = None) -> None:
        """Record activity, which orders the session list."""
        self._conn.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (to_db_time(at or utcnow()), session_id))

    def delete(self, session_id: int) -> None:
        """Delete a session with its messages, summary and session-scoped facts."""
        cursor = self._conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
        if cursor.rowcount == 0:
            raise NotFound(f"There is no chat {session_id}; it may have been deleted.", kind="chat")

    def search(self, text: str, *, limit: int = 50) -> list[SearchHit]:
        """Full-text search over message content and session titles, best first."""
        query = fts_query(text)
        if query is None:
            return []
        conn = self._conn
        hits: list[SearchHit] = [
            SearchHit(session_id=row[0], session_title=row[1], message_id=None, snippet=row[2], rank=row[3])
            for row in conn.execute(
                "SELECT s.id, s.title, snippet(sessions_fts, 0, '[', ']', '…', 12), bm25(sessions_fts)"
                " FROM sessions_fts JOIN sessions s ON s.id = sessions_fts.rowid"
                " WHERE sessions_fts MATCH ? ORDER BY bm25(sessions_fts) LIMIT ?",
                (query, limit),
            )
        ]
        # BM25 scores every match; for a word in most messages that costs ~100 ms on
        # 100k messages and ranks nothing useful, so such searches show the newest first.
        common = (
            conn.execute(
                "SELECT COUNT(*) FROM (SELECT 1 FROM messages_fts WHERE messages_fts MATCH ? LIMIT ?)",
                (query, RANK_BY_RELEVANCE_UP_TO + 1),
            ).fetchone()[0]
            > RANK_BY_RELEVANCE_UP_TO
        )
        order = "messages_fts.rowid DESC" if common else "bm25(messages_fts)"
        hits += [
            SearchHit(session_id=row[0], session_title=row[1], message_id=row[2], snippet=row[3], rank=row[4])
            for row in conn.execute(
                "SELECT m.session_id, s.title, m.id, snippet(messages_fts, 0, '[', ']', '…', 12),"
                f" {'0.0' if common else 'bm25(messages_fts)'}"
                " FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid"
                " JOIN sessions s ON s.id = m.session_id"
                f" WHERE messages_fts MATCH ? AND m.active = 1 ORDER BY {order} LIMIT ?",
                (query, limit),
            )
        ]
        hits += attachment_hits(conn, query, re.findall(r"\w+", text, flags=re.UNICODE), limit)
        hits.sort(key=lambda hit: hit.rank)  # stable: newest-first order survives for common words
        return hits[:limit]

    def attached_files(self, session_ids: Sequence[int]) -> set[str]:
        """The attached files the chats' messages (every version) refer to: what deleting them may free."""
        found: set[str] = set()
        for start in range(0, len(session_ids), 500):
            chunk = list(session_ids[start : start + 500])
            found.update(
                row[0]
                for row in self._conn.execute(
                    "SELECT DISTINCT l.sha256 FROM message_attachments l JOIN messages m ON m.id = l.message_id"
                    f" WHERE m.session_id IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
            )
        return found
