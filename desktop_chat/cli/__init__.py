"""Terminal subcommands on the same core the window uses."""

from __future__ import annotations

from desktop_chat.cli.main import run

__all__ = ["run"]
