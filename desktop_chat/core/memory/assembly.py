"""The work area a strategy fills: what is being answered, the tokens left, the parts chosen so far."""

from __future__ import annotations

from dataclasses import dataclass, field

from desktop_chat.core.memory.history import History
from desktop_chat.core.memory.options import MemoryOptions
from desktop_chat.core.models import REPLY_PRIMING_TOKENS, Attachment, ContextPart, Omission, Role, Session
from desktop_chat.core.storage.store import Store
from desktop_chat.core.tokens import TokenCounter

_COUNT_CACHE_SIZE = 256


@dataclass(frozen=True, slots=True)
class Anchor:
    """The user message the next reply answers."""

    id: int | None  # None: a draft, not stored yet
    content: str
    tokens: int
    attachments: tuple[Attachment, ...] = ()  # its files, each under the name it has in the message


class _PartCounts:
    """Counts of generated part texts (facts block, summary, quotes), which repeat on every keystroke."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str], int] = {}

    def count(self, counter: TokenCounter, text: str) -> int:
        key = (counter.encoding_name, text)
        tokens = self._counts.get(key)
        if tokens is None:
            if len(self._counts) >= _COUNT_CACHE_SIZE:
                self._counts.clear()
            tokens = counter.count_text(text)
            self._counts[key] = tokens
        return tokens


_part_counts = _PartCounts()


@dataclass(frozen=True, slots=True)
class Excerpted:
    """A file sent as excerpts: its part and omission, so the excerpts can grow into what memory leaves."""

    attachment: Attachment
    whole: int  # its tokens sent whole
    part: ContextPart
    omission: Omission


@dataclass
class Assembly:
    store: Store
    session: Session
    options: MemoryOptions
    counter: TokenCounter
    history: History
    budget: int
    anchor: Anchor | None
    query: str
    facts_store: Store  # where the chat's facts live (the saved store, also for a temporary chat)
    local: bool = False  # the request goes to a local model: private facts may go in
    instructions: str = ""  # the user's custom instructions (the setting), sent before the chat's system prompt
    free: int = 0  # tokens still unspent; the anchor and the reply priming are paid for up front
    memory: int = 0  # what was free once the instructions and the anchor were in: the shares' base
    parts: list[ContextPart] = field(default_factory=list)
    omitted: list[Omission] = field(default_factory=list)
    recalled_ids: set[int] = field(default_factory=set)
    notices: list[str] = field(default_factory=list)  # for the composer: an image the model cannot read
    excerpted: list[Excerpted] = field(default_factory=list)  # the anchor's files sent as excerpts

    def __post_init__(self) -> None:
        self.free = self.budget - REPLY_PRIMING_TOKENS - (self.anchor.tokens if self.anchor else 0)

    @property
    def session_id(self) -> int:
        return self.session.id

    @property
    def below(self) -> int | None:
        """History ends before the stored message being answered (a draft comes after everything)."""
        return self.anchor.id if self.anchor else None

    def start_memory(self) -> None:
        self.memory = max(self.free, 0)

    def share(self, fraction: float) -> int:
        return int(self.memory * fraction)

    def system_tokens(self, text: str) -> int:
        """Tokens of one system message holding ``text``, overhead included."""
        return self.counter.count_message(Role.SYSTEM, "") + _part_counts.count(self.counter, text)

    def text_tokens(self, text: str) -> int:
        return _part_counts.count(self.counter, text)

    def add(self, part: ContextPart, *, prepaid: int = 0) -> None:
        """Add a part; ``prepaid`` tokens of it (the anchor's) were paid for up front."""
        cost = part.tokens - prepaid
        if cost > self.free:
            raise AssertionError(f"{part.kind} part of {part.tokens} tokens overruns the {self.free} left")
        self.free -= cost
        self.parts.append(part)

    def omit(self, omission: Omission) -> None:
        self.omitted.append(omission)
