"""Frozen dataclasses and enums shared by every layer (repositories return these and nothing else, so the UI
and the CLI never see a ``sqlite3.Row`` or an SDK object). The jobs' types are in ``jobs.py``, re-exported."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Literal

from desktop_chat.core.image_content import ImageContent, with_images
from desktop_chat.core.jobs import *  # noqa: F403 - re-exported: callers import the upkeep jobs' types from here
from desktop_chat.core.request_cap import BudgetLimit, RequestCap, budget_reason

JSONDict = dict[str, Any]

# Tokens every chat request spends priming the reply (``<|start|>assistant<|message|>``).
REPLY_PRIMING_TOKENS = 3
# Tokens every chat message costs on top of its role and content.
MESSAGE_OVERHEAD_TOKENS = 3


class Role(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"  # a tool's result, answering an assistant's ToolCallPart (issue 24)


class MessageStatus(StrEnum):
    COMPLETE = "complete"
    STREAMING = "streaming"
    STOPPED = "stopped"
    FAILED = "failed"


class Strategy(StrEnum):
    FULL = "full"
    WINDOW = "window"
    SUMMARY = "summary"
    FACTS = "facts"
    RECALL = "recall"
    HYBRID = "hybrid"


@dataclass(frozen=True, slots=True)
class StrategyChoice:
    """The strategy a chat asked for (None: the default), the one its requests really use, and why they differ."""

    chosen: Strategy | None
    default: Strategy
    effective: Strategy
    why: str = ""  # empty when the effective strategy is the one asked for
    brief: str = ""  # ``why`` in a few words, for a narrow header

    @property
    def wanted(self) -> Strategy:
        return self.chosen if self.chosen is not None else self.default

    @property
    def label(self) -> str:
        """One form for every view: "Hybrid", or "Recall (hybrid needs upkeep: the starter model keeps none)"."""
        name = str(self.effective).capitalize()
        return f"{name} ({self.why})" if self.why else name

    @property
    def short_label(self) -> str:
        """``label`` for a narrow place: "Recall (hybrid needs upkeep)"."""
        name = str(self.effective).capitalize()
        return f"{name} ({self.brief or self.why})" if self.why else name


class FactStatus(StrEnum):
    ACTIVE = "active"
    PENDING = "pending"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"
    DELETED = "deleted"


class FactOrigin(StrEnum):
    EXTRACTED = "extracted"
    USER = "user"


@dataclass(frozen=True, slots=True)
class Usage:
    """Token usage as the provider reported it."""

    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int = 0  # of the prompt tokens, those the provider read from its cache (billed less)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True)
class Session:
    id: int
    title: str
    created_at: datetime
    updated_at: datetime
    strategy: Strategy | None = None  # None: use the default from settings
    strategy_options: JSONDict = field(default_factory=dict)
    system_prompt: str = ""
    model: str | None = None
    profile: str | None = None
    pinned: bool = False
    archived: bool = False
    temporary: bool = False
    message_count: int = 0
    origin: str | None = None  # stable id across export and import: a uuid, or a fingerprint of imported content


@dataclass(frozen=True, slots=True)
class TextPart:
    """Text the user typed or the model wrote."""

    text: str
    kind: ClassVar[str] = "text"


@dataclass(frozen=True, slots=True)
class FilePart:
    """An attached file, stored once under its content hash (``sha256`` hex) in the data folder."""

    sha256: str
    name: str
    media_type: str
    kind: ClassVar[str] = "file"


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An attached image, stored like a file; sent as an image part to models that read images."""

    sha256: str
    name: str
    media_type: str
    kind: ClassVar[str] = "image"


@dataclass(frozen=True, slots=True)
class ToolCallPart:
    """A tool the assistant asked to run; ``arguments_json`` exactly as the model wrote it (may be invalid JSON)."""

    call_id: str
    name: str
    arguments_json: str
    kind: ClassVar[str] = "tool_call"


@dataclass(frozen=True, slots=True)
class ToolResultPart:
    """What a tool returned for ``call_id`` (in a ``Role.TOOL`` message)."""

    call_id: str
    content: str
    is_error: bool = False
    # How long the call took (shown beside it); not part of what the result is, so not compared.
    seconds: float | None = field(default=None, compare=False)
    kind: ClassVar[str] = "tool_result"


Part = TextPart | FilePart | ImagePart | ToolCallPart | ToolResultPart


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file the user attached: its bytes stored once under ``sha256`` in the data folder's ``attachments``.

    ``text``: what was read from a document (None for an image, whose ``width``/``height`` are known instead);
    ``units``/``unit_name``: its pages, slides or sheets when it has them.
    """

    sha256: str
    name: str
    media_type: str
    size: int
    text: str | None = None
    units: int | None = None
    unit_name: str = ""
    width: int | None = None
    height: int | None = None

    @property
    def is_image(self) -> bool:
        return self.media_type.startswith("image/")

    def part(self) -> FilePart | ImagePart:
        """The message part that refers to it."""
        return (ImagePart if self.is_image else FilePart)(self.sha256, self.name, self.media_type)


def text_of(parts: tuple[Part, ...]) -> str:
    """The joined text of the text parts: what ``Message.content`` is, what FTS indexes and tokens count."""
    if len(parts) == 1 and isinstance(parts[0], TextPart):
        return parts[0].text  # nearly every message: no join
    return "".join(part.text for part in parts if isinstance(part, TextPart))


@dataclass(frozen=True, slots=True)
class Message:
    """One message: its ``parts`` in order; ``content`` is the text of its text parts."""

    id: int
    session_id: int
    parent_id: int | None
    role: Role
    parts: tuple[Part, ...]
    created_at: datetime
    status: MessageStatus = MessageStatus.COMPLETE
    model: str | None = None
    token_count: int | None = None
    usage: Usage | None = None
    meta: JSONDict | None = None
    error: str | None = None
    active: bool = True  # False once an edit or regenerate superseded it

    @property
    def content(self) -> str:
        return text_of(self.parts)


@dataclass(frozen=True, slots=True)
class Summary:
    session_id: int
    text: str
    covers_through: int  # id of the last message the summary covers
    token_count: int
    model: str | None
    updated_at: datetime
    edited_by_user: bool = False


# Who changed a summary: the user (an edit or an undo), upkeep (a fold), the app (an edit's branch rollback, an import).
SummaryActor = Literal["user", "upkeep", "system"]


@dataclass(frozen=True, slots=True)
class SummaryState:
    """A summary as it was before one change to it, kept so the change can be undone.

    ``text`` None: the chat had no summary then. ``undo_of``: the change was an
    undo that brought back entry ``undo_of``; ``undone``: an undo already brought
    this state back. Undo restores the newest entry that is neither.
    """

    id: int
    session_id: int
    text: str | None
    covers_through: int | None
    token_count: int | None
    model: str | None
    edited_by_user: bool
    changed_by: SummaryActor  # who made the change that replaced this state
    changed_at: datetime
    undo_of: int | None = None
    undone: bool = False

    @property
    def undoable(self) -> bool:
        return self.undo_of is None and not self.undone


@dataclass(frozen=True, slots=True)
class Fact:
    id: int
    scope: int | None  # None: global; otherwise the id of the session it belongs to
    key: str
    value: str
    source_message_id: int | None
    source_quote: str | None
    origin: FactOrigin
    status: FactStatus
    pinned: bool
    created_at: datetime
    updated_at: datetime
    superseded_by: int | None = None
    edited_by_user: bool = False
    reason: str | None = None  # why it was rejected, when it was
    private: bool = False  # sent only to local models (a loopback server)


@dataclass(frozen=True, slots=True)
class FactEvent:
    id: int
    fact_id: int
    at: datetime
    actor: str  # "user", "extractor" or "system"
    action: str  # created, edited, pinned, unpinned, approved, rejected, superseded, deleted, restored
    old: JSONDict | None
    new: JSONDict | None


@dataclass(frozen=True, slots=True)
class SearchHit:
    session_id: int
    session_title: str
    message_id: int | None  # None when the hit is the session title
    snippet: str
    rank: float


# --- the context plan --------------------------------------------------------


class PartKind(StrEnum):
    INSTRUCTIONS = "instructions"  # the user's custom instructions (a setting), first in every request
    SYSTEM_PROMPT = "system_prompt"  # the chat's own system prompt
    TOOLS = "tools"  # the tool definitions offered with the request (issue 24): tokens, no messages
    PINNED_FACTS = "pinned_facts"
    FACTS = "facts"
    SUMMARY = "summary"
    RECALLED = "recalled"
    # A file of the message being answered, or recalled from an earlier one; sent right before that message.
    ATTACHMENT = "attachment"
    RECENT = "recent"


# The parts the budget never cuts: they are the user's words about how to answer.
INSTRUCTION_KINDS = frozenset({PartKind.INSTRUCTIONS, PartKind.SYSTEM_PROMPT})


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of a request, exactly as it is sent to the provider."""

    role: Role
    content: str
    # Within one reply's tool loop (issue 24): the calls an assistant message made, the call a tool message answers.
    tool_calls: tuple[ToolCallPart, ...] = ()
    tool_call_id: str | None = None
    images: tuple[ImageContent, ...] = ()  # sent after ``content`` as image parts (issue 23)

    def to_openai(self) -> dict[str, Any]:
        """The message as shown (``plan.request_messages()``): images' data URLs shortened."""
        if self.images:
            return {"role": self.role.value, "content": with_images(self.content, self.images, shown=True)}
        return {"role": self.role.value, "content": self.content}

    def wire(self) -> dict[str, Any]:
        """The message as the chat completions API takes it: tool calls and results, images (read now) included."""
        if self.tool_call_id is not None:
            return {"role": "tool", "tool_call_id": self.tool_call_id, "content": self.content}
        if self.images:
            return {"role": self.role.value, "content": with_images(self.content, self.images, shown=False)}
        if not self.tool_calls:
            return self.to_openai()
        calls = [
            {"id": c.call_id, "type": "function", "function": {"name": c.name, "arguments": c.arguments_json}}
            for c in self.tool_calls
        ]
        return {"role": self.role.value, "content": self.content or None, "tool_calls": calls}


@dataclass(frozen=True, slots=True)
class ContextPart:
    """One part of the next request, with where it came from and why it is there."""

    kind: PartKind
    messages: tuple[ChatMessage, ...]
    tokens: int
    reason: str
    message_ids: tuple[int, ...] = ()
    fact_ids: tuple[int, ...] = ()
    summary_through: int | None = None
    attachment: str | None = None  # the file (sha256) of an attachment part

    @property
    def count(self) -> int:
        """How many things the part holds, as a person counts them: the recent part's messages as
        sent (the user's message being written included), one file, else the stored messages or facts it uses."""
        if self.kind is PartKind.RECENT:
            return len(self.messages)
        if self.kind is PartKind.ATTACHMENT:
            return 1
        return len(self.message_ids) or len(self.fact_ids)


@dataclass(frozen=True, slots=True)
class Omission:
    """Something that could have gone into the request but did not, and why."""

    kind: PartKind
    reason: str
    tokens: int = 0
    message_ids: tuple[int, ...] = ()
    fact_ids: tuple[int, ...] = ()
    attachment: str | None = None  # the file (sha256) left out, in whole or in part


@dataclass(frozen=True, slots=True)
class ContextPlan:
    """Exactly what the next request contains. The request is built from this alone."""

    strategy: Strategy
    model: str
    budget: int  # tokens the prompt may use: window - reserved reply - margin
    context_window: int
    reserved_reply: int
    parts: tuple[ContextPart, ...]
    omitted: tuple[Omission, ...] = ()
    estimated: bool = True  # False once calibrated against provider usage
    context_window_source: str = "given"  # "given" (profile/caller), "model" (known table), "default" (a guess)
    exact_counts: bool = True  # False: the model's tokenizer is unknown and counts are o200k_base estimates
    draft_tokens: int = 0  # what the draft planned as the next message costs, overhead included (0: no draft)
    request_cap: RequestCap | None = None  # the cap in force for this chat (None: the caller resolved none)
    budget_limit: BudgetLimit = BudgetLimit.WINDOW
    notices: tuple[str, ...] = ()  # one line each, for the composer: "gpt-3.5-turbo does not read images: …"

    @property
    def total_tokens(self) -> int:
        """Prompt tokens including the reply priming the provider adds."""
        return sum(p.tokens for p in self.parts) + REPLY_PRIMING_TOKENS

    @property
    def fixed_tokens(self) -> int:
        """What is never cut to make room for the draft: the reply priming and the instructions (the custom
        instructions and the chat's system prompt).

        Everything else (facts, pinned ones too, the summary, recalled and older messages) yields to
        the message being written; these do not, and ``InputTooLarge`` is raised when they and the
        message exceed the budget.
        """
        system = sum(p.tokens for p in self.parts if p.kind in INSTRUCTION_KINDS or p.kind is PartKind.TOOLS)
        return REPLY_PRIMING_TOKENS + system

    @property
    def draft_room(self) -> int:
        """How many more tokens the draft may have before the request is refused (the memory makes way)."""
        return self.budget - self.fixed_tokens - self.draft_tokens

    @property
    def budget_reason(self) -> str:
        """Why the budget is what it is: "cap 16,000 (Settings)", "the model's window", "given for this plan"."""
        return budget_reason(self.budget_limit, self.request_cap)

    def chat_messages(self) -> list[ChatMessage]:
        """The request's messages: the parts' in order, attachments right before the message being answered."""
        attached = [m for p in self.parts if p.kind is PartKind.ATTACHMENT for m in p.messages]
        sent: list[ChatMessage] = []
        for part in self.parts:
            if part.kind is PartKind.RECENT and attached:
                sent += [*part.messages[:-1], *attached, part.messages[-1]]
                attached = []
            elif part.kind is not PartKind.ATTACHMENT:
                sent += part.messages
        return sent + attached

    def request_messages(self) -> list[dict[str, Any]]:
        """The request as shown: ``chat_messages`` in the API's shape, images' data URLs shortened."""
        return [m.to_openai() for m in self.chat_messages()]


@dataclass(frozen=True, slots=True)
class PartRecord:
    """A part (or an omission) of a request as stored after the reply: ids and counts, never the text."""

    kind: PartKind
    tokens: int
    reason: str
    message_ids: tuple[int, ...] = ()
    fact_ids: tuple[int, ...] = ()
    summary_through: int | None = None
    attachment: str | None = None  # the file (sha256) of an attachment part or omission

    @property
    def count(self) -> int:
        """As ``ContextPart.count``: every message of a sent request was stored, so its ids count them."""
        return 1 if self.kind is PartKind.ATTACHMENT else len(self.message_ids) or len(self.fact_ids)


@dataclass(frozen=True, slots=True)
class ReplyPlan:
    """The request that produced a reply, kept with the reply so "why this reply" survives restarts."""

    message_id: int  # the assistant message
    session_id: int
    created_at: datetime
    strategy: Strategy
    model: str
    budget: int
    context_window: int
    reserved_reply: int
    total_tokens: int  # our estimate of the prompt; the provider's count is on the message's usage
    exact_counts: bool
    parts: tuple[PartRecord, ...]
    omitted: tuple[PartRecord, ...] = ()

    @property
    def message_ids(self) -> tuple[int, ...]:
        return tuple(i for p in self.parts for i in p.message_ids)

    @property
    def fact_ids(self) -> tuple[int, ...]:
        return tuple(i for p in self.parts for i in p.fact_ids)
