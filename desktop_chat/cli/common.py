"""What every subcommand shares: the parsed context, output helpers, exit codes."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_chat.core.errors import DesktopChatError
from desktop_chat.core.paths import data_dir

if TYPE_CHECKING:
    from desktop_chat.core.workspace import Workspace

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


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

    def close(self) -> None:
        if self._workspace is not None:
            self._workspace.close()


Handler = Callable[[Context], int]


def context_for(args: argparse.Namespace) -> Context:
    return Context(args=args, data_dir=data_dir(args.data_dir))


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def id_arg(kind: str, list_command: str) -> Callable[[str], int]:
    """An argparse type for a positive id, with a hint of where to find the ids."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind} id; list them with `{list_command}`") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind} id; ids are positive numbers")
        return value

    return parse


session_id_arg = id_arg("session", "desktop-chat sessions")
