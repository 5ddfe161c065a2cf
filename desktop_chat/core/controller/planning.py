"""The plan of a chat's next request as the controller makes it: the chat's target, the starter model's
strategy, the tools offered, where the saved facts and the attached files' stored copies are."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from desktop_chat.core.controller.targets import Target, starter_model_strategy
from desktop_chat.core.locality import is_local_profile
from desktop_chat.core.memory.planner import plan_context
from desktop_chat.core.models import Attachment, ContextPlan, Omission, Strategy
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.store import Store
from desktop_chat.core.tools import ToolSpec


@dataclass(frozen=True, slots=True)
class PlanRequest:
    """What the caller asks of a plan besides the chat (see ``ConversationController.plan``)."""

    draft: str | None = None
    strategy: Strategy | None = None
    options: Mapping[str, Any] | None = None
    budget: int | None = None
    query: str | None = None
    attachments: Sequence[Attachment] = ()


def plan_for(
    store: Store,
    saved: Store,
    session_id: int,
    target: Target,
    settings: Settings,
    *,
    ask: PlanRequest,
    tools: Sequence[ToolSpec] = (),
) -> ContextPlan:
    """Plan ``session_id`` (in ``store``; ``saved`` is the data folder's store) for ``target``."""
    strategy = ask.strategy
    context_window = target.profile.context_window
    fallback: Omission | None = None
    if target.profile.is_builtin:
        context_window = settings.local_context_size  # what the built-in server is started with
        session = store.sessions.get(session_id)
        strategy, fallback = starter_model_strategy(target.profile, settings, strategy or session.strategy)
    path = saved.db.path
    plan = plan_context(
        store,
        session_id,
        settings=settings,
        model=target.model,
        context_window=context_window,
        strategy=strategy,
        options=ask.options,
        budget=ask.budget,
        draft=ask.draft,
        query=ask.query,
        facts_from=saved if store is not saved else None,
        local=is_local_profile(target.profile),
        profile=target.profile,
        tools=tools,
        attachments=ask.attachments,
        attachment_folder=path.parent if path is not None else None,  # files live beside the saved database
    )
    return plan if fallback is None else replace(plan, omitted=(*plan.omitted, fallback))
