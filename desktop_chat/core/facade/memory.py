"""Memory: the next request's plan (preview), facts, the summary, the strategy a chat really uses, upkeep status.

The rules are in ``memory/fact_rules`` and ``memory/summary_rules``; this module
calls them and publishes ``FactsChanged`` / ``SummaryChanged``. Running upkeep
(``summarise_now``, ``retry_upkeep``) stays on ``Workspace`` beside the upkeep
scheduling it shares with the controller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from desktop_chat.core.controller import strategy_choice
from desktop_chat.core.events import (
    Event,
    ExternalChange,
    FactsChanged,
    MessagesChanged,
    SessionCreated,
    SummaryChanged,
)
from desktop_chat.core.facade.context import Context
from desktop_chat.core.memory import fact_rules, summary_rules, summary_undo
from desktop_chat.core.memory.budget import request_cap
from desktop_chat.core.memory.options import chat_request_cap, memory_options
from desktop_chat.core.memory.upkeep_jobs import describe_upkeep, jobs_for
from desktop_chat.core.models import (
    Attachment,
    ContextPlan,
    Fact,
    FactEvent,
    FactStatus,
    JobName,
    JobState,
    Session,
    Strategy,
    StrategyChoice,
    Summary,
    SummaryState,
)
from desktop_chat.core.providers.local.builtin import upkeep_profile
from desktop_chat.core.request_cap import RequestCap
from desktop_chat.core.settings import Settings

if TYPE_CHECKING:
    from desktop_chat.core.semantic.indexer import IndexProgress

RECALLING = (Strategy.RECALL, Strategy.HYBRID)  # the strategies that recall by meaning


class MemoryFacade:
    """``workspace.memory``: what the next request holds, and the facts and summary it is made from."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    # --- the plan --------------------------------------------------------------------------

    def preview(
        self,
        session_id: int,
        draft: str = "",
        strategy: Strategy | None = None,
        options: Mapping[str, Any] | None = None,
        *,
        model: str | None = None,
        budget: int | None = None,
        query: str | None = None,
        settings: Settings | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> ContextPlan:
        """Exactly what the next request would contain if ``draft`` (with ``attachments``, already added with
        ``workspace.attachments.add``) were sent now; the function ``send`` uses.

        An empty draft plans the next message, not written yet: after the last reply, the whole
        history the chat's strategy keeps plus an empty message of the user's; while the newest
        message still awaits its answer (its reply failed), that answer, as Retry would send it.
        ``settings``: plan with these instead of the saved ones (the Settings dialog's values, not saved yet).
        """
        return self._ctx.controller.plan(
            session_id,
            draft=draft,
            strategy=strategy,
            options=options,
            model=model,
            budget=budget,
            query=query,
            attachments=attachments,
            # cached: no reload and re-validation per keystroke
            settings=settings if settings is not None else self._ctx.current_settings(),
        )

    def pending_queries(self, session_id: int, draft: str) -> list[str]:
        """What recall by meaning would embed to plan ``draft`` and has not yet: give it to ``embed_queries``
        (a worker thread) before the preview, which then finds the vectors. Empty when the chat does not
        recall by meaning now (its strategy, a temporary chat, no model loaded) or nothing is missing."""
        from desktop_chat.core.memory.recall_search import meaning_queries
        from desktop_chat.core.memory.recall_semantic import missing_queries
        from desktop_chat.core.semantic.model import loaded_embedder

        if not draft.strip() or loaded_embedder() is None:
            return []
        session = self._ctx.session(session_id)
        settings = self._ctx.current_settings()
        if session.temporary or self.strategy_choice(session, settings).effective not in RECALLING:
            return []
        options = memory_options(settings, session.strategy_options)
        store = self._ctx.store_for(session_id)
        now = datetime.now(UTC)
        return missing_queries(
            meaning_queries(store, session_id, draft, all_sessions=options.recall_all_sessions, now=now)
        )

    async def embed_queries(self, texts: Sequence[str]) -> None:
        """Embed ``pending_queries``' texts in a worker thread; the plans that follow find their vectors."""
        from desktop_chat.core.memory.recall_semantic import embed_queries

        await asyncio.to_thread(embed_queries, list(texts))

    def request_cap(self, session: Session | int, *, inherited: bool = False) -> RequestCap:
        """The request cap in force for the chat: its own, else its profile's, else the setting's.

        ``inherited``: the one it would have without its own (what its editor shows greyed).
        """
        found = self._ctx.session(session) if isinstance(session, int) else session
        settings = self._ctx.current_settings()
        own = None if inherited else chat_request_cap(found.strategy_options)
        return request_cap(settings, self._ctx.profile_for(found, settings), own)

    def inherited_cap(self, session: Session | int) -> RequestCap:
        """The request cap the chat has without one of its own: its profile's, else the setting's."""
        return self.request_cap(session, inherited=True)

    def strategy_choice(self, session: Session | int, settings: Settings | None = None) -> StrategyChoice:
        """The strategy the chat asked for and the one its requests really use (the starter model falls back).

        ``settings``: the current ones, when the caller labels many chats at once.
        """
        found = self._ctx.session(session) if isinstance(session, int) else session
        settings = settings or self._ctx.settings
        return strategy_choice(self._ctx.profile_for(found, settings), settings, found.strategy)

    # --- facts -----------------------------------------------------------------------------

    def _fact_changed(self, fact: Fact) -> Fact:
        self._ctx.channel.publish(FactsChanged(fact.scope, (fact.id,)))
        return fact

    def facts(self, session_id: int | None = None, *, statuses: Sequence[FactStatus] = fact_rules.SHOWN) -> list[Fact]:
        """Facts visible in a chat (its own and the global ones), or every fact with ``session_id`` None."""
        session = None if session_id is None else self._ctx.session(session_id)
        return fact_rules.visible(self._ctx.store, session, statuses)

    def fact(self, fact_id: int) -> Fact:
        return self._ctx.store.facts.get(fact_id)

    def add_fact(self, key: str, value: str, *, scope: int | None = None) -> tuple[Fact, bool]:
        """Remember a fact the user states (it supersedes the key's value, keeping its pin); (fact, created)."""
        fact_rules.require_saved_scope(None if scope is None else self._ctx.session(scope))
        fact, created = fact_rules.remember(self._ctx.store, key, value, scope=scope)
        if created:
            self._fact_changed(fact)
        return fact, created

    def edit_fact(self, fact_id: int, *, key: str | None = None, value: str | None = None) -> Fact:
        return self._fact_changed(fact_rules.edit(self._ctx.store, fact_id, key=key, value=value))

    def delete_fact(self, fact_id: int) -> Fact:
        return self._fact_changed(fact_rules.delete(self._ctx.store, fact_id))

    def pin_fact(self, fact_id: int, pinned: bool = True) -> Fact:
        return self._fact_changed(fact_rules.set_pinned(self._ctx.store, fact_id, pinned))

    def approve_fact(self, fact_id: int) -> Fact:
        return self._fact_changed(fact_rules.approve(self._ctx.store, fact_id))

    def reject_fact(self, fact_id: int) -> Fact:
        return self._fact_changed(fact_rules.reject(self._ctx.store, fact_id))

    def set_fact_private(self, fact_id: int, private: bool = True) -> Fact:
        """Private: the fact goes only to local models (a loopback server); undo reverts it like any change."""
        was_private = self._ctx.store.facts.get(fact_id).private
        fact = fact_rules.set_private(self._ctx.store, fact_id, private)
        return fact if was_private == private else self._fact_changed(fact)

    def undo_fact(self, fact_id: int) -> Fact:
        """Undo the newest change to a fact (value, pin and status come back), recorded in its history."""
        return self._fact_changed(fact_rules.undo(self._ctx.store, fact_id))

    def fact_history(self, fact_id: int) -> list[FactEvent]:
        self._ctx.store.facts.get(fact_id)  # an unknown id is refused by name, not answered with no history
        return self._ctx.store.facts.events(fact_id)

    # --- the summary -------------------------------------------------------------------------

    def summary(self, session_id: int) -> Summary | None:
        return self._ctx.store_for(session_id).summaries.get(session_id)

    def edit_summary(self, session_id: int, text: str) -> Summary:
        """The user's own summary text: kept, marked as theirs, and folded into (not replaced) by later upkeep."""
        saved = summary_rules.edit(self._ctx.store_for(session_id), session_id, text)
        self._ctx.channel.publish(SummaryChanged(session_id))
        return saved

    def summary_history(self, session_id: int) -> list[SummaryState]:
        """Every earlier state of the chat's summary, newest first: what each change replaced, and who made it."""
        summary_rules.require_saved(self._ctx.session(session_id))
        return self._ctx.store.summaries.history(session_id)

    def undo_summary(self, session_id: int) -> Summary | None:
        """Bring back the summary as it was before its newest change (None: there was none); again goes further back.

        Undoes the user's edits, upkeep folds and branch rollbacks alike; the summary
        job's watermark follows, so upkeep resumes after what the restored text covers.
        """
        summary_rules.require_saved(self._ctx.session(session_id))
        restored = summary_undo.undo(self._ctx.store, session_id)
        self._ctx.channel.publish(SummaryChanged(session_id))
        return restored

    def summary_coverage(self, session_id: int) -> tuple[int, int] | None:
        """The chat's messages the summary covers, as positions (1, n) in its active branch; None without one."""
        return summary_rules.coverage(self._ctx.store_for(session_id), session_id)

    # --- recall by meaning ------------------------------------------------------------------

    def index_now(
        self,
        session_id: int,
        progress: Callable[[IndexProgress], None] | None = None,
        *,
        strategy: Strategy | None = None,
    ) -> int:
        """Give the chat's messages without a vector one, now, and load the model plans use (the command line).

        Only when the strategy in effect (``strategy``, else the chat's, else the default) recalls;
        every chat's messages when its recall searches them all. Returns how many were indexed;
        ``EmbeddingsUnavailable`` (one line) when the model cannot be loaded.
        """
        from desktop_chat.core.semantic.indexer import index_store
        from desktop_chat.core.semantic.model import shared_embedder

        session = self._ctx.session(session_id)
        settings = self._ctx.settings
        recalls = (strategy or session.strategy or settings.default_strategy) in {Strategy.RECALL, Strategy.HYBRID}
        if session.temporary or not recalls:
            return 0  # a temporary chat is kept in memory, not in the database the index reads
        everywhere = memory_options(settings, session.strategy_options).recall_all_sessions
        shared_embedder()
        return index_store(self._ctx.store, progress=progress, session_id=None if everywhere else session_id)

    def index_in_background(self, *, delay: float = 0.0) -> None:
        """Index new, edited and imported messages in a worker thread as they come (the window).

        The first pass starts ``delay`` seconds from now (the window's start leaves the CPU to the
        first screen). The model loads only when there is something to embed or a plan asks for it.
        Progress is published as ``IndexingProgress``; ``Workspace.aclose`` stops it.
        """
        from desktop_chat.core.facade.indexing import BackgroundIndexer

        if self._ctx.indexer is not None:
            return
        indexer = self._ctx.indexer = BackgroundIndexer(self._ctx.store, self._ctx.channel)

        def on_event(event: Event) -> None:
            if isinstance(event, MessagesChanged | ExternalChange | SessionCreated):
                indexer.request()

        self._ctx.channel.subscribe(on_event)
        if delay > 0:
            indexer.request_later(delay)
        else:
            indexer.request()

    @property
    def indexing(self) -> bool:
        """A background indexing pass is under way."""
        return self._ctx.indexer is not None and self._ctx.indexer.running

    async def stop_indexing(self) -> None:
        if self._ctx.indexer is not None:
            await self._ctx.indexer.aclose()

    # --- upkeep status -----------------------------------------------------------------------

    def upkeep_status(self, session_id: int) -> Mapping[JobName, JobState]:
        return self._ctx.controller.upkeep_status(session_id)

    def upkeep_jobs(self, session_id: int) -> tuple[JobName, ...]:
        """The memory upkeep the chat's strategy runs after each reply (none for a temporary chat)."""
        session = self._ctx.session(session_id)
        if session.temporary:
            return ()
        settings = self._ctx.settings
        profile = self._ctx.target(session, settings).profile
        if upkeep_profile(profile, settings) is None:
            return ()  # the built-in starter model keeps no memory (see controller.starter_model_strategy)
        return jobs_for(session.strategy or settings.default_strategy)

    def upkeep_text(self, session_id: int, *, running: bool = False) -> tuple[str, bool]:
        """The chat's upkeep in one line, consistent with its summary; True when a job failed (Retry helps)."""
        jobs = self.upkeep_jobs(session_id)
        return describe_upkeep(
            jobs,
            self.upkeep_status(session_id) if jobs else {},
            has_summary=self.summary(session_id) is not None,
            running=running,
        )
