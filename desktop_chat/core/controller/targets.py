"""Where a chat's next request goes and what it may use: the profile and model, the strategy on the
starter model, the reply's cap. Pure functions of the settings; the controller and the facade share them."""

from __future__ import annotations

from dataclasses import dataclass

from desktop_chat.core.errors import SettingsError
from desktop_chat.core.memory.upkeep_jobs import jobs_for
from desktop_chat.core.models import ContextPlan, Omission, PartKind, Session, Strategy, StrategyChoice
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.providers.local.builtin import builtin_model_name, keeps_no_memory, uses_starter_model
from desktop_chat.core.settings import Settings


@dataclass(frozen=True, slots=True)
class Target:
    """Where a chat's next request goes: the provider profile and the model."""

    profile: ProviderProfile
    model: str


def profile_for(session: Session, settings: Settings) -> ProviderProfile:
    """The chat's profile; the active one when the chat's was removed."""
    try:
        return settings.profile(session.profile)
    except SettingsError:
        return settings.profile()


def target_for(session: Session, settings: Settings, model: str | None = None) -> Target:
    """The profile and model a chat's next request uses: the override, else the chat's, else the profile's."""
    profile = profile_for(session, settings)
    if profile.is_builtin and not model:
        # Its server ignores the name it is sent and answers with the file's: use that one, so the
        # header, the status bar and each reply name the model alike.
        return Target(profile, builtin_model_name(settings))
    return Target(profile, model or session.model or profile.default_model)


def starter_model_strategy(
    profile: ProviderProfile, settings: Settings, wanted: Strategy | None
) -> tuple[Strategy | None, Omission | None]:
    """The strategy a chat on the built-in starter model uses, and why it is not the one asked for.

    SmolLM2-135M recalled 4 of 24 stated facts and its summaries kept at most half of the
    planted details while adding false ones (issue 14): on it, strategies that need memory
    upkeep fall back to recall (the recent window plus search), which needs none.
    """
    chosen = wanted or settings.default_strategy
    if not keeps_no_memory(profile, settings) or not jobs_for(chosen) or settings.starter_upkeep() is not None:
        return wanted, None  # with local_upkeep_profile set, another profile's model keeps the memory
    if uses_starter_model(profile, settings):
        why = "the built-in starter model (too small to summarise or extract facts reliably)"
    else:
        why = (
            f"the built-in model {builtin_model_name(settings)} (not marked able to keep memory: mark it in "
            "Settings > Local models)"
        )
    reason = f"memory upkeep is off on {why}: '{chosen}' falls back to 'recall' (recent messages plus search)"
    return Strategy.RECALL, Omission(PartKind.SUMMARY, reason)


def strategy_choice(profile: ProviderProfile, settings: Settings, chosen: Strategy | None) -> StrategyChoice:
    """What a chat's requests really use, for every label that names its strategy (header, sidebar, inspector)."""
    wanted = chosen or settings.default_strategy
    effective, _ = starter_model_strategy(profile, settings, chosen) if profile.is_builtin else (chosen, None)
    effective = effective or wanted
    if effective is wanted:
        return StrategyChoice(chosen, settings.default_strategy, effective)
    brief = f"{wanted} needs upkeep"
    keeper = "the starter model" if uses_starter_model(profile, settings) else "this built-in model"
    return StrategyChoice(chosen, settings.default_strategy, effective, f"{brief}: {keeper} keeps none", brief)


def reply_limit(plan: ContextPlan) -> int | None:
    """A cap on the reply for models the app does not know (local servers), else None.

    llama.cpp and friends generate until end-of-text or a full context when no
    limit is sent, which can hold a single-slot local server for minutes; the cap
    is what is left of the context window after the prompt. Known OpenAI models
    keep the server's own limit: the o-series and gpt-5 refuse ``max_tokens``.
    """
    from desktop_chat.core.tokens import model_limits  # tiktoken's package: loaded by the first request anyway

    if model_limits(plan.model) is not None:
        return None
    return max(plan.context_window - plan.total_tokens, 16)
