"""How recalled messages are quoted: compactly, under one heading per day (and chat), oldest first.

    Relevant earlier messages (found by search, quoted by date):
    [2025-04-10]
    user: We hiked up Sugarloaf at sunrise.
    assistant: Worth the early start!
    [2025-05-02, chat "Trip planning"]
    user: Booked the flights to Rio.

A line costs the message's text plus about four tokens (role, colon, newline),
which the stored count's message overhead already covers; a heading is paid
once for all the messages of its day. Quoting each message with its own
"Earlier in this chat (2025-04-10), user:" cost ten more tokens a line, a
quarter of a typical turn: compact quotes fit about a third more evidence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from desktop_chat.core.models import Role

RECALL_HEADER = "Relevant earlier messages (found by search, quoted by date):"
_ROLE_WORDS = {Role.USER: "user", Role.ASSISTANT: "assistant", Role.SYSTEM: "system", Role.TOOL: "tool"}


@dataclass(frozen=True, slots=True)
class Quote:
    id: int
    created_at: datetime
    role: Role
    text: str
    chat: str | None  # the other chat's title; None: this chat
    session_id: int = 0  # two chats of one title are still two headings


def group_of(created_at: datetime, session_id: int) -> tuple[int, date]:
    """The heading a message is quoted under: its chat and day."""
    return session_id, created_at.date()


def heading(created_at: datetime, chat: str | None) -> str:
    day = f"{created_at:%Y-%m-%d}"
    return f"[{day}]" if chat is None else f'[{day}, chat "{chat or "Untitled"}"]'


def render(quotes: Iterable[Quote]) -> str:
    """The recalled block: the header, then the quotes oldest first, a heading where the day or chat changes."""
    lines = [RECALL_HEADER]
    last: tuple[date, int] | None = None
    for quote in sorted(quotes, key=lambda q: (q.created_at, q.id)):
        key = (quote.created_at.date(), quote.session_id)
        if key != last:
            lines.append(heading(quote.created_at, quote.chat))
            last = key
        lines.append(f"{_ROLE_WORDS[quote.role]}: {quote.text.strip()}")
    return "\n".join(lines)
