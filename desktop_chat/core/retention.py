"""The user's retention rule: purge or archive sessions idle longer than N days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from desktop_chat.core.settings import RetentionMode
from desktop_chat.core.storage.db import to_db_time, utcnow
from desktop_chat.core.storage.store import Store


@dataclass(frozen=True, slots=True)
class PurgedSession:
    id: int
    title: str
    last_activity: str
    messages: int


@dataclass(frozen=True, slots=True)
class PurgeReport:
    mode: RetentionMode
    days: int | None
    dry_run: bool
    sessions: tuple[PurgedSession, ...]

    @property
    def messages(self) -> int:
        return sum(s.messages for s in self.sessions)

    def describe(self) -> str:
        if self.days is None:
            return "Retention is 'keep forever': nothing to purge."
        done = {"delete": "Deleted", "archive": "Archived"}[self.mode]
        lead = f"Would {self.mode}" if self.dry_run else done
        kept = " (summaries and facts kept)" if self.mode == "archive" else ""
        return (
            f"{lead} {len(self.sessions)} session(s) idle for more than {self.days} day(s), "
            f"removing {self.messages} message(s){kept}; pinned sessions are never touched."
        )


def purge(
    store: Store,
    *,
    days: int | None,
    mode: RetentionMode,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PurgeReport:
    """Apply the retention rule. Pinned sessions are never touched.

    ``delete`` removes the whole session; ``archive`` removes its raw messages but
    keeps the session, its summary and its facts, marked archived.
    """
    if days is None:
        return PurgeReport(mode=mode, days=None, dry_run=dry_run, sessions=())
    cutoff = to_db_time((now or utcnow()) - timedelta(days=days))
    conn = store.db.conn
    rows = conn.execute(
        "SELECT s.id, s.title, s.updated_at, (SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id)"
        " FROM sessions s WHERE s.pinned = 0 AND s.updated_at < ? ORDER BY s.updated_at",
        (cutoff,),
    ).fetchall()
    victims = tuple(
        PurgedSession(id=row[0], title=row[1], last_activity=row[2], messages=row[3])
        for row in rows
        if mode == "delete" or row[3] > 0
    )
    if not dry_run:
        with store.db.transaction():
            for victim in victims:
                if mode == "delete":
                    conn.execute("DELETE FROM sessions WHERE id = ?", (victim.id,))
                else:
                    conn.execute("DELETE FROM messages WHERE session_id = ?", (victim.id,))
                    conn.execute("UPDATE sessions SET archived = 1 WHERE id = ?", (victim.id,))
    return PurgeReport(mode=mode, days=days, dry_run=dry_run, sessions=victims)
