"""Sessions and their memories to and from JSON and Markdown.

The JSON export round-trips: importing it yields the same sessions, messages,
summaries and facts (with new ids, references remapped). Import also takes a
minimal shape, so conversations from elsewhere can be brought in. Import is one
transaction: malformed input raises ImportFormatError and writes nothing.

Import is idempotent. Every chat has an origin id (a uuid given when it was
made, written to the export); a chat without one (the minimal shape) is known by
``meta.origin`` or ``meta.id`` when it has them, else by a fingerprint of its
title and messages. A chat whose origin is already here is skipped and reported,
unless the file carries newer messages of it: a ChatGPT or Claude conversation
continued there since the last import gets the new messages appended, when they
continue the chat's newest message here (known by the source's message ids) on
its active branch; a chat continued here too, or branched there, is skipped
whole rather than merged into a mix of both.
Facts are merged by key: one the database already holds is not added again, and
of two current values for one key and scope the newest (by ``updated_at``) wins,
the other kept as superseded with its history.

``import_file`` takes a file of any kind the app reads (a ChatGPT or Claude
export, see ``core/importers``, or its own JSON), validates it whole, then writes
other apps' exports one batch of conversations per transaction, with progress
and cancel between batches.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from desktop_chat.core.errors import ImportFormatError
from desktop_chat.core.importers.detect import DESKTOP_CHAT, LABELS, Export, detect
from desktop_chat.core.importers.source import open_source
from desktop_chat.core.models import (
    Fact,
    FactOrigin,
    FactStatus,
    Message,
    MessageStatus,
    PartRecord,
    ReplyPlan,
    Role,
    Session,
    Strategy,
    Usage,
)
from desktop_chat.core.storage.db import utcnow
from desktop_chat.core.storage.facts import normalize_key
from desktop_chat.core.storage.reply_plans import record_from_json, record_json
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
        "private": fact.private,
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
        "origin": session.origin,
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
        "reply_plans": [_reply_plan_json(p) for p in store.reply_plans.for_session(session.id)],
    }


def _reply_plan_json(plan: ReplyPlan) -> dict[str, Any]:
    """The plan a reply was made from: ids (of this export's messages and facts) and counts, no text."""
    return {
        "message_id": plan.message_id,
        "created_at": _time(plan.created_at),
        "strategy": plan.strategy.value,
        "model": plan.model,
        "budget": plan.budget,
        "context_window": plan.context_window,
        "reserved_reply": plan.reserved_reply,
        "total_tokens": plan.total_tokens,
        "exact_counts": plan.exact_counts,
        "parts": [record_json(p) for p in plan.parts],
        "omitted": [record_json(o) for o in plan.omitted],
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


def import_json(store: Store, data: dict[str, Any], *, between: Callable[[int], None] | None = None) -> ImportResult:
    """Import an export or the minimal shape, all or nothing; what is already here is skipped.

    ``between(done)`` is called after each chat, inside the one transaction (an exception rolls it all back).
    """
    importer = _Importer(store)
    with store.db.transaction():
        for index, raw in enumerate(data["sessions"]):
            importer.session(raw, _Reader(f"sessions[{index}]"), index)
            if between is not None:
                between(index + 1)
        for index, raw in enumerate(_get(data, "facts", _Reader("document"), (list,), [])):
            importer.fact(raw, _Reader(f"facts[{index}]"), scope=None)
        importer.link_superseded_facts()
        importer.merge_facts()
        importer.reply_plans()
    return ImportResult(
        session_ids=tuple(importer.session_ids),
        messages=importer.message_count,
        facts=importer.fact_count,
        skipped=tuple(importer.skipped),
        facts_known=importer.facts_known,
        conversations=len(data["sessions"]),
        continued=tuple(importer.continued),
    )


def _source_id(meta: Any) -> str | None:
    """The message's id in the app it was imported from (``meta.id``, as the importers write it)."""
    if isinstance(meta, dict) and isinstance(meta.get("id"), str) and meta["id"].strip():
        return str(meta["id"])
    return None


def _continues(new: list[dict[str, Any]], doc_ids: dict[int, int], leaf_id: int) -> bool:
    """Whether ``new`` is one active chain hanging from the message ``leaf_id`` (via ``doc_ids``)."""
    parent_of_first = new[0].get("parent_id") if "parent_id" in new[0] else None
    if parent_of_first is None or doc_ids.get(parent_of_first) != leaf_id:
        return False
    for before, after in pairwise(new):
        if after.get("parent_id") != before.get("id") or before.get("id") is None:
            return False
    return all(m.get("active", True) is True for m in new)


def origin_of(raw: dict[str, Any], reader: _Reader) -> str:
    """The chat's origin id: its own, the source app's id in ``meta``, or a fingerprint of its content."""
    origin = _get(raw, "origin", reader, (str,))
    if origin and origin.strip():
        return str(origin.strip())
    meta = _get(raw, "meta", reader, (dict,), {})
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


class _Importer:
    """Writes validated rows through the import repository, remapping the ids the document refers to."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.rows = store.imports
        self.now = utcnow()
        self.session_ids: list[int] = []
        self.skipped: list[SkippedSession] = []
        self.continued: list[ContinuedSession] = []
        self.message_count = 0
        self.fact_count = 0
        self.facts_known = 0
        self.message_map: dict[int, int] = {}
        self.fact_map: dict[int, int] = {}
        self.superseded: list[tuple[int, int]] = []  # (new fact id, old id of its successor)
        self.current_keys: set[tuple[str, int | None]] = set()  # (key, scope) given a current value
        self.plans: list[tuple[int, list[Any], _Reader]] = []  # (new session id, raw reply plans): ids map last

    def session(self, raw: Any, reader: _Reader, index: int) -> None:
        if not isinstance(raw, dict):
            raise reader.fail("must be an object")
        messages = raw.get("messages")
        if not isinstance(messages, list):
            raise reader.at(".messages").fail("must be a list")
        origin = origin_of(raw, reader)
        existing = self.store.sessions.by_origin(origin)
        if existing is not None:
            title = str(raw.get("title") or "")
            added = self.continuation(existing, messages, reader)
            if added:
                self.continued.append(ContinuedSession(index, title, existing.id, added))
            else:
                self.skipped.append(SkippedSession(index, title, existing.id))
            return
        created = _when(raw, "created_at", reader, self.now)
        session_id = self.store.sessions.create(
            _get(raw, "title", reader, (str,), ""),
            created_at=created,
            strategy=_enum(raw, "strategy", reader, Strategy, None),
            strategy_options=_get(raw, "strategy_options", reader, (dict,), {}),
            system_prompt=_get(raw, "system_prompt", reader, (str,), ""),
            model=_get(raw, "model", reader, (str,)),
            profile=_get(raw, "profile", reader, (str,)),
            pinned=_get(raw, "pinned", reader, (bool,), False),
            archived=_get(raw, "archived", reader, (bool,), False),
            origin=origin,
        ).id
        self.session_ids.append(session_id)
        last_id: int | None = None
        times: list[datetime] = []
        for m_index, m_raw in enumerate(messages):
            last_id, when = self.message(
                m_raw, reader.at(f".messages[{m_index}]"), session_id, last_id, times[-1] if times else created
            )
            times.append(when)
        if "created_at" not in raw and times:
            created = min(times)  # a conversation from elsewhere began with its first message
        updated = _when(raw, "updated_at", reader, max([created, *times]))
        self.store.sessions.set_times(session_id, created_at=created, updated_at=updated)
        summary = _get(raw, "summary", reader, (dict,))
        if summary is not None:
            self.summary(summary, reader.at(".summary"), session_id, last_id)
        for f_index, f_raw in enumerate(_get(raw, "facts", reader, (list,), [])):
            self.fact(f_raw, reader.at(f".facts[{f_index}]"), scope=session_id)
        self.plans.append((session_id, _get(raw, "reply_plans", reader, (list,), []), reader.at(".reply_plans")))

    def continuation(self, existing: Session, messages: list[Any], reader: _Reader) -> int:
        """Append the document's messages newer than the chat's newest one here; how many (0: none fit).

        Only a plain continuation is taken: the new messages, all on the document's active branch, one
        after the other, starting right after the message that is the chat's newest here (by the source's
        message id). Anything else (the chat continued here as well, an edit or a regenerate there) is
        left to the user: merging two histories would change a conversation they have already had.
        """
        stored = self.store.messages.all(existing.id, include_inactive=True)
        by_source = {source: m for m in stored if (source := _source_id(m.meta)) is not None}
        active = [m for m in stored if m.active]
        if not by_source or not active or _source_id(active[-1].meta) is None:
            return 0
        doc_ids: dict[int, int] = {}  # document id -> ours, for the messages already here
        new: list[dict[str, Any]] = []
        for m_raw in messages:
            if not isinstance(m_raw, dict):
                return 0
            source = _source_id(m_raw.get("meta"))
            known = by_source.get(source) if source is not None else None
            if known is not None:
                if isinstance(m_raw.get("id"), int):
                    doc_ids[m_raw["id"]] = known.id
            elif source is None:
                return 0  # a message the source gives no id: it cannot be told apart from what is here
            else:
                new.append(m_raw)
        if not new or not _continues(new, doc_ids, active[-1].id):
            return 0
        self.message_map.update(doc_ids)
        previous_id, previous_time = active[-1].id, active[-1].created_at
        for m_index, m_raw in enumerate(new):
            previous_id, previous_time = self.message(
                m_raw, reader.at(f".messages[new {m_index}]"), existing.id, previous_id, previous_time
            )
        self.store.sessions.set_times(
            existing.id, created_at=existing.created_at, updated_at=max(existing.updated_at, previous_time)
        )
        return len(new)

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
        new_id = self.rows.add_message(
            session_id,
            parent_id=parent,
            role=role,
            content=raw["content"],
            created_at=when,
            status=status,
            model=_get(raw, "model", reader, (str,)),
            token_count=_get(raw, "token_count", reader, (int,)),
            usage=Usage(usage["prompt_tokens"], usage["completion_tokens"]) if usage is not None else None,
            meta=meta,
            error=_get(raw, "error", reader, (str,)),
            active=_get(raw, "active", reader, (bool,), True),
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
        self.store.summaries.save(
            session_id,
            raw["text"],
            covers_through=through or 0,
            token_count=_get(raw, "token_count", reader, (int,), 0),
            model=_get(raw, "model", reader, (str,)),
            edited_by_user=_get(raw, "edited_by_user", reader, (bool,), False),
            updated_at=_when(raw, "updated_at", reader, self.now),
        )

    def fact(self, raw: Any, reader: _Reader, *, scope: int | None, offered: bool = False) -> None:
        """One fact of the document; ``offered``: a pending suggestion that must not supersede what is active."""
        if not isinstance(raw, dict):
            raise reader.fail("must be an object")
        for key in ("key", "value"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise reader.at(f".{key}").fail("must be a non-empty string")
        key, value = normalize_key(raw["key"]), raw["value"].strip()
        created = _when(raw, "created_at", reader, self.now)
        status = _enum(raw, "status", reader, FactStatus, FactStatus.ACTIVE)
        events = _get(raw, "events", reader, (list,), [])
        old_id = _get(raw, "id", reader, (int,))
        known = self.store.facts.find_same(key, value, scope, created_at=created if "created_at" in raw else None)
        if known is not None:  # already here (imported before, or said here too): nothing to add
            if old_id is not None:
                self.fact_map[old_id] = known.id
            self.facts_known += 1
            return
        source = _get(raw, "source_message_id", reader, (int,))
        new_id = self.rows.add_fact(
            scope=scope,
            key=key,
            value=value,
            source_message_id=self.message_map.get(source) if source is not None else None,
            source_quote=_get(raw, "source_quote", reader, (str,)),
            origin=_enum(raw, "origin", reader, FactOrigin, FactOrigin.USER),
            status=status,
            pinned=_get(raw, "pinned", reader, (bool,), False),
            created_at=created,
            updated_at=_when(raw, "updated_at", reader, self.now),
            edited_by_user=_get(raw, "edited_by_user", reader, (bool,), False),
            reason=_get(raw, "reason", reader, (str,)),
        )
        for index, event in enumerate(events):
            e_reader = reader.at(f".events[{index}]")
            if not isinstance(event, dict) or not isinstance(event.get("action"), str):
                raise e_reader.fail("must be an object with an 'action'")
            self.rows.add_fact_event(
                new_id,
                at=_when(event, "at", e_reader, self.now),
                actor=_get(event, "actor", e_reader, (str,), "user"),
                action=event["action"],
                old=event.get("old"),
                new=event.get("new"),
            )
        if old_id is not None:
            self.fact_map[old_id] = new_id
        if _get(raw, "private", reader, (bool,), False):
            self.store.facts.mark_private(new_id)
        successor = _get(raw, "superseded_by", reader, (int,))
        if successor is not None:
            self.superseded.append((new_id, successor))
        if status in {FactStatus.ACTIVE, FactStatus.PENDING} and not offered:
            self.current_keys.add((key, scope))
        self.fact_count += 1

    def link_superseded_facts(self) -> None:
        for new_id, successor in self.superseded:
            self.rows.link_superseded(new_id, self.fact_map.get(successor))

    def merge_facts(self) -> None:
        """Never two current values for one key and scope: the newest wins, the rest are superseded."""
        for key, scope in sorted(self.current_keys, key=lambda k: (k[0], k[1] or 0)):
            self.store.facts.keep_newest(key, scope, actor="import")

    def reply_plans(self) -> None:
        """Each reply's plan, its message and fact ids mapped to the imported ones (unknown ids dropped)."""
        for session_id, plans, reader in self.plans:
            for index, raw in enumerate(plans):
                p_reader = reader.at(f"[{index}]")
                if not isinstance(raw, dict):
                    raise p_reader.fail("must be an object")
                message_id = self.message_map.get(_get(raw, "message_id", p_reader, (int,), -1))
                if message_id is None:
                    continue  # its reply was not in the document
                try:
                    parts = tuple(self._mapped(record_from_json(d)) for d in _get(raw, "parts", p_reader, (list,), []))
                    omitted = tuple(
                        self._mapped(record_from_json(d)) for d in _get(raw, "omitted", p_reader, (list,), [])
                    )
                except (KeyError, TypeError, ValueError, AttributeError):
                    raise p_reader.fail("has a part that is not {kind, tokens, reason, ...}") from None
                self.store.reply_plans.put(
                    ReplyPlan(
                        message_id=message_id,
                        session_id=session_id,
                        created_at=_when(raw, "created_at", p_reader, self.now),
                        strategy=_enum(raw, "strategy", p_reader, Strategy, Strategy.FULL),
                        model=_get(raw, "model", p_reader, (str,), ""),
                        budget=_get(raw, "budget", p_reader, (int,), 0),
                        context_window=_get(raw, "context_window", p_reader, (int,), 0),
                        reserved_reply=_get(raw, "reserved_reply", p_reader, (int,), 0),
                        total_tokens=_get(raw, "total_tokens", p_reader, (int,), 0),
                        exact_counts=_get(raw, "exact_counts", p_reader, (bool,), True),
                        parts=parts,
                        omitted=omitted,
                    )
                )

    def _mapped(self, record: PartRecord) -> PartRecord:
        return PartRecord(
            kind=record.kind,
            tokens=record.tokens,
            reason=record.reason,
            message_ids=tuple(self.message_map[i] for i in record.message_ids if i in self.message_map),
            fact_ids=tuple(self.fact_map[i] for i in record.fact_ids if i in self.fact_map),
            summary_through=self.message_map.get(record.summary_through) if record.summary_through else None,
        )


# --- importing a file: other apps' exports, in batches --------------------------------------------

Progress = Callable[[int, int], None]  # (conversations done, conversations in the file)
Cancel = Callable[[], bool]  # asked between batches
Committed = Callable[[tuple[int, ...]], None]  # the chats a batch just committed

BATCH_CONVERSATIONS = 100  # one transaction each: a cancel or a crash loses at most the batch being written


def import_file(
    store: Store,
    path: Path,
    *,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    committed: Committed | None = None,
    name: str | None = None,
) -> ImportResult:
    """Import a ChatGPT or Claude export (zip or conversations.json), or the app's own JSON, detected by shape.

    The whole file is validated before anything is written: a malformed one raises
    ``ImportFormatError`` (one line) and nothing is imported. Another app's export is
    then written one batch of conversations per transaction, so ``cancel`` (asked
    between batches) leaves whole conversations only, and ``progress`` is told after
    each batch. The app's own export is one transaction (its facts refer across
    chats), so cancelling it imports nothing.
    """
    found = detect(open_source(path, name))
    if found.kind == DESKTOP_CHAT:
        assert found.document is not None
        return _import_document(store, found.document, progress=progress, cancel=cancel, committed=committed)
    return _import_export(store, found, progress=progress, cancel=cancel, committed=committed)


class _Cancelled(Exception):
    """Raised inside the one transaction of the app's own document to roll it back."""


def _import_document(
    store: Store,
    data: dict[str, Any],
    *,
    progress: Progress | None,
    cancel: Cancel | None,
    committed: Committed | None,
) -> ImportResult:
    total = len(data["sessions"])
    if progress:
        progress(0, total)

    def between(done: int) -> None:
        if progress:
            progress(done, total)
        if cancel is not None and done < total and cancel():
            raise _Cancelled

    try:
        result = import_json(store, data, between=between)
    except _Cancelled:
        return ImportResult((), 0, 0, conversations=total, cancelled=True)
    if committed and result.session_ids:
        committed(result.session_ids)
    return replace(result, conversations=total)


def _import_export(
    store: Store,
    found: Export,
    *,
    progress: Progress | None,
    cancel: Cancel | None,
    committed: Committed | None,
) -> ImportResult:
    # Pass 1 validates every conversation and gathers the facts, writing nothing; pass 2 writes.
    total = sum(1 for _ in found.sessions(gather=True))
    offered = found.facts()
    if progress:
        progress(0, total)
    importer = _Importer(store)
    done = 0
    cancelled = False
    batch: list[tuple[int, dict[str, Any]]] = []

    def flush() -> bool:
        nonlocal done, batch
        if cancel is not None and cancel():
            return False
        first = len(importer.session_ids)
        with store.db.transaction():
            for index, session in batch:
                importer.session(session, _Reader(f"{found.source.name} conversation {index}"), index)
                importer.message_map.clear()  # ids are per conversation in a converted export
        done += len(batch)
        batch = []
        if committed and len(importer.session_ids) > first:
            committed(tuple(importer.session_ids[first:]))
        if progress:
            progress(done, total)
        return True

    for index, session in enumerate(found.sessions()):
        batch.append((index, session))
        if len(batch) >= BATCH_CONVERSATIONS and not flush():
            cancelled = True
            break
    if not cancelled and batch and not flush():
        cancelled = True
    if not cancelled and offered:
        with store.db.transaction():
            for index, raw in enumerate(offered):
                importer.fact(raw, _Reader(f"{found.label} fact {index}"), scope=None, offered=True)
    return ImportResult(
        session_ids=tuple(importer.session_ids),
        messages=importer.message_count,
        facts=importer.fact_count,
        skipped=tuple(importer.skipped),
        facts_known=importer.facts_known,
        source=found.label,
        conversations=total,
        cancelled=cancelled,
        continued=tuple(importer.continued),
    )
