"""Recall: past messages found by full-text search for the new message, plus the recent window.

The window may use at most (1 - recall_share) of the memory budget, so long
recent messages cannot crowd recall out; recall then gets everything left.
"""

from __future__ import annotations

from desktop_chat.core.memory.assembly import Assembly
from desktop_chat.core.memory.recalled import add_recalled
from desktop_chat.core.memory.strategies.window import recent_window
from desktop_chat.core.memory.window import WindowScan


def build(a: Assembly) -> WindowScan:
    scan = recent_window(a)
    scan.take(a.free - a.share(a.options.recall_share))
    add_recalled(a, a.free, scan)
    scan.take(a.free)  # what recall left unused goes back to the window
    return scan
