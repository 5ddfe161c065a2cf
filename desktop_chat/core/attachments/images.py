"""Images: their size read from the file's header (no Pillow), and what they cost in tokens.

``openai_image_tokens`` follows OpenAI's documented rule for GPT-4o-class models (GPT-4o,
GPT-4o mini's tile size, GPT-4.1, GPT-4.5, o1/o3; "Images and vision" guide, "Calculating
costs", platform.openai.com/docs/guides/images-vision#calculating-costs):

- ``detail: "low"``: 85 tokens, whatever the size (the model sees a 512 x 512 version).
- ``detail: "high"``: scale the image to fit in a 2048 x 2048 square (aspect kept); then scale it
  down so its shortest side is 768 px; count the 512 px tiles that cover it; 170 tokens a tile
  plus 85. The guide's worked examples: 1024 x 1024 -> 768 x 768, 4 tiles, 765 tokens;
  2048 x 4096 -> 1024 x 2048 -> 768 x 1536, 6 tiles, 1105 tokens; 4096 x 8192 at low -> 85.
- ``detail: "auto"`` (the API's default): counted as high, the most it can cost, so a plan that
  fits never turns out too big.

Images are only scaled down: one whose shortest side is under 768 px keeps its size ("we scale
the image down", in the guide's example). GPT-4o mini counts other numbers for the same price
(2833 + 5667 a tile) and the gpt-4.1-mini/nano and o4-mini family counts 32 px patches; those
are the model's to choose, this function is the GPT-4o rule the issue asks for.
"""

from __future__ import annotations

import math
import struct
from typing import Literal

from desktop_chat.core.attachments import types

BASE_TOKENS = 85
TILE_TOKENS = 170
TILE = 512
FIT_SQUARE = 2048
SHORT_SIDE = 768
# No real image is bigger than this on a side (JPEG and WebP top out at 65,535 and 16,384); a
# header that says more is damaged.
_MAX_SIDE = 1 << 24


def openai_image_tokens(width: int, height: int, detail: Literal["auto", "high", "low"] = "auto") -> int:
    """Tokens an image of ``width`` x ``height`` pixels costs a GPT-4o-class model (the rule above)."""
    if width <= 0 or height <= 0:
        raise ValueError(f"an image has a positive size, not {width} x {height}")
    if detail == "low":
        return BASE_TOKENS
    scale = min(1.0, FIT_SQUARE / max(width, height))
    w, h = width * scale, height * scale
    scale = min(1.0, SHORT_SIDE / min(w, h))
    w, h = w * scale, h * scale
    # The scaled size is whole pixels; rounding first keeps 768.0000001 from adding a tile row.
    tiles = math.ceil(max(1, round(w)) / TILE) * math.ceil(max(1, round(h)) / TILE)
    return BASE_TOKENS + TILE_TOKENS * tiles


def image_size(data: bytes, *, name: str = "The image") -> tuple[int, int]:
    """(width, height) in pixels from a PNG, JPEG, GIF or WebP file's first bytes.

    Give the whole file, or at least its start (a JPEG's size can sit after its metadata, tens of
    KB in). Raises ``UnreadableAttachment`` naming ``name`` when the header is damaged or the
    format is none of the four.
    """
    size = _png(data) or _gif(data) or _webp(data) or _jpeg(data)
    if size is None or not (0 < size[0] <= _MAX_SIDE and 0 < size[1] <= _MAX_SIDE):
        raise types.UnreadableAttachment(
            f"{name} has a damaged image header: its size cannot be read. "
            "Open it in an image program, save it again as PNG or JPEG and attach the copy.",
            name=name,
            reason="damaged",
        )
    return size


def _png(data: bytes) -> tuple[int, int] | None:
    # Signature, then the IHDR chunk, which the format requires first: length, type, width, height.
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    if len(data) < 24 or data[12:16] != b"IHDR":
        return (0, 0)
    width, height = struct.unpack_from(">II", data, 16)
    return width, height


def _gif(data: bytes) -> tuple[int, int] | None:
    if not data.startswith((b"GIF87a", b"GIF89a")):
        return None
    if len(data) < 10:
        return (0, 0)
    width, height = struct.unpack_from("<HH", data, 6)
    return width, height


def _webp(data: bytes) -> tuple[int, int] | None:
    if not (data.startswith(b"RIFF") and data[8:12] == b"WEBP"):
        return None
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:  # extended: 24-bit canvas width-1, height-1
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:  # lossless: 14-bit width-1, height-1
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":  # lossy: key frame header
        width, height = struct.unpack_from("<HH", data, 26)
        return width & 0x3FFF, height & 0x3FFF
    return (0, 0)


# Start-of-frame markers carry the size: SOF0-SOF15 but DHT (C4), JPG (C8) and DAC (CC).
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers that stand alone, without a length: TEM, RST0-7.
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})


def _jpeg(data: bytes) -> tuple[int, int] | None:  # noqa: PLR0911 - one answer per kind of marker
    if not data.startswith(b"\xff\xd8\xff"):
        return None
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return (0, 0)
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte before a marker
            at += 1
            continue
        if marker in _STANDALONE:
            at += 2
            continue
        if marker in {0xD9, 0xDA}:  # end of image, or the scan began: no frame header before it
            return (0, 0)
        (length,) = struct.unpack_from(">H", data, at + 2)
        if marker in _SOF:
            if at + 9 > len(data):
                return (0, 0)
            height, width = struct.unpack_from(">HH", data, at + 5)
            return width, height
        if length < 2:
            return (0, 0)
        at += 2 + length
    return (0, 0)
