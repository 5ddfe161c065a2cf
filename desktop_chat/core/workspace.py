"""The application core both front ends drive: one data folder's chats, replies, memory, settings and data.

The window and the command line call this and nothing below it. ``Workspace`` owns
the store, the reply engine (the controller) and the one event channel, and is made
of sub-facades, one per area (``core/facade/``):

- ``workspace.chats``: list, create (temporary too), rename, pin, archive, delete, search, messages;
- ``workspace.replies``: send, retry, regenerate, edit-and-resend, stop, busy, target, reply plans;
- ``workspace.memory``: the next request's plan (preview), facts, the summary, upkeep status;
- ``workspace.config``: change and reset settings (``workspace.settings`` is the current ``Settings``);
- ``workspace.providers``: profiles, API keys, the models a server lists, connection checks;
- ``workspace.data``: import, export, purge, backups, changes made by another process;
- ``workspace.local``: the built-in model's files and server;
- ``workspace.costs``: the next request's price, each reply's and chat's cost, spending per month;
- ``workspace.attachments``: keep an attached file (read once, stored once by its hash), open it, sweep;
- ``workspace.assistants``: presets a chat starts from (list, add, change, remove, export, import, start a chat).

Rules (what may be edited, what undo restores, validation) live below, in
``memory/fact_rules``, ``memory/summary_rules``, ``chat_rules`` and ``profile_rules``;
the sub-facades only orchestrate and publish. Every change made here, or by
background upkeep, is published on the channel (``subscribe``), so a view never
re-queries after actions it did not start. Everything runs on the event loop's
thread; work that may block (the keyring, loading encodings) goes to worker threads.

One id space: temporary chats (kept in memory only) have ids above
``TEMPORARY_ID_BASE`` and are routed by the controller; no caller ever picks a store.

The names the front ends called before the split (``workspace.rename_session``,
``workspace.facts``, ...) still work: each reads the sub-facade's method (``_Forward``).
New code calls the sub-facade.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, cast, overload

from desktop_chat.core.controller.stores import StoreRouter
from desktop_chat.core.errors import NotAllowed
from desktop_chat.core.events import EventChannel, Listener
from desktop_chat.core.facade.assistants import AssistantsFacade
from desktop_chat.core.facade.attachments import SWEEP_DELAY_S, AttachmentsFacade
from desktop_chat.core.facade.chats import ChatsFacade
from desktop_chat.core.facade.config import ConfigFacade
from desktop_chat.core.facade.context import Context
from desktop_chat.core.facade.costs import CostsFacade
from desktop_chat.core.facade.data import DataFacade
from desktop_chat.core.facade.local import LocalFacade
from desktop_chat.core.facade.memory import MemoryFacade
from desktop_chat.core.facade.providers import ConnectionCheck, ProvidersFacade
from desktop_chat.core.facade.replies import RepliesFacade
from desktop_chat.core.facade.tools import ToolsFacade
from desktop_chat.core.memory.upkeep_jobs import UpkeepReport, jobs_for
from desktop_chat.core.models import JobName, JobState, Role
from desktop_chat.core.providers.local.builtin import LocalModels, upkeep_profile
from desktop_chat.core.services import ClientFactory, SecretAccess
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.sessions import listing_key
from desktop_chat.core.storage.store import Store

if TYPE_CHECKING:
    from desktop_chat.core.controller.replies import ConversationController

__all__ = ["ConnectionCheck", "Workspace"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


class _Forward(Generic[_P, _R]):
    """A name kept on ``Workspace`` for callers written before the split: it reads the sub-facade's method.

    Typed from the method itself, so mypy checks these calls as strictly as direct ones.
    """

    def __init__(self, facade: str, method: Callable[Concatenate[Any, _P], _R]) -> None:
        self._facade = facade
        self._name = method.__name__
        self.__doc__ = method.__doc__

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> _Forward[_P, _R]: ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> Callable[_P, _R]: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> _Forward[_P, _R] | Callable[_P, _R]:
        if obj is None:
            return self
        return cast(Callable[_P, _R], getattr(getattr(obj, self._facade), self._name))


def _load_for_previews(model: str) -> None:
    """What the first preview needs, on a worker thread (~0.1-0.5 s): the reply engine's modules (the planner,
    the strategies; made on first use, they would otherwise be imported on the loop's thread by that preview),
    the model's token encoding and the one stored counts use."""
    import desktop_chat.core.controller.replies  # noqa: F401
    from desktop_chat.core.memory.history import stored_token_count
    from desktop_chat.core.tokens import TokenCounter

    TokenCounter.for_model(model)
    stored_token_count(Role.USER, "")


class Workspace:
    """One data folder's chats, memory and settings, and the replies being streamed in it."""

    def __init__(
        self,
        store: Store,
        client: ClientFactory,
        *,
        settings: Settings | None = None,
        secrets: SecretAccess | None = None,
        save_interval: float | None = None,
        title_timeout: float = 20.0,
        local: LocalModels | None = None,
    ) -> None:
        self._store = store
        self.channel = EventChannel()
        extra: dict[str, Any] = {} if save_interval is None else {"save_interval": save_interval}

        def reply_engine(stores: StoreRouter) -> ConversationController:
            # Imported here: the engine's modules (~60 ms) load on first use, after the window shows its chat.
            from desktop_chat.core.controller.replies import ConversationController

            return ConversationController(
                store, client, settings, title_timeout=title_timeout, channel=self.channel, stores=stores, **extra
            )

        ctx = self._ctx = Context(
            store, reply_engine, self.channel, secrets=secrets, local=local, fixed_settings=settings
        )
        ctx.remember_settings()
        self.local = LocalFacade(ctx)
        self.attachments = AttachmentsFacade(ctx)
        self.chats = ChatsFacade(ctx, self.attachments)
        self.replies = RepliesFacade(ctx)
        self.memory = MemoryFacade(ctx)
        self.config = ConfigFacade(ctx)
        self.providers = ProvidersFacade(ctx, self.config, self.local)
        self.data = DataFacade(ctx, self.replies, self.attachments)
        self.costs = CostsFacade(ctx)
        self.assistants = AssistantsFacade(ctx)
        self.tools = ToolsFacade(ctx, self.config)
        self._mcp = ctx.mcp

    # --- events and lifecycle --------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every change (``core/events.py``); returns the unsubscribe."""
        return self.channel.subscribe(listener)

    @property
    def settings(self) -> Settings:
        """The current settings (read from the store, validated)."""
        return self._ctx.settings

    async def warm_up(self, model: str | None = None, *, sweep_after: float = SWEEP_DELAY_S) -> None:
        """Load the reply engine's modules and the token encodings in a worker thread, so the first preview does
        not block the GUI; and, once, ``sweep_after`` seconds later, sweep attachments left in a composer and
        never sent (the window's start)."""
        self.attachments.sweep_later(sweep_after)
        name = model or self.replies.target().model
        await asyncio.to_thread(_load_for_previews, name)

    async def wait_for_upkeep(self, seconds: float | None = None) -> bool:
        """Wait for background work (memory upkeep, titles); False when some still runs after ``seconds``."""
        if not self._ctx.engine_started:
            return True  # no reply yet, so no upkeep or title either
        return await self._ctx.controller.wait_for_upkeep(seconds)

    async def aclose(self, *, wait: float = 0.0) -> None:
        """Stop replies (what arrived is saved), give upkeep ``wait`` seconds, close clients. The store stays open.

        Also stops the built-in model's server, if it was started.
        """
        await self.memory.stop_indexing()
        await self.attachments.stop_sweep()
        if self._ctx.engine_started:
            await self._ctx.controller.aclose(wait=wait)
        self._ctx.router.close()
        await self.local.stop()
        await self._mcp.aclose()

    def close(self) -> None:
        """Close the database; call after ``aclose``. Tool servers still running (the command line does not
        always call ``aclose``) are stopped here too."""
        self._mcp.close()
        self._store.close()

    # --- memory upkeep run on request (beside the upkeep scheduling the controller does after replies) ---

    async def summarise_now(self, session_id: int) -> UpkeepReport:
        """Fold what the summary does not cover yet into it now, whatever the threshold."""
        return await self._run_upkeep(session_id, ("summary",), force=True)

    async def retry_upkeep(self, session_id: int) -> UpkeepReport:
        """Run the chat's memory upkeep again (after a failure, or to catch up: facts from every waiting message)."""
        session = self.session(session_id)
        strategy = session.strategy or self.settings.default_strategy
        return await self._run_upkeep(session_id, jobs_for(strategy), flush_facts=True)

    async def _run_upkeep(
        self, session_id: int, jobs: tuple[JobName, ...], *, force: bool = False, flush_facts: bool = False
    ) -> UpkeepReport:
        session = self.session(session_id)
        if session.temporary:
            raise NotAllowed("A temporary chat never writes memory: there is no summary or fact upkeep to run.")
        settings = self.settings
        target = self._ctx.target(session, settings)
        keeper = upkeep_profile(target.profile, settings)
        if keeper is None:
            raise NotAllowed(
                "Memory upkeep is off on this built-in model (the starter model is too small to summarise or extract "
                "facts reliably; another file keeps memory once marked able to in Settings > Local models); choose "
                "another model file or profile for this chat, or name a profile to keep its memory."
            )
        client = await self._ctx.controller.client_for(keeper)
        # The controller's scheduler, as after a reply: one upkeep path (off-branch facts retired too).
        return await self._ctx.controller.upkeep.run_now(
            self._store,
            session_id,
            jobs=jobs,
            client=client,
            model=keeper.upkeep_model,
            settings=settings,
            force=force,
            profile=keeper,
            flush_facts=flush_facts,
        )

    # --- names kept from before the split (see the module's docstring) -------------------------------

    @property
    def data_folder(self) -> Path | None:
        return self.data.data_folder

    @property
    def storage_notice(self) -> str | None:
        return self.data.storage_notice

    @property
    def local_model_pid(self) -> int | None:
        return self.local.pid

    sessions = _Forward("chats", ChatsFacade.sessions)
    session = _Forward("chats", ChatsFacade.session)
    chat_to_reopen = _Forward("chats", ChatsFacade.chat_to_reopen)
    sessions_page = _Forward("chats", ChatsFacade.sessions_page)
    listing_key = staticmethod(listing_key)
    new_session = _Forward("chats", ChatsFacade.new_session)
    rename_session = _Forward("chats", ChatsFacade.rename_session)
    set_pinned = _Forward("chats", ChatsFacade.set_pinned)
    set_archived = _Forward("chats", ChatsFacade.set_archived)
    set_strategy = _Forward("chats", ChatsFacade.set_strategy)
    change_options = _Forward("chats", ChatsFacade.change_options)
    set_session_model = _Forward("chats", ChatsFacade.set_session_model)
    delete_session = _Forward("chats", ChatsFacade.delete_session)
    search = _Forward("chats", ChatsFacade.search)
    messages = _Forward("chats", ChatsFacade.messages)
    message = _Forward("chats", ChatsFacade.message)
    messages_by_id = _Forward("chats", ChatsFacade.messages_by_id)
    message_count = _Forward("chats", ChatsFacade.message_count)

    send = _Forward("replies", RepliesFacade.send)
    retry = _Forward("replies", RepliesFacade.retry)
    regenerate = _Forward("replies", RepliesFacade.regenerate)
    edit_and_resend = _Forward("replies", RepliesFacade.edit_and_resend)
    stop = _Forward("replies", RepliesFacade.stop)
    is_busy = _Forward("replies", RepliesFacade.is_busy)
    recover_interrupted = _Forward("replies", RepliesFacade.recover_interrupted)
    reply_orphaned = _Forward("replies", RepliesFacade.reply_orphaned)
    target = _Forward("replies", RepliesFacade.target)
    target_is_local = _Forward("replies", RepliesFacade.target_is_local)
    calibrated = _Forward("replies", RepliesFacade.calibrated)
    reply_plan = _Forward("replies", RepliesFacade.reply_plan)

    preview = _Forward("memory", MemoryFacade.preview)
    strategy_choice = _Forward("memory", MemoryFacade.strategy_choice)
    inherited_cap = _Forward("memory", MemoryFacade.inherited_cap)
    request_cap = _Forward("memory", MemoryFacade.request_cap)
    facts = _Forward("memory", MemoryFacade.facts)
    fact = _Forward("memory", MemoryFacade.fact)
    add_fact = _Forward("memory", MemoryFacade.add_fact)
    edit_fact = _Forward("memory", MemoryFacade.edit_fact)
    delete_fact = _Forward("memory", MemoryFacade.delete_fact)
    pin_fact = _Forward("memory", MemoryFacade.pin_fact)
    approve_fact = _Forward("memory", MemoryFacade.approve_fact)
    reject_fact = _Forward("memory", MemoryFacade.reject_fact)
    set_fact_private = _Forward("memory", MemoryFacade.set_fact_private)
    undo_fact = _Forward("memory", MemoryFacade.undo_fact)
    fact_history = _Forward("memory", MemoryFacade.fact_history)
    summary = _Forward("memory", MemoryFacade.summary)
    edit_summary = _Forward("memory", MemoryFacade.edit_summary)
    summary_history = _Forward("memory", MemoryFacade.summary_history)
    undo_summary = _Forward("memory", MemoryFacade.undo_summary)
    summary_coverage = _Forward("memory", MemoryFacade.summary_coverage)
    upkeep_jobs = _Forward("memory", MemoryFacade.upkeep_jobs)
    upkeep_text = _Forward("memory", MemoryFacade.upkeep_text)

    def upkeep_status(self, session_id: int) -> Mapping[JobName, JobState]:
        return self.memory.upkeep_status(session_id)

    set_setting = _Forward("config", ConfigFacade.set_setting)
    reset_setting = _Forward("config", ConfigFacade.reset_setting)
    damaged_settings = _Forward("config", ConfigFacade.damaged_settings)

    add_profile = _Forward("providers", ProvidersFacade.add_profile)
    update_profile = _Forward("providers", ProvidersFacade.update_profile)
    remove_profile = _Forward("providers", ProvidersFacade.remove_profile)
    set_active_profile = _Forward("providers", ProvidersFacade.set_active_profile)
    forget_profile = _Forward("providers", ProvidersFacade.forget_profile)
    set_api_key = _Forward("providers", ProvidersFacade.set_api_key)
    delete_api_key = _Forward("providers", ProvidersFacade.delete_api_key)
    keyring_notice = _Forward("providers", ProvidersFacade.keyring_notice)
    key_status = _Forward("providers", ProvidersFacade.key_status)
    provider_ready = _Forward("providers", ProvidersFacade.provider_ready)
    list_models = _Forward("providers", ProvidersFacade.list_models)
    test_connection = _Forward("providers", ProvidersFacade.test_connection)

    poll_external_changes = _Forward("data", DataFacade.poll_external_changes)
    purge = _Forward("data", DataFacade.purge)
    backup_now = _Forward("data", DataFacade.backup_now)
    export_markdown = _Forward("data", DataFacade.export_markdown)
    export_json = _Forward("data", DataFacade.export_json)
    import_text = _Forward("data", DataFacade.import_text)
    import_file = _Forward("data", DataFacade.import_file)

    local_model_files = _Forward("local", LocalFacade.files)
    local_model_in_use = _Forward("local", LocalFacade.in_use)
