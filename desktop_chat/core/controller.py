"""The conversation controller: send, stop, retry, regenerate, edit-and-resend; no Qt.

Every operation is an async generator of events (``core/events.py``). The
order of work is what makes it safe:

1. the user's message is committed before anything can fail on the network;
2. the context plan is made, and the request is built from
   ``plan.request_messages()`` and nothing else;
3. the assistant message is created with status ``streaming``, and what has
   arrived is saved at least every ``save_interval`` seconds (on a timer, never
   per delta) and at the end with status complete / stopped / failed.

The HTTP stream is read by a task the controller owns, so ``stop()`` (or
cancelling the task that iterates) closes the stream and keeps the partial
reply. Memory upkeep runs in background tasks after a reply and never delays
it; ``aclose()`` waits for or cancels them.

The database has one owner: everything here runs on the event loop's thread.
Only work that does not touch the database (loading token encodings, building
a client, which may read the keyring) goes to a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, cast

from desktop_chat.core.errors import (
    Busy,
    DatabaseBusy,
    DesktopChatError,
    EmptyInput,
    NotAllowed,
    NotFound,
    SettingsError,
    StorageError,
)
from desktop_chat.core.events import (
    Delta,
    EventChannel,
    FactsChanged,
    Failed,
    Finished,
    Listener,
    MessagesChanged,
    ReplyEvent,
    SessionChanged,
    Started,
    Stopped,
    SummaryChanged,
    TitleChanged,
    UpkeepChanged,
)
from desktop_chat.core.locality import is_local_profile
from desktop_chat.core.memory.branching import after_branch, retire_facts_off_branch
from desktop_chat.core.memory.extractor import fact_scope
from desktop_chat.core.memory.history import stored_token_count
from desktop_chat.core.memory.planner import plan_context
from desktop_chat.core.memory.upkeep import UpkeepReport, jobs_for, run_upkeep, upkeep_status
from desktop_chat.core.models import (
    ChatMessage,
    ContextPlan,
    JobName,
    JobState,
    Message,
    MessageStatus,
    Omission,
    PartKind,
    Role,
    Session,
    Strategy,
    StrategyChoice,
)
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.providers import ChatClient, TextDelta
from desktop_chat.core.providers.local.builtin import builtin_model_name, upkeep_profile, uses_starter_model
from desktop_chat.core.services import ClientFactory
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage import waiting
from desktop_chat.core.storage.claims import HeldClaim
from desktop_chat.core.storage.store import Store
from desktop_chat.core.storage.waiting import when_free
from desktop_chat.core.titles import fallback_title, make_title
from desktop_chat.core.tokens import Calibrations, TokenCounter, model_limits
from desktop_chat.core.turn import DONE, Done, Turn

log = logging.getLogger(__name__)

SAVE_INTERVAL = 0.5  # seconds; a crash loses at most this much of a streaming reply
UPKEEP_BUSY_PAUSE = 1.0  # seconds before upkeep that met another program's lock runs again
SAVE_GRACE = 5.0  # seconds closing waits for a reply's final save held up by another program's lock
# Temporary chats live in an in-memory database whose ids start above this, so a
# session or message id never means two things to the window.
TEMPORARY_ID_BASE = 1_000_000_000_000
INTERRUPTED_NOTE = "Interrupted: the app closed while this reply was streaming."
NOT_SAVED = "your message was not saved: send it again once that program is done."


@dataclass(frozen=True, slots=True)
class Target:
    """Where a chat's next request goes: the provider profile and the model."""

    profile: ProviderProfile
    model: str


@dataclass(eq=False)
class _Slot:
    """A chat's claim on replying; ``turn`` is set once the request is under way.

    ``claim`` is the database claim that keeps other processes out of the chat
    (None for temporary chats, which no other process can reach).
    """

    session_id: int
    turn: Turn | None = None
    claim: HeldClaim | None = None


class ConversationController:
    """Drives chats: one streaming reply per session at a time, upkeep in the background.

    ``client``: one ``ChatClient`` for every profile (tests, a single server), or a
    factory ``(ProviderProfile, Settings) -> ChatClient`` (see ``services.client_factory``);
    clients from a factory are cached per profile and closed by ``aclose()``.
    ``settings``: fixed settings, or None to read the store's current ones per reply.
    """

    def __init__(
        self,
        store: Store,
        client: ChatClient | ClientFactory,
        settings: Settings | None = None,
        *,
        save_interval: float = SAVE_INTERVAL,
        title_timeout: float = 20.0,
        channel: EventChannel | None = None,
    ) -> None:
        self._store = store
        # A client has stream_chat; anything else callable is a factory (the protocol is not runtime-checkable).
        self._shared_client: ChatClient | None = None
        self._factory: ClientFactory | None = None
        if hasattr(client, "stream_chat"):
            self._shared_client = cast(ChatClient, client)
        else:
            self._factory = client
        self._clients: dict[tuple[str, str | None], ChatClient] = {}
        self._settings = settings
        self._save_interval = save_interval
        self._title_timeout = title_timeout
        self._temporary: Store | None = None
        self._slots: dict[int, _Slot] = {}  # chats busy with a reply (being set up or streaming)
        self._upkeep: dict[int, asyncio.Task[None]] = {}
        self._upkeep_again: set[int] = set()
        self._titles: dict[int, asyncio.Task[None]] = {}
        self._saving: set[asyncio.Task[Message]] = set()  # final saves of replies, waiting for a lock
        self.channel = channel or EventChannel()
        self.calibrations = Calibrations()
        self._closed = False

    # --- settings, stores, clients ---------------------------------------------------

    @property
    def store(self) -> Store:
        return self._store

    @property
    def settings(self) -> Settings:
        return self._settings if self._settings is not None else self._store.settings.load()

    @settings.setter
    def settings(self, value: Settings | None) -> None:
        self._settings = value

    def store_for(self, session_id: int) -> Store:
        """The store that holds ``session_id``: the in-memory one for temporary chats."""
        temp = self._temporary
        if session_id > TEMPORARY_ID_BASE and temp is not None and temp.sessions.exists(session_id):
            return temp
        return self._store

    def store_for_message(self, message_id: int) -> Store:
        temp = self._temporary
        if message_id > TEMPORARY_ID_BASE and temp is not None:
            return temp
        return self._store

    def _temporary_store(self) -> Store:
        if self._temporary is None:
            self._temporary = Store.temporary(TEMPORARY_ID_BASE)
        return self._temporary

    def profile_for(self, session: Session, settings: Settings | None = None) -> ProviderProfile:
        settings = settings or self.settings
        try:
            return settings.profile(session.profile)
        except SettingsError:
            return settings.profile()  # the chat's profile was removed: use the active one

    def target(self, session: Session, settings: Settings | None = None, model: str | None = None) -> Target:
        """The profile and model a chat's next request uses: the override, else the chat's, else the profile's."""
        settings = settings or self.settings
        profile = self.profile_for(session, settings)
        if profile.is_builtin and not model:
            # Its server ignores the name it is sent and answers with the file's: use that one, so the
            # header, the status bar and each reply name the model alike.
            return Target(profile, builtin_model_name(settings))
        return Target(profile, model or session.model or profile.default_model)

    def plan(
        self,
        session_id: int,
        *,
        draft: str | None = None,
        strategy: Strategy | None = None,
        options: Mapping[str, Any] | None = None,
        model: str | None = None,
        budget: int | None = None,
        query: str | None = None,
        settings: Settings | None = None,
    ) -> ContextPlan:
        """What the chat's next request contains: the one function both ``send`` and the inspector's preview use.

        ``draft``: text not sent yet, planned as the newest user message (None: answer the
        newest stored one). A temporary chat reads the saved global facts but never writes memory.
        """
        settings = settings or self.settings
        store = self.store_for(session_id)
        session = store.sessions.get(session_id)
        target = self.target(session, settings, model)
        context_window = target.profile.context_window
        fallback: Omission | None = None
        if target.profile.is_builtin:
            context_window = settings.local_context_size  # what the built-in server is started with
            strategy, fallback = starter_model_strategy(target.profile, settings, strategy or session.strategy)
        plan = plan_context(
            store,
            session_id,
            settings=settings,
            model=target.model,
            context_window=context_window,
            strategy=strategy,
            options=options,
            budget=budget,
            draft=draft,
            query=query,
            facts_from=self._store if store is not self._store else None,
            local=is_local_profile(target.profile),
        )
        return plan if fallback is None else replace(plan, omitted=(*plan.omitted, fallback))

    async def client_for(self, profile: ProviderProfile) -> ChatClient:
        if self._shared_client is not None:
            return self._shared_client
        key = (profile.name, profile.base_url)
        client = self._clients.get(key)
        if client is None:
            assert self._factory is not None
            # The factory may read the OS keyring, which blocks: keep it off the loop's thread.
            # Settings are read here: the database has one owner, the loop's thread.
            client = await asyncio.to_thread(self._factory, profile, self.settings)
            client = self._clients.setdefault(key, client)
        return client

    async def forget_clients(self) -> None:
        """Close cached clients, e.g. after the user changed a key or a base URL."""
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()

    # --- sessions -----------------------------------------------------------------------

    def new_session(
        self,
        *,
        temporary: bool = False,
        title: str = "",
        strategy: Strategy | None = None,
        model: str | None = None,
        profile: str | None = None,
        system_prompt: str = "",
    ) -> Session:
        """A new chat; a temporary one lives in memory only and is never written to disk."""
        store = self._temporary_store() if temporary else self._store
        return store.sessions.create(
            title, strategy=strategy, model=model, profile=profile, system_prompt=system_prompt, temporary=temporary
        )

    def temporary_sessions(self) -> list[Session]:
        if self._temporary is None:
            return []
        return [s for s in self._temporary.sessions.list_by_activity() if s.id != TEMPORARY_ID_BASE]

    def is_streaming(self, session_id: int) -> bool:
        """Whether the chat is busy with a reply (it takes no new message until it ends)."""
        return session_id in self._slots

    def recover_interrupted(self, session_id: int | None = None) -> list[Message]:
        """Mark replies left ``streaming`` by a crash as stopped, keeping their text.

        Call at start-up, before any reply streams (a reply streaming right now in
        this process is left alone). Jobs left running become pending again.
        """
        recovered = []
        for message in self._store.messages.interrupted():
            if session_id is not None and message.session_id != session_id:
                continue
            if message.session_id in self._slots:
                continue
            if self._store.claims.held_elsewhere(message.session_id):
                continue  # another process is streaming it right now: not interrupted
            recovered.append(self._store.messages.finish(message.id, MessageStatus.STOPPED, error=INTERRUPTED_NOTE))
        if session_id is None:
            self._store.upkeep_state.reset_interrupted()
        return recovered

    # --- operations ------------------------------------------------------------------------

    async def send(
        self, session_id: int, text: str, *, model: str | None = None, strategy: Strategy | None = None
    ) -> AsyncGenerator[ReplyEvent, None]:
        """Save ``text`` as the user's next message and stream the reply.

        ``model`` and ``strategy`` override the chat's for this reply only.
        Raises (before any event) NotFound for an unknown chat, DesktopChatError
        for an empty message or a chat that is already streaming.
        """
        if not text.strip():
            raise EmptyInput("The message is empty: type something to send.")
        store = self.store_for(session_id)
        session = store.sessions.get(session_id)
        async with self._claim(session_id) as slot:

            def save() -> Message:
                with store.db.transaction():
                    if session.archived:  # writing in a chat is using it: it comes back from the archive
                        store.sessions.update(session_id, archived=False)
                    return store.messages.append(session_id, Role.USER, text)

            user = await when_free(store.db, save, giving_up=NOT_SAVED)
            async for event in self._reply(slot, store, session_id, user, model_override=model, strategy=strategy):
                yield event

    async def retry(
        self, session_id: int, *, model: str | None = None, strategy: Strategy | None = None
    ) -> AsyncGenerator[ReplyEvent, None]:
        """Send the last user message again after a failed or stopped reply.

        The failed (or stopped) reply leaves the active branch but stays in the
        database, so the chat never shows two replies to one message.
        """
        async for event in self._answer_again(session_id, only_after_failure=True, model=model, strategy=strategy):
            yield event

    async def regenerate(
        self, session_id: int, *, model: str | None = None, strategy: Strategy | None = None
    ) -> AsyncGenerator[ReplyEvent, None]:
        """A new reply to the last user message; the old reply is superseded (kept, inactive)."""
        async for event in self._answer_again(session_id, only_after_failure=False, model=model, strategy=strategy):
            yield event

    async def _answer_again(
        self, session_id: int, *, only_after_failure: bool, model: str | None, strategy: Strategy | None
    ) -> AsyncGenerator[ReplyEvent, None]:
        """Reply anew to the last user message, superseding the reply after it (if any)."""
        store = self.store_for(session_id)
        store.sessions.get(session_id)
        async with self._claim(session_id) as slot:
            last = self._last(store, session_id)
            if last.role is Role.USER:
                user = last
            elif only_after_failure and last.status not in (
                MessageStatus.FAILED,
                MessageStatus.STOPPED,
                MessageStatus.STREAMING,
            ):
                raise NotAllowed("The last reply in this chat did not fail: there is nothing to retry.")
            else:
                user = self._user_before(store, last)
                await when_free(store.db, lambda: self._supersede(store, last))
            async for event in self._reply(slot, store, session_id, user, model_override=model, strategy=strategy):
                yield event

    async def edit_and_resend(
        self,
        session_id: int,
        message_id: int,
        new_text: str,
        *,
        model: str | None = None,
        strategy: Strategy | None = None,
    ) -> AsyncGenerator[ReplyEvent, None]:
        """Replace a user message: it and everything after it are superseded, the new text is answered."""
        if not new_text.strip():
            raise EmptyInput("The edited message is empty: type something to send.")
        store = self.store_for(session_id)
        old = store.messages.get(message_id)
        if old.session_id != session_id or old.role is not Role.USER or not old.active:
            raise NotFound(f"Message {message_id} is not one of your current messages in chat {session_id}.")
        async with self._claim(session_id) as slot:
            # Checked again under the claim: another process may have edited the chat meanwhile.
            if not store.messages.get(message_id).active:
                raise NotFound(f"Message {message_id} is not one of your current messages in chat {session_id}.")

            def save() -> Message:
                with store.db.transaction():
                    store.messages.deactivate_from(session_id, message_id)
                    # The summary and facts may have taken in what just left the branch.
                    after_branch(store, session_id, message_id)
                    return store.messages.append(session_id, Role.USER, new_text, parent_id=old.parent_id)

            user = await when_free(store.db, save, giving_up=NOT_SAVED)
            async for event in self._reply(slot, store, session_id, user, model_override=model, strategy=strategy):
                yield event

    def stop(self, session_id: int | None = None) -> bool:
        """Stop the streaming reply of ``session_id`` (or every one); the partial reply is kept."""
        stopped = False
        for sid, slot in list(self._slots.items()):
            if session_id is not None and sid != session_id:
                continue
            turn = slot.turn
            if turn is not None and turn.pump is not None and not turn.pump.done():
                turn.pump.cancel()
                stopped = True
        return stopped

    # --- the reply ------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _claim(self, session_id: int) -> AsyncIterator[_Slot]:
        """One reply per chat at a time: a second send while one streams is refused.

        Within this process by ``_slots``; across processes (the window and the
        CLI, two CLIs) by a claim row in the database, heartbeated while held,
        which raises ``Busy`` when another live process holds it.
        """
        if self._closed:
            raise NotAllowed("The app is shutting down; start it again to send.")
        if session_id in self._slots:
            raise Busy("A reply is still streaming in this chat: wait for it or stop it first.")
        slot = _Slot(session_id)
        store = self.store_for(session_id)
        self._slots[session_id] = slot  # before waiting for the claim: a second send meanwhile is refused
        try:
            if store is self._store:  # a temporary chat lives in this process's memory: nobody else can reach it
                slot.claim = await HeldClaim.take(store.claims, session_id, on_lost=lambda: self.stop(session_id))
            yield slot
        finally:
            self._release(slot)

    def _release(self, slot: _Slot) -> None:
        if slot.claim is not None:
            slot.claim.release()  # idempotent: called when the reply ends and again when the operation does
        # Only our own claim: the chat may already have been claimed again by the next message.
        if self._slots.get(slot.session_id) is slot:
            del self._slots[slot.session_id]

    def _supersede(self, store: Store, reply: Message) -> None:
        """Take a reply off the active branch (kept in the database, reachable through parent_id)."""
        with store.db.transaction():
            if reply.status is MessageStatus.STREAMING:  # left by a crash: record how it ended
                store.messages.finish(reply.id, MessageStatus.STOPPED, error=INTERRUPTED_NOTE)
            store.messages.deactivate_from(reply.session_id, reply.id)
            # A summary (keep_last 0) may already hold the reply that just left the branch.
            after_branch(store, reply.session_id, reply.id)

    def _last(self, store: Store, session_id: int) -> Message:
        newest = store.messages.newest(session_id, 1)
        if not newest:
            raise NotFound(f"Chat {session_id} has no messages yet: send one first.")
        return newest[0]

    def _user_before(self, store: Store, reply: Message) -> Message:
        user = store.messages.get(reply.parent_id) if reply.parent_id is not None else None
        if user is None or user.role is not Role.USER or not user.active:
            raise NotFound(f"The reply {reply.id} does not follow a message of yours; send a new message instead.")
        return user

    async def _reply(
        self,
        slot: _Slot,
        store: Store,
        session_id: int,
        user: Message,
        *,
        model_override: str | None,
        strategy: Strategy | None,
    ) -> AsyncGenerator[ReplyEvent, None]:
        settings = self.settings
        session = store.sessions.get(session_id)
        target = self.target(session, settings, model_override)
        profile, model = target.profile, target.model
        self.channel.publish(MessagesChanged(session_id))  # the user's message is saved
        try:
            # Loading an encoding takes ~0.3 s the first time: do it off the loop's thread.
            await asyncio.to_thread(_warm_counters, model)
            plan = self.plan(session_id, strategy=strategy, model=model, settings=settings)
            client = await self.client_for(profile)
            assistant = await when_free(store.db, lambda: _begin_reply(store, user, plan, model))
        except DesktopChatError as exc:
            log.warning("reply in chat %s failed before the request: %s", session_id, exc)
            yield Failed(session_id, user.id, None, exc, retryable=exc.retryable)
            return
        turn = Turn(store, session_id, user, assistant.id, plan, model, self._save_interval)
        slot.turn = turn
        # The request is built from the plan alone, so the memory inspector shows the truth.
        request = [ChatMessage(Role(m["role"]), m["content"]) for m in plan.request_messages()]
        pump = turn.pump = asyncio.create_task(self._pump(turn, client, request), name=f"reply-{assistant.id}")
        # From a done-callback, not the pump's ``finally``: a pump cancelled before it ever ran
        # (Stop pressed right after Started) has no ``finally`` to run, and the reply would wait forever.
        pump.add_done_callback(lambda _: turn.queue.put_nowait(DONE))
        try:
            yield Started(session_id, user.id, assistant.id, plan, model)
            while not isinstance(item := await turn.queue.get(), Done):
                yield item
        finally:
            await self._end_turn(slot, turn)  # also when the caller's task is cancelled or this generator closed

        final = turn.final
        assert final is not None
        if turn.error is not None:
            log.warning("reply %s in chat %s failed: %s", assistant.id, session_id, turn.error)
            yield Failed(session_id, user.id, assistant.id, turn.error, retryable=turn.error.retryable)
            return
        if final.status is MessageStatus.STOPPED:
            yield Stopped(final)
            return
        usage = turn.end.usage if turn.end else None
        calibrated = False
        if usage is not None:
            self.calibrations.observe(model, plan.total_tokens, usage.prompt_tokens)
            calibrated = True
        # Scheduled before Finished goes out (it only creates a task), so the caller sees it as running.
        # The profile that keeps the chat's memory and names it; its client is this reply's when it is the same.
        keeper = upkeep_profile(profile, settings)
        keeper_client = client if keeper is profile else None
        await self._upkeep_after_reply(store, session, plan.strategy, keeper, keeper_client, settings=settings)
        if not store.sessions.get(session_id).title and session_id not in self._titles:
            # In the background: the caller is done with the reply at Finished, the title arrives as an event.
            self._titles[session_id] = asyncio.create_task(
                self._title(
                    store,
                    session_id,
                    keeper,
                    keeper_client,
                    user_text=user.content,
                    reply=final.content,
                ),
                name=f"title-{session_id}",
            )
        yield Finished(final, usage, plan.total_tokens, calibrated)

    async def _upkeep_after_reply(
        self,
        store: Store,
        session: Session,
        strategy: Strategy,
        keeper: ProviderProfile | None,
        client: ChatClient | None,
        *,
        settings: Settings,
    ) -> None:
        """Schedule the chat's memory upkeep on ``client``, else the client of ``keeper`` (None: no upkeep)."""
        if keeper is None:
            return
        upkeep_client = client
        if upkeep_client is None:
            # The starter model's chats: upkeep goes to the profile named by local_upkeep_profile.
            try:
                upkeep_client = await self.client_for(keeper)
            except DesktopChatError as exc:
                log.warning("no memory upkeep for chat %s: profile %s: %s", session.id, keeper.name, exc)
                return
        self._schedule_upkeep(
            store, session, strategy=strategy, client=upkeep_client, model=keeper.upkeep_model, settings=settings
        )

    async def _end_turn(self, slot: _Slot, turn: Turn) -> None:
        """Stop the stream if it still runs, save the reply's final state, free the chat."""
        pump = turn.pump
        try:
            if pump is not None and not pump.done():
                pump.cancel()
                await asyncio.wait({pump})
            # Shielded: a caller that stops waiting (closing) leaves the text to be saved all the same.
            await asyncio.shield(self._keep(turn.settle()))
        finally:
            self._release(slot)  # the chat takes its next message now, even while a title is being made
            self._published_end(turn.store, turn.session_id)

    def _keep(self, saving: asyncio.Task[Message]) -> asyncio.Task[Message]:
        # The loop holds tasks weakly: a final save outliving its reply's caller is held here.
        self._saving.add(saving)
        saving.add_done_callback(self._saving.discard)
        return saving

    def _published_end(self, store: Store, session_id: int) -> None:
        """Tell views the reply ended: its message changed, and so did the chat's activity."""
        self.channel.publish(MessagesChanged(session_id))
        with contextlib.suppress(DesktopChatError):  # the chat may have been deleted meanwhile
            self.channel.publish(SessionChanged(store.sessions.get(session_id)))

    async def _pump(self, turn: Turn, client: ChatClient, request: list[ChatMessage]) -> None:
        """Read the stream into the turn: saves on a timer, the final status at the end."""
        try:
            async for event in client.stream_chat(request, model=turn.model, max_tokens=reply_limit(turn.plan)):
                if isinstance(event, TextDelta):
                    turn.add(event.text)
                    turn.queue.put_nowait(Delta(turn.assistant_id, event.text))
                else:
                    turn.end = event
        except asyncio.CancelledError:
            turn.finish(MessageStatus.STOPPED)
            raise
        except DesktopChatError as exc:
            turn.error = exc
            turn.finish(MessageStatus.FAILED, error=str(exc))
        except Exception as exc:
            log.exception("streaming reply %s failed unexpectedly", turn.assistant_id)
            turn.error = DesktopChatError(f"The reply failed unexpectedly ({type(exc).__name__}); see the log.")
            turn.finish(MessageStatus.FAILED, error=str(turn.error))
        else:
            turn.finish(MessageStatus.COMPLETE)

    async def _title(
        self,
        store: Store,
        session_id: int,
        keeper: ProviderProfile | None,
        client: ChatClient | None,
        *,
        user_text: str,
        reply: str,
    ) -> None:
        """Name the chat with the model that keeps its memory; without one, with the user's first words.

        The starter model is too small to summarise an exchange in a few words (it answers things like
        "The user's response is a perfect example of"), so its chats are named like a failed title
        request, unless ``local_upkeep_profile`` names a profile to do it.
        """
        try:
            title = fallback_title(user_text)
            if keeper is not None:
                with contextlib.suppress(DesktopChatError):
                    client = client or await self.client_for(keeper)
                if client is not None:
                    title, _ = await make_title(
                        client, keeper.upkeep_model, user_text, reply, seconds=self._title_timeout
                    )
            # Checked again after the wait: the user may have named the chat (or deleted it) meanwhile.
            if not store.sessions.exists(session_id) or store.sessions.get(session_id).title:
                return
            rename = functools.partial(store.sessions.update, session_id, title=title)
            session = await when_free(store.db, rename)
            self.channel.publish(TitleChanged(session_id, title))
            self.channel.publish(SessionChanged(session))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("naming chat %s failed", session_id)
        finally:
            self._titles.pop(session_id, None)

    # --- memory upkeep ----------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every change event (see ``core/events.py``); returns the unsubscribe."""
        return self.channel.subscribe(listener)

    def upkeep_status(self, session_id: int) -> Mapping[JobName, JobState]:
        return upkeep_status(self.store_for(session_id), session_id)

    def upkeep_running(self, session_id: int) -> bool:
        task = self._upkeep.get(session_id)
        return task is not None and not task.done()

    async def wait_for_upkeep(self, seconds: float | None = None) -> bool:
        """Wait for background work (upkeep, titles); False when some was still running after ``seconds``."""
        tasks = [t for t in (*self._upkeep.values(), *self._titles.values()) if not t.done()]
        if not tasks:
            return True
        _, pending = await asyncio.wait(tasks, timeout=seconds)
        return not pending

    def _schedule_upkeep(
        self,
        store: Store,
        session: Session,
        *,
        strategy: Strategy,
        client: ChatClient,
        model: str,
        settings: Settings,
    ) -> None:
        # A temporary chat never writes memory: no summary, no facts.
        jobs = () if session.temporary else jobs_for(strategy)
        if not jobs or self._closed:
            return
        running = self._upkeep.get(session.id)
        if running is not None and not running.done():
            self._upkeep_again.add(session.id)  # it runs once more when the current run ends
            return
        self._upkeep[session.id] = asyncio.create_task(
            self._run_upkeep(store, session.id, jobs=jobs, client=client, model=model, settings=settings),
            name=f"upkeep-{session.id}",
        )

    async def _run_upkeep(
        self,
        store: Store,
        session_id: int,
        *,
        jobs: tuple[JobName, ...],
        client: ChatClient,
        model: str,
        settings: Settings,
    ) -> None:
        busy_until = time.monotonic() + waiting.PATIENCE
        while True:
            self._upkeep_again.discard(session_id)
            self.channel.publish(UpkeepChanged(session_id, True, upkeep_status(store, session_id)))
            try:
                report = await run_upkeep(store, client, session_id, model=model, settings=settings, jobs=jobs)
                if "facts" in jobs:
                    # An edit may have taken a message off the branch while its facts were being extracted.
                    retire_facts_off_branch(store, session_id)
                self.publish_upkeep_results(session_id, report, settings)
            except asyncio.CancelledError:
                raise
            except DatabaseBusy:  # another program writes: run again once it may be done, for a while
                if time.monotonic() < busy_until:
                    await asyncio.sleep(UPKEEP_BUSY_PAUSE)
                    self._upkeep_again.add(session_id)
                else:
                    log.warning("memory upkeep for session %s gave up: the database stayed locked", session_id)
            except Exception:
                # run_upkeep records its own failures; this is a bug or a deleted chat: log, do not crash.
                log.exception("memory upkeep for session %s failed", session_id)
            finally:
                with contextlib.suppress(StorageError):  # the temporary store may be closed by now
                    self.channel.publish(UpkeepChanged(session_id, False, upkeep_status(store, session_id)))
            if session_id not in self._upkeep_again:
                return

    def publish_upkeep_results(self, session_id: int, report: UpkeepReport, settings: Settings) -> None:
        results = report.results
        if "summary" in results and results["summary"].status == "done":
            self.channel.publish(SummaryChanged(session_id))
        if "facts" in results and results["facts"].status == "done":
            self.channel.publish(FactsChanged(fact_scope(settings, session_id)))

    # --- shutdown ---------------------------------------------------------------------------

    async def aclose(self, *, wait: float = 0.0) -> None:
        """Stop streaming replies, give upkeep ``wait`` seconds to finish, cancel the rest, close clients."""
        self._closed = True
        self.stop()
        pumps = [s.turn.pump for s in self._slots.values() if s.turn is not None and s.turn.pump is not None]
        if pumps:
            await asyncio.wait(pumps)
        if self._saving:  # replies' text waiting for another program's lock: give it a last chance
            await asyncio.wait(self._saving, timeout=max(wait, SAVE_GRACE))
        if wait > 0:
            await self.wait_for_upkeep(wait)
        tasks = [t for t in (*self._upkeep.values(), *self._titles.values()) if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        await self.forget_clients()
        if self._temporary is not None:
            self._temporary.close()
            self._temporary = None


def starter_model_strategy(
    profile: ProviderProfile, settings: Settings, wanted: Strategy | None
) -> tuple[Strategy | None, Omission | None]:
    """The strategy a chat on the built-in starter model uses, and why it is not the one asked for.

    SmolLM2-135M recalled 4 of 24 stated facts and its summaries kept at most half of the
    planted details while adding false ones (issue 14): on it, strategies that need memory
    upkeep fall back to recall (the recent window plus search), which needs none.
    """
    chosen = wanted or settings.default_strategy
    if not uses_starter_model(profile, settings) or not jobs_for(chosen) or settings.starter_upkeep() is not None:
        return wanted, None  # with local_upkeep_profile set, another profile's model keeps the memory
    reason = (
        f"memory upkeep is off on the built-in starter model (too small to summarise or extract facts "
        f"reliably): '{chosen}' falls back to 'recall' (recent messages plus search)"
    )
    return Strategy.RECALL, Omission(PartKind.SUMMARY, reason)


def strategy_choice(profile: ProviderProfile, settings: Settings, chosen: Strategy | None) -> StrategyChoice:
    """What a chat's requests really use, for every label that names its strategy (header, sidebar, inspector)."""
    wanted = chosen or settings.default_strategy
    effective, _ = starter_model_strategy(profile, settings, chosen) if profile.is_builtin else (chosen, None)
    effective = effective or wanted
    if effective is wanted:
        return StrategyChoice(chosen, settings.default_strategy, effective)
    brief = f"{wanted} needs upkeep"
    return StrategyChoice(chosen, settings.default_strategy, effective, f"{brief}: the starter model keeps none", brief)


def reply_limit(plan: ContextPlan) -> int | None:
    """A cap on the reply for models the app does not know (local servers), else None.

    llama.cpp and friends generate until end-of-text or a full context when no
    limit is sent, which can hold a single-slot local server for minutes; the cap
    is what is left of the context window after the prompt. Known OpenAI models
    keep the server's own limit: the o-series and gpt-5 refuse ``max_tokens``.
    """
    if model_limits(plan.model) is not None:
        return None
    return max(plan.context_window - plan.total_tokens, 16)


def _begin_reply(store: Store, user: Message, plan: ContextPlan, model: str) -> Message:
    """The reply's row (streaming, empty) and the plan it is made from, in one step."""
    with store.db.transaction():
        assistant = store.messages.append(
            user.session_id, Role.ASSISTANT, "", status=MessageStatus.STREAMING, parent_id=user.id, model=model
        )
        store.reply_plans.save(assistant.id, user.session_id, plan)  # "why this reply", kept with the reply
        return assistant


def _warm_counters(model: str) -> None:
    TokenCounter.for_model(model)
    stored_token_count(Role.USER, "")  # the database's own encoding (o200k_base)
