"""The app's own import document: its results, the readers that validate it, and how a chat is known again.

The document is the app's JSON export, or the minimal shape (``{"sessions": [{"title", "messages":
[{"role", "content"}]}]}``); other apps' exports are converted to it (``chatgpt``, ``claude``).
Validation names the path of the bad value in one line (``Reader``); ``writer`` writes what passes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from desktop_chat.core.errors import ImportFormatError
from desktop_chat.core.importers.clean import Cleaner, too_deep
from desktop_chat.core.importers.detect import DESKTOP_CHAT, LABELS


@dataclass(frozen=True, slots=True)
class SkippedSession:
    """A chat of the document that is already here (same origin id), so it was not imported again."""

    index: int  # its place in the document's "sessions" list
    title: str
    existing_id: int  # the chat that holds it


@dataclass(frozen=True, slots=True)
class ContinuedSession:
    """A chat already here that the document continues: its newer messages were appended."""

    index: int  # its place in the document's "sessions" list
    title: str
    session_id: int
    messages: int  # how many were appended


@dataclass(frozen=True, slots=True)
class ImportResult:
    session_ids: tuple[int, ...]
    messages: int
    facts: int
    skipped: tuple[SkippedSession, ...] = ()
    facts_known: int = 0  # facts of the document the database already held
    source: str = LABELS[DESKTOP_CHAT]  # what was read: "ChatGPT export", "Claude export", ...
    conversations: int = 0  # conversations in the file (imported, skipped, or left when cancelled)
    cancelled: bool = False  # stopped between batches: every conversation is whole or absent
    continued: tuple[ContinuedSession, ...] = ()  # chats already here that got newer messages
    replaced: int = 0  # lone UTF-16 surrogates (not text) replaced by U+FFFD, the rest of their text kept


class Reader:
    """Validates one value at a time and names its path on error."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, what: str) -> ImportFormatError:
        return ImportFormatError(f"Cannot import: {self.path} {what}; nothing was imported.")

    def at(self, suffix: str) -> Reader:
        return Reader(f"{self.path}{suffix}")


def value_of(data: dict[str, Any], key: str, reader: Reader, kinds: tuple[type, ...], default: Any = None) -> Any:
    value = data.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) and bool not in kinds:
        raise reader.at(f".{key}").fail(f"must be {' or '.join(k.__name__ for k in kinds)}")
    if not isinstance(value, kinds):
        raise reader.at(f".{key}").fail(f"must be {' or '.join(k.__name__ for k in kinds)}, not {type(value).__name__}")
    return value


def enum_of(data: dict[str, Any], key: str, reader: Reader, enum: type[Any], default: Any) -> Any:
    value = data.get(key)
    if value is None:
        return default
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise reader.at(f".{key}").fail(f"must be one of {allowed} (got {value!r})") from None


def time_of(data: dict[str, Any], key: str, reader: Reader, default: datetime) -> datetime:
    value = value_of(data, key, reader, (str,))
    if value is None:
        return default
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise reader.at(f".{key}").fail(f"is not an ISO-8601 date and time ({value!r})") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_document(text: str) -> dict[str, Any]:
    try:
        data = Cleaner().checked(json.loads(text), "the file")
    except json.JSONDecodeError as exc:
        raise ImportFormatError(
            f"Cannot import: the file is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "nothing was imported."
        ) from None
    except RecursionError:
        raise too_deep("the file") from None
    if not isinstance(data, dict) or not isinstance(data.get("sessions"), list):
        raise ImportFormatError('Cannot import: expected a JSON object with a "sessions" list; nothing was imported.')
    return data


def source_id(meta: Any) -> str | None:
    """The message's id in the app it was imported from (``meta.id``, as the importers write it)."""
    if isinstance(meta, dict) and isinstance(meta.get("id"), str) and meta["id"].strip():
        return str(meta["id"])
    return None


def continues(new: list[dict[str, Any]], doc_ids: dict[int, int], leaf_id: int) -> bool:
    """Whether ``new`` is one active chain hanging from the message ``leaf_id`` (via ``doc_ids``)."""
    parent_of_first = new[0].get("parent_id") if "parent_id" in new[0] else None
    if parent_of_first is None or doc_ids.get(parent_of_first) != leaf_id:
        return False
    for before, after in pairwise(new):
        if after.get("parent_id") != before.get("id") or before.get("id") is None:
            return False
    return all(m.get("active", True) is True for m in new)


def origin_of(raw: dict[str, Any], reader: Reader) -> str:
    """The chat's origin id: its own, the source app's id in ``meta``, or a fingerprint of its content."""
    origin = value_of(raw, "origin", reader, (str,))
    if origin and origin.strip():
        return str(origin.strip())
    meta = value_of(raw, "meta", reader, (dict,), {})
    for key in ("origin", "id"):
        value = meta.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    messages = raw.get("messages") or []
    content = [
        [m.get("role"), m.get("content")] if isinstance(m, dict) else m for m in messages if isinstance(messages, list)
    ]
    digest = hashlib.sha256(json.dumps([raw.get("title", ""), content], ensure_ascii=False).encode()).hexdigest()
    return f"sha256:{digest[:32]}"
