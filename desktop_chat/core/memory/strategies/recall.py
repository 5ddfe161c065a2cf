"""Recall: past messages found by full-text search for the new message, plus the recent window.

The window may use at most (1 - recall_share) of the memory budget, so long
recent messages cannot crowd recall out; recall then fills everything left
with hits, their neighbours and episodes. What recall leaves unused goes back
to the window (up to its usual length).
"""

from __future__ import annotations

from desktop_chat.core.memory.assembly import Assembly
from desktop_chat.core.memory.attachment_recall import CHUNK_SHARE, recall_chunks
from desktop_chat.core.memory.recalled import Recalled, add_recalled, drop_covered
from desktop_chat.core.memory.strategies.window import recent_window
from desktop_chat.core.memory.window import WindowScan


def build(a: Assembly) -> WindowScan:
    scan = recent_window(a)
    scan.take(a.free - a.share(a.options.recall_share))
    recall_chunks(a, int(a.free * CHUNK_SHARE))  # the chat's earlier files' matching parts (issue 23)
    recalled = add_recalled(a, a.free, scan)
    grow(a, scan, recalled)  # what recall left unused goes back to the window, within its length
    return scan


def grow(a: Assembly, scan: WindowScan, recalled: Recalled | None) -> None:
    """Let the window take what is free, and take out of the quotes what it came to hold, until nothing moves."""
    scan.take(a.free)
    while drop_covered(a, recalled, scan):
        scan.take(a.free)
