"""usage: what requests used and cost, per month and per chat (replies and memory upkeep apart)."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from desktop_chat.cli.common import Context, print_json, session_id_arg, shown_line
from desktop_chat.core.facade.costs import month_start
from desktop_chat.core.spending import KIND_NAMES, USAGE_KINDS, KindTotals, Totals


def _month(text: str) -> str:
    try:
        return datetime.strptime(text, "%Y-%m").strftime("%Y-%m")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month: write it as YYYY-MM, e.g. 2025-03") from None


def _kind_json(t: KindTotals) -> dict[str, Any]:
    return {
        "requests": t.requests,
        "prompt_tokens": t.prompt_tokens,
        "completion_tokens": t.completion_tokens,
        "cost_usd": t.known_cost,
        "unknown_cost_requests": t.unknown,
        "estimated_requests": t.estimated,
        "free_requests": t.free,
    }


def totals_json(totals: Totals) -> dict[str, Any]:
    """Totals as JSON: all requests, memory upkeep, and each kind; ``cost_usd`` counts known costs only."""
    return {
        **_kind_json(totals.all),
        "upkeep": _kind_json(totals.upkeep),
        "by_kind": {kind: _kind_json(totals.kinds[kind]) for kind in USAGE_KINDS if kind in totals.kinds},
    }


def _line(label: str, t: KindTotals) -> str:
    return (
        f"{label:<20}{t.cost_text():>14}  {t.requests:>5} requests  "
        f"{t.prompt_tokens:>11,} in  {t.completion_tokens:>9,} out"
    )


def _print_totals(totals: Totals) -> None:
    print(_line("  all requests", totals.all))
    for kind in USAGE_KINDS:
        if kind in totals.kinds:
            print(_line(f"    {KIND_NAMES[kind]}", totals.kinds[kind]))
    notes = []
    if totals.all.unknown:
        notes.append(f"{totals.all.unknown} request(s) at a model with no known price: set one on its profile")
    if totals.all.estimated:
        notes.append(f"{totals.all.estimated} counted by the app's tokenizer (the server sent no usage)")
    for note in notes:
        print(f"  ({note})")


def cmd_usage(ctx: Context) -> int:
    args = ctx.args
    costs = ctx.workspace.costs
    if args.chat is not None:
        title = ctx.workspace.chats.session(args.chat).title or "Untitled chat"
        totals = costs.chat(args.chat)
        if args.json:
            print_json({"chat": {"id": args.chat, "title": title, **totals_json(totals)}})
            return 0
        print(shown_line(f"Chat #{args.chat} {title}"))
        _print_totals(totals)
        return 0
    month = args.month or month_start().strftime("%Y-%m")
    chats = costs.chats(month)
    months = costs.months()
    if args.json:
        print_json(
            {
                "month": month,
                "months": [{"month": m, **totals_json(t)} for m, t in months],
                "chats": [{"id": i, "title": title, **totals_json(t)} for i, title, t in chats],
            }
        )
        return 0
    current = next((t for m, t in months if m == month), Totals())
    print(f"Requests in {month}:")
    _print_totals(current)
    if chats:
        print(f"Chats in {month}, the most expensive first:")
        for session_id, title, totals in chats:
            upkeep = totals.upkeep
            extra = f" (memory upkeep {upkeep.cost_text()})" if upkeep.requests else ""
            print(shown_line(f"  #{session_id:<6}{totals.all.cost_text():>14}{extra}  {title}"))
    if len(months) > 1 or (months and months[0][0] != month):
        print("Months:")
        for m, t in months:
            print(f"  {m}  {t.all.cost_text():>14}  {t.all.requests:>6} requests")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("usage", help="what requests used and cost: per month and per chat, memory upkeep apart")
    p.add_argument("--month", metavar="YYYY-MM", type=_month, help="the month to show chats of (default: this month)")
    p.add_argument("--chat", metavar="SESSION", type=session_id_arg, help="one chat's requests, by kind")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_usage)
