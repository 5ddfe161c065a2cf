"""Messages: append, stream into, set status, page through, count, recall by FTS."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from desktop_chat.core.errors import NotFound
from desktop_chat.core.models import (
    FilePart,
    ImagePart,
    JSONDict,
    Message,
    MessageStatus,
    Part,
    Role,
    TextPart,
    Usage,
    text_of,
)
from desktop_chat.core.storage.db import Repository, from_db_time, to_db_time, utcnow
from desktop_chat.core.storage.parts import parts_from_row, parts_json
from desktop_chat.core.storage.scan import SENDABLE

_COLUMNS = (
    "id, session_id, parent_id, role, content, created_at, status, model, token_count, usage, meta, error, active,"
    " parts"
)


_ROLES = {role.value: role for role in Role}
_STATUSES = {status.value: status for status in MessageStatus}


def _row_to_message(row: sqlite3.Row | tuple[Any, ...]) -> Message:
    # Planning a long chat builds thousands of these per keystroke: plain dict
    # lookups instead of Enum() calls, and JSON only when a column has any.
    usage = json.loads(row[9]) if row[9] else None
    return Message(
        id=row[0],
        session_id=row[1],
        parent_id=row[2],
        role=_ROLES[row[3]],
        parts=(TextPart(row[4]),) if row[13] is None else parts_from_row(row[4], row[13]),
        created_at=from_db_time(row[5]),
        status=_STATUSES[row[6]],
        model=row[7],
        token_count=row[8],
        usage=Usage(usage["prompt_tokens"], usage["completion_tokens"], usage.get("cached_tokens", 0))
        if usage
        else None,
        meta=json.loads(row[10]) if row[10] else None,
        error=row[11],
        active=bool(row[12]),
    )


def usage_json(usage: Usage | None) -> str | None:
    if usage is None:
        return None
    data = {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens}
    if usage.cached_tokens:  # the provider's prompt cache (priced lower); absent means none
        data["cached_tokens"] = usage.cached_tokens
    return json.dumps(data)


def fts_any_query(text: str) -> str | None:
    """An OR query over the distinct words of ``text``, so BM25 ranks partial matches."""
    words = re.findall(r"\w+", text.lower(), flags=re.UNICODE)
    if not words:
        return None
    return " OR ".join(f'"{word}"' for word in dict.fromkeys(words))


class MessageRepository(Repository):
    def last_active_before(self, session_id: int, message_id: int) -> int | None:
        """The newest message of the active branch older than ``message_id``."""
        row = self._conn.execute(
            "SELECT MAX(id) FROM messages WHERE session_id = ? AND active = 1 AND id < ?", (session_id, message_id)
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def is_active(self, message_id: int) -> bool:
        """Whether the message exists and is on its chat's active branch."""
        row = self._conn.execute("SELECT active FROM messages WHERE id = ?", (message_id,)).fetchone()
        return row is not None and bool(row[0])

    def append(
        self,
        session_id: int,
        role: Role,
        content: str,
        *,
        status: MessageStatus = MessageStatus.COMPLETE,
        parent_id: int | None = None,
        model: str | None = None,
        token_count: int | None = None,
        usage: Usage | None = None,
        meta: JSONDict | None = None,
        created_at: datetime | None = None,
        touch_session: bool = True,
        parts: Sequence[Part] | None = None,
    ) -> Message:
        """Add a message after the session's newest active one (or after ``parent_id``).

        ``parts``: the message's parts when it is more than ``content`` (then ``content`` is ignored).
        """
        if parts is not None:
            content = text_of(tuple(parts))
        conn = self._conn
        moment = to_db_time(created_at or utcnow())
        with self._db.transaction():
            if parent_id is None:
                parent_id = self.last_id(session_id)
            try:
                cursor = conn.execute(
                    "INSERT INTO messages(session_id, parent_id, role, content, created_at, status, model,"
                    " token_count, usage, meta, parts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        session_id,
                        parent_id,
                        Role(role).value,
                        content,
                        moment,
                        MessageStatus(status).value,
                        model,
                        token_count,
                        usage_json(usage),
                        json.dumps(meta) if meta is not None else None,
                        parts_json(parts) if parts is not None else None,
                    ),
                )
            except sqlite3.IntegrityError as exc:
                raise NotFound(f"There is no chat {session_id}; it may have been deleted.", kind="chat") from exc
            assert cursor.lastrowid is not None
            if parts is not None and any(isinstance(p, FilePart | ImagePart) for p in parts):
                conn.executemany(
                    "INSERT INTO message_attachments(message_id, position, sha256) VALUES (?, ?, ?)",
                    [
                        (cursor.lastrowid, i, p.sha256)
                        for i, p in enumerate(p for p in parts if isinstance(p, FilePart | ImagePart))
                    ],
                )
            if touch_session:
                conn.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (moment, session_id))
        return self.get(cursor.lastrowid)

    def get(self, message_id: int) -> Message:
        row = self._conn.execute(f"SELECT {_COLUMNS} FROM messages WHERE id = ?", (message_id,)).fetchone()
        if row is None:
            raise NotFound(f"There is no message {message_id}.")
        return _row_to_message(row)

    def update_content(self, message_id: int, content: str, *, token_count: int | None = None) -> None:
        """Save what has streamed so far; the FTS index follows by trigger."""
        self._conn.execute(
            "UPDATE messages SET content = ?, token_count = ? WHERE id = ?",
            (content, token_count, message_id),
        )

    def finish(
        self,
        message_id: int,
        status: MessageStatus,
        *,
        content: str | None = None,
        token_count: int | None = None,
        usage: Usage | None = None,
        error: str | None = None,
        model: str | None = None,
        parts: Sequence[Part] | None = None,
    ) -> Message:
        """Set the final status (and content or parts, usage, error) of a streamed message."""
        if parts is not None:
            content = text_of(tuple(parts))
        with self._db.transaction():
            conn = self._conn
            if content is not None:
                conn.execute("UPDATE messages SET content = ? WHERE id = ?", (content, message_id))
            if parts is not None:
                conn.execute("UPDATE messages SET parts = ? WHERE id = ?", (parts_json(parts), message_id))
            conn.execute(
                "UPDATE messages SET status = ?, token_count = COALESCE(?, token_count),"
                " usage = COALESCE(?, usage), error = ?, model = COALESCE(?, model) WHERE id = ?",
                (MessageStatus(status).value, token_count, usage_json(usage), error, model, message_id),
            )
        return self.get(message_id)

    def set_token_counts(self, counts: Iterable[tuple[int, int]]) -> None:
        """Cache token counts (message id, count) so nothing is tokenised twice."""
        if self._db.read_only:
            return  # only a cache: a read-only data folder still plans, counting again next time
        with self._db.transaction():
            conn = self._conn
            conn.executemany("UPDATE messages SET token_count = ? WHERE id = ?", [(c, i) for i, c in counts])

    def set_meta(self, message_id: int, meta: JSONDict | None) -> None:
        self._conn.execute(
            "UPDATE messages SET meta = ? WHERE id = ?",
            (json.dumps(meta) if meta is not None else None, message_id),
        )

    def deactivate_from(self, session_id: int, first_id: int) -> int:
        """Take ``first_id`` and every later active message off the active branch.

        They stay in the database (reachable through parent_id) so an edit or a
        regenerate never destroys what was said.
        """
        cursor = self._conn.execute(
            "UPDATE messages SET active = 0 WHERE session_id = ? AND active = 1 AND id >= ?",
            (session_id, first_id),
        )
        return cursor.rowcount

    # --- versions: siblings of one message (same chat, parent and role) ---------------------

    # A message off the branch with no text (a reply stopped before its first word, an attempt that
    # failed at once) is not a version: there is nothing to show or to continue from.
    _SIBLING = (
        "s.session_id = m.session_id AND s.parent_id IS m.parent_id AND s.role = m.role"
        " AND (s.active = 1 OR s.content != '')"
    )

    def version_positions(self, ids: Sequence[int]) -> dict[int, tuple[int, int]]:
        """Each message's place among its versions, oldest first: id -> (1-based position, count)."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._conn.execute(
            f"SELECT m.id, (SELECT COUNT(*) FROM messages s WHERE {self._SIBLING} AND s.id <= m.id),"
            f" (SELECT COUNT(*) FROM messages s WHERE {self._SIBLING}) FROM messages m WHERE m.id IN ({marks})",
            list(ids),
        ).fetchall()
        return {int(row[0]): (int(row[1]), int(row[2])) for row in rows}

    def version_ids(self, message_id: int) -> list[int]:
        """The message's versions (itself included when it is one), oldest first."""
        rows = self._conn.execute(
            f"SELECT s.id FROM messages m JOIN messages s ON {self._SIBLING} WHERE m.id = ? ORDER BY s.id",
            (message_id,),
        ).fetchall()
        return [int(row[0]) for row in rows]

    def active_version(self, session_id: int, parent_id: int | None, role: Role) -> int | None:
        """The message of this parent and role on the chat's active branch (the version shown), if any."""
        row = self._conn.execute(
            "SELECT MAX(id) FROM messages WHERE session_id = ? AND parent_id IS ? AND role = ? AND active = 1",
            (session_id, parent_id, Role(role).value),
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def subtree(self, message_id: int) -> dict[int, int | None]:
        """The message and everything that continued from it: id -> parent id."""
        rows = self._conn.execute(
            "WITH RECURSIVE down(id, parent_id) AS (SELECT id, parent_id FROM messages WHERE id = ?"
            " UNION ALL SELECT m.id, m.parent_id FROM messages m JOIN down ON m.parent_id = down.id)"
            " SELECT id, parent_id FROM down",
            (message_id,),
        ).fetchall()
        return {int(row[0]): row[1] for row in rows}

    def set_active(self, ids: Sequence[int]) -> None:
        """Put these messages on the active branch (the caller took the branch they replace off it)."""
        if ids:
            marks = ",".join("?" * len(ids))
            self._conn.execute(f"UPDATE messages SET active = 1 WHERE id IN ({marks})", list(ids))

    def delete(self, ids: Sequence[int]) -> None:
        """Delete these messages for good (their plans and vectors go with them; facts keep their text)."""
        if ids:
            marks = ",".join("?" * len(ids))
            self._conn.execute(f"DELETE FROM messages WHERE id IN ({marks})", list(ids))

    def last_id(self, session_id: int) -> int | None:
        row = self._conn.execute(
            "SELECT id FROM messages WHERE session_id = ? AND active = 1 ORDER BY id DESC LIMIT 1",
            (session_id,),
        ).fetchone()
        return int(row[0]) if row else None

    def newest(self, session_id: int, limit: int, *, before_id: int | None = None) -> list[Message]:
        """The newest ``limit`` active messages (before ``before_id``), oldest first."""
        if before_id is None:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM messages WHERE session_id = ? AND active = 1 ORDER BY id DESC LIMIT ?",
                (session_id, limit),
            ).fetchall()
        else:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM messages WHERE session_id = ? AND active = 1 AND id < ?"
                " ORDER BY id DESC LIMIT ?",
                (session_id, before_id, limit),
            ).fetchall()
        return [_row_to_message(row) for row in reversed(rows)]

    def all(self, session_id: int, *, include_inactive: bool = False) -> list[Message]:
        """Every message of a session, oldest first."""
        active = "" if include_inactive else "AND active = 1"
        return [
            _row_to_message(row)
            for row in self._conn.execute(
                f"SELECT {_COLUMNS} FROM messages WHERE session_id = ? {active} ORDER BY id", (session_id,)
            )
        ]

    def after(self, session_id: int, after_id: int | None, *, limit: int = -1) -> list[Message]:
        """Active messages newer than ``after_id`` (all of them when None), oldest first; the first ``limit``."""
        return [
            _row_to_message(row)
            for row in self._conn.execute(
                f"SELECT {_COLUMNS} FROM messages WHERE session_id = ? AND active = 1 AND id > ? ORDER BY id LIMIT ?",
                (session_id, after_id or 0, limit),
            )
        ]

    def active_ids_after(self, session_id: int, after_id: int) -> set[int]:
        """The ids of the active messages newer than ``after_id``: no rows made into messages."""
        rows = self._conn.execute(
            "SELECT id FROM messages WHERE session_id = ? AND active = 1 AND id > ?", (session_id, after_id)
        )
        return {int(row[0]) for row in rows}

    def count(self, session_id: int) -> int:
        row = self._conn.execute(
            "SELECT COUNT(*) FROM messages WHERE session_id = ? AND active = 1", (session_id,)
        ).fetchone()
        return int(row[0])

    def by_ids(self, ids: Sequence[int]) -> list[Message]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self._conn.execute(f"SELECT {_COLUMNS} FROM messages WHERE id IN ({marks}) ORDER BY id", ids)
        return [_row_to_message(row) for row in rows]

    def contents(self, ids: Sequence[int]) -> dict[int, str]:
        """Only the text of these messages: what a request needs, without building Message objects."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        return dict(self._conn.execute(f"SELECT id, content FROM messages WHERE id IN ({marks})", ids).fetchall())

    def attached_names(self, ids: Sequence[int]) -> dict[int, list[str]]:
        """The names of the files each of ``ids`` carries, in order (messages with none left out)."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._conn.execute(
            f"SELECT id, content, parts FROM messages WHERE id IN ({marks}) AND parts IS NOT NULL", list(ids)
        )
        found: dict[int, list[str]] = {}
        for message_id, content, stored in rows:
            names = [p.name for p in parts_from_row(content, stored) if isinstance(p, FilePart | ImagePart)]
            if names:
                found[message_id] = names
        return found

    def interrupted(self) -> list[Message]:
        """Messages left 'streaming' by a crash or a kill."""
        return [
            _row_to_message(row)
            for row in self._conn.execute(f"SELECT {_COLUMNS} FROM messages WHERE status = 'streaming' ORDER BY id")
        ]

    def recall_hits(
        self,
        query: str,
        *,
        session_id: int,
        all_sessions: bool = False,
        window_start_id: int | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
    ) -> list[tuple[int, int, datetime, float]]:
        """Sendable active messages matching an FTS5 ``query``, best BM25 first: (id, session id, time, score).

        The score is BM25 made positive (higher is better). Reads no message text,
        so a plan can weigh many hits cheaply. ``since``/``until`` keep messages of
        that time only. ``window_start_id``: that session's messages from there on
        are in the request already.
        """
        sql = (
            "SELECT m.id, m.session_id, m.created_at, bm25(messages_fts) AS rank"
            # CROSS JOIN: the index drives (SQLite would otherwise walk the chat and test each row).
            " FROM messages_fts CROSS JOIN messages m ON m.id = messages_fts.rowid"
            f" WHERE messages_fts MATCH ? AND m.active = 1 AND m.{SENDABLE}"
        )
        params: list[object] = [query]
        if not all_sessions:
            sql += " AND m.session_id = ?"
            params.append(session_id)
        if window_start_id is not None:
            sql += " AND NOT (m.session_id = ? AND m.id >= ?)"
            params += [session_id, window_start_id]
        if since is not None:
            sql += " AND m.created_at >= ?"
            params.append(to_db_time(since))
        if until is not None:
            sql += " AND m.created_at < ?"
            params.append(to_db_time(until))
        sql += " ORDER BY rank LIMIT ?"
        params.append(limit)
        return [(row[0], row[1], from_db_time(row[2]), -float(row[3])) for row in self._conn.execute(sql, params)]

    def next_user_message(self, session_id: int, after_id: int | None) -> Message | None:
        """The first active, complete user message after ``after_id`` (from the start when None).

        One indexed lookup, so a job that walks a long chat message by message reads
        each row once instead of the whole backlog on every step.
        """
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM messages WHERE session_id = ? AND active = 1 AND id > ?"
            " AND role = ? AND status = ? ORDER BY id LIMIT 1",
            (session_id, after_id or 0, Role.USER.value, MessageStatus.COMPLETE.value),
        ).fetchone()
        return _row_to_message(row) if row else None
