"""The conversation controller: send, stop, retry, regenerate, edit-and-resend; no Qt.

Every operation is an async generator of events (``core/events.py``). The
order of work is what makes it safe:

1. the user's message is committed before anything can fail on the network;
2. the context plan is made, and the request is built from
   ``plan.chat_messages()`` (what ``plan.request_messages()`` shows) and nothing else;
3. the assistant message is created with status ``streaming``, and what has
   arrived is saved at least every ``save_interval`` seconds (on a timer, never
   per delta) and at the end with status complete / stopped / failed.

The HTTP stream is read by a task the controller owns, so ``stop()`` (or cancelling the task that iterates)
closes the stream and keeps the partial reply. Memory upkeep runs in background tasks after a reply and
never delays it; ``aclose()`` waits for or cancels them.

This is the reply engine; the seams around it (client pool, store router, upkeep
scheduler, slots, naming, targets) are the other modules of this package.

The database has one owner: everything here runs on the event loop's thread.
Only work that does not touch the database (loading token encodings, building
a client, which may read the keyring) goes to a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from typing import Any

from desktop_chat.core.controller.branches import (
    begin_reply,
    last_message,
    recover_interrupted,
    supersede,
    user_before,
)
from desktop_chat.core.controller.clients import ClientPool
from desktop_chat.core.controller.naming import ChatNamer
from desktop_chat.core.controller.planning import PlanRequest, plan_for
from desktop_chat.core.controller.slots import ReplySlots, Slot
from desktop_chat.core.controller.stores import StoreRouter
from desktop_chat.core.controller.targets import Target, profile_for, reply_limit, target_for
from desktop_chat.core.controller.tool_loop import ToolBox, start_tools, tool_rounds
from desktop_chat.core.controller.turn import DONE, Done, Turn, warm_counters
from desktop_chat.core.controller.upkeep_scheduler import UpkeepScheduler
from desktop_chat.core.errors import DesktopChatError, EmptyInput, NotAllowed, NotFound
from desktop_chat.core.events import (
    EventChannel,
    Failed,
    Finished,
    Listener,
    MessagesChanged,
    ReplyEvent,
    SessionChanged,
    Started,
    Stopped,
)
from desktop_chat.core.memory.branching import after_branch
from desktop_chat.core.metering import Meter
from desktop_chat.core.models import (
    Attachment,
    ContextPlan,
    FilePart,
    ImagePart,
    JobName,
    JobState,
    Message,
    MessageStatus,
    Role,
    Session,
    Strategy,
    TextPart,
)
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.providers import ChatClient
from desktop_chat.core.providers.local.builtin import upkeep_profile
from desktop_chat.core.services import ClientFactory
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.parts import with_text
from desktop_chat.core.storage.store import Store
from desktop_chat.core.storage.waiting import when_free
from desktop_chat.core.tokens import Calibrations

log = logging.getLogger(__name__)

SAVE_INTERVAL = 0.5  # seconds; a crash loses at most this much of a streaming reply
SAVE_GRACE = 5.0  # seconds closing waits for a reply's final save held up by another program's lock
NOT_SAVED = "your message was not saved: send it again once that program is done."


class ConversationController:
    """Drives chats: one streaming reply per session at a time, upkeep in the background.

    ``clients``: the factory ``(ProviderProfile, Settings) -> ChatClient`` every client comes
    from (``services.client_factory``); clients are cached per profile and closed by ``aclose()``.
    ``settings``: fixed settings, or None to read the store's current ones per reply.
    """

    def __init__(
        self,
        store: Store,
        clients: ClientFactory,
        settings: Settings | None = None,
        *,
        save_interval: float = SAVE_INTERVAL,
        title_timeout: float = 20.0,
        channel: EventChannel | None = None,
        stores: StoreRouter | None = None,  # the workspace's, shared with its facades
    ) -> None:
        self._store = store
        self._stores = stores or StoreRouter(store)
        self._settings = settings
        self._clients = ClientPool(clients, lambda: self.settings)
        self._save_interval = save_interval
        self._slots = ReplySlots()
        self._saving: set[asyncio.Task[Message]] = set()  # final saves of replies, waiting for a lock
        self.channel = channel or EventChannel()
        self.meter = Meter(store)  # every request's usage and cost, in the saved store
        self.upkeep = UpkeepScheduler(self.channel, self.client_for, self.meter)
        self._namer = ChatNamer(self.channel, self.client_for, self.meter, timeout=title_timeout)
        self.calibrations = Calibrations()
        self.tools: ToolBox | None = None  # MCP tools (issue 24), set by the workspace: controller/tool_loop.py
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
        return self._stores.for_session(session_id)

    def store_for_message(self, message_id: int) -> Store:
        return self._stores.for_message(message_id)

    def stores(self) -> list[Store]:
        """Every open store (the data folder's, and the temporary chats' when there are any)."""
        return self._stores.stores()

    def profile_for(self, session: Session, settings: Settings | None = None) -> ProviderProfile:
        return profile_for(session, settings or self.settings)

    def target(self, session: Session, settings: Settings | None = None, model: str | None = None) -> Target:
        """The profile and model a chat's next request uses: the override, else the chat's, else the profile's."""
        return target_for(session, settings or self.settings, model)

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
        attachments: Sequence[Attachment] = (),
    ) -> ContextPlan:
        """What the chat's next request contains: the one function both ``send`` and the inspector's preview use.

        ``draft``: text not sent yet, planned as the newest user message (None: answer the
        newest stored one), with ``attachments``. A temporary chat reads the saved global facts but never
        writes memory.
        """
        settings = settings or self.settings
        store = self.store_for(session_id)
        target = self.target(store.sessions.get(session_id), settings, model)
        ask = PlanRequest(draft, strategy, options, budget, query, attachments)
        tools = self.tools.offered(settings) if self.tools is not None else ()
        return plan_for(store, self._store, session_id, target, settings, ask=ask, tools=tools)

    async def client_for(self, profile: ProviderProfile) -> ChatClient:
        return await self._clients.client_for(profile)

    async def forget_clients(self) -> None:
        """Close cached clients, e.g. after the user changed a key or a base URL."""
        await self._clients.forget()

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
        store = self._stores.for_new(temporary=temporary)
        return store.sessions.create(
            title, strategy=strategy, model=model, profile=profile, system_prompt=system_prompt, temporary=temporary
        )

    def temporary_sessions(self) -> list[Session]:
        return self._stores.temporary_sessions()

    def is_streaming(self, session_id: int) -> bool:
        """Whether the chat is busy with a reply (it takes no new message until it ends)."""
        return self._slots.busy(session_id)

    def recover_interrupted(self, session_id: int | None = None) -> list[Message]:
        """Mark replies left ``streaming`` by a crash as stopped, keeping their text.

        Call at start-up, before any reply streams (a reply streaming right now in
        this process is left alone). Jobs left running become pending again.
        """
        return recover_interrupted(self._store, session_id, busy=self._slots.busy)

    # --- operations ------------------------------------------------------------------------

    async def send(
        self,
        session_id: int,
        text: str,
        *,
        model: str | None = None,
        strategy: Strategy | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> AsyncGenerator[ReplyEvent, None]:
        """Save ``text`` (with ``attachments``, already stored) as the user's next message and stream the reply.

        ``model`` and ``strategy`` override the chat's for this reply only.
        Raises (before any event) NotFound for an unknown chat, DesktopChatError
        for an empty message or a chat that is already streaming.
        """
        if not text.strip() and not attachments:
            raise EmptyInput("The message is empty: type something to send.")
        store = self.store_for(session_id)
        session = store.sessions.get(session_id)
        parts = ((TextPart(text),) if text.strip() else ()) + tuple(a.part() for a in attachments)
        async with self._claim(session_id) as slot:

            def save() -> Message:
                with store.db.transaction():
                    if session.archived:  # writing in a chat is using it: it comes back from the archive
                        store.sessions.update(session_id, archived=False)
                    for attachment in attachments:  # a temporary chat's store gets its own rows
                        store.attachments.add(attachment)
                    return store.messages.append(session_id, Role.USER, text, parts=parts if attachments else None)

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
            last = last_message(store, session_id)
            if last.role is Role.USER:
                user = last
            elif only_after_failure and last.status not in (
                MessageStatus.FAILED,
                MessageStatus.STOPPED,
                MessageStatus.STREAMING,
            ):
                raise NotAllowed("The last reply in this chat did not fail: there is nothing to retry.")
            else:
                user = user_before(store, last)
                await when_free(store.db, lambda: supersede(store, last))
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
                    # The new text replaces the old; the files the message carried stay with it.
                    files = any(isinstance(p, FilePart | ImagePart) for p in old.parts)
                    parts = with_text(old.parts, new_text) if files else None
                    return store.messages.append(session_id, Role.USER, new_text, parent_id=old.parent_id, parts=parts)

            user = await when_free(store.db, save, giving_up=NOT_SAVED)
            async for event in self._reply(slot, store, session_id, user, model_override=model, strategy=strategy):
                yield event

    def stop(self, session_id: int | None = None) -> bool:
        """Stop the streaming reply of ``session_id`` (or every one); the partial reply is kept."""
        stopped = False
        for slot in self._slots.all():
            if session_id is not None and slot.session_id != session_id:
                continue
            turn = slot.turn
            if turn is not None and turn.pump is not None and not turn.pump.done():
                turn.pump.cancel()
                stopped = True
        return stopped

    # --- the reply ------------------------------------------------------------------------

    def _claim(self, session_id: int) -> contextlib.AbstractAsyncContextManager[Slot]:
        """The chat's slot for one reply (see ``slots``); refused while the app shuts down."""
        if self._closed:
            raise NotAllowed("The app is shutting down; start it again to send.")
        store = self.store_for(session_id)
        shared = store if self._stores.is_saved(store) else None
        return self._slots.claim(session_id, shared, on_lost=lambda: self.stop(session_id))

    async def _reply(
        self,
        slot: Slot,
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
            # Tool servers start meanwhile (issue 24): their tools' definitions are part of the plan.
            await asyncio.gather(asyncio.to_thread(warm_counters, model), start_tools(self.tools, settings))
            plan = self.plan(session_id, strategy=strategy, model=model, settings=settings)
            client = await self.client_for(profile)
            assistant = await when_free(store.db, lambda: begin_reply(store, user, plan, model))
        except DesktopChatError as exc:
            log.warning("reply in chat %s failed before the request: %s", session_id, exc)
            yield Failed(session_id, user.id, None, exc, retryable=exc.retryable)
            return
        meter = self.meter.bound(profile)
        turn = Turn(
            store, session_id, user, assistant.id, plan, model, self._save_interval, self.channel.publish, meter
        )
        slot.turn = turn
        # The request is built from the plan alone (images included), so the memory inspector shows the truth.
        request = plan.chat_messages()
        body = tool_rounds(self.tools, turn, client, request, settings=settings, profile=profile)  # tools, issue 24
        pump = turn.pump = asyncio.create_task(
            turn.read(client, request, reply_limit(plan), body=body), name=f"reply-{assistant.id}"
        )
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
        keeper_client = client if keeper is not None and keeper.name == profile.name else None
        await self.upkeep.after_reply(store, session, plan.strategy, keeper, keeper_client, settings=settings)
        if not store.sessions.get(session_id).title:
            self._namer.name_later(
                store, session_id, keeper, keeper_client, user_text=user.content, reply=final.content
            )
        yield Finished(final, usage, plan.total_tokens, calibrated)

    async def _end_turn(self, slot: Slot, turn: Turn) -> None:
        """Stop the stream if it still runs, save the reply's final state, free the chat."""
        pump = turn.pump
        try:
            if pump is not None and not pump.done():
                pump.cancel()
                await asyncio.wait({pump})
            # Shielded: a caller that stops waiting (closing) leaves the text to be saved all the same.
            await asyncio.shield(self._keep(turn.settle()))
        finally:
            self._slots.release(slot)  # the chat takes its next message now, even while a title is being made
            self._published_end(turn.store, turn.session_id, turn.assistant_id)

    def _keep(self, saving: asyncio.Task[Message]) -> asyncio.Task[Message]:
        # The loop holds tasks weakly: a final save outliving its reply's caller is held here.
        self._saving.add(saving)
        saving.add_done_callback(self._saving.discard)
        return saving

    def _published_end(self, store: Store, session_id: int, assistant_id: int) -> None:
        """Tell views the reply ended: its message changed (no Delta for it follows), and so did the chat's activity."""
        self.channel.publish(MessagesChanged(session_id, ended_reply=assistant_id))
        with contextlib.suppress(DesktopChatError):  # the chat may have been deleted meanwhile
            self.channel.publish(SessionChanged(store.sessions.get(session_id)))

    # --- memory upkeep ----------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every change event (see ``core/events.py``); returns the unsubscribe."""
        return self.channel.subscribe(listener)

    def upkeep_status(self, session_id: int) -> Mapping[JobName, JobState]:
        return self.upkeep.status(self.store_for(session_id), session_id)

    def upkeep_running(self, session_id: int) -> bool:
        return self.upkeep.running(session_id)

    async def wait_for_upkeep(self, seconds: float | None = None) -> bool:
        """Wait for background work (upkeep, titles); False when some was still running after ``seconds``."""
        tasks = self._background()
        if not tasks:
            return True
        _, pending = await asyncio.wait(tasks, timeout=seconds)
        return not pending

    def _background(self) -> list[asyncio.Task[None]]:
        return [*self.upkeep.pending(), *self._namer.pending()]

    # --- shutdown ---------------------------------------------------------------------------

    async def aclose(self, *, wait: float = 0.0) -> None:
        """Stop streaming replies, give upkeep ``wait`` seconds to finish, cancel the rest, close clients."""
        self._closed = True
        self.upkeep.close()
        self.stop()
        pumps = [s.turn.pump for s in self._slots.all() if s.turn is not None and s.turn.pump is not None]
        if pumps:
            await asyncio.wait(pumps)
        if self._saving:  # replies' text waiting for another program's lock: give it a last chance
            await asyncio.wait(self._saving, timeout=max(wait, SAVE_GRACE))
        if wait > 0:
            await self.wait_for_upkeep(wait)
        tasks = self._background()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        await self.forget_clients()
        self._stores.close()
