"""facts list|add|edit|rm|pin|unpin|approve|reject|undo|history: the remembered facts from a terminal."""

from __future__ import annotations

import argparse
from typing import Any

from desktop_chat.cli.common import Context, UsageError, id_arg, print_json, session_id_arg, shown_line
from desktop_chat.core.models import Fact, FactEvent, FactStatus

_fact_id = id_arg("fact", "desktop-chat facts list")


def _fact_json(fact: Fact) -> dict[str, Any]:
    return {
        "id": fact.id,
        "key": fact.key,
        "value": fact.value,
        "status": fact.status.value,
        "pinned": fact.pinned,
        "scope": fact.scope,
        "origin": fact.origin.value,
        "source_message_id": fact.source_message_id,
        "source_quote": fact.source_quote,
        "edited_by_user": fact.edited_by_user,
        "superseded_by": fact.superseded_by,
        "reason": fact.reason,
        "updated_at": fact.updated_at.isoformat(),
    }


def _fact_line(fact: Fact) -> str:
    pin = "★" if fact.pinned else " "
    scope = "global" if fact.scope is None else f"session {fact.scope}"
    line = f"{fact.id:>6} {fact.status.value:<10} {pin} {fact.key} = {fact.value}  [{scope}]"
    if fact.source_message_id is not None:
        line += f"  from message {fact.source_message_id}"
    if fact.source_quote and fact.source_quote != fact.value:
        line += f': "{fact.source_quote}"'
    if fact.superseded_by is not None:
        line += f"  → superseded by {fact.superseded_by}"
    if fact.reason:
        line += f"  ({fact.reason})"
    return shown_line(line)


def _show(ctx: Context, fact: Fact) -> int:
    if getattr(ctx.args, "json", False):
        print_json(_fact_json(fact))
    else:
        print(_fact_line(fact))
    return 0


def cmd_list(ctx: Context) -> int:
    args = ctx.args
    statuses = tuple(FactStatus) if args.all_statuses else (FactStatus.ACTIVE, FactStatus.PENDING)
    facts = ctx.workspace.memory.facts(args.session, statuses=statuses)
    if args.json:
        print_json([_fact_json(f) for f in facts])
        return 0
    if not facts:
        print("No facts remembered yet. Add one with `desktop-chat facts add KEY VALUE`.")
    for fact in facts:
        print(_fact_line(fact))
    return 0


def cmd_add(ctx: Context) -> int:
    fact, created = ctx.workspace.memory.add_fact(ctx.args.key, ctx.args.value, scope=ctx.args.session)
    if not created:
        print(f"Already remembered as fact {fact.id}.")
    return _show(ctx, fact)


def cmd_edit(ctx: Context) -> int:
    args = ctx.args
    if args.new_value is not None and args.value is not None:
        raise UsageError("give the new value once: `facts edit ID VALUE` or `facts edit ID --value VALUE`.")
    value = args.new_value if args.new_value is not None else args.value
    if args.key is None and value is None:
        raise UsageError("say what to change: `facts edit ID VALUE`, and/or --key NEW_KEY.")
    return _show(ctx, ctx.workspace.memory.edit_fact(args.id, key=args.key, value=value))


def cmd_rm(ctx: Context) -> int:
    if ctx.workspace.memory.fact(ctx.args.id).status is FactStatus.DELETED:
        print(f"Fact {ctx.args.id} was already removed.")
        return 0
    return _show(ctx, ctx.workspace.memory.delete_fact(ctx.args.id))


def cmd_pin(ctx: Context) -> int:
    return _show(ctx, ctx.workspace.memory.pin_fact(ctx.args.id, True))


def cmd_unpin(ctx: Context) -> int:
    return _show(ctx, ctx.workspace.memory.pin_fact(ctx.args.id, False))


def cmd_approve(ctx: Context) -> int:
    return _show(ctx, ctx.workspace.memory.approve_fact(ctx.args.id))


def cmd_reject(ctx: Context) -> int:
    return _show(ctx, ctx.workspace.memory.reject_fact(ctx.args.id))


def cmd_undo(ctx: Context) -> int:
    return _show(ctx, ctx.workspace.memory.undo_fact(ctx.args.id))


def _event_json(event: FactEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "old": event.old,
        "new": event.new,
    }


def _describe(snapshot: dict[str, Any] | None) -> str:
    if not snapshot:
        return "—"
    return f"{snapshot.get('key')} = {snapshot.get('value')} ({snapshot.get('status')})"


def cmd_history(ctx: Context) -> int:
    fact = ctx.workspace.memory.fact(ctx.args.id)
    events = ctx.workspace.memory.fact_history(fact.id)
    if ctx.args.json:
        print_json({"fact": _fact_json(fact), "events": [_event_json(e) for e in events]})
        return 0
    print(_fact_line(fact))
    for event in events:
        change = _describe(event.new) if event.old is None else f"{_describe(event.old)} → {_describe(event.new)}"
        print(shown_line(f"  {event.at:%Y-%m-%d %H:%M:%S}  {event.actor:<9} {event.action:<10} {change}"))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``facts`` and its subcommands."""
    facts = sub.add_parser("facts", help="list and change the facts remembered about you")
    actions = facts.add_subparsers(dest="facts_command", metavar="ACTION", required=True)

    p = actions.add_parser("list", help="remembered facts (active and pending unless --all-statuses)")
    p.add_argument("--session", type=session_id_arg, metavar="ID", help="facts visible in this chat")
    p.add_argument("--all-statuses", action="store_true", help="include rejected, superseded and removed facts")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_list)

    p = actions.add_parser("add", help="remember a fact (replaces the key's current value)")
    p.add_argument("key", metavar="KEY")
    p.add_argument("value", metavar="VALUE")
    p.add_argument("--session", type=session_id_arg, metavar="ID", help="only for this chat (default: global)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_add)

    p = actions.add_parser("edit", help="change a fact; extraction will never overwrite it")
    p.add_argument("id", type=_fact_id, metavar="ID")
    p.add_argument("new_value", nargs="?", metavar="VALUE", help="the new value")
    p.add_argument("--key", metavar="KEY", help="a new key")
    p.add_argument("--value", metavar="VALUE", help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_edit)

    for name, handler, text in (
        ("rm", cmd_rm, "remove a fact (kept in its history)"),
        ("pin", cmd_pin, "always send this fact; extraction never replaces it"),
        ("unpin", cmd_unpin, "stop pinning a fact"),
        ("approve", cmd_approve, "accept a pending (or refused) fact; it replaces the key's current value"),
        ("reject", cmd_reject, "refuse a pending fact"),
        ("undo", cmd_undo, "undo the newest change to a fact (value, pin and status come back)"),
        ("history", cmd_history, "every change to a fact"),
    ):
        p = actions.add_parser(name, help=text)
        p.add_argument("id", type=_fact_id, metavar="ID")
        p.add_argument("--json", action="store_true")
        p.set_defaults(handler=handler)
