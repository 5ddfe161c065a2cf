"""Every value read from a file passes here before it is used: nesting bounded, text that can be stored.

JSON may nest without limit, and may hold a lone UTF-16 surrogate (``"\\ud800"``, valid JSON), which
Python reads into a ``str`` that cannot be encoded as UTF-8, so SQLite cannot store it and a terminal
cannot print it. A value nested deeper than ``MAX_DEPTH`` is refused (no export nests a tenth as
deep; deeper values would fail later, when stored or read back); a lone surrogate is replaced by
U+FFFD, the replacement character: it stands for no character, so nothing representable is lost and
the rest of the text is kept. How many were replaced is counted, so the import can say so.
"""

from __future__ import annotations

import re
from typing import Any

from desktop_chat.core.errors import ImportFormatError

MAX_DEPTH = 100
REPLACEMENT = "\ufffd"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # paired escapes are decoded to one character: any left is lone


class TooDeep(ValueError):
    """A list or object nested more than ``MAX_DEPTH`` levels deep."""


def too_deep(name: str) -> ImportFormatError:
    return ImportFormatError(
        f"Cannot import {name}: it nests lists and objects more than {MAX_DEPTH} levels deep, "
        "which no export does; nothing was imported."
    )


class Cleaner:
    """Cleans parsed JSON in place; ``replaced`` counts the lone surrogates replaced so far."""

    def __init__(self) -> None:
        self.replaced = 0

    def text(self, value: str) -> str:
        if value.isascii():
            return value
        fixed, count = _LONE_SURROGATE.subn(REPLACEMENT, value)
        self.replaced += count
        return fixed

    def checked(self, value: Any, name: str) -> Any:
        """``value`` cleaned, or ``ImportFormatError`` (one line naming ``name``) when it nests too deeply."""
        try:
            return self.value(value)
        except TooDeep:
            raise too_deep(name) from None

    def value(self, value: Any, depth: int = 0) -> Any:
        """``value`` with its text cleaned (lists and objects changed in place); raises ``TooDeep``."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            if depth >= MAX_DEPTH:
                raise TooDeep
            for index, item in enumerate(value):
                if isinstance(item, str | list | dict):
                    cleaned = self.value(item, depth + 1)
                    if cleaned is not item:
                        value[index] = cleaned
        elif isinstance(value, dict):
            if depth >= MAX_DEPTH:
                raise TooDeep
            for key in [k for k in value if isinstance(k, str) and not k.isascii() and _LONE_SURROGATE.search(k)]:
                value[self.text(key)] = value.pop(key)
            for key, item in value.items():
                if isinstance(item, str | list | dict):
                    cleaned = self.value(item, depth + 1)
                    if cleaned is not item:
                        value[key] = cleaned
        return value
