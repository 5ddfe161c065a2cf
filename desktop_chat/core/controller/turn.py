"""One streaming reply's text, its periodic saves and its final save; no Qt.

The text lives here first and in the database second: a save that meets
another program's write lock leaves the text in memory and tries again on the
next tick, so a held lock costs nothing but time, and a kill loses at most
``save_interval`` of what arrived once the lock is free.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from desktop_chat.core.controller.tool_calls import ToolCalls
from desktop_chat.core.errors import DatabaseBusy, DesktopChatError, StorageError
from desktop_chat.core.events import Delta, Event, ToolActivity
from desktop_chat.core.memory.history import stored_token_count
from desktop_chat.core.metering import ProfileMeter
from desktop_chat.core.models import (
    ChatMessage,
    ContextPlan,
    Message,
    MessageStatus,
    Part,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    Usage,
)
from desktop_chat.core.providers import ChatClient, StreamEnd, TextDelta, ToolCallDelta
from desktop_chat.core.storage.store import Store
from desktop_chat.core.storage.waiting import when_free
from desktop_chat.core.tokens import TokenCounter

log = logging.getLogger(__name__)


class Done:
    """End-of-stream marker in a turn's queue."""


DONE = Done()


@dataclass
class Turn:
    """One streaming reply: its text so far, its save timer, how it ended."""

    store: Store
    session_id: int
    user: Message
    assistant_id: int
    plan: ContextPlan
    model: str
    save_interval: float
    publish: Callable[[Event], None] = field(default=lambda _: None)  # the workspace's channel
    meter: ProfileMeter | None = None  # records the reply's usage and cost (None: not recorded)
    queue: asyncio.Queue[Delta | ToolActivity | Done] = field(default_factory=asyncio.Queue)
    parts: list[str] = field(default_factory=list)
    saved_chars: int = 0
    chars: int = 0
    last_save: float = field(default_factory=time.monotonic)
    timer: asyncio.TimerHandle | None = None
    pump: asyncio.Task[None] | None = None
    end: StreamEnd | None = None
    error: DesktopChatError | None = None
    ending: tuple[MessageStatus, str | None] | None = None
    final: Message | None = None
    saving: asyncio.Task[Message] | None = None
    tool_calls: ToolCalls = field(default_factory=ToolCalls)
    # Rounds of a tool loop already done (controller/tool_loop.py): their text, calls and results, in order.
    rounds: list[Part] = field(default_factory=list)
    round_start: int = 0  # where the current round's text starts in ``parts``
    billed: Usage | None = None  # every round's usage summed, for the cost (``end`` keeps the first request's)

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.chars += len(text)
        if self.timer is not None:
            return  # a save is already due; it will take this text too
        delay = self.last_save + self.save_interval - time.monotonic()
        if delay <= 0:
            self.save()
        else:
            self.timer = asyncio.get_running_loop().call_later(delay, self.save)

    def save(self) -> None:
        """Write what has arrived; runs on the loop thread (timer callback or inline)."""
        self.timer = None
        self.last_save = time.monotonic()
        if self.chars == self.saved_chars or self.ending is not None:
            return
        try:
            self.store.messages.update_content(self.assistant_id, self.text)
        except DatabaseBusy:
            # Another program writes: keep the text and try again soon, even if no more text comes.
            self.timer = asyncio.get_running_loop().call_later(self.save_interval, self.save)
            return
        except StorageError as exc:  # a full disk must not kill the stream; the final save tries again
            log.warning("could not save the streaming reply %s: %s", self.assistant_id, exc)
            return
        self.saved_chars = self.chars

    def finish(self, status: MessageStatus, *, error: str | None = None) -> None:
        """Record how the reply ended (the first ending wins); ``settle`` saves it."""
        if self.ending is None:
            self.ending = (status, error)
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    async def stream(
        self,
        client: ChatClient,
        request: Sequence[ChatMessage],
        max_tokens: int | None,
        tools: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        """One request's stream into the turn: text, tool calls, the end."""
        # Without tools the call is as before issue 24: a client (a test's, a wrapper) that takes none still works.
        events = (
            client.stream_chat(request, model=self.model, max_tokens=max_tokens, tools=tools)
            if tools
            else client.stream_chat(request, model=self.model, max_tokens=max_tokens)
        )
        async for event in events:
            if isinstance(event, TextDelta):
                self.add(event.text)
                delta = Delta(self.session_id, self.assistant_id, event.text)
                self.publish(delta)  # every view follows the reply, whoever iterates it
                self.queue.put_nowait(delta)
            elif isinstance(event, ToolCallDelta):
                self.tool_calls.add(event)  # run by controller/tool_loop.py when tools are on
            else:
                self.end = event

    def round_text(self) -> str:
        return "".join(self.parts[self.round_start :])

    def close_round(self, calls: Sequence[ToolCallPart], results: Sequence[ToolResultPart]) -> None:
        """A round that called tools is over: keep its text, calls and results; the next round starts empty."""
        text = self.round_text()
        self.rounds.extend([*((TextPart(text),) if text else ()), *calls, *results])
        self.round_start = len(self.parts)
        self.tool_calls = ToolCalls()

    def show(self, activity: ToolActivity) -> None:
        """A tool call's progress, to whoever iterates the reply and to every view."""
        self.publish(activity)
        self.queue.put_nowait(activity)

    async def read(
        self,
        client: ChatClient,
        request: list[ChatMessage],
        max_tokens: int | None,
        *,
        body: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Read the reply into the turn (the ``pump`` task): saves on a timer, the final status at the end.
        ``body``: the tool loop's rounds instead of one stream (``controller/tool_loop.py``)."""
        try:
            await (body() if body is not None else self.stream(client, request, max_tokens))
        except asyncio.CancelledError:
            self.finish(MessageStatus.STOPPED)
            raise
        except DesktopChatError as exc:
            self.error = exc
            self.finish(MessageStatus.FAILED, error=str(exc))
        except Exception as exc:
            log.exception("streaming reply %s failed unexpectedly", self.assistant_id)
            self.error = DesktopChatError(f"The reply failed unexpectedly ({type(exc).__name__}); see the log.")
            self.finish(MessageStatus.FAILED, error=str(self.error))
        else:
            self.finish(MessageStatus.COMPLETE)

    def settle(self) -> asyncio.Task[Message]:
        """The final save, started once: it waits for another program's lock as long as it takes.

        A task of its own, so that a caller giving up (Stop pressed twice, the window
        closing) does not give up the text with it.
        """
        if self.saving is None:
            self.finish(MessageStatus.STOPPED)
            self.saving = asyncio.get_running_loop().create_task(
                when_free(self.store.db, self._write_final, forever=True), name=f"save-reply-{self.assistant_id}"
            )
        return self.saving

    def _write_final(self) -> Message:
        assert self.ending is not None
        status, error = self.ending
        text = self.text
        messages = self.store.messages
        calls = self.tool_calls.parts()
        last = self.round_text()
        # With tool rounds: their parts, then the last round's text and any calls it had not run.
        kept = (*self.rounds, *((TextPart(last),) if last else ()), *calls) if self.rounds else None
        if kept is None and calls:
            kept = ((TextPart(text),) if text else ()) + calls
        if status is MessageStatus.COMPLETE:
            self.final = messages.finish(
                self.assistant_id,
                status,
                content=text,
                parts=kept,
                token_count=stored_token_count(Role.ASSISTANT, text),
                usage=self.end.usage if self.end else None,
                model=self.end.model if self.end else None,
            )
        elif status is MessageStatus.STOPPED and not text and not calls and not self.rounds:
            # Nothing arrived: an empty reply would only be sent back to the model later.
            with self.store.db.transaction():
                messages.finish(self.assistant_id, status, content="", error=error)
                messages.deactivate_from(self.session_id, self.assistant_id)
            self.final = messages.get(self.assistant_id)
        else:
            self.final = messages.finish(self.assistant_id, status, content=text, error=error, parts=kept)
        self._record(text)
        return self.final

    def _record(self, text: str) -> None:
        """The reply's usage and cost: the provider's count, else ours (a stopped reply, a server that sends none).

        A reply that brought nothing is not counted: it failed before the model answered, or was stopped
        before its first word (what a provider bills for that is unknown).
        """
        usage = self.billed or (self.end.usage if self.end is not None else None)
        if self.meter is None or (usage is None and not text and not self.tool_calls.parts()):
            return
        model = self.end.model if self.end is not None and self.end.model else self.model
        estimate = (
            (0, 0) if usage is not None else (self.plan.total_tokens, TokenCounter.for_model(model).count_text(text))
        )
        self.meter.record("reply", self.session_id, model, usage, estimate=estimate, message_id=self.assistant_id)


def warm_counters(model: str) -> None:
    """Load the model's encoding and the database's own (o200k_base): ~0.3 s the first time, so off the loop."""
    TokenCounter.for_model(model)
    stored_token_count(Role.USER, "")
