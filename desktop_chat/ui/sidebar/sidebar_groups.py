"""The sidebar's headings and which one a chat sits under; the search hit's snippet (no Qt: plain rules of display)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

TEMPORARY = "Temporary"
PINNED = "Pinned"
TODAY = "Today"
YESTERDAY = "Yesterday"
WEEK = "Previous 7 days"
OLDER = "Older"
ARCHIVED = "Archived"
FOUND = "Found in messages"


def group_of(session: Any, today: datetime) -> str:  # noqa: PLR0911 - one return per heading
    """Which heading a chat sits under (its most recent activity, in local time)."""
    if session.temporary:
        return TEMPORARY
    if session.archived:
        return ARCHIVED
    if session.pinned:
        return PINNED
    day = session.updated_at.astimezone().date()
    if day >= today.date():
        return TODAY
    if day == today.date() - timedelta(days=1):
        return YESTERDAY
    if day >= today.date() - timedelta(days=7):
        return WEEK
    return OLDER


def snippet(text: str) -> str:
    """FTS marks matches with [ ]; guillemets read as highlighting in plain text. The text
    starts a few words before the first match, so a narrow sidebar still shows it."""
    words = text.replace("[", "«").replace("]", "»").split()
    first = next((i for i, word in enumerate(words) if "«" in word), 0)
    start = max(first - 3, 0)
    return ("… " if start and not words[0].startswith("…") else "") + " ".join(words[start:])
