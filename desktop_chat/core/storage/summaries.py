"""The running summary of each session: one row, replaced as it grows.

Every save or delete first records the state it replaces in ``summary_history``
(with who changed it), so any change — the user's edit, an upkeep fold, a branch
rollback — can be undone, also after a restart.
"""

from __future__ import annotations

from datetime import datetime

from desktop_chat.core.models import Summary, SummaryActor, SummaryState
from desktop_chat.core.storage.db import Repository, from_db_time, to_db_time, utcnow

_HISTORY_COLUMNS = (
    "id, session_id, text, covers_through, token_count, model, edited_by_user, changed_by, changed_at, undo_of"
)


class SummaryRepository(Repository):
    def get(self, session_id: int) -> Summary | None:
        row = self._conn.execute(
            "SELECT session_id, text, covers_through, token_count, model, updated_at, edited_by_user"
            " FROM summaries WHERE session_id = ?",
            (session_id,),
        ).fetchone()
        if row is None:
            return None
        return Summary(
            session_id=row[0],
            text=row[1],
            covers_through=row[2],
            token_count=row[3],
            model=row[4],
            updated_at=from_db_time(row[5]),
            edited_by_user=bool(row[6]),
        )

    def save(
        self,
        session_id: int,
        text: str,
        *,
        covers_through: int,
        token_count: int,
        model: str | None,
        edited_by_user: bool = False,
        updated_at: datetime | None = None,
        by: SummaryActor = "system",
        undo_of: int | None = None,
    ) -> Summary:
        """Replace the session's summary, recording the state it replaces (``by`` changed it).

        Both statements run in one transaction, so a crash keeps the old or the new
        with its history. A save that changes nothing records nothing; an undo
        (``undo_of``: the history entry it brings back) is always recorded.
        """
        with self._db.transaction():
            previous = self.get(session_id)
            same = previous is not None and (
                previous.text,
                previous.covers_through,
                previous.token_count,
                previous.model,
                previous.edited_by_user,
            ) == (text, covers_through, token_count, model, edited_by_user)
            if undo_of is not None or not same:
                self._record(session_id, previous, by, undo_of)
            self._conn.execute(
                "INSERT INTO summaries(session_id, text, covers_through, token_count, model, updated_at,"
                " edited_by_user) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(session_id) DO UPDATE SET text = excluded.text,"
                " covers_through = excluded.covers_through, token_count = excluded.token_count,"
                " model = excluded.model, updated_at = excluded.updated_at,"
                " edited_by_user = excluded.edited_by_user",
                (
                    session_id,
                    text,
                    covers_through,
                    token_count,
                    model,
                    to_db_time(updated_at or utcnow()),
                    int(edited_by_user),
                ),
            )
        summary = self.get(session_id)
        assert summary is not None
        return summary

    def delete(self, session_id: int, *, by: SummaryActor = "system", undo_of: int | None = None) -> None:
        """Remove the session's summary, recording it first (nothing to record when there is none)."""
        with self._db.transaction():
            previous = self.get(session_id)
            if previous is None:
                return
            self._record(session_id, previous, by, undo_of)
            self._conn.execute("DELETE FROM summaries WHERE session_id = ?", (session_id,))

    def history(self, session_id: int) -> list[SummaryState]:
        """Every earlier state of the session's summary, newest first."""
        rows = self._conn.execute(
            f"SELECT {_HISTORY_COLUMNS} FROM summary_history WHERE session_id = ? ORDER BY id DESC",
            (session_id,),
        ).fetchall()
        # A chat's history is one row per change (folds are minutes apart), so marking in Python is cheap.
        undone = {row[9] for row in rows if row[9] is not None}
        return [
            SummaryState(
                id=row[0],
                session_id=row[1],
                text=row[2],
                covers_through=row[3],
                token_count=row[4],
                model=row[5],
                edited_by_user=bool(row[6]),
                changed_by=row[7],
                changed_at=from_db_time(row[8]),
                undo_of=row[9],
                undone=row[0] in undone,
            )
            for row in rows
        ]

    def _record(self, session_id: int, previous: Summary | None, by: SummaryActor, undo_of: int | None) -> None:
        self._conn.execute(
            f"INSERT INTO summary_history({_HISTORY_COLUMNS}) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                session_id,
                previous.text if previous else None,
                previous.covers_through if previous else None,
                previous.token_count if previous else None,
                previous.model if previous else None,
                int(previous.edited_by_user) if previous else 0,
                by,
                to_db_time(utcnow()),
                undo_of,
            ),
        )
