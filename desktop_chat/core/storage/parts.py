"""Message parts to and from the ``messages.parts`` JSON column.

A message that is one text part (nearly all of them, and every message from before
migration 013) stores NULL there: its text is ``messages.content``. Any other message
stores its whole ordered list of parts, and ``content`` holds the joined text of its
text parts, so FTS, token counts and every query on ``content`` keep working.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from desktop_chat.core.models import FilePart, ImagePart, Part, TextPart, ToolCallPart, ToolResultPart, text_of


def parts_json(parts: Sequence[Part]) -> str | None:
    """The column's value: None for a single text part (the text lives in ``content``)."""
    if len(parts) == 1 and isinstance(parts[0], TextPart):
        return None
    return json.dumps([part_dict(part) for part in parts], ensure_ascii=False)


def part_dict(part: Part) -> dict[str, Any]:
    match part:
        case TextPart(text=text):
            return {"kind": "text", "text": text}
        case FilePart(sha256=sha, name=name, media_type=media) | ImagePart(sha256=sha, name=name, media_type=media):
            return {"kind": part.kind, "sha256": sha, "name": name, "media_type": media}
        case ToolCallPart(call_id=call_id, name=name, arguments_json=arguments):
            return {"kind": "tool_call", "call_id": call_id, "name": name, "arguments": arguments}
        case ToolResultPart(call_id=call_id, content=content, is_error=is_error, seconds=seconds):
            timed = {} if seconds is None else {"seconds": round(seconds, 3)}
            return {"kind": "tool_result", "call_id": call_id, "content": content, "is_error": is_error, **timed}


def part_from_dict(data: dict[str, Any]) -> Part:
    kind = data.get("kind")
    if kind == "text":
        return TextPart(str(data["text"]))
    if kind in ("file", "image"):
        cls = FilePart if kind == "file" else ImagePart
        return cls(str(data["sha256"]), str(data["name"]), str(data["media_type"]))
    if kind == "tool_call":
        return ToolCallPart(str(data["call_id"]), str(data["name"]), str(data["arguments"]))
    if kind == "tool_result":
        seconds = data.get("seconds")
        timed = float(seconds) if isinstance(seconds, int | float) and not isinstance(seconds, bool) else None
        return ToolResultPart(str(data["call_id"]), str(data["content"]), bool(data.get("is_error", False)), timed)
    raise ValueError(f"unknown message part {kind!r}")


def parts_from_row(content: str, stored: str | None) -> tuple[Part, ...]:
    """The parts of a row: one text part from ``content`` when the column is NULL."""
    if not stored:
        return (TextPart(content),)
    return tuple(part_from_dict(item) for item in json.loads(stored))


def with_text(parts: Sequence[Part], text: str) -> tuple[Part, ...]:
    """``parts`` with its text replaced by ``text`` (one text part first), the other parts kept in order."""
    others = tuple(part for part in parts if not isinstance(part, TextPart))
    return ((TextPart(text),) if text or not others else ()) + others


__all__ = ["part_dict", "part_from_dict", "parts_from_row", "parts_json", "text_of", "with_text"]
