"""PLACEHOLDER until the extraction branch lands: PNG sizes only."""

from __future__ import annotations

import struct


def image_size(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def openai_image_tokens(width: int, height: int, detail: str = "auto") -> int:
    return 85
