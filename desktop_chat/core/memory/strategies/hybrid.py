"""Hybrid: facts, summary, recalled messages and the recent window under one budget.

Facts, summary and recall may each use at most their share (settings.hybrid_split)
of the memory budget; whatever they leave unused flows to the window, which
holds every message the summary does not cover yet (at least the last K),
contiguous from the newest message down. When the window grows over a
recalled message, that message leaves the quotes and its tokens go to the window.
"""

from __future__ import annotations

from desktop_chat.core.memory.assembly import Assembly
from desktop_chat.core.memory.attachment_recall import CHUNK_SHARE, recall_chunks
from desktop_chat.core.memory.parts import add_facts, add_summary
from desktop_chat.core.memory.recalled import add_recalled
from desktop_chat.core.memory.strategies.recall import grow
from desktop_chat.core.memory.strategies.summary import summary_window
from desktop_chat.core.memory.window import WindowScan


def build(a: Assembly) -> WindowScan:
    split = a.options.hybrid_split
    add_facts(a, a.share(split.facts))
    covers_through = add_summary(a, a.share(split.summary))
    recall_share = a.share(split.recall)
    scan = summary_window(a, covers_through)
    scan.take(a.free - recall_share)
    recall_share -= recall_chunks(a, int(recall_share * CHUNK_SHARE))  # the chat's earlier files' parts (issue 23)
    recalled = add_recalled(a, recall_share, scan)
    grow(a, scan, recalled)
    return scan
