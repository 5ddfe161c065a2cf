"""What a request costs in US dollars: the price of a profile's model, and the cost of a usage.

Where a price comes from, first match wins:

1. the profile's own price (``input_price`` and ``output_price``, dollars per million tokens):
   the user knows best, e.g. a paid server reached through an SSH tunnel on localhost;
2. free: the built-in model, and any server on a loopback address (it runs on this machine);
3. the price table ``resources/prices.json``, generated at development time from the
   genai-prices library (``scripts/update_prices.py``): the provider is found by the profile's
   base URL (a proxy on another URL by the model's name), then the model by its name;
4. unknown: never $0. An unknown cost is ``None`` everywhere, and views say "cost unknown".

The table is read on first use, never at start-up, and nothing is ever fetched.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Literal

from desktop_chat.core.locality import is_local_profile
from desktop_chat.core.models import Usage
from desktop_chat.core.profiles import BASE_URL_ENV, OPENAI_API_URL, ProviderProfile
from desktop_chat.core.resources import resources_dir
from desktop_chat.core.spending import format_cost

__all__ = ["Price", "PriceTable", "Pricing", "format_cost", "price_table", "pricing_for"]

PRICES_FILE = "prices.json"
MILLION = 1_000_000

Tiers = tuple[tuple[int, float], ...]  # (input tokens above which, dollars per million) ascending


@dataclass(frozen=True, slots=True)
class Price:
    """Dollars per million tokens; a tier applies to every token once the prompt is over its start."""

    input: float
    output: float
    cache_read: float | None = None  # cached prompt tokens; None: the input price
    input_tiers: Tiers = ()
    output_tiers: Tiers = ()
    cache_read_tiers: Tiers = ()

    def cost(self, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0) -> float:
        cached = min(max(cached_tokens, 0), prompt_tokens)
        rate_in = _tiered(self.input, self.input_tiers, prompt_tokens)
        rate_cached = (
            rate_in if self.cache_read is None else _tiered(self.cache_read, self.cache_read_tiers, prompt_tokens)
        )
        rate_out = _tiered(self.output, self.output_tiers, prompt_tokens)
        dollars = (prompt_tokens - cached) * rate_in + cached * rate_cached + completion_tokens * rate_out
        return dollars / MILLION


def _tiered(base: float, tiers: Tiers, prompt_tokens: int) -> float:
    rate = base
    for start, price in tiers:
        if prompt_tokens > start:
            rate = price
    return rate


PricingKind = Literal["free", "priced", "unknown"]


@dataclass(frozen=True, slots=True)
class Pricing:
    """How a profile's model is priced: ``free``, ``priced`` (with ``price``) or ``unknown``; ``source`` says why."""

    kind: PricingKind
    source: str
    price: Price | None = None

    def cost(self, usage: Usage) -> float | None:
        """Dollars for ``usage``: 0.0 when free, None when unknown (never 0 for an unknown price)."""
        return self.cost_of(usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens)

    def cost_of(self, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0) -> float | None:
        if self.kind == "free":
            return 0.0
        if self.price is None:
            return None
        return self.price.cost(prompt_tokens, completion_tokens, cached_tokens)


def pricing_for(profile: ProviderProfile, model: str, *, at: datetime | None = None) -> Pricing:
    """The price of ``model`` on ``profile`` (see the module's docstring for the order)."""
    if profile.input_price is not None and profile.output_price is not None:
        return Pricing(
            "priced", f"the price set on profile {profile.name}", Price(profile.input_price, profile.output_price)
        )
    if profile.is_builtin:
        return Pricing("free", "the built-in model runs on this computer")
    if is_local_profile(profile):
        return Pricing("free", "a server on this computer")
    url = profile.base_url or os.environ.get(BASE_URL_ENV) or OPENAI_API_URL
    found = price_table().find(url, model, at or datetime.now(UTC))
    if found is None:
        return Pricing("unknown", f"no known price for {model}; set one on profile {profile.name}")
    return found


# --- the table ---------------------------------------------------------------------------------


_TESTS: dict[str, Callable[[str, str], bool]] = {
    "starts_with": lambda ref, text: ref.startswith(text.lower()),
    "ends_with": lambda ref, text: ref.endswith(text.lower()),
    "contains": lambda ref, text: text.lower() in ref,
    "equals": lambda ref, text: ref == text.lower(),
    "regex": lambda ref, text: re.search(text, ref) is not None,
}


def _matches(clause: Mapping[str, Any], ref: str) -> bool:
    """genai-prices' model-name rules, on a lower-cased name."""
    if "or" in clause:
        return any(_matches(c, ref) for c in clause["or"])
    if "and" in clause:
        return all(_matches(c, ref) for c in clause["and"])
    return any(test(ref, str(clause[name])) for name, test in _TESTS.items() if name in clause)


_COMPACT_DATE = re.compile(r"(-)(\d{4})(\d{2})(\d{2})$")


def _dashed_date(ref: str) -> str:
    """``gpt-5.2-20251211`` as ``gpt-5.2-2025-12-11`` (how LiteLLM and OpenRouter name dated models)."""

    def dashed(match: re.Match[str]) -> str:
        try:
            date(int(match[2]), int(match[3]), int(match[4]))
        except ValueError:
            return match[0]
        return f"{match[1]}{match[2]}-{match[3]}-{match[4]}"

    return _COMPACT_DATE.sub(dashed, ref)


def _price(row: Mapping[str, Any]) -> Price:
    def tiers(key: str) -> Tiers:
        return tuple((int(start), float(rate)) for start, rate in row.get(key, ()))

    cache = row.get("cache_read")
    return Price(
        float(row["in"]),
        float(row.get("out", 0)),
        float(cache) if cache is not None else None,
        tiers("in_tiers"),
        tiers("out_tiers"),
        tiers("cache_read_tiers"),
    )


def _in_force(row: Mapping[str, Any], at: datetime) -> bool:
    moment = at.astimezone(UTC) if at.tzinfo is not None else at
    if row.get("from") is not None and moment.date() < date.fromisoformat(row["from"]):
        return False
    daily = row.get("daily")
    if daily:
        start, end, now = time.fromisoformat(daily[0]), time.fromisoformat(daily[1]), moment.time()
        return (now >= start or now < end) if end < start else start <= now < end
    return True


class PriceTable:
    """``resources/prices.json``: providers (URL pattern, model rules, fallbacks) and their models' prices."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.version = f"{document.get('source', 'prices')} {document.get('version', '?')}"
        self._providers: Sequence[Mapping[str, Any]] = document.get("providers", [])
        self._by_id = {p["id"]: p for p in self._providers}
        # (url, name) -> (provider, model) or None: a preview prices the same model per keystroke pause,
        # and an unknown name at a provider of 900 models is ~25 ms of regular expressions.
        self._found: dict[tuple[str, str], tuple[Mapping[str, Any], Mapping[str, Any]] | None] = {}

    def find(self, base_url: str, model: str, at: datetime) -> Pricing | None:
        """The price of ``model`` at ``base_url`` at the moment ``at``, or None when the table does not know it."""
        ref = model.strip().lower()
        key = (base_url, ref)
        if key not in self._found:
            self._found[key] = self._lookup(base_url, ref)
        found = self._found[key]
        if found is None:
            return None
        owner, entry = found
        rows = entry["prices"]
        # genai-prices' rule: the last price in force at ``at`` (a dated change, or hours of the day), else the first.
        row = next((r for r in reversed(rows) if _in_force(r, at)), rows[0])
        source = f"{owner['name']} {entry['id']} ({self.version})"
        return Pricing("priced", source, _price(row))

    def _lookup(self, base_url: str, ref: str) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
        provider = next((p for p in self._providers if re.match(p["api_pattern"], base_url)), None)
        if provider is None:  # another URL (a proxy, a gateway): the provider whose models the name names
            provider = next((p for p in self._providers if p["model_match"] and _matches(p["model_match"], ref)), None)
        if provider is None:
            return None
        return self._model(provider, ref) or self._model(provider, _dashed_date(ref))

    def _model(self, provider: Mapping[str, Any], ref: str) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
        for entry in provider["models"]:
            if _matches(entry["match"], ref):
                return provider, entry
        for other_id in provider["fallback"]:  # e.g. Azure serves OpenAI's models at OpenAI's prices
            other = self._by_id.get(other_id)
            if other is not None:
                entry = next((m for m in other["models"] if _matches(m["match"], ref)), None)
                if entry is not None:
                    return other, entry
        return None


@functools.cache
def price_table() -> PriceTable:
    """The bundled table, read once on first use (~375 KB of JSON, a few ms)."""
    path = resources_dir() / PRICES_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        document = {}  # a damaged install prices nothing: every remote cost is unknown, never wrong
    return PriceTable(document)
