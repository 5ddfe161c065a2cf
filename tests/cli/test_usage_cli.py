"""Costs on the command line: a profile's own price, a real reply's cost in `usage`, `cost_usd` in `context --json`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.cli import cli, configure_cli, one_line
from tests.helpers.fake_openai import FakeOpenAIServer


@pytest.mark.slow
def test_a_replys_cost_is_in_usage_per_month_and_per_chat(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    data = tmp_path / "data"
    configure_cli(data, fake_openai)
    edited = cli(data, "profiles", "edit", "Test", "--price-in", "3", "--price-out", "15", "--json")
    assert edited.returncode == 0, edited.stderr
    profile = next(p for p in json.loads(edited.stdout) if p["name"] == "Test")
    assert (profile["input_price"], profile["output_price"]) == (3.0, 15.0)

    fake_openai.reply("Paris is lovely.", prompt_tokens=2000, completion_tokens=100)
    sent = cli(data, "send", "--new", "Tell me about Paris")
    assert sent.returncode == 0, sent.stderr
    expected = (2000 * 3 + 100 * 15) / 1_000_000

    report = cli(data, "usage", "--json")
    assert report.returncode == 0, report.stderr
    usage = json.loads(report.stdout)
    month = usage["months"][0]
    assert month["month"] == usage["month"]
    assert month["by_kind"]["reply"]["requests"] == 1
    assert month["by_kind"]["reply"]["cost_usd"] == pytest.approx(expected)
    (chat,) = usage["chats"]
    assert chat["by_kind"]["reply"]["prompt_tokens"] == 2000
    assert chat["cost_usd"] >= expected  # its title request too, at the same price

    by_chat = json.loads(cli(data, "usage", "--chat", str(chat["id"]), "--json").stdout)["chat"]
    assert by_chat["by_kind"]["reply"]["cost_usd"] == pytest.approx(expected)

    readable = cli(data, "usage")
    assert readable.returncode == 0, readable.stderr
    assert "replies" in readable.stdout and "$0.0078" in readable.stdout  # 0.006 + 0.0015 + the title's 0.0003


@pytest.mark.slow
def test_cost_usd_in_context_json_is_zero_for_a_local_server_and_null_when_unknown(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    data = tmp_path / "data"
    configure_cli(data, fake_openai)
    assert cli(data, "send", "--new", "Hello").returncode == 0

    local = json.loads(cli(data, "context", "1", "--draft", "next", "--json").stdout)
    assert local["cost_usd"] == 0
    assert local["cost"]["pricing"] == "free" and local["cost"]["prompt_tokens"] == local["total_tokens"]

    # The same chat sent to a remote server whose model has no known price: unknown, never 0.
    remote = cli(data, "profiles", "edit", "Test", "--base-url", "https://llm.example.net/v1", "--model", "my-own")
    assert remote.returncode == 0, remote.stderr
    unknown = json.loads(cli(data, "context", "1", "--draft", "next", "--json").stdout)
    assert unknown["cost_usd"] is None and unknown["cost"]["pricing"] == "unknown"
    assert "cost unknown" in cli(data, "context", "1", "--draft", "next").stdout

    # A known model at OpenAI's URL: priced from the table, prompt plus at most the reserved reply.
    known = cli(data, "profiles", "edit", "Test", "--base-url", "https://api.openai.com/v1", "--model", "gpt-4o-mini")
    assert known.returncode == 0, known.stderr
    priced = json.loads(cli(data, "context", "1", "--draft", "next", "--json").stdout)
    cost = priced["cost"]
    expected = (cost["prompt_tokens"] * 0.15 + cost["reply_tokens_max"] * 0.6) / 1_000_000
    assert priced["cost_usd"] == pytest.approx(expected)
    assert cost["input_usd"] == pytest.approx(cost["prompt_tokens"] * 0.15 / 1_000_000)


def test_a_half_given_price_is_refused_in_one_line(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    data = tmp_path / "data"
    configure_cli(data, fake_openai)
    result = cli(data, "profiles", "edit", "Test", "--price-in", "3")
    assert result.returncode == 1
    assert "give both 'input_price' and 'output_price'" in one_line(result.stderr)
    bad_month = cli(data, "usage", "--month", "March")
    assert bad_month.returncode == 2 and "YYYY-MM" in one_line(bad_month.stderr)
