"""PLACEHOLDER until the extraction branch lands: plain text only."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from desktop_chat.core.errors import DesktopChatError


class UnreadableAttachment(DesktopChatError):
    """A file that cannot be read: one line naming it and what to do."""


@dataclass(frozen=True, slots=True)
class Extracted:
    text: str
    media_type: str
    units: int | None = None
    unit_name: str = ""


def media_type_of(name: str, head: bytes) -> str:
    if head.startswith(b"\x89PNG"):
        return "image/png"
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "text/plain"


def is_image(media_type: str) -> bool:
    return media_type.startswith("image/")


def extract(
    path: Path,
    name: str | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    max_bytes: int | None = None,
) -> Extracted:
    name = name or path.name
    text = path.read_bytes().decode("utf-8", errors="replace")
    if not text.strip():
        raise UnreadableAttachment(f"{name} is empty: there is nothing to send.")
    return Extracted(text, media_type_of(name, b""))
