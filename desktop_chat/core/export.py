"""Sessions and their memories as JSON and Markdown.

The JSON export round-trips: importing it (``core/importers``: ``writer`` for this
document, ``files`` for any file the app reads) yields the same sessions, messages,
summaries and facts, with new ids and references remapped. Attached files travel
with it byte for byte: each file the exported messages refer to is carried once, in
the document's ``attachments`` list (base64 of the stored bytes, with its SHA-256 so
the import can check them, and the text read from it so the import need not read it
again). The Markdown transcript names each message's attachments.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from desktop_chat.core.attachments.types import megabytes
from desktop_chat.core.models import (
    Attachment,
    Fact,
    FactStatus,
    FilePart,
    ImagePart,
    Message,
    MessageStatus,
    ReplyPlan,
    Role,
    Session,
)
from desktop_chat.core.storage.attachment_files import AttachmentFiles
from desktop_chat.core.storage.db import utcnow
from desktop_chat.core.storage.parts import part_dict, parts_json
from desktop_chat.core.storage.reply_plans import record_json
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
    if parts_json(message.parts) is not None:  # tool calls and results (issue 24), attachments: beside the text
        data["parts"] = [part_dict(part) for part in message.parts]
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
    """Sessions (all when ``session_ids`` is None) with their memories and attached files, as one JSON document."""
    sessions = (
        store.sessions.list_by_activity(include_archived=True)
        if session_ids is None
        else [store.sessions.get(i) for i in session_ids]
    )
    exported = [_session_json(store, s) for s in sorted(sessions, key=lambda s: s.id)]
    document: dict[str, Any] = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "exported_at": _time(utcnow()),
        "sessions": exported,
        "facts": [_fact_json(store, f) for f in _all_facts(store, None)] if global_facts else [],
    }
    carried = _attachments_json(store, [m["id"] for s in exported for m in s["messages"] if "parts" in m])
    if carried:  # absent when there are none: documents without files read as before
        document["attachments"] = carried
    return document


def _attachments_json(store: Store, message_ids: list[int]) -> list[dict[str, Any]]:
    """Each file ``message_ids`` refer to, once, in the order first referred to, with its bytes.

    A file whose stored copy is missing from the data folder (removed by hand) is carried without
    ``data``: its name and text still import, and the export does not fail for one lost file.
    """
    files = AttachmentFiles.beside(store.db.path)
    seen: dict[str, Attachment] = {}
    for found in store.attachments.of_messages(message_ids).values():
        for attachment in found:
            seen.setdefault(attachment.sha256, attachment)
    carried: list[dict[str, Any]] = []
    for a in seen.values():
        item: dict[str, Any] = {
            "sha256": a.sha256,
            "name": a.name,
            "media_type": a.media_type,
            "size": a.size,
            "text": a.text,
            "units": a.units,
            "unit_name": a.unit_name,
            "width": a.width,
            "height": a.height,
        }
        if files is not None and files.exists(a.sha256):
            item["data"] = base64.b64encode(files.read(a.sha256)).decode("ascii")
        carried.append(item)
    return carried


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
    shown = store.messages.all(session_id)
    attached = store.attachments.of_messages([m.id for m in shown if _refers_to_files(m)])
    for message in shown:
        status = "" if message.status == MessageStatus.COMPLETE else f" ({message.status.value})"
        lines += [
            f"### {names.get(message.role, message.role.value)} · {message.created_at:%Y-%m-%d %H:%M}{status}",
            "",
        ]
        if message.content:
            lines += [message.content, ""]
        sizes = {a.sha256: a.size for a in attached.get(message.id, [])}
        files = [p for p in message.parts if isinstance(p, FilePart | ImagePart)]
        if files:  # under the name each had in this message; the bytes are in the JSON export, not here
            lines += [
                f"- Attached: {p.name}" + (f" ({megabytes(sizes[p.sha256])})" if p.sha256 in sizes else "")
                for p in files
            ]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _refers_to_files(message: Message) -> bool:
    return any(isinstance(p, FilePart | ImagePart) for p in message.parts)
