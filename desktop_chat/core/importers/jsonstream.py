"""One element at a time from a JSON array, so a 200 MB ``conversations.json`` never sits in memory whole.

The standard library has no streaming parser; ``JSONDecoder.raw_decode`` on a
growing buffer is enough for arrays of objects: the buffer holds one element
(plus a chunk), never the whole file. An element larger than ``max_item_chars``
is refused rather than buffered without bound.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TextIO

CHUNK_CHARS = 1 << 20
# A value cut off by the end of the buffer fails within its last few characters ("tr" of true, "\u00" of
# an escape); an error further back is in the text itself. Unterminated strings fail at their start.
TAIL = 16


class JSONStreamError(ValueError):
    """The text is not a JSON array of values, or one element is too large; ``str()`` says which."""


def iter_array(stream: TextIO, *, max_item_chars: int) -> Iterator[Any]:  # noqa: PLR0912, PLR0915 - one scanner
    """Yield each element of the JSON array ``stream`` holds; raise ``JSONStreamError`` when it is not one."""
    decoder = json.JSONDecoder()
    buf = ""
    pos = 0
    eof = False
    consumed = 0  # characters dropped from the front of the buffer, for error positions

    def fill(at_least: int = CHUNK_CHARS) -> bool:
        nonlocal buf, pos, eof, consumed
        if eof:
            return False
        chunk = stream.read(max(at_least, CHUNK_CHARS))
        if not chunk:
            eof = True
            return False
        consumed += pos
        buf = buf[pos:] + chunk
        pos = 0
        return True

    def skip_space() -> str:
        nonlocal pos
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n":
                pos += 1
            if pos < len(buf):
                return buf[pos]
            if not fill():
                return ""

    def too_large(index: int) -> JSONStreamError:
        size = f"{max_item_chars // (1 << 20)} MiB" if max_item_chars >= 1 << 20 else f"{max_item_chars:,} characters"
        return JSONStreamError(f"has an element (number {index}) larger than {size}")

    first = skip_space()
    if first != "[":
        raise JSONStreamError("is not a JSON list")
    pos += 1
    index = 0
    while True:
        char = skip_space()
        if char == "]":
            pos += 1
            if skip_space():
                raise JSONStreamError(f"has text after the end of the list (character {consumed + pos})")
            return
        if not char:
            raise JSONStreamError("is not valid JSON: it ends in the middle of the list")
        if index:
            if char != ",":
                raise JSONStreamError(f"is not valid JSON: expected ',' after element {index - 1}")
            pos += 1
            char = skip_space()
        if not char:
            raise JSONStreamError("is not valid JSON: it ends in the middle of the list")
        while True:
            try:
                value, end = decoder.raw_decode(buf, pos)
            except RecursionError:  # the parser recurses once per level: "[" x 200,000 ends here
                raise JSONStreamError(
                    f"nests lists and objects too deeply in element {index}, which no export does"
                ) from None
            except json.JSONDecodeError as exc:
                if len(buf) - pos > max_item_chars:
                    raise too_large(index) from None
                if exc.pos < len(buf) - TAIL and not exc.msg.startswith("Unterminated string"):
                    # The error is well before the end of what was read: more text cannot mend it.
                    raise JSONStreamError(f"is not valid JSON in element {index} ({exc.msg})") from None
                if not fill(len(buf) - pos):  # read at least as much again: linear, not quadratic
                    raise JSONStreamError(f"is not valid JSON in element {index} ({exc.msg})") from None
                continue
            if end == len(buf) and not isinstance(value, dict | list) and fill():
                continue  # a number may go on in the next chunk
            break
        if end - pos > max_item_chars:
            raise too_large(index)
        pos = end
        yield value
        index += 1
