"""A provider profile being edited on the Providers page: its draft, and its values checked by the profile rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from desktop_chat.core.errors import SettingsError
from desktop_chat.core.profiles import PRESETS, ProviderProfile
from desktop_chat.core.request_cap import NO_CAP_WORD

# The form's fields, in the order they are checked.
TEXT_FIELDS = (
    "name",
    "base_url",
    "default_model",
    "summary_model",
    "context_window",
    "temperature",
    "max_reply_tokens",
    "max_request_tokens",
    "input_price",
    "output_price",
)
PRICES = ("input_price", "output_price")
MISSING_MODEL = "Each provider profile needs a model: type its name, or fetch the server's list."


def preset_choices() -> list[tuple[str, str]]:
    """(label, preset) for the Add menu: every preset the core defines (the built-in model too, once it has one)."""
    return [*((profile.name, key) for key, profile in PRESETS.items()), ("Custom server", "custom")]


@dataclass
class Draft:
    """A profile being edited: the form's raw values, the key typed (not stored yet) and where its key comes from."""

    original: str | None  # the saved profile's name; None until saved
    values: dict[str, Any]
    key: str = ""
    key_status: str = ""
    models: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, profile: ProviderProfile, *, original: str | None) -> Draft:
        def text(value: Any) -> str:
            if value is None:
                return ""
            return f"{value:g}" if isinstance(value, float) else str(value)

        values: dict[str, Any] = {name: text(getattr(profile, name)) for name in TEXT_FIELDS}
        if profile.max_request_tokens == 0:
            values["max_request_tokens"] = NO_CAP_WORD  # stored as 0: this profile lifts the cap
        values.update(needs_key=profile.needs_key, use_env_key=profile.use_env_key, preset=profile.preset)
        return cls(original, values)

    @property
    def name(self) -> str:
        return str(self.values["name"]).strip()


def _number(text: str, kind: type) -> Any:
    """What the user typed, as a number when it is one (else the text, which the profile rules refuse by name)."""
    text = text.strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        return text


def profile_data(draft: Draft) -> dict[str, Any]:
    values = draft.values
    return {
        "name": draft.name,
        "base_url": str(values["base_url"]).strip() or None,
        "default_model": str(values["default_model"]).strip(),
        "summary_model": str(values["summary_model"]).strip() or None,
        "context_window": _number(str(values["context_window"]), int),
        "temperature": _number(str(values["temperature"]), float),
        "max_reply_tokens": _number(str(values["max_reply_tokens"]), int),
        # As typed: the profile rule reads a number or "window" and refuses anything else by name.
        "max_request_tokens": str(values["max_request_tokens"]).strip() or None,
        "input_price": _number(str(values["input_price"]), float),
        "output_price": _number(str(values["output_price"]), float),
        "needs_key": bool(values["needs_key"]),
        "use_env_key": bool(values["use_env_key"]),
        "preset": str(values["preset"]),
    }


def field_errors(draft: Draft) -> dict[str, str]:
    """Each field's problem in the profile rules' own words (one field at a time, so each lands by its field)."""
    data = profile_data(draft)
    errors: dict[str, str] = {}
    for name in TEXT_FIELDS:
        checked = {name: data[name]}
        if name in PRICES:  # the prices go in pairs: each is checked beside a valid other one
            other = PRICES[1 - PRICES.index(name)]
            checked[other] = 0.0 if data[name] is not None else data[other]
        try:
            ProviderProfile.from_dict({"name": data["name"], **checked})
        except SettingsError as exc:
            errors[name] = str(exc)
    if not data["default_model"] and "default_model" not in errors:
        errors["default_model"] = MISSING_MODEL
    return errors
