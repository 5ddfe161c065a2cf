"""What every vendor converter shares: dates, the path-naming error, placeholders, fact keys."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from desktop_chat.core.errors import ImportFormatError


def bad(source: str, path: str, what: str) -> ImportFormatError:
    """One line naming where in the file the problem is; the import writes nothing."""
    return ImportFormatError(f"Cannot import {source}: {path} {what}; nothing was imported.")


def epoch(value: Any) -> str | None:
    """Epoch seconds (ChatGPT's times) as ISO-8601 UTC, or None when absent or not a time."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def iso(value: Any) -> str | None:
    """An ISO-8601 time (Claude's) normalised so the importer reads it, or None when absent or unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def placeholder(kind: str, name: str | None = None) -> str:
    """A short line standing for what cannot be imported as text, so the turn is not silently lost."""
    return f"[{kind}: {name}]" if name else f"[{kind}]"


def fact_key(prefix: str, text: str, words: int = 5) -> str:
    """A readable, stable key for a remembered sentence: its prefix and first few words."""
    slug = " ".join(re.findall(r"[\w']+", text.lower())[:words])
    return f"{prefix} {slug}".strip()[:80]


def offered_fact(
    key: str, value: str, *, origin: str, reason: str, created_at: str | None, quote: str | None = None
) -> dict[str, Any]:
    """A fact of the app's document, pending the user's approval, saying where it came from."""
    fact: dict[str, Any] = {
        "key": key,
        "value": value.strip(),
        "status": "pending",
        "origin": origin,
        "source_quote": (quote or value).strip(),
        "reason": reason,
    }
    if created_at:
        fact["created_at"] = created_at
        fact["updated_at"] = created_at
    return fact
