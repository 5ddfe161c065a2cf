"""Provider profiles: where to send requests, which models to use. Never the key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from desktop_chat.core.errors import SettingsError
from desktop_chat.core.request_cap import REQUEST_CAP_RULE, parse_request_cap

# The preset key of the built-in model; `--profile local` names it too.
LOCAL_PRESET = "local"
# Where OPENAI_API_KEY belongs: OpenAI's API, or the OPENAI_BASE_URL set beside it.
OPENAI_API_URL = "https://api.openai.com/v1"
ENV_KEY = "OPENAI_API_KEY"
BASE_URL_ENV = "OPENAI_BASE_URL"


@dataclass(frozen=True, slots=True)
class ProviderProfile:
    """One OpenAI-compatible endpoint. The API key lives in the OS keyring under ``name``."""

    name: str
    base_url: str | None = None  # None: the openai SDK's default, or OPENAI_BASE_URL
    default_model: str = "gpt-4o-mini"
    summary_model: str | None = None  # the cheaper model for summaries, facts and titles
    context_window: int | None = None  # overrides the known table (needed for local models)
    needs_key: bool = True
    preset: str = "custom"
    temperature: float | None = None  # None: the server's default
    max_reply_tokens: int | None = None  # a cap on each reply; None: the server's own limit
    # A cap on each request's prompt, over the setting's; None: the setting's; 0: none (the model's window).
    max_request_tokens: int | None = None
    # Send OPENAI_API_KEY to this profile's own base URL too (see env_key_allowed); off, so adding
    # a server never hands it the user's OpenAI key.
    use_env_key: bool = False
    # The user's own price, US dollars per million tokens (both or neither); overrides the price
    # table and the "free" of a local server (core/pricing.py).
    input_price: float | None = None
    output_price: float | None = None

    @property
    def is_builtin(self) -> bool:
        """The app runs this profile's server itself (the built-in llama.cpp model)."""
        return self.preset == LOCAL_PRESET

    @property
    def upkeep_model(self) -> str:
        return self.summary_model or self.default_model

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProviderProfile:
        if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not data["name"].strip():
            raise SettingsError("Each provider profile needs a non-empty 'name'.")
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SettingsError(
                f"Provider profile {data['name']!r} has unknown field(s) {', '.join(unknown)}; "
                f"allowed: {', '.join(sorted(known))}."
            )
        window = data.get("context_window")
        if window is not None and (not isinstance(window, int) or window < 256):
            raise SettingsError(
                f"Provider profile {data['name']!r}: 'context_window' must be a whole number ≥ 256, not {window!r}."
            )
        base_url = data.get("base_url")
        if base_url is not None and not (isinstance(base_url, str) and base_url.startswith(("http://", "https://"))):
            raise SettingsError(
                f"Provider profile {data['name']!r}: 'base_url' must start with http:// or https://, not {base_url!r}."
            )
        temperature = data.get("temperature")
        if temperature is not None and (
            isinstance(temperature, bool) or not isinstance(temperature, int | float) or not 0 <= temperature <= 2
        ):
            raise SettingsError(
                f"Provider profile {data['name']!r}: 'temperature' must be a number from 0 to 2, not {temperature!r}."
            )
        limit = data.get("max_reply_tokens")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1_000_000):
            raise SettingsError(
                f"Provider profile {data['name']!r}: 'max_reply_tokens' must be a whole number from 1 to 1000000, "
                f"not {limit!r}."
            )
        try:
            cap = parse_request_cap(data.get("max_request_tokens"), inherits=True)
        except ValueError:
            raise SettingsError(
                f"Provider profile {data['name']!r}: 'max_request_tokens' must be {REQUEST_CAP_RULE}, "
                f"or empty for the setting's, not {data['max_request_tokens']!r}."
            ) from None
        if "max_request_tokens" in data:
            data = {**data, "max_request_tokens": cap}
        prices = _prices(data)
        for flag in ("needs_key", "use_env_key"):
            if flag in data and not isinstance(data[flag], bool):
                raise SettingsError(
                    f"Provider profile {data['name']!r}: {flag!r} must be true or false, not {data[flag]!r}."
                )
        if temperature is not None:
            data = {**data, "temperature": float(temperature)}
        if prices is not None:
            data = {**data, "input_price": prices[0], "output_price": prices[1]}
        return cls(**data)


def _prices(data: dict[str, Any]) -> tuple[float, float] | None:
    """The profile's own price (input, output; dollars per million tokens), checked; None when not set."""
    prices = {key: data.get(key) for key in ("input_price", "output_price")}
    for key, price in prices.items():
        if price is not None and (
            isinstance(price, bool) or not isinstance(price, int | float) or not 0 <= price <= 10_000
        ):
            raise SettingsError(
                f"Provider profile {data['name']!r}: {key!r} must be dollars per million tokens from 0 to 10000, "
                f"not {price!r}."
            )
    given, taken = prices["input_price"], prices["output_price"]
    if given is None and taken is None:
        return None
    if given is None or taken is None:
        raise SettingsError(
            f"Provider profile {data['name']!r}: give both 'input_price' and 'output_price' (dollars per million "
            "tokens), or neither."
        )
    return float(given), float(taken)


PRESETS: dict[str, ProviderProfile] = {
    "openai": ProviderProfile(
        name="OpenAI",
        base_url=None,
        default_model="gpt-4o-mini",
        summary_model="gpt-4o-mini",
        preset="openai",
    ),
    "ollama": ProviderProfile(
        name="Ollama",
        base_url="http://localhost:11434/v1",
        default_model="llama3.2",
        context_window=8192,
        needs_key=False,
        preset="ollama",
    ),
    "lmstudio": ProviderProfile(
        name="LM Studio",
        base_url="http://localhost:1234/v1",
        default_model="local-model",
        context_window=8192,
        needs_key=False,
        preset="lmstudio",
    ),
    "llamacpp": ProviderProfile(
        name="llama.cpp server",
        base_url="http://localhost:8080/v1",
        default_model="local-model",
        context_window=4096,
        needs_key=False,
        preset="llamacpp",
    ),
    # The built-in model: llama.cpp's server started by the app itself (core/providers/local/builtin.py) on
    # 127.0.0.1 and a free port, so there is no base URL to store; the context size, threads and
    # model file are settings (local_*), and the server ignores the model name it is sent.
    LOCAL_PRESET: ProviderProfile(
        name="Local (built-in)",
        base_url=None,
        default_model="SmolLM2-135M-Instruct",
        needs_key=False,
        max_reply_tokens=512,  # a small model may ramble until the context is full
        preset=LOCAL_PRESET,
    ),
}


def from_preset(preset: str, **overrides: Any) -> ProviderProfile:
    if preset == "custom":
        return ProviderProfile(**{"name": "Custom", **overrides})
    try:
        base = PRESETS[preset]
    except KeyError:
        raise SettingsError(
            f"Unknown provider preset {preset!r}; allowed: {', '.join([*PRESETS, 'custom'])}."
        ) from None
    return replace(base, **overrides)


def _same_url(a: str, b: str) -> bool:
    left, right = urlsplit(a.strip()), urlsplit(b.strip())
    return (left.scheme.lower(), (left.netloc or "").lower(), left.path.rstrip("/")) == (
        right.scheme.lower(),
        (right.netloc or "").lower(),
        right.path.rstrip("/"),
    )


def env_key_allowed(base_url: str | None, environ: Mapping[str, str], *, opted_in: bool = False) -> bool:
    """Whether ``OPENAI_API_KEY`` may go to ``base_url`` (None: the SDK's own, OPENAI_BASE_URL or OpenAI's).

    The environment's key is the user's OpenAI key, or the key of the OPENAI_BASE_URL set beside it:
    it goes there and nowhere else, unless the profile says so (``use_env_key``).
    """
    if opted_in or base_url is None or _same_url(base_url, OPENAI_API_URL):
        return True
    env_url = environ.get(BASE_URL_ENV, "").strip()
    return bool(env_url) and _same_url(base_url, env_url)


def env_key_for(profile: ProviderProfile, environ: Mapping[str, str]) -> str:
    """``OPENAI_API_KEY`` when it is set and may go to this profile's server, else ""."""
    key = environ.get(ENV_KEY, "").strip()
    if not key or not profile.needs_key or profile.is_builtin:
        return ""
    return key if env_key_allowed(profile.base_url, environ, opted_in=profile.use_env_key) else ""
