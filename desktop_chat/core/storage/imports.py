"""Rows written as an export recorded them: the importer's way in, bypassing the rules for new data.

A message keeps its status, branch flag, times and error; a fact keeps its status,
times and its whole ``fact_events`` history, copied rather than re-recorded.
Validation and id remapping are the importer's (``core/importers/writer.py``); every call
here runs inside its one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from desktop_chat.core.models import (
    FactOrigin,
    FactStatus,
    FilePart,
    ImagePart,
    JSONDict,
    MessageStatus,
    Part,
    Role,
    Usage,
)
from desktop_chat.core.storage.db import Repository, to_db_time
from desktop_chat.core.storage.facts import normalize_key
from desktop_chat.core.storage.messages import usage_json
from desktop_chat.core.storage.parts import parts_json


class ImportRepository(Repository):
    def add_message(
        self,
        session_id: int,
        *,
        parent_id: int | None,
        role: Role,
        content: str,
        created_at: datetime,
        status: MessageStatus,
        model: str | None = None,
        token_count: int | None = None,
        usage: Usage | None = None,
        meta: JSONDict | None = None,
        error: str | None = None,
        active: bool = True,
        parts: Sequence[Part] = (),
    ) -> int:
        """Insert one message as recorded, with its references to attached files (their rows must be here first);
        the session's activity time is not touched."""
        cursor = self._conn.execute(
            "INSERT INTO messages(session_id, parent_id, role, content, created_at, status, model, token_count,"
            " usage, meta, error, active, parts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                session_id,
                parent_id,
                role.value,
                content,
                to_db_time(created_at),
                status.value,
                model,
                token_count,
                usage_json(usage),
                json.dumps(meta) if meta is not None else None,
                error,
                int(active),
                parts_json(parts) if parts else None,
            ),
        )
        assert cursor.lastrowid is not None
        files = [p.sha256 for p in parts if isinstance(p, FilePart | ImagePart)]
        if files:
            self._conn.executemany(
                "INSERT INTO message_attachments(message_id, position, sha256) VALUES (?, ?, ?)",
                [(cursor.lastrowid, position, sha) for position, sha in enumerate(files)],
            )
        return cursor.lastrowid

    def add_fact(
        self,
        *,
        scope: int | None,
        key: str,
        value: str,
        origin: FactOrigin,
        status: FactStatus,
        created_at: datetime,
        updated_at: datetime,
        source_message_id: int | None = None,
        source_quote: str | None = None,
        pinned: bool = False,
        edited_by_user: bool = False,
        reason: str | None = None,
    ) -> int:
        """Insert one fact as recorded, without an event: its history is copied with ``add_fact_event``."""
        cursor = self._conn.execute(
            "INSERT INTO facts(scope, key, value, source_message_id, source_quote, origin, status, pinned,"
            " created_at, updated_at, edited_by_user, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                scope,
                normalize_key(key),
                value,
                source_message_id,
                source_quote,
                origin.value,
                status.value,
                int(pinned),
                to_db_time(created_at),
                to_db_time(updated_at),
                int(edited_by_user),
                reason,
            ),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def add_fact_event(
        self,
        fact_id: int,
        *,
        at: datetime,
        actor: str,
        action: str,
        old: object = None,
        new: object = None,
    ) -> None:
        """Copy one entry of a fact's history."""
        self._conn.execute(
            "INSERT INTO fact_events(fact_id, at, actor, action, old, new) VALUES (?, ?, ?, ?, ?, ?)",
            (
                fact_id,
                to_db_time(at),
                actor,
                action,
                json.dumps(old) if old is not None else None,
                json.dumps(new) if new is not None else None,
            ),
        )

    def link_superseded(self, fact_id: int, successor_id: int | None) -> None:
        """Point an imported superseded fact at its successor (None when the successor was not imported)."""
        self._conn.execute("UPDATE facts SET superseded_by = ? WHERE id = ?", (successor_id, fact_id))
