"""Typed, validated, versioned app settings (stored by ``core/storage/settings_store.py``).

Never a secret: API keys live in the OS keyring. A bad value is refused with an
error that names the key and what it accepts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, cast

from desktop_chat.core import assistants as assistant_rules
from desktop_chat.core.assistants import Assistant
from desktop_chat.core.errors import SettingsError
from desktop_chat.core.models import Strategy
from desktop_chat.core.profiles import LOCAL_PRESET, PRESETS, ProviderProfile
from desktop_chat.core.request_cap import REQUEST_CAP_RULE, parse_request_cap
from desktop_chat.core.tool_config import McpServerConfig, check_servers

SETTINGS_VERSION = 1

RetentionMode = Literal["delete", "archive"]
FactScope = Literal["global", "session"]
Theme = Literal["system", "light", "dark"]
ToolsMode = Literal["auto", "ask", "off"]  # auto: each tool's policy; ask: ask for every call; off: no tools


MAX_HYBRID_SHARE = 0.9  # of the memory budget, for facts, summary and recall together


@dataclass(frozen=True, slots=True)
class HybridSplit:
    """Shares of the budget for the memory parts of the hybrid strategy; the rest is the recent window."""

    # Chosen on bench/recall_eval.py's harder set (docs/memory.md): with recall by meaning, recall earns
    # its room; at 0.3 a 4k request held 0.18 of the multi-hop questions' evidence, at 0.7 0.62.
    facts: float = 0.10
    summary: float = 0.10
    recall: float = 0.70

    def as_text(self) -> str:
        return f"facts={self.facts:g},summary={self.summary:g},recall={self.recall:g}"


@dataclass(frozen=True, slots=True)
class Settings:
    version: int = SETTINGS_VERSION
    active_profile: str = "OpenAI"
    # The built-in model is listed in every fresh data folder, but not active: it is a small demo model.
    profiles: tuple[ProviderProfile, ...] = (PRESETS["openai"], PRESETS[LOCAL_PRESET])
    # memory
    default_strategy: Strategy = Strategy.HYBRID
    reserved_reply_tokens: int = 1000
    safety_margin_tokens: int = 50
    # The most tokens one request may use, whatever the window: a long chat on a 128k model would
    # otherwise send (and bill) the whole window with every message. None: the model's window.
    # A profile's or a chat's own cap wins over this one.
    max_request_tokens: int | None = 16_000
    window_messages: int = 20
    window_tokens: int | None = None  # when set, the window keeps what fits this many tokens
    summary_trigger: int = 10  # summarise when more than this many messages are unsummarised
    summary_keep_last: int = 4
    summary_max_tokens: int = 500
    facts_require_approval: bool = False
    facts_scope: FactScope = "global"
    # Fact extraction reads this many of your messages per request (1: each message at once); waiting
    # messages are read anyway once the oldest is FACTS_MAX_WAIT old, or when upkeep is asked for.
    facts_every: int = 1
    recall_all_sessions: bool = False
    recall_max_messages: int = 150  # hits weighed per plan (words and meaning fused); tokens bound what goes in
    recall_neighbours: int = 1  # the turn before and after the best hits: the question a turn answers
    recall_episodes: bool = False  # whole episodes spent a 4k budget on one conversation (docs/memory.md)
    recall_expansion: int = 0  # words borrowed from the best hits for a second search; off: it cost 13 points at 2k
    hybrid_split: HybridSplit = field(default_factory=HybridSplit)
    # retention
    retention_days: int | None = None  # None: keep forever
    retention_mode: RetentionMode = "archive"
    # network
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    # appearance (the window's; the command line ignores them)
    theme: Theme = "system"  # "system" follows the desktop's light/dark setting
    conversation_font_size: int | None = None  # points; None: the desktop's font size
    # the built-in model (profile preset "local")
    local_model_file: str | None = None  # a .gguf file; None: the starter model (SmolLM2-135M)
    local_threads: int = 1  # on a busy 2-core machine 1 thread measured several times faster than 2
    local_context_size: int = 4096
    # Another profile whose upkeep model keeps memory for chats on the starter model; None: they keep none.
    local_upkeep_profile: str | None = None
    # instructions and assistants (docs/settings.md)
    # Who the user is and how to answer: sent as the first system text of every request.
    custom_instructions: str = ""
    # Presets a new chat starts from; the app's own (resources/assistants.json) until changed.
    assistants: tuple[Assistant, ...] = field(default_factory=assistant_rules.shipped)
    # tools (issue 24, docs/tools.md): MCP servers, and the loop's bounds
    mcp_servers: tuple[McpServerConfig, ...] = ()
    tools_mode: ToolsMode = "auto"
    history_tool: bool = False  # offer the built-in "search my history" tool when tools are on
    tool_rounds: int = 8  # model turns in one reply that may call tools; the next one must answer
    tool_timeout: float = 60.0  # seconds for one call
    mcp_start_timeout: float = 20.0  # seconds for a server to start and list its tools
    # Model files (names, not paths) the user marked able to keep memory on the built-in profile, beyond
    # those the catalog marks capable; a file in neither keeps no memory (its chats fall back to recall).
    local_memory_models: tuple[str, ...] = ()
    # attachments (issue 23, docs/attachments.md): a file larger than this is refused before it is read
    attachment_max_mb: int = 50

    def profile(self, name: str | None = None) -> ProviderProfile:
        wanted = name or self.active_profile
        for profile in self.profiles:
            if profile.name == wanted:
                return profile
        if wanted == LOCAL_PRESET:
            # `local` names the built-in model, also in a data folder made before it was listed.
            return next((p for p in self.profiles if p.is_builtin), PRESETS[LOCAL_PRESET])
        if wanted == PRESETS[LOCAL_PRESET].name:
            return PRESETS[LOCAL_PRESET]
        raise SettingsError(
            f"There is no provider profile {wanted!r}; known: {', '.join(p.name for p in self.profiles)}."
        )

    def starter_upkeep(self) -> ProviderProfile | None:
        """The profile that keeps memory for chats on the starter model (None: unset, or since removed)."""
        name = self.local_upkeep_profile
        return next((p for p in self.profiles if name and p.name == name and not p.is_builtin), None)

    def check_starter_upkeep(self) -> None:
        """Refuse a ``local_upkeep_profile`` that names no other profile (a cross-key rule ``validate`` cannot see)."""
        if self.local_upkeep_profile is None or self.starter_upkeep() is not None:
            return
        others = ", ".join(p.name for p in self.profiles if not p.is_builtin) or "none"
        raise SettingsError(
            f"Setting 'local_upkeep_profile' cannot be {self.local_upkeep_profile!r}: it must be empty or the name "
            f"of another provider profile (known: {others})."
        )


# --- validation --------------------------------------------------------------


def _int(low: int, high: int) -> tuple[Callable[[Any], Any], str]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError
        return value

    return check, f"a whole number from {low} to {high}"


def _optional(check: tuple[Callable[[Any], Any], str]) -> tuple[Callable[[Any], Any], str]:
    inner, allowed = check

    def optional(value: Any) -> Any:
        return None if value is None else inner(value)

    return optional, f"{allowed}, or none"


def _float(low: float, high: float) -> tuple[Callable[[Any], Any], str]:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise ValueError
        return float(value)

    return check, f"a number from {low:g} to {high:g}"


def _choice(*choices: str) -> tuple[Callable[[Any], Any], str]:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError
        return cast(str, value)

    return check, "one of " + ", ".join(choices)


def _bool() -> tuple[Callable[[Any], Any], str]:
    def check(value: Any) -> bool:
        if not isinstance(value, bool):
            raise ValueError
        return value

    return check, "true or false"


def _name() -> tuple[Callable[[Any], Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError
        return value

    return check, "the name of a provider profile"


def _gguf_path() -> tuple[Callable[[Any], Any], str]:
    def check(value: Any) -> str:
        # Whether the file exists and is a GGUF model is checked when the server starts, with a clear line.
        if not isinstance(value, str) or not value.strip():
            raise ValueError
        return value.strip()

    return check, "the path of a .gguf model file"


def _optional_name() -> tuple[Callable[[Any], Any], str]:
    def check(value: Any) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str):
            raise ValueError
        return value.strip()

    return check, "empty, or the name of another provider profile"


def _file_names() -> tuple[Callable[[Any], Any], str]:
    def check(value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            value = [v for v in value.split(",") if v.strip()]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ValueError
        names = tuple(dict.fromkeys(Path(v.strip()).name for v in value))
        if not all(names):
            raise ValueError
        return names

    return check, "a list of model file names (comma-separated)"


def _request_cap() -> tuple[Callable[[Any], Any], str]:
    def check(value: Any) -> int | None:
        return parse_request_cap(value, inherits=False)

    return check, REQUEST_CAP_RULE


def _instructions() -> tuple[Callable[[Any], Any], str]:
    def check(value: Any) -> str:
        if value is None:
            return ""
        if not isinstance(value, str) or len(value) > assistant_rules.MAX_PROMPT_CHARS:
            raise ValueError
        return value.strip()

    return check, f"text of at most {assistant_rules.MAX_PROMPT_CHARS:,} characters (empty: none)"


def _assistants() -> tuple[Callable[[Any], Any], str]:
    return assistant_rules.parse_list, "a list of assistants (objects with a name, a system prompt, ...)"


def _strategy() -> tuple[Callable[[Any], Any], str]:
    check, allowed = _choice(*(s.value for s in Strategy))
    return (lambda value: Strategy(check(value))), allowed


def _profiles() -> tuple[Callable[[Any], Any], str]:
    def check(value: Any) -> tuple[ProviderProfile, ...]:
        if not isinstance(value, list | tuple) or not value:
            raise ValueError
        # Profiles given as objects are checked by the same rules as stored ones (a value that could
        # be saved but not loaded again would lock the user out of their settings).
        profiles = tuple(ProviderProfile.from_dict(p.to_dict() if isinstance(p, ProviderProfile) else p) for p in value)
        names = [p.name for p in profiles]
        if len(set(names)) != len(names):
            raise SettingsError("Provider profile names must be unique; rename one of the duplicates.")
        return profiles

    return check, "a non-empty list of provider profiles"


def _split() -> tuple[Callable[[Any], Any], str]:
    def check(value: Any) -> HybridSplit:
        if isinstance(value, HybridSplit):
            value = {"facts": value.facts, "summary": value.summary, "recall": value.recall}
        if isinstance(value, str):
            try:
                value = {k.strip(): float(v) for k, v in (item.split("=") for item in value.split(","))}
            except ValueError:
                raise ValueError from None
        if not isinstance(value, dict) or set(value) - {"facts", "summary", "recall"}:
            raise ValueError
        split = HybridSplit(**{k: float(v) for k, v in value.items()})
        shares = (split.facts, split.summary, split.recall)
        if any(s < 0 for s in shares):
            raise ValueError
        if sum(shares) > MAX_HYBRID_SHARE + 1e-9:
            # Said as a sum: the window's spin boxes and the command line's text meet the same rule.
            raise SettingsError(
                f"facts, summary and recall add up to {round(sum(shares), 4):g}; at most {MAX_HYBRID_SHARE:g} "
                "(the recent messages need the rest)"
            )
        return split

    return check, "facts=F,summary=S,recall=R with shares ≥ 0 adding up to at most 0.9"


_SPECS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "version": _int(1, SETTINGS_VERSION),
    "active_profile": _name(),
    "profiles": _profiles(),
    "default_strategy": _strategy(),
    "reserved_reply_tokens": _int(16, 200_000),
    "safety_margin_tokens": _int(0, 10_000),
    "max_request_tokens": _request_cap(),
    "window_messages": _int(1, 10_000),
    "window_tokens": _optional(_int(64, 10_000_000)),
    "summary_trigger": _int(2, 10_000),
    "summary_keep_last": _int(0, 1_000),
    "summary_max_tokens": _int(32, 16_000),
    "facts_require_approval": _bool(),
    "facts_scope": _choice("global", "session"),
    "facts_every": _int(1, 20),
    "recall_all_sessions": _bool(),
    "recall_max_messages": _int(1, 200),
    "recall_neighbours": _int(0, 5),
    "recall_episodes": _bool(),
    "recall_expansion": _int(0, 20),
    "hybrid_split": _split(),
    "retention_days": _optional(_int(1, 36_500)),
    "retention_mode": _choice("delete", "archive"),
    "connect_timeout": _float(0.5, 600),
    "read_timeout": _float(1, 3600),
    "theme": _choice("system", "light", "dark"),
    "conversation_font_size": _optional(_int(6, 48)),
    "local_model_file": _optional(_gguf_path()),
    "local_threads": _int(1, 256),
    "local_context_size": _int(512, 1_048_576),
    "local_upkeep_profile": _optional_name(),
    "custom_instructions": _instructions(),
    "assistants": _assistants(),
    "mcp_servers": (check_servers, "a list of tool servers"),
    "tools_mode": _choice("auto", "ask", "off"),
    "history_tool": _bool(),
    "tool_rounds": _int(1, 50),
    "tool_timeout": _float(1, 3600),
    "mcp_start_timeout": _float(1, 600),
    "local_memory_models": _file_names(),
    "attachment_max_mb": _int(1, 2_000),
}


def setting_names() -> list[str]:
    return [f.name for f in fields(Settings)]


def is_known(key: str) -> bool:
    return key in _SPECS


def validate(key: str, value: Any) -> Any:
    """Return ``value`` as the setting's type, or raise SettingsError naming the key."""
    try:
        check, allowed = _SPECS[key]
    except KeyError:
        raise SettingsError(f"Unknown setting {key!r}; known settings: {', '.join(_SPECS)}.") from None
    try:
        return check(value)
    except SettingsError as exc:
        raise SettingsError(f"Setting {key!r}: {exc}") from None
    except (ValueError, TypeError):
        raise SettingsError(f"Setting {key!r} cannot be {value!r}: it must be {allowed}.") from None


def parse_text(key: str, text: str) -> Any:
    """Parse what a user typed on the command line for ``key`` (JSON, or a bare word)."""
    lowered = text.strip().lower()
    if lowered in {"none", "null", "forever", ""}:
        return validate(key, None)
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = text
    return validate(key, value)


def to_json(value: Any) -> Any:
    """A setting's value as JSON (profiles and the hybrid split as objects)."""
    if isinstance(value, tuple):
        return [to_json(v) for v in value]
    if isinstance(value, ProviderProfile | McpServerConfig):
        return value.to_dict()
    if isinstance(value, HybridSplit):
        return {"facts": value.facts, "summary": value.summary, "recall": value.recall}
    if isinstance(value, Assistant):
        return value.to_dict()
    return value


def as_json(settings: Settings) -> dict[str, Any]:
    return {f.name: to_json(getattr(settings, f.name)) for f in fields(Settings)}


# --- editing one provider profile ----------------------------------------------

# What a profile's editor may change (the preset says where it came from; the window does not change it either).
EDITABLE_PROFILE_FIELDS = (
    "name",
    "base_url",
    "default_model",
    "summary_model",
    "context_window",
    "temperature",
    "max_reply_tokens",
    "max_request_tokens",
    "needs_key",
    "use_env_key",
    "input_price",
    "output_price",
)


def edited_profile(profile: ProviderProfile, changes: dict[str, Any]) -> ProviderProfile:
    """``profile`` with ``changes`` (field -> new value; None clears an optional one), by the rules every profile
    passes (``ProviderProfile.from_dict``, as the window's editor checks them). Unique names are the settings'
    rule: ``Workspace.update_profile`` refuses a name another profile has."""
    unknown = sorted(set(changes) - set(EDITABLE_PROFILE_FIELDS))
    if unknown:
        raise SettingsError(
            f"Provider profile {profile.name!r}: {', '.join(unknown)} cannot be changed; "
            f"what can: {', '.join(EDITABLE_PROFILE_FIELDS)}."
        )
    changed = {k for k, v in changes.items() if v != getattr(profile, k)}
    if profile.is_builtin and {"base_url", "needs_key", "use_env_key"} & changed:
        raise SettingsError(
            f"Provider profile {profile.name!r} is the built-in model, which the app runs on this computer: "
            "it has no base URL or API key to set."
        )
    data = {**profile.to_dict(), **changes}
    if isinstance(data.get("name"), str):
        data["name"] = data["name"].strip()
    if not isinstance(data.get("default_model"), str) or not data["default_model"].strip():
        raise SettingsError(f"Provider profile {profile.name!r} needs a model: name the one its requests use.")
    return ProviderProfile.from_dict(data)
