"""Summary: the running summary, then every message it does not cover yet (at least the last K)."""

from __future__ import annotations

from desktop_chat.core.memory.assembly import Assembly
from desktop_chat.core.memory.parts import add_summary
from desktop_chat.core.memory.window import Reasons, WindowScan


def summary_window(a: Assembly, covers_through: int | None) -> WindowScan:
    reasons = Reasons(
        over_budget="not yet summarised; over budget",
        below_floor=f"summarised in the summary through #{covers_through}",
    )
    return WindowScan(a, reasons=reasons, floor=covers_through, keep_last=a.options.summary_keep_last)


def build(a: Assembly) -> WindowScan:
    covers_through = add_summary(a, a.free)
    scan = summary_window(a, covers_through)
    scan.take(a.free)
    return scan
