"""A first look at the data folder: the chat the window reopens and its newest messages, read in a few ms.

The window shows this before the core's ~130 modules and its own panes have loaded (``ui/window/first_look.py``):
one read-only connection and plain SQL, nothing but the standard library, so it costs ~5 ms where the
workspace costs ~300. It is only a look: nothing here writes, and any doubt (no file yet, a schema this
version does not know, a locked or damaged file) answers None and leaves everything to the workspace,
which says what is wrong in its own words.

``chat_to_reopen`` is the one rule for which chat the window opens at start; the workspace's facade asks it
too (``Chats.chat_to_reopen``), so the first look and the real chat are always the same one.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

# The migrations this version applies (``len(MIGRATIONS)``, checked by a test): the list itself would
# cost ~6 ms to import. Any other version is left to the workspace (a migration to show, a newer app).
KNOWN_SCHEMA = 17
LONGEST_TEXT = 4_000  # characters of one message shown in the first look; the chat shows the rest


@dataclass(frozen=True, slots=True)
class GlancedMessage:
    role: str  # "user", "assistant" or "system"
    text: str  # the message's text parts, at most LONGEST_TEXT characters
    created_at: datetime
    model: str | None
    status: str  # "complete", "streaming", "stopped" or "failed"
    error: str | None = None  # why a reply failed or stopped, as the chat shows it under the text


@dataclass(frozen=True, slots=True)
class Glance:
    session_id: int
    title: str
    messages: tuple[GlancedMessage, ...]  # the newest active ones, oldest first
    theme: str = "system"  # the appearance settings, so the first look is drawn as the chat will be
    font_size: int | None = None  # the conversation's, in points


def chat_to_reopen(conn: sqlite3.Connection, last: int | None) -> tuple[int, str] | None:
    """The chat the window opens at start, with its title: ``last`` (the one open at the last close) unless
    it is gone or archived, else the saved chat with the latest activity; None when there is none."""
    if last is not None:
        row = conn.execute("SELECT id, title FROM sessions WHERE id = ? AND archived = 0", (last,)).fetchone()
        if row is not None:
            return int(row[0]), str(row[1])
    row = conn.execute(
        "SELECT id, title FROM sessions WHERE archived = 0 ORDER BY updated_at DESC, id DESC LIMIT 1"
    ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def read_glance(database: Path, last: int | None, limit: int) -> Glance | None:
    """The chat to reopen and its newest ``limit`` messages, or None when the workspace should say more."""
    try:
        if not database.is_file():
            return None
        conn = sqlite3.connect(f"{database.absolute().as_uri()}?mode=ro", uri=True, timeout=0.05)
        try:
            return _read(conn, last, limit)
        finally:
            conn.close()
    # Locked, damaged, not a database, a date it cannot read, a folder it may not search: the workspace says.
    except (sqlite3.Error, ValueError, OSError):
        return None


def _read(conn: sqlite3.Connection, last: int | None, limit: int) -> Glance | None:
    if int(conn.execute("PRAGMA user_version").fetchone()[0]) != KNOWN_SCHEMA:
        return None
    chat = chat_to_reopen(conn, last)
    if chat is None:
        return None
    session_id, title = chat
    rows = conn.execute(
        f"SELECT role, substr(content, 1, {LONGEST_TEXT}), created_at, model, status, error FROM messages"
        " WHERE session_id = ? AND active = 1 ORDER BY id DESC LIMIT ?",
        (session_id, limit),
    ).fetchall()
    messages = tuple(
        GlancedMessage(
            role=role, text=text, created_at=datetime.fromisoformat(created), model=model, status=status, error=error
        )
        for role, text, created, model, status, error in reversed(rows)
    )
    theme, font_size = _appearance(conn)
    return Glance(session_id=session_id, title=title, messages=messages, theme=theme, font_size=font_size)


def _appearance(conn: sqlite3.Connection) -> tuple[str, int | None]:
    """The theme and the conversation's font size as saved; a value the settings would refuse reads as unset
    (the workspace applies the settings' own reading a moment later)."""
    saved = dict(conn.execute("SELECT key, value FROM settings WHERE key IN ('theme', 'conversation_font_size')"))
    try:
        theme = json.loads(saved.get("theme", '"system"'))
        size = json.loads(saved.get("conversation_font_size", "null"))
    except json.JSONDecodeError:
        return "system", None
    theme = theme if theme in ("system", "light", "dark") else "system"
    size = size if type(size) is int and 6 <= size <= 48 else None  # the settings' own bounds
    return theme, size
