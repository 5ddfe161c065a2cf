"""The one entry point: exactly what the next request to the model will contain."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from desktop_chat.core.memory.assembly import Anchor, Assembly
from desktop_chat.core.memory.attachments import Seeing, attach, grow_excerpts
from desktop_chat.core.memory.budget import (
    check_fits,
    check_instructions,
    prompt_budget,
    request_cap,
    resolve_context_window,
)
from desktop_chat.core.memory.history import History
from desktop_chat.core.memory.options import chat_request_cap, memory_options
from desktop_chat.core.memory.parts import add_instructions, instruction_texts, instruction_tokens
from desktop_chat.core.memory.strategies import STRATEGIES
from desktop_chat.core.memory.window import finish_window
from desktop_chat.core.models import (
    Attachment,
    ContextPart,
    ContextPlan,
    FilePart,
    ImagePart,
    PartKind,
    Role,
    Session,
    Strategy,
)
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.request_cap import BudgetLimit
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.store import Store
from desktop_chat.core.tokens import TokenCounter
from desktop_chat.core.tools import ToolSpec

# instructions, system prompt, tools, pinned facts, facts, summary, recalled, attachment, recent
PART_ORDER = tuple(PartKind)
# What the tools block costs beyond its definitions' text (OpenAI's own wrapping; an estimate, calibrated
# like every count by the provider's reported usage).
TOOLS_OVERHEAD_TOKENS = 12


def tool_definitions_part(tools: Sequence[ToolSpec], counter: TokenCounter) -> ContextPart | None:
    """The tool definitions a request offers, as a part of the plan: their tokens, no messages."""
    if not tools:
        return None
    tokens = TOOLS_OVERHEAD_TOKENS + sum(counter.count_text(spec.definition_text()) for spec in tools)
    names = ", ".join(spec.qualified for spec in tools)
    return ContextPart(PartKind.TOOLS, (), tokens, f"{len(tools)} tool definitions offered: {names}")


def plan_context(
    store: Store,
    session_id: int,
    *,
    settings: Settings,
    model: str,
    context_window: int | None = None,
    strategy: Strategy | None = None,
    budget: int | None = None,
    draft: str | None = None,
    query: str | None = None,
    options: Mapping[str, Any] | None = None,
    facts_from: Store | None = None,
    local: bool = False,
    profile: ProviderProfile | None = None,
    tools: Sequence[ToolSpec] = (),
    attachments: Sequence[Attachment] = (),
    attachment_folder: Path | None = None,
) -> ContextPlan:
    """Plan the next request of a chat.

    ``context_window``: the profile's override (else the known size for ``model``,
    else a safe default the plan labels). ``strategy``: else the chat's, else the
    default from settings. ``budget``: overrides min(window - reserved reply - margin,
    request cap). ``profile``: the profile the request goes to, whose request cap
    (``max_request_tokens``) applies unless the chat sets its own (None: only the chat's and the setting's).
    ``draft``: text not sent yet, planned as the newest user message. Blank: the
    next message, not written yet (an empty one after the last reply), unless the
    newest stored message is the user's and still awaits its answer: then that
    answer, as a retry would send it. None: the answer to the newest stored user
    message (what ``send`` plans once it has stored the message). ``query``: what
    recall searches for (default: the newest user text). ``options``: strategy
    options that override the chat's for this plan only (a "what if" preview).
    ``facts_from``: the store whose facts the chat sees, when it is not ``store``
    (a temporary chat reads the saved global facts). ``local``: the request goes to a
    model on this machine, so private facts may go in (else they are omitted, with why).
    ``tools``: the tool definitions the request offers; their tokens are a part of their own (never cut).
    ``attachments``: the draft's files (a stored message being answered brings its own). ``attachment_folder``:
    the data folder, where images' stored copies are read from (memory/attachments.py: whole, excerpts, images).

    The custom instructions (``settings.custom_instructions``) and the chat's system prompt go
    first, each its own system message and part, and are never cut.

    Raises InputTooLarge when the message being answered (with the instructions) cannot fit, or the
    instructions leave no room for any message: neither is ever cut. Otherwise ``total_tokens <= budget``.
    """
    session = store.sessions.get(session_id)
    chosen = strategy or session.strategy or settings.default_strategy
    chat_options = {**session.strategy_options, **(options or {})}
    memory = memory_options(settings, chat_options)
    window = resolve_context_window(model, context_window)
    cap = request_cap(settings, profile, chat_request_cap(chat_options))
    budget_tokens, limit = prompt_budget(window, settings, cap, budget)
    why = f"cap {budget_tokens:,} ({cap.where()})" if limit is BudgetLimit.CAP else ""
    counter = TokenCounter.for_model(model)
    history = History(store, counter)

    tools_part = tool_definitions_part(tools, counter)
    budget_tokens_for_memory = budget_tokens - (tools_part.tokens if tools_part is not None else 0)
    anchor = _anchor(store, history, session_id, counter, draft, attachments=attachments)
    a = Assembly(
        store=store,
        session=session,
        options=memory,
        counter=counter,
        history=history,
        budget=budget_tokens_for_memory,
        anchor=anchor,
        query=query if query is not None else (anchor.content if anchor else ""),
        facts_store=facts_from or store,
        local=local,
        instructions=settings.custom_instructions,
    )
    check_fits(
        message_tokens=anchor.tokens if anchor else 0,
        system_tokens=instruction_tokens(a),
        budget=budget_tokens_for_memory,
        why=why,
        instructions=_made_of(a),
        empty=counter.count_message(Role.USER, ""),
    )
    add_instructions(a)
    if tools_part is not None:
        a.parts.append(tools_part)
    # The message's files before any memory: the user attached them to be read (but after the instructions).
    attach(a, Seeing(model, builtin=profile is not None and profile.is_builtin, folder=attachment_folder))
    a.start_memory()
    scan = STRATEGIES[chosen](a)
    finish_window(a, scan)
    grow_excerpts(a)

    plan = ContextPlan(
        strategy=chosen,
        model=model,
        budget=budget_tokens,
        context_window=window.tokens,
        reserved_reply=settings.reserved_reply_tokens,
        parts=tuple(sorted(a.parts, key=lambda p: PART_ORDER.index(p.kind))),
        omitted=tuple(a.omitted),
        context_window_source=window.source,
        exact_counts=counter.exact,
        draft_tokens=anchor.tokens if anchor is not None and anchor.id is None else 0,
        request_cap=cap,
        budget_limit=limit,
        notices=tuple(dict.fromkeys(a.notices)),
    )
    if plan.total_tokens > plan.budget:  # the invariant every caller relies on
        raise AssertionError(f"plan of {plan.total_tokens} tokens exceeds its budget of {plan.budget}")
    return plan


def _anchor(
    store: Store,
    history: History,
    session_id: int,
    counter: TokenCounter,
    draft: str | None,
    *,
    attachments: Sequence[Attachment],
) -> Anchor | None:
    if draft is not None and (draft.strip() or attachments):
        return Anchor(None, draft, counter.count_message(Role.USER, draft), tuple(attachments))
    if draft is not None and not history.awaits_answer(session_id):
        # Nothing typed yet after the last reply: the next request is history plus a message to come.
        return Anchor(None, "", counter.count_message(Role.USER, ""))
    newest = history.newest_user_id(session_id)
    if newest is None:
        return None
    message = history.load([newest])[newest]
    files = [p for p in message.parts if isinstance(p, FilePart | ImagePart)]
    if not files:
        return Anchor(message.id, message.content, history.tokens_of(message))
    # Its files go as parts of their own (as the first time: a retry or regenerate sends them again), and its
    # text alone as the message (the stored count includes the line naming them that history sends).
    stored = {x.sha256: x for x in store.attachments.of_messages([message.id]).get(message.id, [])}
    named = tuple(replace(stored[p.sha256], name=p.name) for p in files if p.sha256 in stored)
    return Anchor(message.id, message.content, counter.count_message(Role.USER, message.content), named)


_INSTRUCTION_NAMES = {PartKind.INSTRUCTIONS: "custom instructions", PartKind.SYSTEM_PROMPT: "this chat's system prompt"}


def _made_of(a: Assembly) -> str:
    """What the instructions are made of, with the tokens of each: said when they are refused."""
    texts = instruction_texts(a)
    return " + ".join(f"{_INSTRUCTION_NAMES[kind]} {a.system_tokens(text):,}" for kind, text, _ in texts)


def check_instruction_room(
    store: Store,
    session: Session,
    *,
    settings: Settings,
    model: str,
    context_window: int | None = None,
    profile: ProviderProfile | None = None,
) -> int:
    """Refuse (InputTooLarge, with the numbers) instructions that would leave no room for a message in ``session``'s
    requests: ``settings.custom_instructions`` and ``session.system_prompt``, as the caller proposes them (not
    necessarily saved). Returns the instructions' tokens. The budget is the one ``plan_context`` would use."""
    window = resolve_context_window(model, context_window)
    cap = request_cap(settings, profile, chat_request_cap(session.strategy_options))
    budget_tokens, limit = prompt_budget(window, settings, cap)
    counter = TokenCounter.for_model(model)
    a = Assembly(
        store=store,
        session=session,
        options=memory_options(settings, session.strategy_options),
        counter=counter,
        history=History(store, counter),
        budget=budget_tokens,
        anchor=None,
        query="",
        facts_store=store,
        instructions=settings.custom_instructions,
    )
    tokens = instruction_tokens(a)
    check_instructions(
        tokens,
        budget_tokens,
        why=f"cap {budget_tokens:,} ({cap.where()})" if limit is BudgetLimit.CAP else "",
        made_of=_made_of(a),
        empty=counter.count_message(Role.USER, ""),
    )
    return tokens
