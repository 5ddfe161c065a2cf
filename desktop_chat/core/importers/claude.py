"""A Claude export (``conversations.json``) as conversations of the app's own import document.

Each conversation has ``uuid``, ``name``, ``created_at`` and ``chat_messages``
(``sender`` human or assistant, ``text`` and/or ``content`` blocks). Newer
exports link messages with ``parent_message_uuid``; when they branch, the
branch ending at the newest message is active and the others are kept inactive.
Text blocks are kept; thinking is skipped; tool use and images become one
placeholder line each. An attachment whose text the export carries
(``extracted_content``: Claude keeps the text it read, not the file) becomes a
real attached file of the message, its bytes that text, so it is searched and
recalled like one attached here; one without text, and ``files`` (uploads the
export names but does not carry), stay a placeholder line with their name.

The side files offer facts: ``memories.json`` (what Claude remembered about the
user, per account and per project), ``projects.json`` or ``projects/*.json``
(each project's instructions) and ``users.json`` (the account's name).
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from desktop_chat.core.importers.common import bad, fact_key, iso, offered_fact, placeholder

ORIGIN_PREFIX = "claude:"
ROOT = "00000000-0000-4000-8000-000000000000"
ROLES = {"human": "user", "user": "user", "assistant": "assistant"}


def _block_text(block: Any) -> str:  # noqa: PLR0911 - one return per block type
    if not isinstance(block, dict):
        return ""
    kind = block.get("type")
    if kind == "text":
        return str(block.get("text") or "")
    if kind in ("thinking", "redacted_thinking", "token_budget"):
        return ""
    if kind == "tool_use":
        return placeholder("tool", str(block.get("name") or "") or None)
    if kind == "tool_result":
        return placeholder("tool result", str(block.get("name") or "") or None)
    if kind == "image":
        return placeholder("image")
    return placeholder(str(kind or "content").replace("_", " "))


def message_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    lines: list[str] = []
    if isinstance(content, list) and content:
        lines = [t for t in (_block_text(b) for b in content) if t.strip()]
    elif isinstance(message.get("text"), str):
        lines = [message["text"]]
    for key, kind in (("attachments", "attachment"), ("files", "file")):
        for item in message.get(key) or []:
            if isinstance(item, dict) and not (key == "attachments" and _extracted(item)):
                lines.append(placeholder(kind, str(item.get("file_name") or "") or None))
    return "\n".join(lines).strip()


def _extracted(item: dict[str, Any]) -> str:
    text = item.get("extracted_content")
    return text if isinstance(text, str) and text.strip() else ""


def stored_attachments(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The message's attachments whose text the export carries, as files of the import document.

    The stored copy is that text (UTF-8, ``text/plain``) under the name the file had: the original
    bytes are not in the export, and the text is what Claude read from them.
    """
    found: list[dict[str, Any]] = []
    items = message.get("attachments")
    for item in items if isinstance(items, list) else []:
        text = _extracted(item) if isinstance(item, dict) else ""
        if not text:
            continue
        data = text.encode("utf-8")
        name = str(item.get("file_name") or "").strip() or "attachment.txt"
        found.append(
            {
                "sha256": hashlib.sha256(data).hexdigest(),
                "name": name,
                "media_type": "text/plain",
                "size": len(data),
                "text": text,
                "data": base64.b64encode(data).decode("ascii"),
            }
        )
    return found


def convert(raw: Any, index: int, source: str) -> dict[str, Any]:
    """One conversation as a session of the app's import document; malformed structure raises."""
    where = f"conversation {index}"
    if not isinstance(raw, dict):
        raise bad(source, where, "must be an object")
    chat = raw.get("chat_messages")
    if not isinstance(chat, list):
        raise bad(source, f"{where}.chat_messages", "must be a list")
    # Newer exports link each message to its parent (branches); older ones are a plain list.
    linked = any(isinstance(m, dict) and isinstance(m.get("parent_message_uuid"), str) for m in chat)
    rows: list[tuple[dict[str, Any], str, str]] = []  # message, role, text
    carried: dict[str, dict[str, Any]] = {}  # the conversation's attached texts, once each, by hash
    parents: dict[int, int | None] = {}
    nearest: dict[str, int | None] = {}  # uuid -> its row, or its nearest kept ancestor's when it had no text
    previous: int | None = None
    for m_index, message in enumerate(chat):
        if not isinstance(message, dict):
            raise bad(source, f"{where}.chat_messages[{m_index}]", "must be an object")
        sender = message.get("sender")
        if sender not in ROLES:
            path = f"{where}.chat_messages[{m_index}].sender"
            raise bad(source, path, f"must be human or assistant (got {sender!r})")
        up = message.get("parent_message_uuid")
        parent = (nearest.get(up) if isinstance(up, str) else None) if linked else previous
        text = message_text(message)
        files = stored_attachments(message)
        mine = parent
        if text or files:
            mine = previous = len(rows)
            parents[mine] = parent
            rows.append((message, ROLES[str(sender)], text))
        if isinstance(message.get("uuid"), str):
            nearest[message["uuid"]] = mine
    # The active branch ends at the newest message (the export does not say which leaf the user last saw).
    active: set[int] = set()
    if rows:
        leaf: int | None = max(range(len(rows)), key=lambda p: (str(rows[p][0].get("created_at") or ""), p))
        while leaf is not None and leaf not in active:
            active.add(leaf)
            leaf = parents.get(leaf)
    messages: list[dict[str, Any]] = []
    for position, (message, role, text) in enumerate(rows):
        parent = parents[position]
        item: dict[str, Any] = {
            "id": position + 1,
            "parent_id": parent + 1 if parent is not None else None,
            "role": role,
            "content": text,
            "active": position in active,
            "meta": {"source": "claude", "id": message.get("uuid")},
        }
        _attach(item, stored_attachments(message), carried)
        when = iso(message.get("created_at"))
        if when:
            item["created_at"] = when
        messages.append(item)
    return _session(raw, messages, carried)


def _session(raw: dict[str, Any], messages: list[dict[str, Any]], carried: dict[str, dict[str, Any]]) -> dict[str, Any]:
    session: dict[str, Any] = {"title": raw["name"] if isinstance(raw.get("name"), str) else "", "messages": messages}
    if carried:
        session["attachments"] = list(carried.values())
    uuid = raw.get("uuid")
    if isinstance(uuid, str) and uuid.strip():
        session["origin"] = ORIGIN_PREFIX + uuid.strip()
    created, updated = iso(raw.get("created_at")), iso(raw.get("updated_at"))
    if created:
        session["created_at"] = created
    if updated:
        session["updated_at"] = max(updated, created or updated)
    return session


def _attach(item: dict[str, Any], files: list[dict[str, Any]], carried: dict[str, dict[str, Any]]) -> None:
    """Give the message ``item`` its attached files as parts (after its text); the conversation carries them."""
    if not files:
        return
    text = item["content"]
    item["parts"] = ([{"kind": "text", "text": text}] if text else []) + [
        {"kind": "file", "sha256": f["sha256"], "name": f["name"], "media_type": f["media_type"]} for f in files
    ]
    carried.update((f["sha256"], f) for f in files)


# --- memories, project instructions, the account's name ------------------------------------------

REASON = "from your Claude export"
_HEADING = re.compile(r"^\s*(#+\s.*|\*\*[^*]+\*\*:?)\s*$")


def _memory_lines(text: str) -> list[str]:
    """Claude's memory is Markdown prose under bold headings: one fact per line, headings dropped."""
    lines = []
    for line in text.splitlines():
        if not line.strip() or _HEADING.match(line):
            continue
        lines.append(re.sub(r"^\s*[-*•]\s+", "", line).strip())
    return lines


def _projects(side: dict[str, Any]) -> list[dict[str, Any]]:
    found = side.get("projects.json")
    projects = [p for p in found if isinstance(p, dict)] if isinstance(found, list) else []
    projects += [v for k, v in side.items() if k.startswith("projects/") and isinstance(v, dict)]
    return projects


def facts(side: dict[str, Any], exported_at: str | None) -> list[dict[str, Any]]:
    """Pending facts from the export's side files (absent files offer nothing)."""
    offered: list[dict[str, Any]] = []
    names = {str(p.get("uuid")): str(p.get("name") or "") for p in _projects(side)}
    users = side.get("users.json")
    for user in users if isinstance(users, list) else []:
        name = user.get("full_name") if isinstance(user, dict) else None
        if isinstance(name, str) and name.strip():
            offered.append(
                offered_fact(
                    "name", name, origin="user", reason=f"{REASON}: your account's name", created_at=exported_at
                )
            )
    memories = side.get("memories.json")
    for entry in memories if isinstance(memories, list) else [memories] if isinstance(memories, dict) else []:
        if not isinstance(entry, dict):
            continue
        text = entry.get("conversations_memory")
        for line in _memory_lines(text) if isinstance(text, str) else []:
            offered.append(
                offered_fact(
                    fact_key("memory", line),
                    line,
                    origin="extracted",
                    reason=f"{REASON}: a memory Claude kept",
                    created_at=exported_at,
                )
            )
        per_project = entry.get("project_memories")
        for uuid, memory in per_project.items() if isinstance(per_project, dict) else []:
            if isinstance(memory, str) and memory.strip():
                called = names.get(str(uuid)) or str(uuid)
                offered.append(
                    offered_fact(
                        f"project {called} memory",
                        memory,
                        origin="extracted",
                        reason=f"{REASON}: what Claude remembered in the project {called}",
                        created_at=exported_at,
                    )
                )
    for project in _projects(side):
        prompt = project.get("prompt_template")
        if isinstance(prompt, str) and prompt.strip():
            title = str(project.get("name") or project.get("uuid") or "")
            offered.append(
                offered_fact(
                    f"project {title} instructions",
                    prompt,
                    origin="user",
                    reason=f"{REASON}: your instructions for the project {title}",
                    created_at=iso(project.get("updated_at")) or exported_at,
                )
            )
    return offered
