"""The one Qt bridge: workspace events in, typed Qt signals out; it also runs each reply's task.

The workspace publishes plain dataclasses (``core.events``) on its channel and yields
reply events from async generators. The bridge matches them by class; a class it has
no case for fails mypy (``assert_never``) and ``tests/ui/test_bridge_events.py``.
Widgets never see the events' channel: they connect to these signals, and the window's
``ReplyRunner`` (``ui/window/reply_runner.py``) decides which replies to start.
Streamed text comes from the channel's ``Delta`` (any reply, whether this bridge runs
it or not), is buffered and flushed on a timer, so the view re-renders at most once per
flush however fast tokens arrive. ``streamed`` keeps each reply's whole text for a view
that opens the chat mid-reply; it is dropped when the channel says the reply ended
(``MessagesChanged.ended_reply``), so a bridge that only watched a reply keeps nothing.
The reply task (``run_reply``) brings ``Started`` and the ending to the window.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, assert_never

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from desktop_chat.core.errors import DesktopChatError
from desktop_chat.core.events import (
    Delta,
    Event,
    ExternalChange,
    FactsChanged,
    Failed,
    Finished,
    IndexingProgress,
    LocalModelChanged,
    MessagesChanged,
    ReplyEvent,
    SessionChanged,
    SessionCreated,
    SessionDeleted,
    SettingsChanged,
    Started,
    Stopped,
    SummaryChanged,
    TitleChanged,
    ToolActivity,
    UpkeepChanged,
)
from desktop_chat.ui.signal_types import ID

if TYPE_CHECKING:
    from desktop_chat.core.workspace import Workspace

log = logging.getLogger(__name__)

FLUSH_MS = 33  # ~30 repaints a second reads as smooth and leaves the loop idle most of the time


class WorkspaceBridge(QObject):
    # sessions
    sessionsChanged = Signal()  # the list or its order changed (created, changed, deleted, titled, external)
    sessionChanged = Signal(object)  # Session
    sessionDeleted = Signal(ID)
    titleChanged = Signal(ID, str)
    # content of a chat, memory, settings
    messagesChanged = Signal(ID)
    memoryChanged = Signal(object)  # session id or None (global facts): what the next request holds may differ
    settingsChanged = Signal(object)  # Settings
    upkeepChanged = Signal(ID, bool)  # session id, running
    externalChange = Signal()
    localModelChanged = Signal(str, str)  # the built-in model's state ("starting", "ready", ...), one line
    indexingProgress = Signal(int, int, bool)  # messages indexed for recall by meaning: done, total, finished
    # replies
    toolActivity = Signal(object)  # ToolActivity: a reply's tool call asking, running, done or denied
    replyStarted = Signal(object)  # Started
    replyText = Signal(ID, ID, str)  # session id, assistant message id, text appended since the last flush
    replyEnded = Signal(object)  # Finished | Stopped | Failed
    replyRejected = Signal(ID, str)  # session id, one line: the reply could not start (busy, empty, not found)
    busyChanged = Signal(ID, bool)  # session id, busy

    def __init__(self, workspace: Workspace, parent: QObject | None = None, *, flush_ms: int = FLUSH_MS) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._pending: dict[int, tuple[int, list[str]]] = {}  # assistant id -> (session id, chunks)
        # Everything streamed so far per reply, for a view that opens the chat mid-reply
        # (the database holds what was saved up to half a second ago).
        self.streamed: dict[int, list[str]] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(flush_ms)
        self._timer.timeout.connect(self.flush)
        self.longest_flush_ms = 0.0
        self._unsubscribe: Callable[[], None] | None = workspace.subscribe(self._on_event)

    # --- the channel -------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:  # noqa: PLR0912 - one case per event class
        """One workspace event to the signals that say what changed (matched by class, never by name)."""
        match event:
            case SessionCreated(session=session) | SessionChanged(session=session):
                self.sessionChanged.emit(session)
                self.sessionsChanged.emit()
            case SessionDeleted(session_id=session_id):
                self.sessionDeleted.emit(session_id)
                self.sessionsChanged.emit()
            case TitleChanged(session_id=session_id, title=title):
                self.titleChanged.emit(session_id, title)
                self.sessionsChanged.emit()
            case MessagesChanged(session_id=session_id, ended_reply=ended_reply):
                if ended_reply is not None:
                    self._drop(ended_reply)  # any reply's end, whoever iterated it
                self.messagesChanged.emit(session_id)
                self.memoryChanged.emit(session_id)
            case FactsChanged(session_id=session_id) | SummaryChanged(session_id=session_id):
                self.memoryChanged.emit(session_id)
            case SettingsChanged(settings=settings):
                self.settingsChanged.emit(settings)
                self.memoryChanged.emit(None)
            case UpkeepChanged(session_id=session_id, running=running):
                self.upkeepChanged.emit(session_id, running)
                if not running:
                    self.memoryChanged.emit(session_id)
            case ExternalChange():
                self.externalChange.emit()
            case LocalModelChanged(state=state, detail=detail):
                self.localModelChanged.emit(state, detail)
            case IndexingProgress(done=done, total=total, finished=finished):
                self.indexingProgress.emit(done, total, finished)
                if finished:
                    self.memoryChanged.emit(None)  # recall may now find by meaning what it found by words only
            case Delta(session_id=session_id, assistant_message_id=message_id, text=text):
                self._buffer(session_id, message_id, text)  # any reply, whoever iterates it
            case ToolActivity():
                self.toolActivity.emit(event)  # the chat shows the call inline; "asking" waits for the user
            case Started() | Finished() | Stopped() | Failed():
                pass  # reach the task that iterates the reply (_pump)
            case _:
                assert_never(event)  # mypy: every class of Event has a case; at run time, fails loudly

    # --- replies -----------------------------------------------------------------------

    def run_reply(self, session_id: int, events: AsyncIterator[ReplyEvent]) -> asyncio.Task[None]:
        """Iterate one reply's events in a task this bridge owns; Stop cancels it through the workspace."""
        task = asyncio.ensure_future(self._pump(session_id, events))
        self._tasks[session_id] = task
        task.add_done_callback(functools.partial(self._done, session_id))
        self.busyChanged.emit(session_id, True)
        return task

    def is_running(self, session_id: int) -> bool:
        task = self._tasks.get(session_id)
        return task is not None and not task.done()

    def stop(self, session_id: int) -> None:
        """Ask the workspace to stop (the partial reply is saved, ``Stopped`` follows)."""
        if not self.is_running(session_id):
            return
        if not self._workspace.stop(session_id):
            # Not streaming yet (still planning): cancelling the task closes the generator,
            # which saves what exists and releases the chat.
            self._tasks[session_id].cancel()

    async def _pump(self, session_id: int, events: AsyncIterator[ReplyEvent]) -> None:
        try:
            async for event in events:
                match event:
                    case Delta():
                        pass  # buffered from the channel (_on_event), like another window's replies
                    case Started():
                        self.flush()
                        self.replyStarted.emit(event)
                    case Finished(message=message) | Stopped(message=message):
                        self.flush()
                        self.streamed.pop(message.id, None)
                        self.replyEnded.emit(event)
                    case Failed(assistant_message_id=message_id):
                        self.flush()
                        if message_id is not None:
                            self.streamed.pop(message_id, None)
                        self.replyEnded.emit(event)
        except DesktopChatError as exc:
            self.flush()
            self.replyRejected.emit(session_id, str(exc))
        finally:
            self.flush()
            aclose = getattr(events, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()

    def _done(self, session_id: int, task: asyncio.Task[None]) -> None:
        if self._tasks.get(session_id) is task:
            del self._tasks[session_id]
        if not task.cancelled() and task.exception() is not None:
            log.error("A reply task failed: %s", task.exception())
        self.busyChanged.emit(session_id, False)
        self.messagesChanged.emit(session_id)

    def _buffer(self, session_id: int, message_id: int, text: str) -> None:
        self.streamed.setdefault(message_id, []).append(text)
        entry = self._pending.get(message_id)
        if entry is None:
            self._pending[message_id] = (session_id, [text])
        else:
            entry[1].append(text)
        if not self._timer.isActive():
            self._timer.start()

    def _drop(self, message_id: int) -> None:
        """The reply ended: hand over what is pending, then forget its text (the database holds it all now)."""
        self.flush()
        self.streamed.pop(message_id, None)

    @Slot()
    def flush(self) -> None:
        """Hand the buffered text to the view, one signal per streaming message."""
        if not self._pending:
            self._timer.stop()
            return
        began = time.perf_counter()
        pending, self._pending = self._pending, {}
        for message_id, (session_id, chunks) in pending.items():
            self.replyText.emit(session_id, message_id, "".join(chunks))
        self.longest_flush_ms = max(self.longest_flush_ms, (time.perf_counter() - began) * 1000)

    def text_so_far(self, message_id: int) -> str | None:
        chunks = self.streamed.get(message_id)
        return "".join(chunks) if chunks is not None else None

    async def aclose(self) -> None:
        """Stop listening, then wait for the reply tasks (the workspace has stopped them)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        tasks = [task for task in self._tasks.values() if not task.done()]
        for session_id in list(self._tasks):
            self.stop(session_id)
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=5.0)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=2.0)
        self._timer.stop()
