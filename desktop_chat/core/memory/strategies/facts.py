"""Facts (entity memory): the active facts about the user, pinned first, plus the recent window."""

from __future__ import annotations

from desktop_chat.core.memory.assembly import Assembly
from desktop_chat.core.memory.parts import add_facts
from desktop_chat.core.memory.strategies.window import recent_window
from desktop_chat.core.memory.window import WindowScan


def build(a: Assembly) -> WindowScan:
    add_facts(a, a.share(a.options.facts_share))
    scan = recent_window(a)
    scan.take(a.free)
    return scan
