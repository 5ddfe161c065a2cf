"""Writing the app's import document: validated rows through the import repository, ids remapped.

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
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from desktop_chat.core.importers.attachments import Carried, FileWriter, carried_files
from desktop_chat.core.importers.document import (
    ContinuedSession,
    ImportResult,
    Reader,
    SkippedSession,
    continues,
    enum_of,
    origin_of,
    source_id,
    time_of,
    value_of,
)
from desktop_chat.core.models import (
    FactOrigin,
    FactStatus,
    FilePart,
    ImagePart,
    MessageStatus,
    Part,
    PartRecord,
    ReplyPlan,
    Role,
    Session,
    Strategy,
    Usage,
)
from desktop_chat.core.storage.db import utcnow
from desktop_chat.core.storage.facts import normalize_key
from desktop_chat.core.storage.parts import part_from_dict
from desktop_chat.core.storage.reply_plans import record_from_json
from desktop_chat.core.storage.store import Store


def import_json(store: Store, data: dict[str, Any], *, between: Callable[[int], None] | None = None) -> ImportResult:
    """Import an export or the minimal shape, all or nothing; what is already here is skipped.

    ``between(done)`` is called after each chat, inside the one transaction (an exception rolls it all back).
    """
    importer = Importer(store)
    # Every carried file is checked before anything is written: a changed byte refuses the whole document.
    importer.carried = carried_files(data.get("attachments"), Reader("attachments"))
    with importer.files_kept_only_if_committed(), store.db.transaction():
        for index, raw in enumerate(data["sessions"]):
            importer.session(raw, Reader(f"sessions[{index}]"), index)
            if between is not None:
                between(index + 1)
        for index, raw in enumerate(value_of(data, "facts", Reader("document"), (list,), [])):
            importer.fact(raw, Reader(f"facts[{index}]"), scope=None)
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


class Importer:
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
        self.plans: list[tuple[int, list[Any], Reader]] = []  # (new session id, raw reply plans): ids map last
        self.carried: dict[str, Carried] = {}  # the document's attached files, checked, by hash
        self.carried_here: dict[str, Carried] = {}  # the conversation's own (a converted export's), likewise
        self.files = FileWriter(store)

    @contextmanager
    def files_kept_only_if_committed(self) -> Iterator[None]:
        """Around a transaction: the attached files it wrote are deleted again if it rolls back."""
        try:
            yield
        except BaseException:
            self.files.undo()
            raise
        self.files.committed()

    def session(self, raw: Any, reader: Reader, index: int) -> None:
        if not isinstance(raw, dict):
            raise reader.fail("must be an object")
        messages = raw.get("messages")
        if not isinstance(messages, list):
            raise reader.at(".messages").fail("must be a list")
        origin = origin_of(raw, reader)
        self.carried_here = carried_files(raw.get("attachments"), reader.at(".attachments"))
        existing = self.store.sessions.by_origin(origin)
        if existing is not None:
            title = str(raw.get("title") or "")
            added = self.continuation(existing, messages, reader)
            if added:
                self.continued.append(ContinuedSession(index, title, existing.id, added))
            else:
                self.skipped.append(SkippedSession(index, title, existing.id))
            return
        created = time_of(raw, "created_at", reader, self.now)
        session_id = self.store.sessions.create(
            value_of(raw, "title", reader, (str,), ""),
            created_at=created,
            strategy=enum_of(raw, "strategy", reader, Strategy, None),
            strategy_options=value_of(raw, "strategy_options", reader, (dict,), {}),
            system_prompt=value_of(raw, "system_prompt", reader, (str,), ""),
            model=value_of(raw, "model", reader, (str,)),
            profile=value_of(raw, "profile", reader, (str,)),
            pinned=value_of(raw, "pinned", reader, (bool,), False),
            archived=value_of(raw, "archived", reader, (bool,), False),
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
        updated = time_of(raw, "updated_at", reader, max([created, *times]))
        self.store.sessions.set_times(session_id, created_at=created, updated_at=updated)
        summary = value_of(raw, "summary", reader, (dict,))
        if summary is not None:
            self.summary(summary, reader.at(".summary"), session_id, last_id)
        for f_index, f_raw in enumerate(value_of(raw, "facts", reader, (list,), [])):
            self.fact(f_raw, reader.at(f".facts[{f_index}]"), scope=session_id)
        self.plans.append((session_id, value_of(raw, "reply_plans", reader, (list,), []), reader.at(".reply_plans")))

    def continuation(self, existing: Session, messages: list[Any], reader: Reader) -> int:
        """Append the document's messages newer than the chat's newest one here; how many (0: none fit).

        Only a plain continuation is taken: the new messages, all on the document's active branch, one
        after the other, starting right after the message that is the chat's newest here (by the source's
        message id). Anything else (the chat continued here as well, an edit or a regenerate there) is
        left to the user: merging two histories would change a conversation they have already had.
        """
        stored = self.store.messages.all(existing.id, include_inactive=True)
        by_source = {source: m for m in stored if (source := source_id(m.meta)) is not None}
        active = [m for m in stored if m.active]
        if not by_source or not active or source_id(active[-1].meta) is None:
            return 0
        doc_ids: dict[int, int] = {}  # document id -> ours, for the messages already here
        new: list[dict[str, Any]] = []
        for m_raw in messages:
            if not isinstance(m_raw, dict):
                return 0
            source = source_id(m_raw.get("meta"))
            known = by_source.get(source) if source is not None else None
            if known is not None:
                if isinstance(m_raw.get("id"), int):
                    doc_ids[m_raw["id"]] = known.id
            elif source is None:
                return 0  # a message the source gives no id: it cannot be told apart from what is here
            else:
                new.append(m_raw)
        if not new or not continues(new, doc_ids, active[-1].id):
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
        self, raw: Any, reader: Reader, session_id: int, previous_id: int | None, previous_time: datetime
    ) -> tuple[int, datetime]:
        if not isinstance(raw, dict):
            raise reader.fail("must be an object")
        role = enum_of(raw, "role", reader, Role, None)
        if role is None:
            raise reader.at(".role").fail("is missing (user, assistant or system)")
        if not isinstance(raw.get("content"), str):
            raise reader.at(".content").fail("must be a string")
        meta = value_of(raw, "meta", reader, (dict,))
        usage = value_of(raw, "usage", reader, (dict,))
        if usage is not None and not all(isinstance(usage.get(k), int) for k in ("prompt_tokens", "completion_tokens")):
            raise reader.at(".usage").fail("must hold whole-number prompt_tokens and completion_tokens")
        if "parent_id" in raw:
            old_parent = value_of(raw, "parent_id", reader, (int,))
            parent = self.message_map.get(old_parent) if old_parent is not None else None
        else:
            parent = previous_id  # the minimal shape: a linear conversation
        when = time_of(raw, "created_at", reader, previous_time)
        status = enum_of(raw, "status", reader, MessageStatus, MessageStatus.COMPLETE)
        if status == MessageStatus.STREAMING:
            status = MessageStatus.STOPPED  # nothing is streaming into an imported file
        parts = _parts_of(raw, reader)
        for index, part in enumerate(parts):
            if isinstance(part, FilePart | ImagePart):  # its file first: the message's reference needs its row
                sha = part.sha256
                self.files.need(sha, self.carried_here.get(sha) or self.carried.get(sha), reader.at(f".parts[{index}]"))
        new_id = self.rows.add_message(
            session_id,
            parent_id=parent,
            role=role,
            content=raw["content"],
            created_at=when,
            status=status,
            model=value_of(raw, "model", reader, (str,)),
            token_count=value_of(raw, "token_count", reader, (int,)),
            usage=Usage(usage["prompt_tokens"], usage["completion_tokens"]) if usage is not None else None,
            meta=meta,
            error=value_of(raw, "error", reader, (str,)),
            active=value_of(raw, "active", reader, (bool,), True),
            parts=parts,
        )
        old_id = value_of(raw, "id", reader, (int,))
        if old_id is not None:
            self.message_map[old_id] = new_id
        self.message_count += 1
        return new_id, when

    def summary(self, raw: dict[str, Any], reader: Reader, session_id: int, last_id: int | None) -> None:
        if not isinstance(raw.get("text"), str):
            raise reader.at(".text").fail("must be a string")
        covers = value_of(raw, "covers_through", reader, (int,))
        through = self.message_map.get(covers, last_id) if covers is not None else last_id
        self.store.summaries.save(
            session_id,
            raw["text"],
            covers_through=through or 0,
            token_count=value_of(raw, "token_count", reader, (int,), 0),
            model=value_of(raw, "model", reader, (str,)),
            edited_by_user=value_of(raw, "edited_by_user", reader, (bool,), False),
            updated_at=time_of(raw, "updated_at", reader, self.now),
        )

    def fact(self, raw: Any, reader: Reader, *, scope: int | None, offered: bool = False) -> None:
        """One fact of the document; ``offered``: a pending suggestion that must not supersede what is active."""
        if not isinstance(raw, dict):
            raise reader.fail("must be an object")
        for key in ("key", "value"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise reader.at(f".{key}").fail("must be a non-empty string")
        key, value = normalize_key(raw["key"]), raw["value"].strip()
        created = time_of(raw, "created_at", reader, self.now)
        status = enum_of(raw, "status", reader, FactStatus, FactStatus.ACTIVE)
        events = value_of(raw, "events", reader, (list,), [])
        old_id = value_of(raw, "id", reader, (int,))
        known = self.store.facts.find_same(key, value, scope, created_at=created if "created_at" in raw else None)
        if known is not None:  # already here (imported before, or said here too): nothing to add
            if old_id is not None:
                self.fact_map[old_id] = known.id
            self.facts_known += 1
            return
        source = value_of(raw, "source_message_id", reader, (int,))
        new_id = self.rows.add_fact(
            scope=scope,
            key=key,
            value=value,
            source_message_id=self.message_map.get(source) if source is not None else None,
            source_quote=value_of(raw, "source_quote", reader, (str,)),
            origin=enum_of(raw, "origin", reader, FactOrigin, FactOrigin.USER),
            status=status,
            pinned=value_of(raw, "pinned", reader, (bool,), False),
            created_at=created,
            updated_at=time_of(raw, "updated_at", reader, self.now),
            edited_by_user=value_of(raw, "edited_by_user", reader, (bool,), False),
            reason=value_of(raw, "reason", reader, (str,)),
        )
        for index, event in enumerate(events):
            e_reader = reader.at(f".events[{index}]")
            if not isinstance(event, dict) or not isinstance(event.get("action"), str):
                raise e_reader.fail("must be an object with an 'action'")
            self.rows.add_fact_event(
                new_id,
                at=time_of(event, "at", e_reader, self.now),
                actor=value_of(event, "actor", e_reader, (str,), "user"),
                action=event["action"],
                old=event.get("old"),
                new=event.get("new"),
            )
        if old_id is not None:
            self.fact_map[old_id] = new_id
        if value_of(raw, "private", reader, (bool,), False):
            self.store.facts.mark_private(new_id)
        successor = value_of(raw, "superseded_by", reader, (int,))
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
                message_id = self.message_map.get(value_of(raw, "message_id", p_reader, (int,), -1))
                if message_id is None:
                    continue  # its reply was not in the document
                try:
                    parts = tuple(
                        self._mapped(record_from_json(d)) for d in value_of(raw, "parts", p_reader, (list,), [])
                    )
                    omitted = tuple(
                        self._mapped(record_from_json(d)) for d in value_of(raw, "omitted", p_reader, (list,), [])
                    )
                except (KeyError, TypeError, ValueError, AttributeError):
                    raise p_reader.fail("has a part that is not {kind, tokens, reason, ...}") from None
                self.store.reply_plans.put(
                    ReplyPlan(
                        message_id=message_id,
                        session_id=session_id,
                        created_at=time_of(raw, "created_at", p_reader, self.now),
                        strategy=enum_of(raw, "strategy", p_reader, Strategy, Strategy.FULL),
                        model=value_of(raw, "model", p_reader, (str,), ""),
                        budget=value_of(raw, "budget", p_reader, (int,), 0),
                        context_window=value_of(raw, "context_window", p_reader, (int,), 0),
                        reserved_reply=value_of(raw, "reserved_reply", p_reader, (int,), 0),
                        total_tokens=value_of(raw, "total_tokens", p_reader, (int,), 0),
                        exact_counts=value_of(raw, "exact_counts", p_reader, (bool,), True),
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


def _parts_of(raw: dict[str, Any], reader: Reader) -> tuple[Part, ...]:
    """A message's parts as exported (tool calls and results, attachments); none: its text alone."""
    items = value_of(raw, "parts", reader, (list,))
    if not items:
        return ()
    parts: list[Part] = []
    for index, item in enumerate(items):
        try:
            parts.append(part_from_dict(item))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise reader.at(f".parts[{index}]").fail(
                "is not a message part (text, tool_call, tool_result, file, image)"
            ) from None
    return tuple(parts)
