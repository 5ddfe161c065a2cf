"""Write resources/prices.json, the app's price table, from the genai-prices library (a dev dependency).

Run at development time after upgrading genai-prices (pinned in pyproject.toml's dev extra):

    .venv/bin/python scripts/update_prices.py

The app reads the JSON it writes (``desktop_chat/core/pricing.py``) and never imports genai-prices:
the library costs ~0.4 s and ~90 MB to import and price once, and ships an updater that fetches
prices over the network, which the app must never do. The table keeps what a chat request needs:
each provider's URL pattern and model-name rules, and per model its input, output and cached-input
prices per million tokens (with the library's tiers and dated price changes). Prices that depend on
the time of day (off-peak discounts) are left out: the standard price is used, an overestimate.
tests/core/test_pricing.py checks the table against the installed library.
"""

from __future__ import annotations

import datetime
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import genai_prices
from genai_prices import types
from genai_prices.data import providers

OUT = Path(__file__).resolve().parents[1] / "resources" / "prices.json"
KEYS = {"input_mtok": "in", "output_mtok": "out", "cache_read_mtok": "cache_read"}


def clause(match: Any) -> dict[str, Any]:
    for name in ("starts_with", "ends_with", "contains", "regex", "equals"):
        if hasattr(match, name):
            return {name: getattr(match, name)}
    if isinstance(match, types.ClauseOr):
        return {"or": [clause(c) for c in match.or_]}
    if isinstance(match, types.ClauseAnd):
        return {"and": [clause(c) for c in match.and_]}
    raise SystemExit(f"update_prices: unknown match clause {match!r}: teach clause() and pricing.py about it")


def number(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)


def utc_time(value: datetime.time) -> str:
    if value.tzinfo is not None:
        value = datetime.datetime.combine(datetime.date(1970, 1, 1), value).astimezone(datetime.UTC).time()
    return value.strftime("%H:%M:%S")


def price(model_price: types.ModelPrice, constraint: Any) -> dict[str, Any] | None:
    row: dict[str, Any] = {"from": None}
    if isinstance(constraint, types.StartDateConstraint):
        row["from"] = constraint.start_date.isoformat()
    elif isinstance(constraint, types.TimeOfDateConstraint):
        row["daily"] = [utc_time(constraint.start_time), utc_time(constraint.end_time)]  # UTC, end excluded
    for key, short in KEYS.items():
        value = getattr(model_price, key, None)
        if value is None:
            continue
        if isinstance(value, types.TieredPrices):
            row[short] = number(value.base)
            row[short + "_tiers"] = [[tier.start, number(tier.price)] for tier in value.tiers]
        else:
            row[short] = number(value)
    return row if "in" in row else None  # no per-token input price: not a chat model this app can price


def prices(model: types.ModelInfo) -> list[dict[str, Any]]:
    if isinstance(model.prices, types.ModelPrice):
        rows = [price(model.prices, None)]
    else:
        rows = [price(conditional.prices, conditional.constraint) for conditional in model.prices]
    return [row for row in rows if row is not None]


def main() -> int:
    table: list[dict[str, Any]] = []
    for provider in providers:
        models = []
        for model in provider.models:
            rows = prices(model)
            if rows:
                models.append({"id": model.id, "match": clause(model.match), "prices": rows})
        table.append(
            {
                "id": provider.id,
                "name": provider.name,
                "api_pattern": provider.api_pattern,
                "model_match": clause(provider.model_match) if provider.model_match else None,
                "fallback": provider.fallback_model_providers or [],
                "models": models,
            }
        )
    document = {"source": "genai-prices", "version": genai_prices.__version__, "providers": table}
    OUT.write_text(json.dumps(document, separators=(",", ":"), ensure_ascii=False) + "\n", encoding="utf-8")
    count = sum(len(p["models"]) for p in table)
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes): {count} models of {len(table)} providers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
