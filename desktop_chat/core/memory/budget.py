"""How many tokens the prompt may use, and where that number came from."""

from __future__ import annotations

from dataclasses import dataclass

from desktop_chat.core.errors import InputTooLarge
from desktop_chat.core.models import REPLY_PRIMING_TOKENS
from desktop_chat.core.settings import Settings
from desktop_chat.core.tokens import model_limits

# For a model we know nothing about (a local model without a profile override):
# small enough that almost every server accepts it.
DEFAULT_CONTEXT_WINDOW = 8192


@dataclass(frozen=True, slots=True)
class ContextWindow:
    tokens: int
    source: str  # "given" (profile or caller), "model" (known table), "default" (a guess)

    def describe(self) -> str:
        if self.source == "default":
            return f"{self.tokens:,} (a safe default: the model is unknown; set the profile's context window)"
        if self.source == "model":
            return f"{self.tokens:,} (known for this model)"
        return f"{self.tokens:,} (from the profile)"


def resolve_context_window(model: str, override: int | None) -> ContextWindow:
    if override is not None:
        return ContextWindow(override, "given")
    limits = model_limits(model)
    if limits is not None:
        return ContextWindow(limits.context_window, "model")
    return ContextWindow(DEFAULT_CONTEXT_WINDOW, "default")


def prompt_budget(window: ContextWindow, settings: Settings, override: int | None = None) -> int:
    """Tokens the prompt may use: the window less the reply's room and a safety margin."""
    if override is not None:
        return override
    return window.tokens - settings.reserved_reply_tokens - settings.safety_margin_tokens


def check_fits(*, message_tokens: int, system_tokens: int, budget: int) -> None:
    """Refuse a message that cannot be sent whole: the user's words are never cut."""
    if message_tokens + system_tokens + REPLY_PRIMING_TOKENS <= budget:
        return
    extra = f" (plus {system_tokens:,} for the system prompt)" if system_tokens else ""
    raise InputTooLarge(
        f"Your message is {message_tokens:,} tokens{extra}; this chat's budget is {budget:,}. "
        "Shorten it or pick a model with a larger context.",
        tokens=message_tokens,
        budget=budget,
    )
