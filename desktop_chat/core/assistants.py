"""Assistants: named presets a new chat starts from (system prompt, profile and model, memory strategy and options).

Kept in the setting ``assistants`` (a list of objects); the ones shipped with the app
(``resources/assistants.json``) are its default, so removing one keeps it removed and
``config reset assistants`` brings them back. The same object shape is the export file's,
so a file exported on one machine imports on another. Whether a profile named by an
assistant exists, and whether its strategy options are valid, is checked where the
settings are known (the facade), not here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from desktop_chat.core.errors import SettingsError
from desktop_chat.core.models import Strategy
from desktop_chat.core.resources import resources_dir

EXPORT_FORMAT = "desktop-chat-assistants"
EXPORT_VERSION = 1
MAX_NAME = 80
MAX_PROMPT_CHARS = 100_000  # far past any budget: the budget itself refuses long ones, with the numbers
_FIELDS = ("name", "description", "system_prompt", "profile", "model", "strategy", "strategy_options", "tools")


@dataclass(frozen=True, slots=True)
class Assistant:
    """A preset to start a chat from. ``tools`` is kept for later (tool use); nothing reads it yet."""

    name: str
    description: str = ""
    system_prompt: str = ""
    profile: str | None = None  # None: the active profile when the chat starts
    model: str | None = None  # None: the profile's default model
    strategy: Strategy | None = None  # None: the default strategy
    strategy_options: dict[str, Any] = field(default_factory=dict)
    tools: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "system_prompt": self.system_prompt,
            "profile": self.profile,
            "model": self.model,
            "strategy": self.strategy.value if self.strategy else None,
            "strategy_options": dict(self.strategy_options),
            "tools": list(self.tools),
        }

    @classmethod
    def from_dict(cls, raw: Any) -> Assistant:
        """An assistant from its JSON object; refuses a bad one in one line naming the field."""
        if isinstance(raw, Assistant):
            return raw
        if not isinstance(raw, dict):
            raise SettingsError("An assistant must be a JSON object with at least a 'name'.")
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            raise SettingsError("An assistant needs a name.")
        name = " ".join(name.split())
        if len(name) > MAX_NAME:
            raise SettingsError(f"Assistant name {name[:20]!r}… is {len(name)} characters; at most {MAX_NAME}.")
        unknown = sorted(set(raw) - set(_FIELDS))
        if unknown:
            raise SettingsError(
                f"Assistant {name!r}: unknown field(s) {', '.join(unknown)}; known: {', '.join(_FIELDS)}."
            )
        prompt = _text(name, "system_prompt", raw.get("system_prompt"))
        if len(prompt) > MAX_PROMPT_CHARS:
            raise SettingsError(
                f"Assistant {name!r}: the system prompt is {len(prompt):,} characters; at most {MAX_PROMPT_CHARS:,}."
            )
        strategy = raw.get("strategy")
        if strategy in (None, ""):
            chosen = None
        elif strategy in {s.value for s in Strategy}:
            chosen = Strategy(strategy)
        else:
            raise SettingsError(
                f"Assistant {name!r}: strategy {strategy!r} is not one of {', '.join(s.value for s in Strategy)}."
            )
        options = raw.get("strategy_options") or {}
        if not isinstance(options, dict):
            raise SettingsError(f"Assistant {name!r}: 'strategy_options' must be an object (option: value).")
        tools = raw.get("tools") or []
        if not isinstance(tools, list) or not all(isinstance(t, str) for t in tools):
            raise SettingsError(f"Assistant {name!r}: 'tools' must be a list of names.")
        return cls(
            name=name,
            description=_text(name, "description", raw.get("description")),
            system_prompt=prompt,
            profile=_optional(name, "profile", raw.get("profile")),
            model=_optional(name, "model", raw.get("model")),
            strategy=chosen,
            strategy_options=dict(options),
            tools=tuple(tools),
        )


def _text(name: str, key: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SettingsError(f"Assistant {name!r}: {key!r} must be text.")
    return value.strip()


def _optional(name: str, key: str, value: Any) -> str | None:
    text = _text(name, key, value)
    return text or None


def parse_options_text(text: str) -> dict[str, Any]:
    """Memory options as a person types them in a form: a JSON object (empty: none)."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise SettingsError('Memory options must be a JSON object, e.g. {"window_messages": 10}; empty for none.')
    return value


def parse_list(value: Any) -> tuple[Assistant, ...]:
    """The setting's value: a list of assistants with unique names (case-insensitive)."""
    if not isinstance(value, list | tuple):
        raise SettingsError("The assistants must be a list of objects.")
    assistants = tuple(Assistant.from_dict(item) for item in value)
    check_unique(assistants)
    return assistants


def check_unique(assistants: tuple[Assistant, ...]) -> None:
    seen: set[str] = set()
    for assistant in assistants:
        key = assistant.name.casefold()
        if key in seen:
            raise SettingsError(f"Two assistants are named {assistant.name!r}; rename one.")
        seen.add(key)


def find(assistants: tuple[Assistant, ...], name: str) -> Assistant:
    """The assistant named ``name`` (case-insensitive), or a one-line error listing the known names."""
    wanted = " ".join(name.split()).casefold()
    for assistant in assistants:
        if assistant.name.casefold() == wanted:
            return assistant
    known = ", ".join(a.name for a in assistants) or "none"
    raise SettingsError(f"There is no assistant {name!r}; known: {known}.")


@cache
def shipped() -> tuple[Assistant, ...]:
    """The assistants that come with the app (``resources/assistants.json``); none when the file is missing."""
    path = resources_dir() / "assistants.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    return parse_list(raw.get("assistants", []) if isinstance(raw, dict) else raw)


def export_document(assistants: tuple[Assistant, ...]) -> dict[str, Any]:
    return {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "assistants": [a.to_dict() for a in assistants]}


def parse_document(text: str) -> tuple[Assistant, ...]:
    """Assistants from an export file (or a bare list of them); a file of another kind is refused in one line."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingsError(f"The file is not JSON ({exc.msg}, line {exc.lineno}).") from None
    if isinstance(raw, dict):
        if raw.get("format") not in (None, EXPORT_FORMAT) or "assistants" not in raw:
            raise SettingsError(
                "This file holds no assistants: export some with `desktop-chat assistants export FILE`."
            )
        version = raw.get("version", EXPORT_VERSION)
        if not isinstance(version, int) or version > EXPORT_VERSION:
            raise SettingsError(f"This assistants file is version {version!r}; this app reads up to {EXPORT_VERSION}.")
        raw = raw["assistants"]
    assistants = parse_list(raw)
    if not assistants:
        raise SettingsError("The file lists no assistants.")
    return assistants


def merged(current: tuple[Assistant, ...], incoming: tuple[Assistant, ...]) -> tuple[tuple[Assistant, ...], int, int]:
    """``current`` with ``incoming`` added: one of the same name replaces it in place. (list, added, replaced)."""
    result = list(current)
    added = replaced = 0
    for assistant in incoming:
        index = next((i for i, a in enumerate(result) if a.name.casefold() == assistant.name.casefold()), None)
        if index is None:
            result.append(assistant)
            added += 1
        else:
            result[index] = assistant
            replaced += 1
    return tuple(result), added, replaced
