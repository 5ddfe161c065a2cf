"""Facts (entity memory): the active facts about the user, pinned first, plus the recent window."""

from __future__ import annotations

from desktop_chat.core.memory.assembly import Assembly
from desktop_chat.core.memory.parts import add_facts
from desktop_chat.core.memory.strategies.window import recent_window


def build(a: Assembly) -> None:
    add_facts(a, a.share(a.options.facts_share))
    a.window = recent_window(a)
    a.window.take(a.free)
