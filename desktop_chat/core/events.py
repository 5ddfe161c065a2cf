"""What the core tells its front ends: plain frozen dataclasses, no Qt.

Two ways out:

* a reply is an async generator: ``Started``, any number of ``Delta``s and
  exactly one of ``Finished`` / ``Stopped`` / ``Failed`` (a failure before the
  request, such as a message too large for the budget, yields ``Failed`` alone);
  each ``Delta`` is also published on the channel, and the reply's end as
  ``MessagesChanged(ended_reply=...)``, so every view follows a reply it did not start;
* every change to what a view shows (sessions, messages, facts, summary,
  settings, upkeep, a title made in the background, another process's writes)
  is published on one ``EventChannel``, whoever caused it, so a view never
  re-queries after an action it did not start.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from desktop_chat.core.errors import DesktopChatError
from desktop_chat.core.models import ContextPlan, JobName, JobState, Message, Session, Usage
from desktop_chat.core.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Started:
    """The user message is saved, the request is about to go out, built from ``plan`` alone."""

    session_id: int
    user_message_id: int
    assistant_message_id: int
    plan: ContextPlan
    model: str


@dataclass(frozen=True, slots=True)
class Delta:
    """The next piece of the reply, in order; also published on the channel, so any view can follow a reply."""

    session_id: int
    assistant_message_id: int
    text: str


ToolState = Literal["asking", "running", "done", "denied"]


@dataclass(frozen=True, slots=True)
class ToolActivity:
    """A tool call of a reply (issue 24): ``asking`` (waits for approve or deny), ``running``, then ``done``
    (``result``, ``is_error``, ``seconds``) or ``denied`` (``result`` says why). Yielded by the reply
    between its ``Delta``s and published on the channel, like them."""

    session_id: int
    assistant_message_id: int
    call_id: str
    tool: str  # as the model named it: SERVER__TOOL, or a built-in tool's name
    arguments: str  # the JSON the model wrote
    state: ToolState
    result: str = ""
    is_error: bool = False
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Finished:
    """The reply is complete and saved (``message.status`` is complete)."""

    message: Message
    usage: Usage | None
    # The prompt tokens we estimated for the plan, and whether the server's usage confirmed
    # a calibration for this model (the GUI shows "≈" until it has).
    estimated_prompt_tokens: int = 0
    calibrated: bool = False


@dataclass(frozen=True, slots=True)
class Stopped:
    """The user stopped the reply; what had arrived is saved with status stopped.

    A reply stopped before any text arrived is taken off the active branch
    (``message.active`` is False): there is nothing to keep in the conversation.
    """

    message: Message


@dataclass(frozen=True, slots=True)
class Failed:
    """No (complete) reply. The user message stays; ``retry`` sends it again.

    ``assistant_message_id`` is None when the failure came before the request
    (message too large, no API key); otherwise that message holds any partial
    text with status failed and ``error`` set. ``retryable``: trying again
    unchanged may work (network, rate limit, server error), as opposed to
    needing a fix first (key, model name, a shorter message).
    """

    session_id: int
    user_message_id: int
    assistant_message_id: int | None
    error: DesktopChatError
    retryable: bool

    @property
    def message(self) -> str:
        return str(self.error)


@dataclass(frozen=True, slots=True)
class TitleChanged:
    """A title was made for the chat in the background after its first reply."""

    session_id: int
    title: str


@dataclass(frozen=True, slots=True)
class UpkeepChanged:
    """Memory upkeep for a session started (``running``) or ended; ``states`` says how each job stands."""

    session_id: int
    running: bool
    states: Mapping[JobName, JobState]


@dataclass(frozen=True, slots=True)
class LocalModelChanged:
    """The built-in model's server is ``starting``, ``ready``, ``failed`` or ``stopped``.

    ``detail``: one line to show (a status bar, the terminal).
    """

    state: str
    detail: str


@dataclass(frozen=True, slots=True)
class IndexingProgress:
    """Messages being indexed for recall by meaning, in the background: ``done`` of ``total`` so far.

    ``finished``: the pass ended (``done`` messages were indexed).
    """

    done: int
    total: int
    finished: bool = False


@dataclass(frozen=True, slots=True)
class SessionCreated:
    session: Session


@dataclass(frozen=True, slots=True)
class SessionChanged:
    """Title, pin, archive, strategy, activity or any other property of a chat changed."""

    session: Session


@dataclass(frozen=True, slots=True)
class SessionDeleted:
    session_id: int


@dataclass(frozen=True, slots=True)
class MessagesChanged:
    """The chat's messages changed: one was added, finished, edited away or superseded.

    ``ended_reply``: the assistant message whose reply just ended (its final state is
    saved; no ``Delta`` for it follows), so a view that buffered its streamed text,
    whether or not it iterates the reply, can let that text go.
    """

    session_id: int
    ended_reply: int | None = None


@dataclass(frozen=True, slots=True)
class FactsChanged:
    """Facts changed; ``session_id`` None: global facts (visible in every chat)."""

    session_id: int | None
    fact_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class SummaryChanged:
    session_id: int


@dataclass(frozen=True, slots=True)
class SettingsChanged:
    settings: Settings


@dataclass(frozen=True, slots=True)
class ExternalChange:
    """Another process (the command line, a second window) changed the database: reload what is shown."""


ReplyEvent = Started | Delta | ToolActivity | Finished | Stopped | Failed
ChangeEvent = (
    SessionCreated
    | SessionChanged
    | SessionDeleted
    | MessagesChanged
    | FactsChanged
    | SummaryChanged
    | SettingsChanged
    | UpkeepChanged
    | TitleChanged
    | ExternalChange
    | LocalModelChanged
    | IndexingProgress
)
Event = ReplyEvent | ChangeEvent
Listener = Callable[[Event], None]


class EventChannel:
    """The one channel every change is published on; listeners run synchronously, in order, on the loop's thread."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every published event; returns the unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def publish(self, event: Event) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                # One broken view must not stop the others, nor the core that published.
                log.exception("an event listener failed on %s", type(event).__name__)
