"""The request cap (``max_request_tokens``): the values it takes, the levels that set it, what decided a budget.

Set in Settings, on a provider profile and on a chat (its strategy options); the most specific level
that sets one wins. Below ``models`` so the settings, the profiles and the plan can all use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# A request cap (``max_request_tokens``): a whole number of tokens in this range.
MIN_REQUEST_CAP = 256
MAX_REQUEST_CAP = 10_000_000
NO_CAP_WORD = "window"  # what a user types for "no cap: the model's window"
CAP_OPTION = "max_request_tokens"  # the setting, the profile's field and the chat's option (strategy_options)


def parse_request_cap(value: Any, *, inherits: bool) -> int | None:
    """A request cap as a user or a file gives it; raises ValueError for anything else.

    ``inherits``: the value is a chat's or a profile's, where empty means "use the level above"
    (None) and ``window`` or 0 means "no cap" (0). For the global setting, which has no level
    above, empty, ``window`` and 0 all mean no cap (None).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and value.strip().lower() == NO_CAP_WORD:
        value = 0
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(value)
    if value == 0:
        return 0 if inherits else None
    if not MIN_REQUEST_CAP <= value <= MAX_REQUEST_CAP:
        raise ValueError(value)
    return value


REQUEST_CAP_RULE = (
    f"a whole number of tokens from {MIN_REQUEST_CAP} to {MAX_REQUEST_CAP}, or {NO_CAP_WORD!r} for no cap "
    "(the model's window)"
)


class CapLevel(StrEnum):
    """Where a request cap was set; the most specific level set wins (chat over profile over settings)."""

    SETTINGS = "settings"
    PROFILE = "profile"
    CHAT = "chat"


@dataclass(frozen=True, slots=True)
class RequestCap:
    """The most tokens one request may use, and the level that set it."""

    tokens: int | None  # None: no cap, the model's window is the limit
    level: CapLevel = CapLevel.SETTINGS
    profile: str = ""  # the profile's name when ``level`` is PROFILE

    def where(self) -> str:
        if self.level is CapLevel.CHAT:
            return "this chat"
        if self.level is CapLevel.PROFILE:
            return f"profile {self.profile}"
        return "Settings"

    def describe(self) -> str:
        """E.g. "16,000 (Settings)", or "the model's window (this chat)" when the level says no cap."""
        amount = "the model's window" if self.tokens is None else f"{self.tokens:,}"
        return f"{amount} ({self.where()})"


class BudgetLimit(StrEnum):
    """What decided a plan's budget."""

    WINDOW = "window"  # the context window less the reply's room and the margin
    CAP = "cap"  # the request cap, smaller than that
    GIVEN = "given"  # a budget the caller gave (``--budget``, a benchmark)


def budget_reason(limit: BudgetLimit, cap: RequestCap | None) -> str:
    """Why a plan's budget is what it is, in words: "cap 16,000 (Settings)", "the model's window (no cap)"."""
    if limit is BudgetLimit.GIVEN:
        return "given for this plan"
    if limit is BudgetLimit.CAP and cap is not None and cap.tokens is not None:
        return f"cap {cap.tokens:,} ({cap.where()})"
    if cap is not None and cap.tokens is not None:
        return f"the model's window (smaller than the cap {cap.tokens:,} ({cap.where()}))"
    if cap is not None and cap.level is not CapLevel.SETTINGS:
        return f"the model's window ({cap.where()} has no cap)"
    return "the model's window (no cap)"
