"""`desktop-chat context` as a user runs it: real processes, JSON shape, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from desktop_chat.core.models import Role
from desktop_chat.core.storage.store import Store
from tests.helpers.cli import cli, one_line

DOCUMENT = {
    "sessions": [
        {
            "title": "Pets",
            "system_prompt": "Be brief.",
            "messages": [
                {"role": "user", "content": "My tortoise is called Humphrey.", "meta": {"bench_id": "s1-m0"}},
                {"role": "assistant", "content": "Hello, Humphrey!"},
                *[
                    {"role": "user" if i % 2 == 0 else "assistant", "content": f"small talk number {i}"}
                    for i in range(30)
                ],
                {"role": "user", "content": "What is my tortoise called?"},
            ],
        }
    ]
}


def imported(tmp_path: Path) -> Path:
    data = tmp_path / "home"
    source = tmp_path / "chat.json"
    source.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    assert cli(data, "import", str(source), home=True).returncode == 0
    store = Store.open(data)
    store.facts.add("name", "Alex", pinned=True)
    store.close()
    return data


def test_context_json_shows_every_part_with_provenance(tmp_path: Path) -> None:
    data = imported(tmp_path)
    result = cli(
        data, "context", "1", "--strategy", "hybrid", "--model", "gpt-4o", "--budget", "300", "--json", home=True
    )
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert {
        "strategy",
        "model",
        "budget",
        "total_tokens",
        "context_window",
        "reserved_reply",
        "parts",
        "omitted",
    } <= set(plan)
    assert (plan["strategy"], plan["model"], plan["budget"]) == ("hybrid", "gpt-4o", 300)
    assert plan["total_tokens"] <= 300 and plan["context_window"] == 128_000
    kinds = [p["kind"] for p in plan["parts"]]
    assert kinds == ["system_prompt", "pinned_facts", "recalled", "recent"]
    recalled = plan["parts"][2]
    assert recalled["messages"][0]["meta"] == {"bench_id": "s1-m0"}
    assert "Humphrey" in recalled["text"][0] and recalled["tokens"] > 0 and recalled["reason"]
    assert plan["parts"][1]["fact_ids"] and plan["parts"][3]["roles"][-1] == "user"
    assert plan["request"][-1] == {"role": "user", "content": "What is my tortoise called?"}
    assert plan["omitted"] and all(o["reason"] for o in plan["omitted"])


def test_context_readable_and_draft(tmp_path: Path) -> None:
    data = imported(tmp_path)
    result = cli(
        data, "context", "1", "--strategy", "window", "--draft", "and my cat?", "--model", "llama-3", home=True
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("window · llama-3 ·") and "a guess" in lines[0]
    assert any(line.strip().startswith("recent") and "and my cat?" in line for line in lines)
    assert any("left out recent: older than the window" in line for line in lines)


def test_context_errors_are_one_line_with_exit_codes(tmp_path: Path) -> None:
    data = imported(tmp_path)
    missing = cli(data, "context", "99", home=True)
    assert missing.returncode == 1 and missing.stderr.strip().count("\n") == 0
    assert "There is no chat 99" in missing.stderr
    too_big = cli(data, "context", "1", "--budget", "10", home=True)
    # 10 tokens cannot even hold the chat's system prompt with a message: that is what is refused, with the numbers.
    assert too_big.returncode == 1 and "Traceback" not in too_big.stderr
    assert "The instructions are 7 tokens" in one_line(too_big.stderr) and "Shorten them" in too_big.stderr
    bad = cli(data, "context", "1", "--strategy", "psychic", home=True)
    assert bad.returncode == 2


def test_the_stored_counts_survive_for_the_next_process(tmp_path: Path) -> None:
    data = imported(tmp_path)
    assert cli(data, "context", "1", "--strategy", "full", "--json", home=True).returncode == 0
    store = Store.open(data)
    try:
        messages = store.messages.all(1)
        assert all(m.token_count is not None for m in messages if m.role != Role.SYSTEM)
    finally:
        store.close()
