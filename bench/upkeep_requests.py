"""Requests and tokens per user message, replies and memory upkeep, with fact extraction every N messages.

    .venv/bin/python -m bench.upkeep_requests [--messages 12]

A chat of ``--messages`` user messages (each states one fact) is run through the workspace against
the project's fake OpenAI-compatible server, once per strategy and ``facts_every``; the meter's
records (``usage_log``) are counted by kind. Prompt tokens are our tokenizer's count of what was
sent (the fake server's own numbers are a stand-in), and the dollars are what those tokens would
cost at gpt-4o (replies) and gpt-4o-mini (upkeep) prices from the bundled table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from pathlib import Path

from desktop_chat.core.models import ChatMessage, Role, Strategy
from desktop_chat.core.pricing import pricing_for
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.storage.store import Store
from desktop_chat.core.tokens import TokenCounter
from desktop_chat.core.workspace import Workspace
from tests.helpers.controller import make_factory, save_settings, settings_for
from tests.helpers.fake_openai import FakeOpenAIServer

FACTS = ["my name is Alex", "I live in Lisbon", "I work as a nurse", "I have a cat called Miso", "I am 34"]
OPENAI = ProviderProfile("OpenAI", base_url="https://api.openai.com/v1")


def kind_of(body: dict[str, object]) -> str:
    if body.get("response_format"):
        return "facts"
    messages = body.get("messages") or []
    system = str(messages[0].get("content", "")) if messages else ""  # type: ignore[index]
    if system.startswith("Write a title"):
        return "title"
    if system.startswith("You maintain the running summary"):
        return "summary"
    return "reply"


async def run(strategy: Strategy, every: int, messages: int, server: FakeOpenAIServer) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder))
        save_settings(store, settings_for(server, default_strategy=strategy))
        workspace = Workspace(store, make_factory())
        workspace.set_setting("facts_every", every)
        sid = workspace.new_session().id  # untitled: its title is asked for, as in a real first chat
        before = len(server.requests)
        for i in range(messages):
            async for _ in workspace.send(sid, f"Hello, {FACTS[i % len(FACTS)]} (message {i + 1})."):
                pass
            await workspace.wait_for_upkeep(20)
        await workspace.aclose()
        store.close()
    counter = TokenCounter.for_model("gpt-4o")
    counts: dict[str, list[int]] = {}
    for request in server.requests[before:]:
        if not request.path.endswith("/chat/completions"):
            continue
        sent = [ChatMessage(Role(m["role"]), str(m["content"])) for m in request.body["messages"]]
        counts.setdefault(kind_of(request.body), []).append(counter.count_messages(sent))
    reply_price, upkeep_price = pricing_for(OPENAI, "gpt-4o"), pricing_for(OPENAI, "gpt-4o-mini")
    dollars = {
        kind: sum((reply_price if kind == "reply" else upkeep_price).cost_of(t, 20) or 0 for t in tokens)
        for kind, tokens in counts.items()
    }
    upkeep = [k for k in counts if k != "reply"]
    return {
        "strategy": strategy.value,
        "facts_every": every,
        "requests_per_message": round(sum(len(v) for v in counts.values()) / messages, 2),
        "by_kind": {k: len(v) for k, v in sorted(counts.items())},
        "extraction_prompt_tokens": sum(counts.get("facts", [])),
        "upkeep_share_of_cost": round(sum(dollars[k] for k in upkeep) / max(sum(dollars.values()), 1e-12), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=12)
    args = parser.parse_args()
    with FakeOpenAIServer() as server:
        server.default_json = json.dumps({"facts": []})
        for strategy in (Strategy.FACTS, Strategy.HYBRID):
            for every in (1, 3, 5):
                print(json.dumps(asyncio.run(run(strategy, every, args.messages, server))))


if __name__ == "__main__":
    main()
