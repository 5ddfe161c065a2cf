"""Sliding window: the last N messages, or as many recent messages as fit a token allowance."""

from __future__ import annotations

from desktop_chat.core.memory.assembly import Assembly
from desktop_chat.core.memory.window import Reasons, WindowScan


def recent_window(a: Assembly) -> WindowScan:
    """The window as the settings (or the chat's options) define it; N and the token cap include the new message."""
    opts = a.options
    new = 1 if a.anchor is not None else 0
    if opts.window_tokens is not None:
        allowance = opts.window_tokens - (a.anchor.tokens if a.anchor else 0)
        reasons = Reasons(over_limit=f"older than the window (the newest {opts.window_tokens:,} tokens)")
        return WindowScan(a, reasons=reasons, max_tokens=max(allowance, 0))
    reasons = Reasons(over_limit=f"older than the window (the last {opts.window_messages} messages)")
    return WindowScan(a, reasons=reasons, max_messages=max(opts.window_messages - new, 0))


def build(a: Assembly) -> WindowScan:
    scan = recent_window(a)
    scan.take(a.free)
    return scan
