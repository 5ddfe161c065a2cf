"""An image inside a request's message: read from the stored copy only when the request is sent.

A plan is made on every pause in typing; reading and encoding a photo of several megabytes each time
would be wasted, so the plan holds the stored copy's path (content-addressed: those bytes never change)
and ``wire`` reads it when the request goes out. ``shown`` is what ``plan.request_messages()`` (the
inspector, ``context --json``) shows instead of the base64: the data URL's start and the file's size.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class ImageContent:
    name: str
    media_type: str
    path: Path  # the stored copy in the data folder's attachments
    size: int  # bytes
    detail: str = "auto"

    def data_url(self) -> str:
        return f"data:{self.media_type};base64,{base64.b64encode(self.path.read_bytes()).decode('ascii')}"

    def wire(self) -> dict[str, Any]:
        """The content part as the chat completions API takes it (reads the file)."""
        return {"type": "image_url", "image_url": {"url": self.data_url(), "detail": self.detail}}

    def shown(self) -> dict[str, Any]:
        """The same part with the data URL shortened to its start and the file's size."""
        url = f"data:{self.media_type};base64,… ({self.size:,} bytes)"
        return {"type": "image_url", "image_url": {"url": url, "detail": self.detail}}


def with_images(text: str, images: tuple[ImageContent, ...], *, shown: bool) -> list[dict[str, Any]]:
    """A user message's content array: its text, then its images (read now unless only ``shown``)."""
    return [{"type": "text", "text": text}, *(i.shown() if shown else i.wire() for i in images)]
