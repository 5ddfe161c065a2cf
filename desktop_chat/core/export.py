"""Sessions and their memories to and from JSON and Markdown.

The JSON export round-trips: importing it yields the same sessions, messages,
summaries and facts (with new ids, references remapped). Import also takes a
minimal shape, so conversations from elsewhere can be brought in. Import is one
transaction: malformed input raises ImportFormatError and writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from desktop_chat.core.errors import ImportFormatError
from desktop_chat.core.models import (
    Fact,
    FactOrigin,
    FactStatus,
    Message,
    MessageStatus,
    Role,
    Session,
    Strategy,
)
from desktop_chat.core.storage.db import to_db_time, utcnow
from desktop_chat.core.storage.store import Store

FORMAT_NAME = "desktop-chat"
FORMAT_VERSION = 1


# --- export -----------------------------------------------------------------------


def _time(moment: datetime) -> str:
    return moment.isoformat()


def _message_json(message: Message) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": message.id,
        "parent_id": message.parent_id,
        "role": message.role.value,
        "content": message.content,
        "created_at": _time(message.created_at),
        "status": message.status.value,
        "active": message.active,
        "model": message.model,
        "token_count": message.token_count,
        "usage": (
            {
                "prompt_tokens": message.usage.prompt_tokens,
                "completion_tokens": message.usage.completion_tokens,
            }
            if message.usage
            else None
        ),
        "error": message.error,
    }
    if message.meta is not None:
        data["meta"] = message.meta
    return data


def _fact_json(store: Store, fact: Fact) -> dict[str, Any]:
    return {
        "id": fact.id,
        "key": fact.key,
        "value": fact.value,
        "source_message_id": fact.source_message_id,
        "source_quote": fact.source_quote,
        "origin": fact.origin.value,
        "status": fact.status.value,
        "pinned": fact.pinned,
        "created_at": _time(fact.created_at),
        "updated_at": _time(fact.updated_at),
        "superseded_by": fact.superseded_by,
        "edited_by_user": fact.edited_by_user,
        "reason": fact.reason,
        "events": [
            {"at": _time(e.at), "actor": e.actor, "action": e.action, "old": e.old, "new": e.new}
            for e in store.facts.events(fact.id)
        ],
    }


def _all_facts(store: Store, scope: int | None) -> list[Fact]:
    return [f for f in store.facts.all() if f.scope == scope]


def _session_json(store: Store, session: Session) -> dict[str, Any]:
    summary = store.summaries.get(session.id)
    return {
        "title": session.title,
        "created_at": _time(session.created_at),
        "updated_at": _time(session.updated_at),
        "strategy": session.strategy.value if session.strategy else None,
        "strategy_options": session.strategy_options,
        "system_prompt": session.system_prompt,
        "model": session.model,
        "profile": session.profile,
        "pinned": session.pinned,
        "archived": session.archived,
        "messages": [_message_json(m) for m in store.messages.all(session.id, include_inactive=True)],
        "summary": (
            {
                "text": summary.text,
                "covers_through": summary.covers_through,
                "token_count": summary.token_count,
                "model": summary.model,
                "updated_at": _time(summary.updated_at),
                "edited_by_user": summary.edited_by_user,
            }
            if summary
            else None
        ),
        "facts": [_fact_json(store, f) for f in _all_facts(store, session.id)],
    }


def export_json(store: Store, session_ids: Iterable[int] | None = None, *, global_facts: bool = True) -> dict[str, Any]:
    """Sessions (all when ``session_ids`` is None) with their memories, as one JSON document."""
    sessions = (
        store.sessions.list_by_activity(include_archived=True)
        if session_ids is None
        else [store.sessions.get(i) for i in session_ids]
    )
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "exported_at": _time(utcnow()),
        "sessions": [_session_json(store, s) for s in sorted(sessions, key=lambda s: s.id)],
        "facts": [_fact_json(store, f) for f in _all_facts(store, None)] if global_facts else [],
    }


def export_markdown(store: Store, session_id: int) -> str:
    """A readable transcript with the session's summary and facts."""
    session = store.sessions.get(session_id)
    lines = [f"# {session.title or 'Untitled chat'}", ""]
    details = [f"Created {session.created_at:%Y-%m-%d %H:%M} UTC"]
    if session.model:
        details.append(f"model {session.model}")
    if session.strategy:
        details.append(f"memory: {session.strategy.value}")
    lines += ["_" + " · ".join(details) + "_", ""]
    if session.system_prompt:
        lines += ["## System prompt", "", session.system_prompt, ""]
    summary = store.summaries.get(session_id)
    if summary:
        lines += [f"## Summary (through message {summary.covers_through})", "", summary.text, ""]
    facts = store.facts.visible(session_id=session_id, statuses=(FactStatus.ACTIVE,))
    if facts:
        lines += ["## Remembered facts", ""]
        lines += [f"- **{f.key}**: {f.value}" + (" (pinned)" if f.pinned else "") for f in facts]
        lines.append("")
    lines += ["## Conversation", ""]
    names = {Role.USER: "You", Role.ASSISTANT: "Assistant", Role.SYSTEM: "System"}
    for message in store.messages.all(session_id):
        status = "" if message.status == MessageStatus.COMPLETE else f" ({message.status.value})"
        lines += [
            f"### {names[message.role]} · {message.created_at:%Y-%m-%d %H:%M}{status}",
            "",
            message.content,
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


# --- import -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportResult:
    session_ids: tuple[int, ...]
    messages: int
    facts: int


class _Reader:
    """Validates one value at a time and names its path on error."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, what: str) -> ImportFormatError:
        return ImportFormatError(f"Cannot import: {self.path} {what}; nothing was imported.")

    def at(self, suffix: str) -> _Reader:
        return _Reader(f"{self.path}{suffix}")


def _get(data: dict[str, Any], key: str, reader: _Reader, kinds: tuple[type, ...], default: Any = None) -> Any:
    value = data.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) and bool not in kinds:
        raise reader.at(f".{key}").fail(f"must be {' or '.join(k.__name__ for k in kinds)}")
    if not isinstance(value, kinds):
        raise reader.at(f".{key}").fail(f"must be {' or '.join(k.__name__ for k in kinds)}, not {type(value).__name__}")
    return value


def _enum(data: dict[str, Any], key: str, reader: _Reader, enum: type[Any], default: Any) -> Any:
    value = data.get(key)
    if value is None:
        return default
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise reader.at(f".{key}").fail(f"must be one of {allowed} (got {value!r})") from None


def _when(data: dict[str, Any], key: str, reader: _Reader, default: datetime) -> datetime:
    value = _get(data, key, reader, (str,))
    if value is None:
        return default
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise reader.at(f".{key}").fail(f"is not an ISO-8601 date and time ({value!r})") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_document(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFormatError(
            f"Cannot import: the file is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "nothing was imported."
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("sessions"), list):
        raise ImportFormatError('Cannot import: expected a JSON object with a "sessions" list; nothing was imported.')
    return data


def import_json(store: Store, data: dict[str, Any]) -> ImportResult:
    """Import an export or the minimal shape, all or nothing."""
    importer = _Importer(store)
    with store.db.transaction():
        for index, raw in enumerate(data["sessions"]):
            importer.session(raw, _Reader(f"sessions[{index}]"))
        for index, raw in enumerate(_get(data, "facts", _Reader("document"), (list,), [])):
            importer.fact(raw, _Reader(f"facts[{index}]"), scope=None)
        importer.link_superseded_facts()
    return ImportResult(
        session_ids=tuple(importer.session_ids), messages=importer.message_count, facts=importer.fact_count
    )


class _Importer:
    """Inserts validated rows, remapping the ids the document refers to."""

    def __init__(self, store: Store) -> None:
        self.conn = store.db.conn
        self.now = utcnow()
        self.session_ids: list[int] = []
        self.message_count = 0
        self.fact_count = 0
        self.message_map: dict[int, int] = {}
        self.fact_map: dict[int, int] = {}
        self.superseded: list[tuple[int, int]] = []  # (new fact id, old id of its successor)

    def _insert(self, table: str, row: dict[str, Any]) -> int:
        columns = ", ".join(row)
        marks = ", ".join("?" * len(row))
        cursor = self.conn.execute(f"INSERT INTO {table}({columns}) VALUES ({marks})", tuple(row.values()))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def session(self, raw: Any, reader: _Reader) -> None:
        if not isinstance(raw, dict):
            raise reader.fail("must be an object")
        messages = raw.get("messages")
        if not isinstance(messages, list):
            raise reader.at(".messages").fail("must be a list")
        created = _when(raw, "created_at", reader, self.now)
        strategy = _enum(raw, "strategy", reader, Strategy, None)
        session_id = self._insert(
            "sessions",
            {
                "title": _get(raw, "title", reader, (str,), ""),
                "created_at": to_db_time(created),
                "updated_at": to_db_time(created),
                "strategy": strategy.value if strategy else None,
                "strategy_options": json.dumps(_get(raw, "strategy_options", reader, (dict,), {})),
                "system_prompt": _get(raw, "system_prompt", reader, (str,), ""),
                "model": _get(raw, "model", reader, (str,)),
                "profile": _get(raw, "profile", reader, (str,)),
                "pinned": int(_get(raw, "pinned", reader, (bool,), False)),
                "archived": int(_get(raw, "archived", reader, (bool,), False)),
            },
        )
        self.session_ids.append(session_id)
        last_id: int | None = None
        times: list[datetime] = []
        for index, m_raw in enumerate(messages):
            last_id, when = self.message(
                m_raw, reader.at(f".messages[{index}]"), session_id, last_id, times[-1] if times else created
            )
            times.append(when)
        if "created_at" not in raw and times:
            created = min(times)  # a conversation from elsewhere began with its first message
        updated = _when(raw, "updated_at", reader, max([created, *times]))
        self.conn.execute(
            "UPDATE sessions SET created_at = ?, updated_at = ? WHERE id = ?",
            (to_db_time(created), to_db_time(updated), session_id),
        )
        summary = _get(raw, "summary", reader, (dict,))
        if summary is not None:
            self.summary(summary, reader.at(".summary"), session_id, last_id)
        for index, f_raw in enumerate(_get(raw, "facts", reader, (list,), [])):
            self.fact(f_raw, reader.at(f".facts[{index}]"), scope=session_id)

    def message(
        self, raw: Any, reader: _Reader, session_id: int, previous_id: int | None, previous_time: datetime
    ) -> tuple[int, datetime]:
        if not isinstance(raw, dict):
            raise reader.fail("must be an object")
        role = _enum(raw, "role", reader, Role, None)
        if role is None:
            raise reader.at(".role").fail("is missing (user, assistant or system)")
        if not isinstance(raw.get("content"), str):
            raise reader.at(".content").fail("must be a string")
        meta = _get(raw, "meta", reader, (dict,))
        usage = _get(raw, "usage", reader, (dict,))
        if usage is not None and not all(isinstance(usage.get(k), int) for k in ("prompt_tokens", "completion_tokens")):
            raise reader.at(".usage").fail("must hold whole-number prompt_tokens and completion_tokens")
        if "parent_id" in raw:
            old_parent = _get(raw, "parent_id", reader, (int,))
            parent = self.message_map.get(old_parent) if old_parent is not None else None
        else:
            parent = previous_id  # the minimal shape: a linear conversation
        when = _when(raw, "created_at", reader, previous_time)
        status = _enum(raw, "status", reader, MessageStatus, MessageStatus.COMPLETE)
        if status == MessageStatus.STREAMING:
            status = MessageStatus.STOPPED  # nothing is streaming into an imported file
        new_id = self._insert(
            "messages",
            {
                "session_id": session_id,
                "parent_id": parent,
                "role": role.value,
                "content": raw["content"],
                "created_at": to_db_time(when),
                "status": status.value,
                "model": _get(raw, "model", reader, (str,)),
                "token_count": _get(raw, "token_count", reader, (int,)),
                "usage": json.dumps(usage) if usage is not None else None,
                "meta": json.dumps(meta) if meta is not None else None,
                "error": _get(raw, "error", reader, (str,)),
                "active": int(_get(raw, "active", reader, (bool,), True)),
            },
        )
        old_id = _get(raw, "id", reader, (int,))
        if old_id is not None:
            self.message_map[old_id] = new_id
        self.message_count += 1
        return new_id, when

    def summary(self, raw: dict[str, Any], reader: _Reader, session_id: int, last_id: int | None) -> None:
        if not isinstance(raw.get("text"), str):
            raise reader.at(".text").fail("must be a string")
        covers = _get(raw, "covers_through", reader, (int,))
        through = self.message_map.get(covers, last_id) if covers is not None else last_id
        self._insert(
            "summaries",
            {
                "session_id": session_id,
                "text": raw["text"],
                "covers_through": through or 0,
                "token_count": _get(raw, "token_count", reader, (int,), 0),
                "model": _get(raw, "model", reader, (str,)),
                "updated_at": to_db_time(_when(raw, "updated_at", reader, self.now)),
                "edited_by_user": int(_get(raw, "edited_by_user", reader, (bool,), False)),
            },
        )

    def fact(self, raw: Any, reader: _Reader, *, scope: int | None) -> None:
        if not isinstance(raw, dict):
            raise reader.fail("must be an object")
        for key in ("key", "value"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise reader.at(f".{key}").fail("must be a non-empty string")
        source = _get(raw, "source_message_id", reader, (int,))
        new_id = self._insert(
            "facts",
            {
                "scope": scope,
                "key": raw["key"],
                "value": raw["value"],
                "source_message_id": self.message_map.get(source) if source is not None else None,
                "source_quote": _get(raw, "source_quote", reader, (str,)),
                "origin": _enum(raw, "origin", reader, FactOrigin, FactOrigin.USER).value,
                "status": _enum(raw, "status", reader, FactStatus, FactStatus.ACTIVE).value,
                "pinned": int(_get(raw, "pinned", reader, (bool,), False)),
                "created_at": to_db_time(_when(raw, "created_at", reader, self.now)),
                "updated_at": to_db_time(_when(raw, "updated_at", reader, self.now)),
                "edited_by_user": int(_get(raw, "edited_by_user", reader, (bool,), False)),
                "reason": _get(raw, "reason", reader, (str,)),
            },
        )
        for index, event in enumerate(_get(raw, "events", reader, (list,), [])):
            e_reader = reader.at(f".events[{index}]")
            if not isinstance(event, dict) or not isinstance(event.get("action"), str):
                raise e_reader.fail("must be an object with an 'action'")
            self._insert(
                "fact_events",
                {
                    "fact_id": new_id,
                    "at": to_db_time(_when(event, "at", e_reader, self.now)),
                    "actor": _get(event, "actor", e_reader, (str,), "user"),
                    "action": event["action"],
                    "old": json.dumps(event["old"]) if event.get("old") is not None else None,
                    "new": json.dumps(event["new"]) if event.get("new") is not None else None,
                },
            )
        old_id = _get(raw, "id", reader, (int,))
        if old_id is not None:
            self.fact_map[old_id] = new_id
        successor = _get(raw, "superseded_by", reader, (int,))
        if successor is not None:
            self.superseded.append((new_id, successor))
        self.fact_count += 1

    def link_superseded_facts(self) -> None:
        for new_id, successor in self.superseded:
            self.conn.execute("UPDATE facts SET superseded_by = ? WHERE id = ?", (self.fact_map.get(successor), new_id))
