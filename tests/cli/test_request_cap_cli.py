"""The request cap from a terminal: `config set max_request_tokens`, `profiles add/edit --max-request-tokens`,
`strategy SESSION --max-request-tokens`, and `context` saying the budget and why. Real processes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import cli, one_line

# Long enough that 6,000 or 8,000 tokens cannot hold it all: each cap is visibly the limit.
DOCUMENT = {
    "sessions": [
        {
            "title": "Harbour",
            "messages": [
                {
                    "role": "user" if i % 2 == 0 else "assistant",
                    "content": f"message {i}: " + "the ferry, the harbour and the lighthouse keeper's dog " * 8,
                }
                for i in range(400)
            ],
        }
    ]
}


def imported(tmp_path: Path) -> Path:
    data = tmp_path / "home"
    source = tmp_path / "chat.json"
    source.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    assert cli(data, "import", str(source)).returncode == 0
    return data


def plan_of(data: Path, *args: str) -> dict[str, Any]:
    result = cli(data, "context", "1", "--json", *args)
    assert result.returncode == 0, result.stderr
    plan: dict[str, Any] = json.loads(result.stdout)
    return plan


def budget_of(plan: dict[str, Any]) -> tuple[Any, ...]:
    return plan["budget"], plan["request_cap"], plan["request_cap_source"], plan["budget_reason"]


def test_config_sets_clears_and_refuses_the_cap(tmp_path: Path) -> None:
    data = tmp_path / "home"
    assert cli(data, "config", "get", "max_request_tokens").stdout.strip() == "16000"
    assert cli(data, "config", "set", "max_request_tokens", "6000").stdout.strip() == "6000"
    cleared = cli(data, "config", "set", "max_request_tokens", "")  # empty: no cap, the model's window
    assert (cleared.returncode, cleared.stdout.strip()) == (0, "null")
    bad = cli(data, "config", "set", "max_request_tokens", "lots")
    assert bad.returncode == 1
    assert one_line(bad.stderr) == (
        "desktop-chat: Setting 'max_request_tokens' cannot be 'lots': it must be a whole number of tokens from "
        "256 to 10000000, or 'window' for no cap (the model's window)."
    )
    assert cli(data, "config", "reset", "max_request_tokens").stdout.strip() == "16000"


@pytest.mark.slow
def test_the_chats_cap_wins_over_the_profiles_and_the_profiles_over_the_setting(tmp_path: Path) -> None:
    data = imported(tmp_path)
    # Full memory: every message until the budget is full, so the cap is what stops it. (The default, hybrid,
    # would first embed the 400 messages for recall by meaning, ~40 s on a loaded machine, for nothing checked here.)
    assert cli(data, "config", "set", "default_strategy", "full").returncode == 0
    plan = plan_of(data)
    assert budget_of(plan) == (16_000, 16_000, "settings", "cap 16,000 (Settings)")
    assert plan["budget_limited_by"] == "cap" and plan["context_window"] == 128_000
    assert 15_000 < plan["total_tokens"] <= 16_000 and plan["draft_room"] > 15_000  # filled up to the cap

    added = cli(data, "profiles", "add", "Work", "--preset", "openai", "--max-request-tokens", "8000", "--activate")
    assert added.returncode == 0, added.stderr
    assert budget_of(plan_of(data)) == (8000, 8000, "profile", "cap 8,000 (profile Work)")
    assert plan_of(data)["request_cap_profile"] == "Work"

    changed = cli(data, "strategy", "1", "--max-request-tokens", "6000", "--json")
    assert changed.returncode == 0, changed.stderr
    shown = json.loads(changed.stdout)
    assert (shown["request_cap"], shown["request_cap_source"], shown["options"]) == (
        6000,
        "chat",
        {"max_request_tokens": 6000},
    )
    plan = plan_of(data)
    assert budget_of(plan) == (6000, 6000, "chat", "cap 6,000 (this chat)")
    assert 5000 < plan["total_tokens"] <= 6000
    # An explicit budget (benchmarks) still overrides every cap.
    given = plan_of(data, "--budget", "50000")
    assert (given["budget"], given["budget_limited_by"], given["request_cap"]) == (50_000, "given", 6000)

    readable = cli(data, "context", "1")
    assert "6,000 tokens · budget: cap 6,000 (this chat) · context 128,000" in readable.stdout.splitlines()[0]

    # "window" lifts the chat's cap: the model's window, over the profile's 8,000.
    assert cli(data, "strategy", "1", "--max-request-tokens", "window").returncode == 0
    assert budget_of(plan_of(data))[::3] == (126_950, "the model's window (this chat has no cap)")
    # Empty: the chat has none of its own again; the profile's applies.
    cleared = cli(data, "strategy", "1", "--max-request-tokens", "")
    assert "request cap: 8,000 (profile Work)" in cleared.stdout


def test_bad_caps_on_a_profile_or_a_chat_are_one_line(tmp_path: Path) -> None:
    data = imported(tmp_path)
    assert cli(data, "profiles", "add", "Work", "--preset", "openai").returncode == 0
    bad = cli(data, "profiles", "edit", "Work", "--max-request-tokens", "12")
    assert bad.returncode == 1
    assert "Provider profile 'Work': 'max_request_tokens' must be a whole number of tokens" in one_line(bad.stderr)
    bad = cli(data, "strategy", "1", "--max-request-tokens", "plenty")
    assert bad.returncode == 1
    assert "Chat option 'max_request_tokens' cannot be 'plenty'" in one_line(bad.stderr)
    assert json.loads(cli(data, "strategy", "1", "--json").stdout)["options"] == {}, "nothing was changed"
