"""The memory knobs for one session: the app settings, overridden by the session's strategy options."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from desktop_chat.core.errors import SettingsError
from desktop_chat.core.request_cap import CAP_OPTION, REQUEST_CAP_RULE, parse_request_cap
from desktop_chat.core.settings import HybridSplit, Settings, validate

# Share of the memory budget the recall strategy keeps for recalled messages,
# so a window of long messages cannot crowd recall out entirely.
DEFAULT_RECALL_SHARE = 0.3
# The facts strategy lets the facts block take at most this share, for the same reason.
DEFAULT_FACTS_SHARE = 0.5

# Session option name -> the setting it overrides (validated by the same rules).
_SETTING_OPTIONS = {
    "window_messages": "window_messages",
    "window_tokens": "window_tokens",
    "summary_keep_last": "summary_keep_last",
    "keep_last": "summary_keep_last",
    "recall_all_sessions": "recall_all_sessions",
    "recall_max_messages": "recall_max_messages",
    "recall_neighbours": "recall_neighbours",
    "recall_episodes": "recall_episodes",
    "recall_expansion": "recall_expansion",
    "hybrid_split": "hybrid_split",
}
_SHARE_OPTIONS = ("recall_share", "facts_share")


@dataclass(frozen=True, slots=True)
class MemoryOptions:
    window_messages: int
    window_tokens: int | None
    summary_keep_last: int
    recall_all_sessions: bool
    recall_max_messages: int
    recall_neighbours: int
    recall_episodes: bool
    recall_expansion: int
    hybrid_split: HybridSplit
    recall_share: float = DEFAULT_RECALL_SHARE
    facts_share: float = DEFAULT_FACTS_SHARE


def _share(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 0.9:
        raise SettingsError(f"Chat option {key!r} cannot be {value!r}: it must be a number from 0 to 0.9.")
    return float(value)


def chat_request_cap(session_options: dict[str, Any] | None) -> int | None:
    """The chat's own cap: None (not set: the profile's or the setting's), 0 (none: the window) or tokens."""
    value = (session_options or {}).get(CAP_OPTION)
    try:
        return parse_request_cap(value, inherits=True)
    except ValueError:
        raise SettingsError(
            f"Chat option {CAP_OPTION!r} cannot be {value!r}: it must be {REQUEST_CAP_RULE}, "
            "or empty for the profile's or the setting's."
        ) from None


def with_request_cap(options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` with the chat's cap as stored: a number, 0 for none, or no key (typed "6000", "window", "")."""
    stored = {k: v for k, v in options.items() if k != CAP_OPTION}
    cap = chat_request_cap(dict(options))
    if cap is not None:
        stored[CAP_OPTION] = cap
    return stored


def memory_options(settings: Settings, session_options: dict[str, Any] | None = None) -> MemoryOptions:
    """Settings with the session's options applied; a bad value of a known option is refused by name."""
    values: dict[str, Any] = {
        "window_messages": settings.window_messages,
        "window_tokens": settings.window_tokens,
        "summary_keep_last": settings.summary_keep_last,
        "recall_all_sessions": settings.recall_all_sessions,
        "recall_max_messages": settings.recall_max_messages,
        "recall_neighbours": settings.recall_neighbours,
        "recall_episodes": settings.recall_episodes,
        "recall_expansion": settings.recall_expansion,
        "hybrid_split": settings.hybrid_split,
    }
    for key, value in (session_options or {}).items():
        if key in _SETTING_OPTIONS:
            values[_SETTING_OPTIONS[key]] = validate(_SETTING_OPTIONS[key], value)
        elif key in _SHARE_OPTIONS:
            values[key] = _share(key, value)
        # Other keys belong to other features (or a newer version): not ours to refuse.
    chat_request_cap(session_options)  # the budget's, not a strategy's: only checked here, so it is refused too
    return MemoryOptions(**values)
