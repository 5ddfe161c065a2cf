"""Parse the command line and run one subcommand; errors become one line and an exit code."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from desktop_chat.cli import (
    chat_commands,
    chat_setup_commands,
    context_command,
    desktop_commands,
    facts_commands,
    mcp_commands,
    profiles_commands,
    storage_commands,
    strategy_command,
    usage_command,
    versions_command,
)
from desktop_chat.cli.common import EXIT_ERROR, EXIT_USAGE, UsageError, context_for, shown_line
from desktop_chat.cli.hints import with_hint
from desktop_chat.core.errors import DesktopChatError

log = logging.getLogger("desktop_chat.cli")


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors in one line (exit 2) like every other error; --help shows the usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {shown_line(message)} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="desktop-chat",
        description="Desktop Chat: chat with OpenAI-compatible models; memory you can see and edit. "
        "Without a command, opens the window.",
        epilog="Also: desktop-chat --version, and desktop-chat --self-test to check this install "
        "(window, token encodings, database, OS keyring, built-in model), one line per check.",
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="where chats are kept (default: $DESKTOP_CHAT_HOME or the user data dir)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (
        storage_commands,
        context_command,
        strategy_command,
        facts_commands,
        chat_commands,
        chat_setup_commands,
        profiles_commands,
        mcp_commands,
        usage_command,
        versions_command,
        desktop_commands,
    ):
        module.register(sub)
    return parser


def run(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 with a usage line on bad input
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    ctx = context_for(args)
    try:
        return int(args.handler(ctx))
    except UsageError as exc:
        print(f"desktop-chat {args.command}: {shown_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except DesktopChatError as exc:
        log.info("%s failed: %s", args.command, exc)
        print(f"desktop-chat: {shown_line(with_hint(exc))}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("desktop-chat: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    finally:
        # Every command works on with the defaults; the user is told once, at the end, what to fix.
        for line in ctx.damaged_settings():
            print(f"desktop-chat: {line}", file=sys.stderr)
        ctx.close()
