"""How many tokens the prompt may use, and where that number came from.

budget = min(window - reserved reply - safety margin, request cap), or the caller's ``budget=``.
The cap is the chat's own, else its profile's, else the setting ``max_request_tokens``: the most
specific level that sets one wins, and a level may say "no cap" (the model's window).
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop_chat.core.errors import InputTooLarge
from desktop_chat.core.models import REPLY_PRIMING_TOKENS
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.request_cap import BudgetLimit, CapLevel, RequestCap
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


def request_cap(settings: Settings, profile: ProviderProfile | None, chat: int | None) -> RequestCap:
    """The cap in force: the chat's (``chat``: None unset, 0 none), else the profile's, else the setting's."""
    if chat is not None:
        return RequestCap(chat or None, CapLevel.CHAT)
    if profile is not None and profile.max_request_tokens is not None:
        return RequestCap(profile.max_request_tokens or None, CapLevel.PROFILE, profile.name)
    return RequestCap(settings.max_request_tokens, CapLevel.SETTINGS)


def prompt_budget(
    window: ContextWindow, settings: Settings, cap: RequestCap | None = None, override: int | None = None
) -> tuple[int, BudgetLimit]:
    """Tokens the prompt may use, and what decided it: the window less the reply's room and a safety
    margin, or the cap when smaller; ``override`` (a benchmark's, ``--budget``) wins over both."""
    if override is not None:
        return override, BudgetLimit.GIVEN
    room = window.tokens - settings.reserved_reply_tokens - settings.safety_margin_tokens
    if cap is not None and cap.tokens is not None and cap.tokens < room:
        return cap.tokens, BudgetLimit.CAP
    return room, BudgetLimit.WINDOW


def check_fits(
    *, message_tokens: int, system_tokens: int, budget: int, why: str = "", instructions: str = "", empty: int = 0
) -> None:
    """Refuse a message that cannot be sent whole: the user's words are never cut.

    ``why``: what set the budget ("cap 6,000 (this chat)"), said in the refusal so the user knows what to raise.
    ``system_tokens``: the instructions' (never cut either), ``instructions`` says what they are made of
    ("custom instructions 120 + this chat's system prompt 4,000"); ``empty``: the tokens of an empty message.
    Instructions that leave no room for any message are refused as such, whatever the message.
    """
    check_instructions(system_tokens, budget, why=why, made_of=instructions, empty=empty, message=message_tokens)
    fixed = system_tokens + REPLY_PRIMING_TOKENS
    if message_tokens + fixed <= budget:
        return
    extra = f" (plus {system_tokens:,} for the instructions)" if system_tokens else ""
    because = f" ({why})" if why else ""
    advice = "Shorten it or raise the cap." if why else "Shorten it or pick a model with a larger context."
    raise InputTooLarge(
        f"Your message is {message_tokens:,} tokens{extra}; this chat's budget is {budget:,}{because}. {advice}",
        tokens=message_tokens,
        budget=budget,
        fixed=fixed,
    )


def check_instructions(
    tokens: int, budget: int, *, why: str = "", made_of: str = "", empty: int = 0, message: int = 0
) -> None:
    """Refuse instructions (custom instructions and a chat's system prompt) that leave no room for a message:
    with them, the reply priming and an empty message (``empty`` tokens), nothing of the budget is left.
    ``message``: the tokens of the message being written, if any (the error's ``room`` counts it)."""
    fixed = tokens + REPLY_PRIMING_TOKENS
    if tokens == 0 or fixed + empty < budget:
        return
    parts = f" ({made_of})" if made_of else ""
    because = f" ({why})" if why else ""
    advice = "raise the cap" if why else "pick a model with a larger context"
    raise InputTooLarge(
        f"The instructions are {tokens:,} tokens{parts}; this chat's budget is {budget:,}{because}, "
        f"which leaves no room for a message. Shorten them or {advice}.",
        tokens=message,
        budget=budget,
        fixed=fixed,
    )
