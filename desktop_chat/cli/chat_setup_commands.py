"""sessions edit, assistants: what a chat is set to (title, system prompt, profile, model, strategy), and presets."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from desktop_chat.cli.common import Context, UsageError, print_json, session_id_arg, shown_line
from desktop_chat.core.assistants import Assistant
from desktop_chat.core.errors import DesktopChatError
from desktop_chat.core.models import Session, Strategy

DEFAULT = "default"


def _text_arg(value: str | None) -> str | None:
    """``-`` reads the text from standard input (a long prompt, or one with newlines)."""
    return sys.stdin.read() if value == "-" else value


def _strategy_arg(value: str | None) -> Any:
    from desktop_chat.core.facade.chats import KEEP

    if value is None:
        return KEEP
    return None if value == DEFAULT else Strategy(value)


def describe(session: Session, workspace: Any) -> str:
    """One line: what the chat's next request uses."""
    target = workspace.target(session.id)
    choice = workspace.strategy_choice(session)
    prompt = f"system prompt {len(session.system_prompt):,} characters" if session.system_prompt else "no system prompt"
    title = shown_line(session.title or "Untitled chat")
    return (
        f"Chat {session.id} ({title}): {shown_line(target.model)} on profile {shown_line(target.profile.name)}, "
        f"{choice.label} memory, {prompt}."
    )


def cmd_sessions_edit(ctx: Context) -> int:
    from desktop_chat.core.facade.chats import KEEP

    args = ctx.args
    if all(v is None for v in (args.title, args.system, args.model, args.profile, args.strategy)):
        raise UsageError("say what to change: --title, --system, --model, --profile or --strategy.")
    workspace = ctx.workspace
    session = workspace.chats.edit_session(
        args.session,
        title=args.title,
        system_prompt=_text_arg(args.system),
        model=KEEP if args.model is None else args.model,
        profile=KEEP if args.profile is None else args.profile,
        strategy=_strategy_arg(args.strategy),
    )
    print(describe(session, workspace))
    return 0


# --- assistants ------------------------------------------------------------------------------


def _options(pairs: list[str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--option takes KEY=VALUE, not {pair!r} (e.g. --option window_messages=10).")
        try:
            options[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            options[key.strip()] = value
    return options


def cmd_assistants(ctx: Context) -> int:
    action = ctx.args.action or "list"
    return {"list": _list, "add": _add, "rm": _rm, "export": _export, "import": _import}[action](ctx)


def _list(ctx: Context) -> int:
    assistants = ctx.workspace.assistants.list()
    if ctx.args.json:
        print_json([a.to_dict() for a in assistants])
        return 0
    if not assistants:
        print("No assistants. Add one with `desktop-chat assistants add NAME --system TEXT`.")
    for a in assistants:
        where = " · ".join(x for x in (a.profile, a.model, a.strategy.value if a.strategy else None) if x)
        about = a.description or a.system_prompt[:60]
        print(f"{shown_line(a.name)}" + (f"  [{shown_line(where)}]" if where else "") + f"  {shown_line(about)}")
    return 0


def _add(ctx: Context) -> int:
    args, workspace = ctx.args, ctx.workspace
    assistant = Assistant.from_dict(
        {
            "name": args.name,
            "description": args.description or "",
            "system_prompt": _text_arg(args.system) or "",
            "profile": args.profile,
            "model": args.model,
            "strategy": None if args.strategy in (None, DEFAULT) else args.strategy,
            "strategy_options": _options(args.option or []),
        }
    )
    existing = {a.name.casefold() for a in workspace.assistants.list()}
    replacing = assistant.name if args.replace and assistant.name.casefold() in existing else None
    saved = workspace.assistants.save(assistant, replacing=replacing)
    print(f"{'Changed' if replacing else 'Added'} assistant {shown_line(saved.name)!r}.")
    return 0


def _rm(ctx: Context) -> int:
    removed = ctx.workspace.assistants.remove(ctx.args.name)
    print(f"Removed assistant {shown_line(removed.name)!r}.")
    return 0


def _export(ctx: Context) -> int:
    workspace, file = ctx.workspace, ctx.args.file
    text = json.dumps(workspace.assistants.export(), ensure_ascii=False, indent=2) + "\n"
    if file == "-":
        sys.stdout.write(text)
        return 0
    try:
        Path(file).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise DesktopChatError(f"Could not write {file}: {exc.strerror or exc}.") from None
    print(f"Exported {len(workspace.assistants.list())} assistant(s) to {file}.")
    return 0


def _import(ctx: Context) -> int:
    file = ctx.args.file
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise DesktopChatError(f"Could not read {file}: {reason}.") from None
    added, replaced = ctx.workspace.assistants.import_text(text)
    print(f"Imported assistants: {added} added, {replaced} replaced.")
    return 0


def register_sessions_edit(sessions: argparse.ArgumentParser) -> None:
    """``sessions edit``, under the ``sessions`` command (which lists chats without a subcommand)."""
    strategies = [DEFAULT, *(s.value for s in Strategy)]
    actions = sessions.add_subparsers(dest="action", metavar="ACTION")
    p = actions.add_parser(
        "edit",
        help="change a chat's title, system prompt, profile, model or strategy",
        description="Change what chat SESSION is set to; what is not given stays as it is.",
    )
    p.add_argument("session", type=session_id_arg, metavar="SESSION")
    p.add_argument("--title", metavar="T")
    p.add_argument("--system", metavar="TEXT", help="the chat's system prompt ('' removes it; - reads standard input)")
    p.add_argument("--model", metavar="M", help="the model ('' : the profile's default)")
    p.add_argument("--profile", metavar="P", help="the provider profile ('' : the active one)")
    p.add_argument("--strategy", choices=strategies, help="the memory strategy ('default': the setting's)")
    p.set_defaults(handler=cmd_sessions_edit)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    strategies = [DEFAULT, *(s.value for s in Strategy)]
    p = sub.add_parser(
        "assistants",
        help="presets to start a chat from (list, add, rm, export, import)",
        description="Assistants: a system prompt, profile, model and memory strategy a new chat starts with "
        "(`desktop-chat send --new --assistant NAME TEXT`).",
    )
    p.add_argument("--json", action="store_true", help="with list: machine-readable output")
    p.set_defaults(handler=cmd_assistants, action=None)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser("list", help="list the assistants (the default)").add_argument("--json", action="store_true")
    add = actions.add_parser("add", help="add an assistant (--replace changes one of the same name)")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--system", metavar="TEXT", help="its system prompt (- reads standard input)")
    add.add_argument("--description", metavar="TEXT", help="one line saying what it is for")
    add.add_argument("--profile", metavar="P", help="the provider profile (default: the active one)")
    add.add_argument("--model", metavar="M", help="the model (default: the profile's)")
    add.add_argument("--strategy", choices=strategies, help="the memory strategy (default: the setting's)")
    add.add_argument("--option", action="append", metavar="KEY=VALUE", help="a memory option, e.g. window_messages=10")
    add.add_argument("--replace", action="store_true", help="change the assistant of the same name, if any")
    rm = actions.add_parser("rm", help="remove an assistant")
    rm.add_argument("name", metavar="NAME")
    export = actions.add_parser("export", help="write every assistant to a JSON file (- : standard output)")
    export.add_argument("file", metavar="FILE")
    imported = actions.add_parser("import", help="add the assistants of a JSON file; same names are replaced")
    imported.add_argument("file", metavar="FILE")
