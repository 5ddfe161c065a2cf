"""What every subcommand shares: the parsed context, output helpers, exit codes."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_chat.core.errors import DesktopChatError
from desktop_chat.core.paths import data_dir

if TYPE_CHECKING:
    from desktop_chat.core.models import Strategy
    from desktop_chat.core.workspace import Workspace

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
# Ids are SQLite integers: none is larger, so a larger number names nothing (and SQLite cannot even take it).
MAX_ID = 2**63 - 1


class UsageError(DesktopChatError):
    """The command line itself is wrong (exit code 2)."""


@dataclass
class Context:
    args: argparse.Namespace
    data_dir: Path
    _workspace: Workspace | None = None

    @property
    def workspace(self) -> Workspace:
        """The same application core the window drives, opened on first use."""
        if self._workspace is None:
            from desktop_chat.core.bootstrap import open_workspace

            self._workspace = open_workspace(self.data_dir)
            if self._workspace.storage_notice:  # read-only: reading works, so say why saving will not
                print(f"desktop-chat: {self._workspace.storage_notice}", file=sys.stderr)
        return self._workspace

    def damaged_settings(self) -> list[str]:
        """One line per stored setting that cannot be used (its default is), with the command that fixes it."""
        if self._workspace is None:
            return []
        try:
            damaged = self._workspace.damaged_settings()
        except DesktopChatError:
            return []
        return [f"{line} Fix it with `desktop-chat config reset {key}`." for key, line in damaged.items()]

    def close(self) -> None:
        if self._workspace is not None:
            self._workspace.close()


Handler = Callable[[Context], int]


def context_for(args: argparse.Namespace) -> Context:
    return Context(args=args, data_dir=data_dir(args.data_dir))


# JSON escapes C0 controls itself; DEL and the C1 controls (0x9b starts an escape sequence too) it leaves as they are.
_JSON_UNESCAPED_CONTROLS = re.compile(r"[\x7f-\x9f]")


def print_json(value: Any) -> None:
    text = json.dumps(value, ensure_ascii=False, indent=2)
    sys.stdout.write(_JSON_UNESCAPED_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")


def id_arg(kind: str, list_command: str) -> Callable[[str], int]:
    """An argparse type for a positive id, with a hint of where to find the ids."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind} id; list them with `{list_command}`") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind} id; ids are positive numbers")
        if value > MAX_ID:
            raise argparse.ArgumentTypeError(f"there is no {kind} {text}; list them with `{list_command}`")
        return value

    return parse


session_id_arg = id_arg("session", "desktop-chat sessions")


def count_arg(text: str) -> int:
    """An argparse type for a positive count (a limit): a whole number from 1 up."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= MAX_ID:
        raise argparse.ArgumentTypeError(f"{text!r} must be a whole number from 1 up")
    return value


# C0 and C1 control characters (ESC and CSI start terminal escape sequences) but line feed and tab.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _escaped(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def shown(text: str) -> str:
    """Text from a chat as a terminal may show it: control characters escaped (``\\x1b``), so a message
    cannot move the cursor, recolour or retitle the terminal, or hide what comes after it."""
    return _CONTROLS.sub(_escaped, text)


def shown_line(text: str) -> str:
    """``shown``, and line feeds and tabs escaped too: what must stay on one line (an error, a title)."""
    return shown(text).replace("\n", "\\n").replace("\t", "\\t")


def index_for_recall(workspace: Workspace, session_id: int, strategy: Strategy | None = None) -> None:
    """Bring the chat's semantic index up to date before planning; without the model, say so and go on by words.

    Its messages written since the last run (an import, another process) are embedded here, ~45 a second
    (the window does it in the background); a terminal sees the count when there are many.
    """
    from desktop_chat.core.semantic.indexer import IndexProgress
    from desktop_chat.core.semantic.model import EmbeddingsUnavailable

    shown = False

    def progress(p: IndexProgress) -> None:
        nonlocal shown
        if p.total >= _INDEX_PROGRESS_FROM and sys.stderr.isatty():
            sys.stderr.write(f"\r\033[KIndexing for recall: {p.done:,} of {p.total:,} messages")
            sys.stderr.flush()
            shown = True

    try:
        workspace.memory.index_now(session_id, progress, strategy=strategy)
    except EmbeddingsUnavailable as exc:
        print(f"desktop-chat: {shown_line(str(exc))}", file=sys.stderr)
    except DesktopChatError as exc:  # a busy or read-only database: recall goes by words this time
        print(f"desktop-chat: recall by meaning skipped this time: {shown_line(str(exc))}", file=sys.stderr)
    finally:
        if shown:
            sys.stderr.write("\n")


# Fewer messages than this are indexed in a second or two: no progress line.
_INDEX_PROGRESS_FROM = 100
