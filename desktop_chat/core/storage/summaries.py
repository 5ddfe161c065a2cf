"""The running summary of each session: one row, replaced as it grows."""

from __future__ import annotations

from datetime import datetime

from desktop_chat.core.models import Summary
from desktop_chat.core.storage.db import Repository, from_db_time, to_db_time, utcnow


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
    ) -> Summary:
        """Replace the session's summary in one statement, so a crash keeps the old or the new."""
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

    def delete(self, session_id: int) -> None:
        self._conn.execute("DELETE FROM summaries WHERE session_id = ?", (session_id,))
