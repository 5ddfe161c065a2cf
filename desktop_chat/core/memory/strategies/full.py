"""Full buffer: every message, until the context is full; then the newest that fit."""

from __future__ import annotations

from desktop_chat.core.memory.assembly import Assembly
from desktop_chat.core.memory.window import Reasons, WindowScan

REASONS = Reasons(
    over_budget="over budget: the whole chat does not fit the context, so the oldest messages are left out"
)


def build(a: Assembly) -> WindowScan:
    scan = WindowScan(a, reasons=REASONS)
    scan.take(a.free)
    return scan
