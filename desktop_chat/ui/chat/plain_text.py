"""Message text made safe to lay out as rich text: escaped, and long words given places to wrap. No Qt.

The chat's renderer (``render.py``, loaded off the GUI thread) and the rows' look (``row_look.py``) both use it.
"""

from __future__ import annotations

import html
import re

# Qt lays out a word it cannot break in time that grows with the square of its length
# (1.5 MB without a space froze the window for a minute and a half): a zero-width space
# every so often inside very long words gives it places to wrap. Only display text gets
# them; copying a message copies the stored text.
LONG_WORD = 160
_LONG_WORD = re.compile(rf"\S{{{LONG_WORD},}}")
_BREAK_EVERY = 80


def breakable(text: str) -> str:
    """``text`` with a zero-width break opportunity every 80 characters inside words of 160 or more."""
    if len(text) < LONG_WORD:
        return text
    return _LONG_WORD.sub(
        lambda m: "\u200b".join(m.group(0)[i : i + _BREAK_EVERY] for i in range(0, len(m.group(0)), _BREAK_EVERY)),
        text,
    )


def plain(text: str) -> str:
    """Text shown as it is (user messages keep their line breaks and are never parsed)."""
    return "<p>" + html.escape(breakable(text)).replace("\n", "<br>") + "</p>"
