"""What the conversation controller tells its caller: plain frozen dataclasses, no Qt.

One reply yields ``Started``, any number of ``Delta``s and exactly one of
``Finished`` / ``Stopped`` / ``Failed`` (a failure before the request, such as a
message too large for the budget, yields ``Failed`` alone). ``TitleChanged`` may
follow the end of the first exchange. Background work (memory upkeep) is
reported to subscribers as ``UpkeepChanged``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from desktop_chat.core.errors import DesktopChatError
from desktop_chat.core.models import ContextPlan, JobName, JobState, Message, Usage


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
    """The next piece of the reply, in order."""

    assistant_message_id: int
    text: str


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
    session_id: int
    title: str


@dataclass(frozen=True, slots=True)
class UpkeepChanged:
    """Memory upkeep for a session started (``running``) or ended; ``states`` says how each job stands."""

    session_id: int
    running: bool
    states: Mapping[JobName, JobState]


ReplyEvent = Started | Delta | Finished | Stopped | Failed | TitleChanged
Event = ReplyEvent | UpkeepChanged
