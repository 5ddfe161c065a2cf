"""The command line's side of tool calls: one line per call on stderr, and the consent prompt on a terminal."""

from __future__ import annotations

import asyncio
import sys

from desktop_chat.cli.common import shown_line
from desktop_chat.core.events import ToolActivity

ARGUMENTS_SHOWN = 300  # characters of a call's arguments in its line


def describe(activity: ToolActivity) -> str | None:
    """The line for a call's step (None: nothing to say, the prompt says it)."""
    args = activity.arguments if len(activity.arguments) <= ARGUMENTS_SHOWN else activity.arguments[:299] + "…"
    match activity.state:
        case "running":
            return f"tool: {activity.tool} {args}"
        case "done":
            result = " ".join(activity.result.split())
            short = result if len(result) <= 120 else result[:119] + "…"
            failed = "failed" if activity.is_error else "done"
            return f"tool: {activity.tool} {failed} in {activity.seconds:.2f} s: {short}"
        case "denied":
            return f"tool: {activity.tool} not run: {activity.result}"
    return None


def show(activity: ToolActivity) -> None:
    line = describe(activity)
    if line is not None:
        print(f"desktop-chat: {shown_line(line)}", file=sys.stderr, flush=True)


async def ask_on_terminal(activity: ToolActivity) -> bool:
    """Ask on the terminal whether the call may run; anything but y/yes denies."""
    question = f"desktop-chat: the model asks to run {activity.tool} {activity.arguments}. Allow? [y/N] "

    def ask() -> str:
        print(shown_line(question), end="", file=sys.stderr, flush=True)
        try:
            return sys.stdin.readline()
        except (OSError, ValueError):
            return ""

    answer = await asyncio.to_thread(ask)
    return answer.strip().lower() in ("y", "yes")
