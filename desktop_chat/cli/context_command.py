"""context: show exactly what the next request of a chat would contain, and what was left out."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from desktop_chat.cli.common import Context, UsageError, index_for_recall, print_json, session_id_arg, shown_line
from desktop_chat.core.models import ContextPart, ContextPlan, Message, Omission, Strategy
from desktop_chat.core.spending import RequestCost

_PREVIEW = 70


def cmd_context(ctx: Context) -> int:
    args = ctx.args
    if args.budget is not None and args.budget <= 0:
        raise UsageError(f"--budget must be a positive number of tokens, not {args.budget}.")
    workspace = ctx.workspace
    workspace.chats.session(args.session)  # an unknown chat is refused before any indexing
    # Read and stored first: a file that cannot be read is one line, and nothing is planned.
    attachments = [workspace.attachments.add(Path(name)) for name in args.attach or ()]
    index_for_recall(workspace, args.session, Strategy(args.strategy) if args.strategy else None)
    plan = workspace.memory.preview(
        args.session,
        args.draft or "",
        Strategy(args.strategy) if args.strategy else None,
        model=args.model,
        budget=args.budget,
        query=args.query,
        attachments=attachments,
    )
    cost = workspace.costs.next_request(args.session, plan)
    if args.json:
        ids = sorted({i for p in plan.parts for i in p.message_ids} | {i for o in plan.omitted for i in o.message_ids})
        print_json({**plan_json(plan, workspace.chats.messages_by_id(ids)), **cost_json(cost)})
    else:
        _print_readable(plan)
        print(f"  cost: {cost.text()}")
    return 0


def cost_json(cost: RequestCost) -> dict[str, Any]:
    """``cost_usd``: the most the request costs (prompt + the whole reply cap); null when unknown, 0 when local."""
    return {
        "cost_usd": cost.cost_usd,
        "cost": {
            "pricing": cost.pricing,
            "priced_by": cost.priced_by,
            "prompt_tokens": cost.prompt_tokens,
            "reply_tokens_max": cost.reply_tokens,
            "input_usd": cost.input_usd,
        },
    }


def plan_json(plan: ContextPlan, messages: dict[int, Message]) -> dict[str, Any]:
    """The plan as JSON; ``messages`` supplies each named message's imported ``meta``."""

    def refs(ids: tuple[int, ...]) -> list[dict[str, Any]]:
        return [{"id": i, "meta": messages[i].meta if i in messages else None} for i in ids]

    def part(p: ContextPart) -> dict[str, Any]:
        return {
            "kind": p.kind.value,
            "roles": [m.role.value for m in p.messages],
            "tokens": p.tokens,
            "reason": p.reason,
            "messages": refs(p.message_ids),
            "fact_ids": list(p.fact_ids),
            "summary_through": p.summary_through,
            "attachment": p.attachment,
            "text": [m.content for m in p.messages],
        }

    def omission(o: Omission) -> dict[str, Any]:
        return {
            "kind": o.kind.value,
            "reason": o.reason,
            "tokens": o.tokens,
            "message_ids": list(o.message_ids),
            "fact_ids": list(o.fact_ids),
            "attachment": o.attachment,
        }

    return {
        "strategy": plan.strategy.value,
        "model": plan.model,
        "budget": plan.budget,
        "total_tokens": plan.total_tokens,
        "context_window": plan.context_window,
        "context_window_source": plan.context_window_source,
        "reserved_reply": plan.reserved_reply,
        # Why the budget is what it is: the request cap in force and the level that set it.
        "request_cap": plan.request_cap.tokens if plan.request_cap else None,
        "request_cap_source": plan.request_cap.level.value if plan.request_cap else None,
        "request_cap_profile": (plan.request_cap.profile or None) if plan.request_cap else None,
        "budget_limited_by": plan.budget_limit.value,
        "budget_reason": plan.budget_reason,
        # The composer's count: the draft's tokens, and how many more it may have before it is refused.
        "draft_tokens": plan.draft_tokens,
        "draft_room": plan.draft_room,
        "exact_counts": plan.exact_counts,
        "parts": [part(p) for p in plan.parts],
        "omitted": [omission(o) for o in plan.omitted],
        "notices": list(plan.notices),
        "request": plan.request_messages(),
    }


def _preview(text: str) -> str:
    flat = shown_line(" ".join(text.split()))
    return flat if len(flat) <= _PREVIEW else flat[: _PREVIEW - 1] + "…"


def _print_readable(plan: ContextPlan) -> None:
    estimate = "" if plan.exact_counts else " (estimated: unknown tokenizer)"
    window = f"{plan.context_window:,}" + (
        " (a guess: set the profile's context window)" if plan.context_window_source == "default" else ""
    )
    print(
        f"{plan.strategy.value} · {plan.model} · {plan.total_tokens:,} of {plan.budget:,} tokens{estimate}"
        f" · budget: {plan.budget_reason} · context {window}, {plan.reserved_reply:,} kept for the reply"
    )
    for p in plan.parts:
        source = ""
        if p.message_ids:
            source = (
                f" msgs #{p.message_ids[0]}..#{p.message_ids[-1]}"
                if len(p.message_ids) > 1
                else f" msg #{p.message_ids[0]}"
            )
        if p.fact_ids:
            source += f" facts {','.join(map(str, p.fact_ids))}"
        last = _preview(p.messages[-1].content) if p.messages else ""
        print(f"  {p.kind.value:<14}{p.tokens:>7,}  {p.reason}{source}" + (f"  | {last}" if last else ""))
    for o in plan.omitted:
        what = f" ({len(o.message_ids)} msgs)" if o.message_ids else ""
        what += f" (facts {','.join(map(str, o.fact_ids))})" if o.fact_ids else ""
        what += f" ({o.tokens:,} tokens)" if o.tokens and o.attachment else ""
        print(f"  left out {o.kind.value}: {o.reason}{what}")
    for notice in plan.notices:
        print(f"  notice: {notice}")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("context", help="show what the next request of a chat would contain, and why")
    p.add_argument("session", metavar="SESSION", type=session_id_arg, help="the chat's id")
    p.add_argument("--strategy", choices=[s.value for s in Strategy], help="plan with this memory strategy instead")
    p.add_argument(
        "--budget",
        type=int,
        metavar="N",
        help="prompt token budget, over any request cap (default: the smaller of the request cap and the model's "
        "window - reply - margin)",
    )
    p.add_argument("--model", metavar="M", help="plan for this model (default: the chat's, else the profile's)")
    p.add_argument("--query", metavar="TEXT", help="what recall searches for (default: the newest user message)")
    p.add_argument("--draft", metavar="TEXT", help="plan as if TEXT were sent next")
    p.add_argument(
        "--attach",
        action="append",
        metavar="FILE",
        help="plan the draft with this file attached (repeatable); the file is read and stored as send would",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_context)
