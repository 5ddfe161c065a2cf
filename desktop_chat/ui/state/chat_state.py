"""The open chat's state: its draft, the strategy being tried, and the plan of the next request.

One ``ChatState`` per chat view (the main window has one; a second window would make its
own) owns the next request: every change that may alter it (the draft typed, memory,
settings, the chat's strategy, another process's write, a reply ending, the chat
switched) asks for ONE preview through ``Workspace.preview``, the function ``send``
uses, after a short debounce. The composer (its count), the chat (its "not in
context" marks) and the inspector (the plan tree) subscribe to ``planChanged`` /
``countChanged`` and never preview on their own, so they always show the same plan
object.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from desktop_chat.core.errors import DesktopChatError, InputTooLarge
from desktop_chat.ui.signal_types import ID

if TYPE_CHECKING:
    import asyncio

    from desktop_chat.core.models import Attachment, ContextPlan, Session, Strategy
    from desktop_chat.ui.bridge import WorkspaceBridge

log = logging.getLogger(__name__)

TYPING_MS = 200  # typing pauses this long before the next request is planned again
CHANGE_MS = 60  # other changes (memory, settings, a reply ending) arrive in bursts: one preview per burst

WhatIf = tuple["Strategy", Mapping[str, Any]]  # a strategy and its options, tried before they are applied
Preview = Callable[..., "ContextPlan"]  # Workspace.preview(session_id, draft, strategy, options, attachments=)


class RecallQueries(Protocol):
    """What recall by meaning embeds for a draft (``workspace.memory``: ``MemoryFacade``)."""

    def pending_queries(self, session_id: int, draft: str) -> list[str]: ...

    async def embed_queries(self, texts: Sequence[str]) -> None: ...


@dataclass(frozen=True, slots=True)
class DraftCount:
    """The composer's count: the draft's tokens and the room left for it (None: nothing to show).

    ``left`` is ``ContextPlan.draft_room``: how many more tokens the draft may have before the
    request is refused, the memory making way for it; negative, how far over it is.
    """

    tokens: int | None = None
    left: int | None = None
    estimated: bool = True
    error: str = ""  # the one line saying why the draft could not be planned (too long, no provider, ...)


class ChatState(QObject):
    """Session, draft, what-if strategy and the next request's plan of one chat view; one debounced preview."""

    sessionChanged = Signal(object)  # the chat's id, or None
    draftChanged = Signal(str)
    whatIfChanged = Signal(object)  # WhatIf | None
    planChanged = Signal(object)  # ContextPlan | None (None: it could not be planned; ``error`` says why)
    countChanged = Signal(DraftCount)

    def __init__(self, preview: Preview | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._preview = preview
        self._busy: Callable[[int], bool] = _never_busy
        self.session_id: int | None = None
        self.draft = ""
        self.attachments: tuple[Attachment, ...] = ()  # the composer's files, ready to send with the draft
        self.what_if: WhatIf | None = None
        self.plan: ContextPlan | None = None
        self.error = ""
        self.count = DraftCount()
        self.ready = False  # no preview before start() (the window waits for the token encodings)
        self.previews = 0  # how many previews this state asked for (tests and the benchmark read it)
        self.refresh_ms: list[float] = []  # how long each preview and its subscribers took
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._due)
        self._recall: RecallQueries | None = None
        self._embedding: asyncio.Future[None] | None = None

    # --- wiring ----------------------------------------------------------------------------

    def set_preview(self, preview: Preview) -> None:
        """Plan through ``preview`` (the workspace's), from now on."""
        self._preview = preview

    def set_recall(self, recall: RecallQueries) -> None:
        """Before a draft's preview, embed what recall by meaning searches for it in a worker (``workspace.memory``)."""
        self._recall = recall

    def follow(self, bridge: WorkspaceBridge) -> None:
        """Plan again whenever the bridge says the next request may differ; skip chat marks during a reply."""
        self._busy = bridge.is_running
        bridge.memoryChanged.connect(self._memory_changed)  # messages, facts, summary, settings, upkeep
        bridge.sessionChanged.connect(self._session_changed)
        bridge.externalChange.connect(self.schedule)
        bridge.busyChanged.connect(self._busy_changed)

    def start(self) -> ContextPlan | None:
        """Previews may run from now on; the first one runs now."""
        self.ready = True
        return self.refresh()

    # --- what the views change ------------------------------------------------------------

    def set_session(self, session_id: int | None) -> ContextPlan | None:
        """Switch to the chat ``session_id``: no what-if; its plan is made now (None before ``start``)."""
        self.session_id = session_id
        self.what_if = None
        self.sessionChanged.emit(session_id)
        self.count = DraftCount()
        self.countChanged.emit(self.count)
        return self.refresh()

    @Slot(str)
    def set_draft(self, text: str) -> None:
        """The composer's text changed: plan it once typing pauses."""
        if text == self.draft:
            return
        self.draft = text
        self.draftChanged.emit(text)
        self.schedule(TYPING_MS)

    def set_attachments(self, attachments: tuple[Attachment, ...]) -> None:
        """The composer's files changed: the next request is planned with them (at once: it is one click)."""
        if attachments == self.attachments:
            return
        self.attachments = attachments
        self.schedule()

    def set_what_if(self, what_if: WhatIf | None) -> ContextPlan | None:
        """Try a strategy (and options) before applying it, or go back to the chat's own (None): planned now."""
        self.what_if = what_if
        self.whatIfChanged.emit(what_if)
        return self.refresh()

    @Slot()
    def schedule(self, delay_ms: int = CHANGE_MS) -> None:
        """Plan again after ``delay_ms``; a change arriving meanwhile restarts the wait (one preview per burst)."""
        self._timer.start(delay_ms)

    @property
    def scheduled(self) -> bool:
        """Whether a preview is on its way (its wait, or the draft's embedding before it)."""
        return self._timer.isActive() or (self._embedding is not None and not self._embedding.done())

    def stop(self) -> None:
        self._timer.stop()
        if self._embedding is not None:
            self._embedding.cancel()

    @Slot()
    def _due(self) -> None:
        """The wait is over: preview now, or once the draft's recall queries are embedded in a worker.

        Recall by meaning embeds the draft (the question and each aspect: 50-90 ms the first time) while
        planning, on this thread; embedded first, in a worker, the plan finds the vectors remembered.
        """
        texts = self._pending_queries()
        if not texts:
            self.refresh()
            return
        import asyncio  # here: the window's first paint (which imports this module) does without it

        self._embedding = asyncio.ensure_future(self._embed_then_refresh(texts))

    def _pending_queries(self) -> list[str]:
        recall, session_id = self._recall, self.session_id
        if recall is None or session_id is None or self._preview is None or not self.ready:
            return []
        try:
            return recall.pending_queries(session_id, self.draft)
        except DesktopChatError:
            return []  # the preview says what is wrong

    async def _embed_then_refresh(self, texts: list[str]) -> None:
        assert self._recall is not None
        previews = self.previews
        import asyncio

        try:
            await self._recall.embed_queries(texts)
        except asyncio.CancelledError:
            raise
        except Exception:  # the preview embeds what is missing itself, and says what failed its own way
            log.debug("embedding a draft's recall queries ahead of its preview failed", exc_info=True)
        # Anything changed meanwhile has planned (a chat switched) or will (the draft typed restarts the wait).
        if self.previews == previews and not self._timer.isActive():
            self.refresh()

    # --- the one preview ------------------------------------------------------------------

    @Slot()
    def refresh(self) -> ContextPlan | None:
        """Preview the next request now (the pending one, if any, is this one) and tell the subscribers."""
        self._timer.stop()
        session_id, preview = self.session_id, self._preview
        if session_id is None or preview is None or not self.ready:
            return None
        began = time.perf_counter()
        plan: ContextPlan | None
        strategy, options = self.what_if if self.what_if is not None else (None, None)
        self.previews += 1
        try:
            if self.attachments:
                plan = preview(session_id, self.draft, strategy, options, attachments=self.attachments)
            else:
                plan = preview(session_id, self.draft, strategy, options)
        except InputTooLarge as exc:
            # Counted, and too big to send: say by how much; the full sentence is the tooltip.
            plan, self.error = None, str(exc)
            self.count = DraftCount(exc.tokens, exc.room, True, str(exc))
        except DesktopChatError as exc:
            plan, self.error = None, str(exc)
            self.count = DraftCount(None, None, True, str(exc))
        else:
            assert plan is not None
            self.error = ""
            drafted = plan.draft_tokens if self.draft.strip() or self.attachments else 0
            self.count = DraftCount(drafted, plan.draft_room, plan.estimated)
        self.plan = plan
        self.planChanged.emit(plan)
        self.countChanged.emit(self.count)
        self.refresh_ms.append((time.perf_counter() - began) * 1000)
        return plan

    def is_busy(self) -> bool:
        """Whether the chat's reply is streaming (its marks then come from the request being answered)."""
        return self.session_id is not None and self._busy(self.session_id)

    # --- what the bridge reports ----------------------------------------------------------

    @Slot(object)
    def _memory_changed(self, session_id: int | None) -> None:
        if session_id is None or session_id == self.session_id:
            self.schedule()

    @Slot(object)
    def _session_changed(self, session: Session) -> None:
        if session.id == self.session_id:
            self.schedule()

    @Slot(ID, bool)
    def _busy_changed(self, session_id: int, busy: bool) -> None:
        if not busy and session_id == self.session_id:
            self.schedule()  # the reply ended: the next request now follows it


def _never_busy(_session_id: int) -> bool:
    return False
