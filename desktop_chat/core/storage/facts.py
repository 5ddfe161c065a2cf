"""Facts about the user, with an append-only audit of every change."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Collection
from datetime import datetime
from typing import Any

from desktop_chat.core.errors import NotFound
from desktop_chat.core.models import Fact, FactEvent, FactOrigin, FactStatus, JSONDict
from desktop_chat.core.storage.db import Repository, from_db_time, to_db_time, utcnow

_COLUMNS = (
    "id, scope, key, value, source_message_id, source_quote, origin, status, pinned, created_at, updated_at,"
    " superseded_by, edited_by_user, reason, private"
)


def normalize_key(key: str) -> str:
    """``"Favourite Colour"`` and ``favourite_colour`` are the same fact."""
    return re.sub(r"[\s\-]+", "_", key.strip().lower())


def _row_to_fact(row: sqlite3.Row | tuple[Any, ...]) -> Fact:
    return Fact(
        id=row[0],
        scope=row[1],
        key=row[2],
        value=row[3],
        source_message_id=row[4],
        source_quote=row[5],
        origin=FactOrigin(row[6]),
        status=FactStatus(row[7]),
        pinned=bool(row[8]),
        created_at=from_db_time(row[9]),
        updated_at=from_db_time(row[10]),
        superseded_by=row[11],
        edited_by_user=bool(row[12]),
        reason=row[13],
        private=bool(row[14]),
    )


def _snapshot(fact: Fact) -> JSONDict:
    return {
        "key": fact.key,
        "value": fact.value,
        "status": fact.status.value,
        "pinned": fact.pinned,
        "private": fact.private,
    }


class FactRepository(Repository):
    # --- reading -------------------------------------------------------------

    def get(self, fact_id: int) -> Fact:
        row = self._conn.execute(f"SELECT {_COLUMNS} FROM facts WHERE id = ?", (fact_id,)).fetchone()
        if row is None:
            raise NotFound(f"There is no fact {fact_id}; it may have been removed with its chat.", kind="fact")
        return _row_to_fact(row)

    def visible(
        self,
        *,
        session_id: int | None = None,
        statuses: Collection[FactStatus] = (FactStatus.ACTIVE, FactStatus.PENDING),
        include_global: bool = True,
    ) -> list[Fact]:
        """Facts visible in a session (its own and, by default, the global ones), oldest first."""
        marks = ",".join("?" * len(statuses))
        params: list[object] = []
        if session_id is None:
            where = "scope IS NULL"
        elif include_global:
            where = "(scope IS NULL OR scope = ?)"
            params.append(session_id)
        else:
            where = "scope = ?"
            params.append(session_id)
        params += [s.value for s in statuses]
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM facts WHERE {where} AND status IN ({marks}) ORDER BY id", params
        )
        return [_row_to_fact(row) for row in rows]

    def all(self) -> list[Fact]:
        return [_row_to_fact(row) for row in self._conn.execute(f"SELECT {_COLUMNS} FROM facts ORDER BY id")]

    def current(self, key: str, scope: int | None) -> Fact | None:
        """The active or pending fact for ``key`` in exactly this scope."""
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM facts WHERE key = ? AND scope IS ? AND status IN ('active', 'pending')"
            " ORDER BY id DESC LIMIT 1",
            (normalize_key(key), scope),
        ).fetchone()
        return _row_to_fact(row) if row else None

    def current_all(self, key: str, scope: int | None) -> list[Fact]:
        """Every active or pending fact for ``key`` in exactly this scope, newest ``updated_at`` first.

        More than one is a state to repair (``keep_newest``), never one to show.
        """
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM facts WHERE key = ? AND scope IS ? AND status IN ('active', 'pending')"
            " ORDER BY updated_at DESC, id DESC",
            (normalize_key(key), scope),
        )
        return [_row_to_fact(row) for row in rows]

    def find_same(self, key: str, value: str, scope: int | None, *, created_at: datetime | None = None) -> Fact | None:
        """A fact that already says this: the current value of ``key``, or the same record (value and creation time).

        Importing uses it to recognise facts it already holds, current or in their history.
        """
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM facts WHERE key = ? AND scope IS ? AND value = ?"
            " AND (status IN ('active', 'pending') OR created_at = ?) ORDER BY id LIMIT 1",
            (normalize_key(key), scope, value.strip(), to_db_time(created_at) if created_at else None),
        ).fetchone()
        return _row_to_fact(row) if row else None

    def keep_newest(self, key: str, scope: int | None, *, actor: str = "import") -> Fact | None:
        """Leave one current fact for ``key`` in ``scope``: the newest by ``updated_at`` wins.

        The others are superseded by it (kept, with an event in their history), so
        there are never two active values for one key. A pin is the user's wish for
        the key, so it passes to the winner. Returns the one kept.
        """
        with self._db.transaction():
            current = self.current_all(key, scope)
            if not current:
                return None
            winner, losers = current[0], current[1:]
            for loser in losers:
                self.supersede(loser.id, winner.id, actor=actor)
            if any(loser.pinned for loser in losers) and not winner.pinned:
                winner = self.set_pinned(winner.id, True, actor=actor)
        return winner

    def events(self, fact_id: int) -> list[FactEvent]:
        return [
            FactEvent(
                id=row[0],
                fact_id=row[1],
                at=from_db_time(row[2]),
                actor=row[3],
                action=row[4],
                old=json.loads(row[5]) if row[5] else None,
                new=json.loads(row[6]) if row[6] else None,
            )
            for row in self._conn.execute(
                "SELECT id, fact_id, at, actor, action, old, new FROM fact_events WHERE fact_id = ? ORDER BY id",
                (fact_id,),
            )
        ]

    def history(self, key: str, scope: int | None) -> list[Fact]:
        """Every value a key ever had in a scope, oldest first (superseded ones included)."""
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM facts WHERE key = ? AND scope IS ? ORDER BY id",
            (normalize_key(key), scope),
        )
        return [_row_to_fact(row) for row in rows]

    # --- writing (every change leaves an event) ---------------------------------

    def add(
        self,
        key: str,
        value: str,
        *,
        scope: int | None = None,
        origin: FactOrigin = FactOrigin.USER,
        status: FactStatus = FactStatus.ACTIVE,
        source_message_id: int | None = None,
        source_quote: str | None = None,
        pinned: bool = False,
        reason: str | None = None,
        actor: str = "user",
        created_at: datetime | None = None,
    ) -> Fact:
        now = to_db_time(created_at or utcnow())
        with self._db.transaction():
            conn = self._conn
            cursor = conn.execute(
                "INSERT INTO facts(scope, key, value, source_message_id, source_quote, origin, status, pinned,"
                " created_at, updated_at, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    scope,
                    normalize_key(key),
                    value.strip(),
                    source_message_id,
                    source_quote,
                    origin.value,
                    status.value,
                    int(pinned),
                    now,
                    now,
                    reason,
                ),
            )
            assert cursor.lastrowid is not None
            fact = self.get(cursor.lastrowid)
            self._event(fact.id, actor, "created" if status != FactStatus.REJECTED else "rejected", None, fact)
        return fact

    def edit(self, fact_id: int, *, key: str | None = None, value: str | None = None, actor: str = "user") -> Fact:
        """A user's edit: the fact is marked so extraction never overwrites it."""
        before = self.get(fact_id)
        with self._db.transaction():
            conn = self._conn
            conn.execute(
                "UPDATE facts SET key = ?, value = ?, edited_by_user = 1, updated_at = ? WHERE id = ?",
                (
                    normalize_key(key) if key is not None else before.key,
                    value.strip() if value is not None else before.value,
                    to_db_time(utcnow()),
                    fact_id,
                ),
            )
            after = self.get(fact_id)
            self._event(fact_id, actor, "edited", before, after)
        return after

    def set_pinned(self, fact_id: int, pinned: bool, *, actor: str = "user") -> Fact:
        return self._change(fact_id, actor, "pinned" if pinned else "unpinned", pinned=int(pinned))

    def set_private(self, fact_id: int, private: bool, *, actor: str = "user") -> Fact:
        """Private: sent only to local models; recorded in the history like any change, so it can be undone."""
        return self._change(fact_id, actor, "private" if private else "public", private=int(private))

    def mark_private(self, fact_id: int) -> None:
        """The importer's way to carry the flag: the copied history already records it."""
        self._conn.execute("UPDATE facts SET private = 1 WHERE id = ?", (fact_id,))

    def set_status(self, fact_id: int, status: FactStatus, *, actor: str = "user", reason: str | None = None) -> Fact:
        action = {
            FactStatus.ACTIVE: "approved",
            FactStatus.REJECTED: "rejected",
            FactStatus.DELETED: "deleted",
            FactStatus.SUPERSEDED: "superseded",
            FactStatus.PENDING: "pending",
        }[status]
        return self._change(fact_id, actor, action, status=status.value, reason=reason)

    def supersede(self, old_id: int, new_id: int, *, actor: str = "extractor") -> Fact:
        """The old fact stays, marked superseded and pointing at its successor."""
        return self._change(old_id, actor, "superseded", status=FactStatus.SUPERSEDED.value, superseded_by=new_id)

    def restore(self, fact_id: int, snapshot: JSONDict, *, actor: str = "user") -> Fact:
        """Put back a state from the fact's history (its key, value, status and pin): an undo."""
        status = FactStatus(snapshot["status"])
        return self._change(
            fact_id,
            actor,
            "restored",
            key=normalize_key(str(snapshot["key"])),
            value=str(snapshot["value"]),
            status=status.value,
            pinned=int(bool(snapshot.get("pinned", False))),
            # Snapshots written before private facts existed say nothing: keep the current flag.
            private=int(bool(snapshot.get("private", self.get(fact_id).private))),
            superseded_by=None,
        )

    def extracted_off_branch(self, session_id: int) -> list[int]:
        """Extracted, unpinned, unedited active or pending facts whose source message left the active branch."""
        rows = self._conn.execute(
            "SELECT f.id FROM facts f JOIN messages m ON m.id = f.source_message_id"
            " WHERE m.session_id = ? AND m.active = 0 AND f.origin = 'extracted'"
            " AND f.status IN ('active', 'pending') AND f.pinned = 0 AND f.edited_by_user = 0 ORDER BY f.id",
            (session_id,),
        ).fetchall()
        return [int(row[0]) for row in rows]

    def superseded_predecessor(self, fact_id: int) -> Fact | None:
        """The newest fact that ``fact_id`` superseded, while it is still marked superseded."""
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM facts WHERE superseded_by = ? AND status = 'superseded' ORDER BY id DESC LIMIT 1",
            (fact_id,),
        ).fetchone()
        return _row_to_fact(row) if row else None

    def reactivate(self, fact_id: int, *, actor: str, reason: str) -> Fact:
        """A superseded fact becomes active again (its successor is gone), recorded as ``restored``."""
        return self._change(
            fact_id, actor, "restored", status=FactStatus.ACTIVE.value, superseded_by=None, reason=reason
        )

    def _change(self, fact_id: int, actor: str, action: str, **columns: object) -> Fact:
        before = self.get(fact_id)
        assignments = ", ".join(f"{name} = ?" for name in columns)
        with self._db.transaction():
            conn = self._conn
            conn.execute(
                f"UPDATE facts SET {assignments}, updated_at = ? WHERE id = ?",
                (*columns.values(), to_db_time(utcnow()), fact_id),
            )
            after = self.get(fact_id)
            self._event(fact_id, actor, action, before, after)
        return after

    def _event(self, fact_id: int, actor: str, action: str, before: Fact | None, after: Fact | None) -> None:
        self._conn.execute(
            "INSERT INTO fact_events(fact_id, at, actor, action, old, new) VALUES (?, ?, ?, ?, ?, ?)",
            (
                fact_id,
                to_db_time(utcnow()),
                actor,
                action,
                json.dumps(_snapshot(before)) if before else None,
                json.dumps(_snapshot(after)) if after else None,
            ),
        )
