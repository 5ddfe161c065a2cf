"""A ChatGPT data export (``conversations.json``) as conversations of the app's own import document.

Each conversation holds a ``mapping`` tree of nodes (``parent``, ``children``,
``message``); ``current_node`` ends the branch the user last saw, which becomes
the active branch. Other branches (edited questions, regenerated answers) are
kept as inactive messages with their parents. Hidden and empty system or tool
nodes, reasoning and tool calls are skipped; images, files and code-interpreter
output become one placeholder line each (uploads under the names they had: the
export names the files, it does not carry them).

Custom instructions and saved memories are not files of their own in the
export: they ride along inside conversations (the custom-instructions system
message or ``user_editable_context``; ``model_editable_context`` holds the
memories the model saw; a reply addressed to the ``bio`` tool saves one).
``Memories`` gathers the newest of each while the conversations stream past.
"""

from __future__ import annotations

import re
from typing import Any

from desktop_chat.core.importers.common import bad, epoch, fact_key, offered_fact, placeholder

ORIGIN_PREFIX = "chatgpt:"
# Content the user never saw as a turn: reasoning, context blocks, browsing status.
_SKIPPED_TYPES = {
    "thoughts",
    "reasoning_recap",
    "user_editable_context",
    "model_editable_context",
    "tether_browsing_display",
    "tether_quote",
    "system_error",
    "sonic_webpage",
}


def _part_text(part: Any, names: dict[str, str]) -> str:
    if isinstance(part, str):
        return part
    if not isinstance(part, dict):
        return ""
    kind = str(part.get("content_type") or "attachment")
    if kind == "audio_transcription" and isinstance(part.get("text"), str):
        return str(part["text"])  # voice mode: the words were said, keep them
    if kind == "image_asset_pointer":
        pointer = str(part.get("asset_pointer") or "").rsplit("/", 1)[-1]
        return placeholder("image", names.get(pointer) or pointer or None)  # the name it was uploaded under
    if "audio" in kind:
        return placeholder("audio")
    return placeholder(kind.replace("_", " "))


def _uploads(message: dict[str, Any]) -> list[tuple[str, str]]:
    """The files the user uploaded with the message, as (id, name): the export names them, it does not carry them."""
    metadata = message.get("metadata")
    found = metadata.get("attachments") if isinstance(metadata, dict) else None
    if not isinstance(found, list):
        return []
    return [(str(a.get("id") or ""), str(a.get("name") or a.get("id") or "")) for a in found if isinstance(a, dict)]


def _image_ids(content: dict[str, Any]) -> set[str]:
    parts = content.get("parts")
    return {
        str(p.get("asset_pointer") or "").rsplit("/", 1)[-1]
        for p in (parts if isinstance(parts, list) else [])
        if isinstance(p, dict) and p.get("content_type") == "image_asset_pointer"
    }


def message_text(message: dict[str, Any]) -> str:
    """The text of one message as the user saw it, placeholders included; empty when there is nothing.

    Uploads keep their names: an image shows as ``[image: photo.jpg]`` (its pointer's id matched to the
    upload's name), any other file as ``[file: report.pdf]``, so the turn says what was attached.
    """
    content = message.get("content")
    if not isinstance(content, dict):
        return ""
    kind = content.get("content_type", "text")
    if kind in _SKIPPED_TYPES:
        return ""
    if kind == "execution_output":
        return placeholder("code-interpreter output")
    uploads = _uploads(message)
    names = {upload_id: name for upload_id, name in uploads if upload_id and name}
    lines: list[str] = []
    parts = content.get("parts")
    if isinstance(parts, list):
        lines = [text for text in (_part_text(p, names) for p in parts) if text.strip()]
    elif isinstance(content.get("text"), str):
        lines = [content["text"]]
    if not lines and kind not in ("text", "multimodal_text", "code"):
        lines = [placeholder(str(kind).replace("_", " "))]
    text = "\n".join(lines)
    if kind == "code" and text.strip():
        text = f"```\n{text}\n```"
    shown = _image_ids(content)  # images already named where they appear
    extra = [
        placeholder("file", name or None) for upload_id, name in uploads if not upload_id or upload_id not in shown
    ]
    return "\n".join([text, *extra]).strip() if extra else text.strip()


def _hidden(message: dict[str, Any]) -> bool:
    metadata = message.get("metadata")
    if isinstance(metadata, dict) and (
        metadata.get("is_visually_hidden_from_conversation") or metadata.get("is_user_system_message")
    ):
        return True
    return message.get("weight") == 0


def _role_and_text(message: dict[str, Any]) -> tuple[str, str] | None:
    """The app's role and text for a node's message, or None when it is skipped."""
    author = message.get("author")
    role = author.get("role") if isinstance(author, dict) else None
    if _hidden(message):
        return None
    text = message_text(message)
    if role == "tool":
        # Tool results the user saw: code output, generated images. Search and browsing noise is dropped.
        content = message.get("content")
        kind = content.get("content_type") if isinstance(content, dict) else None
        if kind == "execution_output" or (kind == "multimodal_text" and "[image" in text):
            return ("assistant", text)
        return None
    if role == "assistant" and message.get("recipient") not in (None, "all"):
        return None  # a call addressed to a tool (code to run, a memory to save), not the answer
    if role not in ("user", "assistant", "system") or not text:
        return None
    return (str(role), text)


def _parent(mapping: dict[str, Any], node: dict[str, Any]) -> str | None:
    """The id of the node's parent in ``mapping``; None for a root (no parent, or one that is not there)."""
    parent = node.get("parent")
    return parent if isinstance(parent, str) and parent in mapping else None


def _children(mapping: dict[str, Any]) -> dict[str, list[str]]:
    """Each node's children: those it lists, then any naming it as their parent that it does not list."""
    children = {
        k: [c for c in n.get("children") or [] if isinstance(c, str) and c in mapping] for k, n in mapping.items()
    }
    for node_id, node in mapping.items():
        parent = _parent(mapping, node)
        if parent is not None and node_id not in children[parent]:
            children[parent].append(node_id)
    return children


def _cycle(mapping: dict[str, Any], start: str) -> list[str]:
    """The parent cycle ``start`` (a node no root leads to) is in or hangs from, each the parent of the next."""
    path: list[str] = []
    node_id: str | None = start
    while node_id is not None and node_id not in path:
        path.append(node_id)
        node_id = _parent(mapping, mapping[node_id])
    cycle = [*path[path.index(node_id) :], node_id] if node_id is not None else path
    return cycle[::-1]  # parents first


def _active_path(mapping: dict[str, Any], children: dict[str, list[str]], current: Any) -> set[str]:
    path: set[str] = set()
    node_id = current if isinstance(current, str) and current in mapping else None
    if node_id is None:  # no current node: follow the newest child from each root
        roots = [k for k, n in mapping.items() if _parent(mapping, n) is None]
        node_id = roots[0] if roots else None
        while node_id is not None and node_id not in path:
            path.add(node_id)
            node_id = children[node_id][-1] if children[node_id] else None
        return path
    while node_id is not None and node_id not in path:
        path.add(node_id)
        node_id = _parent(mapping, mapping[node_id])
    return path


def _checked_mapping(mapping: Any, source: str, where: str) -> dict[str, Any]:
    if not isinstance(mapping, dict):
        raise bad(source, f"{where}.mapping", "must be an object of message nodes")
    for node_id, node in mapping.items():
        if not isinstance(node, dict):
            raise bad(source, f"{where}.mapping[{node_id!r}]", "must be an object")
        if node.get("message") is not None and not isinstance(node["message"], dict):
            raise bad(source, f"{where}.mapping[{node_id!r}].message", "must be an object")
        if not isinstance(node.get("children", []), list):
            raise bad(source, f"{where}.mapping[{node_id!r}].children", "must be a list")
    return mapping


def convert(raw: Any, index: int, source: str) -> dict[str, Any]:
    """One conversation as a session of the app's import document; malformed structure raises."""
    where = f"conversation {index}"
    if not isinstance(raw, dict):
        raise bad(source, where, "must be an object")
    mapping = _checked_mapping(raw.get("mapping"), source, where)
    children_of = _children(mapping)
    active = _active_path(mapping, children_of, raw.get("current_node"))
    messages: list[dict[str, Any]] = []
    roots = [k for k, n in mapping.items() if _parent(mapping, n) is None]
    stack: list[tuple[str, int | None]] = [(r, None) for r in reversed(roots)]
    seen: set[str] = set()
    while stack:  # depth first, parents before children: the active branch stays in id order
        node_id, parent = stack.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        node = mapping[node_id]
        message = node.get("message")
        kept = _role_and_text(message) if isinstance(message, dict) else None
        if kept is not None:
            assert isinstance(message, dict)
            item: dict[str, Any] = {
                "id": len(messages) + 1,
                "parent_id": parent,
                "role": kept[0],
                "content": kept[1],
                "active": node_id in active,
                "meta": {"source": "chatgpt", "id": node_id},
            }
            when = epoch(message.get("create_time"))
            if when:
                item["created_at"] = when
            metadata = message.get("metadata")
            if isinstance(metadata, dict) and isinstance(metadata.get("model_slug"), str):
                item["model"] = metadata["model_slug"]
            if message.get("status") == "in_progress":
                item["status"] = "stopped"
            messages.append(item)
            parent = item["id"]
        stack.extend((c, parent) for c in reversed(children_of[node_id]))
    unreached = [k for k in mapping if k not in seen]
    if unreached:
        # Only a cycle of parents leaves a node that no root leads to. A conversation is a tree: a cycle
        # has no first message and no order, so any reading of it would be a conversation that never was.
        cycle = " → ".join(repr(k) for k in _cycle(mapping, unreached[0])[:6])
        raise bad(
            source,
            f"{where}.mapping",
            f"has a cycle ({cycle}, each the parent of the next), so its messages have no order",
        )
    conversation_id = raw.get("conversation_id") or raw.get("id")
    session: dict[str, Any] = {
        "title": raw["title"] if isinstance(raw.get("title"), str) else "",
        "archived": raw.get("is_archived") is True,
        "messages": messages,
    }
    if isinstance(conversation_id, str) and conversation_id.strip():
        session["origin"] = ORIGIN_PREFIX + conversation_id.strip()
    created, updated = epoch(raw.get("create_time")), epoch(raw.get("update_time"))
    if created:
        session["created_at"] = created
    if updated:
        session["updated_at"] = max(updated, created or updated)
    return session


# --- custom instructions and memories ------------------------------------------------------------

_FENCED = re.compile(r"```(.*?)```", re.DOTALL)
_MEMORY_LINE = re.compile(r"^\s*\d+\.\s*(?:\[(\d{4}-\d{2}-\d{2})\]\.?\s*)?(.+?)\s*$")
REASON = "from your ChatGPT export"


def _seconds(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _unwrap(text: str) -> str:
    """ChatGPT wraps the user's own words in a preamble and a ``` fence; keep the words."""
    found = _FENCED.findall(text)
    return "\n".join(f.strip() for f in found).strip() if found else text.strip()


class Memories:
    """The newest custom instructions and saved memories seen in the conversations, as pending facts."""

    def __init__(self) -> None:
        self._about: tuple[float, str, str] | None = None  # (time, about you, how to respond)
        self._snapshot: tuple[float, str] | None = None  # (time, model_set_context)
        self._saved: list[tuple[float, str]] = []  # memories saved with the bio tool

    def observe(self, raw: dict[str, Any]) -> None:
        mapping = raw.get("mapping")
        if not isinstance(mapping, dict):
            return
        for node in mapping.values():
            message = node.get("message") if isinstance(node, dict) else None
            if isinstance(message, dict):
                self._message(message, _seconds(message.get("create_time")) or _seconds(raw.get("create_time")))

    def _message(self, message: dict[str, Any], when: float) -> None:
        content = message.get("content") if isinstance(message.get("content"), dict) else {}
        assert isinstance(content, dict)
        metadata = message.get("metadata") if isinstance(message.get("metadata"), dict) else {}
        assert isinstance(metadata, dict)
        data = metadata.get("user_context_message_data")
        if isinstance(data, dict):
            self._instructions(when, data.get("about_user_message"), data.get("about_model_message"))
        kind = content.get("content_type")
        if kind == "user_editable_context":
            self._instructions(when, content.get("user_profile"), content.get("user_instructions"))
        elif kind == "model_editable_context":
            text = content.get("model_set_context")
            if isinstance(text, str) and text.strip() and (self._snapshot is None or when >= self._snapshot[0]):
                self._snapshot = (when, text)
        elif message.get("recipient") == "bio":
            text = message_text({"content": content})
            if text:
                self._saved.append((when, text))

    def _instructions(self, when: float, about: Any, respond: Any) -> None:
        about_text = _unwrap(about) if isinstance(about, str) else ""
        respond_text = _unwrap(respond) if isinstance(respond, str) else ""
        if (about_text or respond_text) and (self._about is None or when >= self._about[0]):
            self._about = (when, about_text, respond_text)

    def facts(self) -> list[dict[str, Any]]:
        facts: list[dict[str, Any]] = []
        if self._about is not None:
            when, about, respond = self._about
            if about:
                facts.append(
                    offered_fact(
                        "about me",
                        about,
                        origin="user",
                        reason=f"{REASON}: custom instructions, what ChatGPT should know about you",
                        created_at=epoch(when),
                    )
                )
            if respond:
                facts.append(
                    offered_fact(
                        "how to respond",
                        respond,
                        origin="user",
                        reason=f"{REASON}: custom instructions, how ChatGPT should respond",
                        created_at=epoch(when),
                    )
                )
        entries: list[tuple[str | None, str]] = []
        since = 0.0
        if self._snapshot is not None:
            since, text = self._snapshot
            for line in text.splitlines():
                match = _MEMORY_LINE.match(line)
                if match:
                    entries.append((match.group(1), match.group(2)))
                elif line.strip():
                    entries.append((None, line.strip()))
        # Memories saved after the newest snapshot the export shows are not in it yet.
        entries += [(epoch(t), text) for t, text in sorted(self._saved) if t > since]
        seen: set[str] = set()
        for day, text in entries:
            if text.casefold() in seen:
                continue
            seen.add(text.casefold())
            created = f"{day[:10]}T00:00:00+00:00" if day else epoch(since)
            facts.append(
                offered_fact(
                    fact_key("memory", text),
                    text,
                    origin="extracted",
                    reason=f"{REASON}: a memory ChatGPT saved" + (f" on {day[:10]}" if day else ""),
                    created_at=created,
                )
            )
        return facts
