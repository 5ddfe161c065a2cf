"""Costs: what the next request will cost, what each reply and each chat cost, and this month's spending."""

from __future__ import annotations

from datetime import datetime

from desktop_chat.core.controller import TEMPORARY_ID_BASE
from desktop_chat.core.errors import NotFound
from desktop_chat.core.facade.context import Context
from desktop_chat.core.models import ContextPlan
from desktop_chat.core.pricing import pricing_for
from desktop_chat.core.providers.local.builtin import upkeep_profile
from desktop_chat.core.spending import RequestCost, Totals, UsageRecord


def month_start(moment: datetime | None = None) -> datetime:
    """The first instant of ``moment``'s month, in local time (months are the user's, not UTC's)."""
    local = (moment or datetime.now()).astimezone()
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month(start: datetime) -> datetime:
    return start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)


class CostsFacade:
    """``workspace.costs``: prices and spending. Records live in the saved store, temporary chats' too."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def next_request(self, session_id: int, plan: ContextPlan) -> RequestCost:
        """The cost of sending ``plan`` (the preview): its prompt, plus at most the reply cap."""
        settings = self._ctx.current_settings()
        target = self._ctx.target(self._ctx.session(session_id), settings, plan.model)
        profile = target.profile
        reply_tokens = profile.max_reply_tokens or plan.reserved_reply
        pricing = pricing_for(profile, plan.model)
        return RequestCost(
            pricing=pricing.kind,
            priced_by=pricing.source,
            model=plan.model,
            prompt_tokens=plan.total_tokens,
            reply_tokens=reply_tokens,
            input_usd=pricing.cost_of(plan.total_tokens, 0),
            cost_usd=pricing.cost_of(plan.total_tokens, reply_tokens),
        )

    def upkeep_model(self, session_id: int) -> str | None:
        """The model the chat's memory upkeep (facts, summaries, titles) runs on; None when it has none."""
        settings = self._ctx.current_settings()
        target = self._ctx.target(self._ctx.session(session_id), settings)
        keeper = upkeep_profile(target.profile, settings)
        return keeper.upkeep_model if keeper is not None else None

    def replies(self, message_ids: list[int]) -> dict[int, UsageRecord]:
        """Each reply's recorded usage and cost (replies from before costs were kept have none)."""
        return self._ctx.store.usage.for_messages(message_ids)

    def chat(self, session_id: int) -> Totals:
        """Everything the chat's requests used and cost: replies and its memory upkeep, by kind."""
        return self._ctx.store.usage.totals(session_id=session_id)

    def month(self, moment: datetime | None = None) -> Totals:
        """This month's spending (or ``moment``'s month), every chat and temporary chat included."""
        start = month_start(moment)
        return self._ctx.store.usage.totals(since=start, until=next_month(start))

    def months(self) -> list[tuple[str, Totals]]:
        """("YYYY-MM", totals), newest first."""
        return self._ctx.store.usage.by_month()

    def chats(self, month: str | None = None) -> list[tuple[int, str, Totals]]:
        """(chat id, title, totals) per chat, in ``month`` ("YYYY-MM") or ever, the most expensive first.

        A deleted chat's spending stays, titled "(deleted chat)"; a closed temporary one's "(temporary chat)".
        """
        since = until = None
        if month is not None:
            try:
                since = month_start(datetime.strptime(month, "%Y-%m"))
            except ValueError:
                raise NotFound(f"{month!r} is not a month: write it as YYYY-MM, e.g. 2025-03.") from None
            until = next_month(since)
        rows = []
        for session_id, totals in self._ctx.store.usage.by_session(since=since, until=until):
            rows.append((session_id, self._title(session_id), totals))
        return rows

    def _title(self, session_id: int) -> str:
        try:
            session = self._ctx.session(session_id)
        except NotFound:
            return "(temporary chat)" if session_id > TEMPORARY_ID_BASE else "(deleted chat)"
        title = session.title or "Untitled chat"
        return f"{title} (temporary)" if session.temporary else title
