"""The user's retention rule for chats idle longer than N days: archive them (hide) or delete them.

``archive`` only hides a chat: every message, its summary and its facts stay,
it is still found by search and exported, and it comes back with
``store.sessions.update(id, archived=False)``. Only ``delete`` removes anything
(its report names the attached files the deleted chats referred to, for the caller to sweep).
Pinned chats are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from desktop_chat.core.errors import SettingsError
from desktop_chat.core.settings import RetentionMode, validate
from desktop_chat.core.storage.db import utcnow
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
    # The attached files the deleted chats referred to (delete mode, not a dry run): the caller sweeps them,
    # and a file another chat still refers to stays.
    freed: frozenset[str] = frozenset()

    @property
    def messages(self) -> int:
        return sum(s.messages for s in self.sessions)

    def describe(self) -> str:
        """One plain line: what this mode does (or would do) to which chats."""
        if self.days is None:
            return "Retention is 'keep forever': nothing to purge."
        chats = f"{len(self.sessions)} session(s) idle for more than {self.days} day(s)"
        never = "pinned sessions are never touched."
        if self.mode == "delete":
            lead = "Would delete" if self.dry_run else "Deleted"
            return f"{lead} {chats} for good, with their {self.messages} message(s), summaries and chat facts; {never}"
        lead, leave = ("Would archive", "they would leave") if self.dry_run else ("Archived", "they are off")
        return (
            f"{lead} {chats}: {leave} the chat list but keep all {self.messages} message(s), their summaries "
            f"and facts (still searchable, exportable and restorable); {never}"
        )


def purge(
    store: Store,
    *,
    days: int | None,
    mode: RetentionMode,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PurgeReport:
    """Apply the retention rule to unpinned chats idle for more than ``days`` days.

    ``archive`` hides each chat and keeps everything in it; ``delete`` removes the
    chat with its messages, summary and chat facts. ``days`` is checked here (at
    least 1), so no way in can empty the chat list by accident.
    """
    try:
        days = validate("retention_days", days)
    except SettingsError:
        raise SettingsError(
            f"Cannot purge chats idle for {days!r} day(s): the days must be a whole number from 1 to 36500 "
            "(or none, to keep every chat); nothing was changed."
        ) from None
    mode = validate("retention_mode", mode)
    if days is None:
        return PurgeReport(mode=mode, days=None, dry_run=dry_run, sessions=())
    cutoff = (now or utcnow()) - timedelta(days=days)
    idle = store.sessions.idle_since(cutoff, include_archived=mode == "delete")
    victims = tuple(
        PurgedSession(id=s.id, title=s.title, last_activity=s.updated_at.isoformat(), messages=s.message_count)
        for s in idle
    )
    freed: frozenset[str] = frozenset()
    if not dry_run:
        with store.db.transaction():
            if mode == "delete":
                freed = frozenset(store.sessions.attached_files([v.id for v in victims]))
            for victim in victims:
                if mode == "delete":
                    store.sessions.delete(victim.id)
                else:
                    store.sessions.update(victim.id, archived=True)
    return PurgeReport(mode=mode, days=days, dry_run=dry_run, sessions=victims, freed=freed)
