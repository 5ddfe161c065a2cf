"""strategy: show or change a chat's memory strategy, its options and its own request cap (the inspector's Strategy)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from desktop_chat.cli.common import Context, print_json, session_id_arg
from desktop_chat.core.models import Session, Strategy
from desktop_chat.core.request_cap import CAP_OPTION
from desktop_chat.core.workspace import Workspace

DEFAULT = "default"


def _option(text: str) -> tuple[str, Any]:
    """KEY=VALUE: VALUE as JSON (numbers, true, 0.3), else as the word typed; empty: remove the option."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE (e.g. window_messages=12)")
    if not value.strip():
        return key.strip(), None
    try:
        return key.strip(), json.loads(value)
    except json.JSONDecodeError:
        return key.strip(), value.strip()


def _cap_text(text: str) -> Any:
    """--max-request-tokens: empty or none removes the chat's own cap; else as typed, for the core's rule."""
    return None if text.strip().lower() in ("", "none") else text.strip()


def cmd_strategy(ctx: Context) -> int:
    args = ctx.args
    workspace = ctx.workspace
    session = workspace.chats.session(args.session)
    changes: dict[str, Any] = dict(args.option or [])
    if args.max_request_tokens is not ...:
        changes[CAP_OPTION] = args.max_request_tokens
    if changes:
        session = workspace.chats.change_options(session.id, changes)
    if args.strategy is not None:
        chosen = None if args.strategy == DEFAULT else Strategy(args.strategy)
        session = workspace.chats.set_strategy(session.id, chosen)
    _show(workspace, session, json_output=args.json)
    return 0


def _show(workspace: Workspace, session: Session, *, json_output: bool) -> None:
    choice = workspace.memory.strategy_choice(session)
    cap = workspace.memory.request_cap(session)
    if json_output:
        print_json(
            {
                "session": session.id,
                "strategy": session.strategy.value if session.strategy else None,
                "effective_strategy": choice.effective.value,
                "options": session.strategy_options,
                "request_cap": cap.tokens,
                "request_cap_source": cap.level.value,
                "request_cap_profile": cap.profile or None,
            }
        )
        return
    print(f"strategy: {choice.label}")
    options = {k: v for k, v in session.strategy_options.items() if k != CAP_OPTION}
    print("options: " + (", ".join(f"{k}={json.dumps(v)}" for k, v in options.items()) or "the defaults"))
    print(f"request cap: {cap.describe()}")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "strategy",
        help="show or change a chat's memory strategy, its options and its request cap",
        description="Show chat SESSION's memory strategy, options and request cap; with options, change them "
        "first (as the inspector's Strategy section does). Each value is checked by the rules the window uses.",
    )
    p.add_argument("session", metavar="SESSION", type=session_id_arg, help="the chat's id")
    p.add_argument(
        "--set",
        dest="strategy",
        metavar="STRATEGY",
        choices=[*(s.value for s in Strategy), DEFAULT],
        help=f"use this strategy; {DEFAULT}: the one from settings",
    )
    p.add_argument(
        "--option",
        action="append",
        type=_option,
        metavar="KEY=VALUE",
        help="set one of the chat's options (window_messages=12, recall_share=0.4, ...); KEY= removes it",
    )
    p.add_argument(
        "--max-request-tokens",
        type=_cap_text,
        default=...,
        metavar="N",
        help="this chat's request cap, over the profile's and the setting's; window: no cap; empty: theirs",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_strategy)
