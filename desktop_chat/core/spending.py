"""What requests used and cost: one record per request, and totals (per chat, per month, per kind).

Plain data, shared by the storage layer that keeps it, the meter that writes it and the views
that show it. A cost is US dollars; ``None`` is unknown (no price known), never counted as $0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

# What a request was for: the reply, or the memory upkeep around it.
UsageKind = Literal["reply", "facts", "summary", "title"]
USAGE_KINDS: tuple[UsageKind, ...] = ("reply", "facts", "summary", "title")
UPKEEP_KINDS: tuple[UsageKind, ...] = ("facts", "summary", "title")
KIND_NAMES: dict[UsageKind, str] = {
    "reply": "replies",
    "facts": "fact extraction",
    "summary": "summaries",
    "title": "titles",
}
PricingKind = Literal["free", "priced", "unknown"]


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """One request: its tokens (the provider's, or ours when ``estimated``) and its cost then."""

    id: int
    at: datetime
    session_id: int | None
    message_id: int | None  # the reply, for kind "reply"
    kind: UsageKind
    profile: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    estimated: bool  # the provider sent no usage: counted with our tokenizer
    pricing: PricingKind
    cost_usd: float | None  # 0.0 when free, None when unknown
    priced_by: str  # where the price came from, for a tooltip


def format_cost(cost: float | None, *, free: bool = False, estimated: bool = False) -> str:
    """A cost as people read it: "$0.0012", "≈$0.314", "$2.40", "free", "cost unknown"."""
    if cost is None:
        return "cost unknown"
    if free:
        return "free"
    mark = "≈" if estimated else ""
    if 0 < cost < 0.0001:
        return f"{mark}<$0.0001"
    digits = 4 if cost < 0.01 else 3 if cost < 1 else 2
    return f"{mark}${cost:,.{digits}f}" if cost else f"{mark}$0"


def requests_text(count: int) -> str:
    return f"{count:,} request" if count == 1 else f"{count:,} requests"


def record_cost_text(record: UsageRecord) -> str:
    """One request's cost: "$0.0012", "≈$0.0012" (our count of its tokens), "free", "cost unknown"."""
    return format_cost(record.cost_usd, free=record.pricing == "free", estimated=record.estimated)


@dataclass(frozen=True, slots=True)
class KindTotals:
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0  # the requests whose cost is known
    unknown: int = 0  # requests whose cost is unknown (not in cost_usd)
    estimated: int = 0  # requests counted with our tokenizer
    free: int = 0  # requests to a local server or the built-in model

    @property
    def known_cost(self) -> float | None:
        """The dollars of the requests whose cost is known; None when no request's cost is."""
        return None if self.requests and self.unknown == self.requests else self.cost_usd

    def cost_text(self) -> str:
        """ "$0.42", "≈$0.42" (some counted by our tokenizer), "$0.42 + 3 unknown", "free", "cost unknown"."""
        if self.requests and self.free == self.requests:
            return "free"
        text = format_cost(self.known_cost, estimated=self.estimated > 0)
        if self.unknown and self.known_cost is not None:
            text += f" + {self.unknown} unknown"
        return text


@dataclass(frozen=True, slots=True)
class Totals:
    """Requests of a span (a chat, a month), by kind."""

    kinds: dict[UsageKind, KindTotals] = field(default_factory=dict)

    def of(self, *kinds: UsageKind) -> KindTotals:
        """The kinds summed (none given: all)."""
        chosen = [self.kinds[k] for k in (kinds or USAGE_KINDS) if k in self.kinds]
        return KindTotals(
            requests=sum(t.requests for t in chosen),
            prompt_tokens=sum(t.prompt_tokens for t in chosen),
            completion_tokens=sum(t.completion_tokens for t in chosen),
            cost_usd=sum(t.cost_usd for t in chosen),
            unknown=sum(t.unknown for t in chosen),
            estimated=sum(t.estimated for t in chosen),
            free=sum(t.free for t in chosen),
        )

    @property
    def all(self) -> KindTotals:
        return self.of()

    @property
    def upkeep(self) -> KindTotals:
        return self.of(*UPKEEP_KINDS)


@dataclass(frozen=True, slots=True)
class RequestCost:
    """What the next request will cost: its prompt, and at most ``reply_tokens`` of reply.

    ``cost_usd`` is the most it can cost (the whole reply cap used), ``input_usd`` the prompt alone;
    both 0.0 when free, None when the price is unknown.
    """

    pricing: PricingKind
    priced_by: str
    model: str
    prompt_tokens: int
    reply_tokens: int
    input_usd: float | None
    cost_usd: float | None

    def text(self) -> str:
        """ "≤ $0.0012 · 8,123 tokens in + up to 1,000 out (...)", "free (local) · ...", "cost unknown · ..."."""
        tokens = f"{self.prompt_tokens:,} tokens in + up to {self.reply_tokens:,} out"
        if self.pricing == "free":
            return f"free (local) · {tokens}"
        if self.cost_usd is None:
            return f"cost unknown · {tokens} ({self.priced_by})"
        return f"≤ {format_cost(self.cost_usd)} · {tokens} (prompt {format_cost(self.input_usd)}; {self.priced_by})"
