"""Prices: a known model priced from its usage, an unknown one "cost unknown" (never $0), local servers free,
the profile's own price first; and the bundled table agrees with the genai-prices it was made from."""

from __future__ import annotations

from datetime import UTC, datetime

import genai_prices
import pytest
from genai_prices import Usage as LibraryUsage
from genai_prices import calc_price
from genai_prices.data import providers

from desktop_chat.core.models import Usage
from desktop_chat.core.pricing import format_cost, price_table, pricing_for
from desktop_chat.core.profiles import PRESETS, ProviderProfile

OPENAI = ProviderProfile("OpenAI", base_url="https://api.openai.com/v1")


def test_a_known_model_is_priced_from_its_usage() -> None:
    pricing = pricing_for(OPENAI, "gpt-4o")
    assert pricing.kind == "priced"
    assert "gpt-4o" in pricing.source and "genai-prices" in pricing.source
    # gpt-4o: $2.50 per million prompt tokens, $10 per million completion tokens.
    assert pricing.cost(Usage(1000, 100)) == pytest.approx(0.0035)
    library = calc_price(LibraryUsage(input_tokens=1000, output_tokens=100), model_ref="gpt-4o", provider_id="openai")
    assert pricing.cost(Usage(1000, 100)) == pytest.approx(float(library.total_price))


def test_cached_prompt_tokens_cost_the_cache_price() -> None:
    pricing = pricing_for(OPENAI, "gpt-4o-mini")
    full = pricing.cost(Usage(10_000, 0))
    cached = pricing.cost(Usage(10_000, 0, cached_tokens=8_000))
    assert full is not None and cached is not None
    assert cached < full
    assert cached == pytest.approx((2_000 * 0.15 + 8_000 * 0.075) / 1_000_000)


def test_a_dated_model_name_and_no_base_url_find_the_openai_price(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert pricing_for(ProviderProfile("OpenAI"), "gpt-4o-mini-2024-07-18").kind == "priced"


def test_an_unpriced_model_is_unknown_never_zero() -> None:
    pricing = pricing_for(OPENAI, "my-finetune-that-nobody-prices")
    assert pricing.kind == "unknown"
    assert pricing.cost(Usage(1000, 100)) is None
    assert format_cost(pricing.cost(Usage(1000, 100))) == "cost unknown"
    remote_unknown = ProviderProfile("LAN box", base_url="http://192.0.2.10:8000/v1")
    assert pricing_for(remote_unknown, "qwen2.5:7b").cost(Usage(5, 5)) is None


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:8080/v1", "http://localhost:11434/v1", "http://[::1]:1234/v1"])
def test_a_loopback_server_costs_nothing(base_url: str) -> None:
    pricing = pricing_for(ProviderProfile("Local", base_url=base_url, needs_key=False), "gpt-4o")
    assert pricing.kind == "free"
    assert pricing.cost(Usage(100_000, 5_000)) == 0.0


def test_the_built_in_model_costs_nothing() -> None:
    assert pricing_for(PRESETS["local"], "SmolLM2-135M-Instruct").cost(Usage(900, 90)) == 0.0


def test_the_profiles_own_price_wins() -> None:
    priced = ProviderProfile("OpenAI", base_url="https://api.openai.com/v1", input_price=1.0, output_price=2.0)
    pricing = pricing_for(priced, "gpt-4o")
    assert pricing.kind == "priced" and "profile OpenAI" in pricing.source
    assert pricing.cost(Usage(1_000_000, 500_000)) == pytest.approx(2.0)
    # Over "free" too: a paid server reached through a tunnel on localhost.
    tunnel = ProviderProfile("Tunnel", base_url="http://127.0.0.1:9000/v1", input_price=3.0, output_price=15.0)
    assert pricing_for(tunnel, "anything").cost(Usage(1_000_000, 0)) == pytest.approx(3.0)
    # And over "unknown".
    custom = ProviderProfile("Mine", base_url="https://llm.example.net/v1", input_price=0.5, output_price=0.5)
    assert pricing_for(custom, "my-own-model").cost(Usage(2_000_000, 0)) == pytest.approx(1.0)


def test_a_proxy_url_prices_a_model_by_its_name() -> None:
    proxy = ProviderProfile("LiteLLM", base_url="https://llm-proxy.example.net/v1")
    assert pricing_for(proxy, "gpt-4o").cost(Usage(1000, 100)) == pytest.approx(0.0035)


def test_costs_read_as_people_write_them() -> None:
    assert format_cost(0.00123) == "$0.0012"
    assert format_cost(0.3141, estimated=True) == "≈$0.314"
    assert format_cost(12.5) == "$12.50"
    assert format_cost(0.0, free=True) == "free"
    assert format_cost(0.00000123) == "<$0.0001"
    assert format_cost(None) == "cost unknown"


# The providers a user most often points a profile at, by the URL they would enter.
URLS = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com/v1",
    "mistral": "https://api.mistral.ai/v1",
    "deepseek": "https://api.deepseek.com/v1",
    "groq": "https://api.groq.com/openai/v1",
    "together": "https://api.together.xyz/v1",
    "openrouter": "https://openrouter.ai/api/v1",
    "x-ai": "https://api.x.ai/v1",
    "google": "https://generativelanguage.googleapis.com/v1beta/openai/",
    "azure": "https://mine.openai.azure.com/openai",
}


def test_the_table_is_from_the_installed_genai_prices() -> None:
    assert price_table().version == f"genai-prices {genai_prices.__version__}", (
        "resources/prices.json is from another genai-prices: run scripts/update_prices.py"
    )


@pytest.mark.parametrize("provider_id", sorted(URLS))
def test_the_table_prices_every_token_priced_model_as_genai_prices_does(provider_id: str) -> None:
    url = URLS[provider_id]
    provider = next(p for p in providers if p.id == provider_id)
    now = datetime.now(UTC)
    checked = 0
    for model in provider.models:
        prices = model.prices if isinstance(model.prices, list) else None
        rows = [c.prices for c in prices] if prices is not None else [model.prices]
        if all(getattr(row, "input_mtok", None) is None for row in rows):
            continue  # audio, images, moderation: not chat tokens; the app calls them unknown
        for prompt, completion in ((123_456, 7_890), (300_000, 1_000)):  # under and over the usual 200k tier
            found = price_table().find(url, model.id, now)
            try:
                library = calc_price(
                    LibraryUsage(input_tokens=prompt, output_tokens=completion),
                    model_ref=model.id,
                    provider_api_url=url,
                    genai_request_timestamp=now,
                )
            except LookupError:  # an id its own rules do not match (e.g. "ft:gpt-4o"): unknown to both
                assert found is None, model.id
                continue
            assert found is not None and found.price is not None, model.id
            assert found.price.cost(prompt, completion) == pytest.approx(float(library.total_price), rel=1e-9), (
                provider_id,
                model.id,
            )
            checked += 1
    assert checked > 0
