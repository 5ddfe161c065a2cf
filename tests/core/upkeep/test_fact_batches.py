"""Fact extraction batched over several messages (``facts_every``): fewer requests, facts still grounded in the
message that states them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from desktop_chat.core.events import Event
from desktop_chat.core.memory.extractor import ExtractionOutcome, extract_facts
from desktop_chat.core.models import FactStatus, Role, Strategy
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.store import Store
from desktop_chat.core.workspace import Workspace
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.upkeep import MODEL, conversation, with_client
from tests.helpers.workspace import with_workspace

SAID = ["My name is Alex.", "I live in Lisbon.", "I have a cat called Miso.", "What is the weather like?"]


def extract(server: FakeOpenAIServer, store: Store, sid: int, every: int, *, flush: bool = False) -> ExtractionOutcome:
    settings = Settings(facts_every=every)
    return with_client(
        server, lambda client: extract_facts(store, client, sid, model=MODEL, settings=settings, flush=flush)
    )


def extraction_requests(server: FakeOpenAIServer) -> list[Any]:
    return [r.body for r in server.requests if r.path.endswith("/chat/completions") and r.body.get("response_format")]


def test_one_request_reads_a_batch_and_each_fact_lands_on_the_message_that_states_it(
    fake_openai: FakeOpenAIServer, store: Store
) -> None:
    sid = store.sessions.create("batch").id
    said = conversation(store, sid, [SAID[0], "Hi Alex.", SAID[1], "Nice.", SAID[2], "Cute."])
    name, city, cat = said[0], said[2], said[4]
    fake_openai.reply_json(
        {
            "facts": [
                {"message": name.id, "key": "name", "value": "Alex", "quote": "My name is Alex"},
                {"message": city.id, "key": "city", "value": "Lisbon", "quote": "I live in Lisbon"},
                # The model names the wrong message: the fact goes where its words are.
                {"message": name.id, "key": "pet", "value": "Miso", "quote": "a cat called Miso"},
                # Stated nowhere: refused, whatever message it names.
                {"message": city.id, "key": "job", "value": "pilot", "quote": "I am a pilot"},
            ]
        }
    )

    outcome = extract(fake_openai, store, sid, every=3)

    (request,) = extraction_requests(fake_openai)
    prompt = request["messages"][-1]["content"]
    assert all(f'<message id="{m.id}">' in prompt for m in (name, city, cat))
    schema = request["response_format"]["json_schema"]["schema"]["properties"]["facts"]["items"]
    assert schema["properties"]["message"]["enum"] == [name.id, city.id, cat.id]
    active = {f.key: f for f in store.facts.all() if f.status is FactStatus.ACTIVE}
    assert {k: (f.value, f.source_message_id) for k, f in active.items()} == {
        "name": ("Alex", name.id),
        "city": ("Lisbon", city.id),
        "pet": ("Miso", cat.id),
    }
    (refused,) = [f for f in store.facts.all() if f.status is FactStatus.REJECTED]
    assert refused.key == "job" and "not grounded" in (refused.reason or "")
    assert outcome.processed_ids == [name.id, city.id, cat.id] and outcome.requests == 1
    assert store.upkeep_state.get(sid, "facts").through_id == cat.id


def test_a_batch_not_full_waits_until_flushed_or_old(fake_openai: FakeOpenAIServer, store: Store) -> None:
    sid = store.sessions.create("waiting").id
    first = conversation(store, sid, [SAID[0], "Hi Alex."])[0]

    waiting = extract(fake_openai, store, sid, every=3)
    assert waiting.requests == 0 and waiting.waiting == 1 and "1 waiting" in waiting.detail
    assert extraction_requests(fake_openai) == []

    fake_openai.reply_json({"facts": [{"key": "name", "value": "Alex", "quote": "My name is Alex"}]})
    flushed = extract(fake_openai, store, sid, every=3, flush=True)
    assert flushed.requests == 1 and flushed.processed_ids == [first.id]
    # A lone message is asked about exactly as with facts_every = 1.
    (request,) = extraction_requests(fake_openai)
    assert request["messages"][-1]["content"].startswith("<message>\n")
    assert [f.value for f in store.facts.all()] == ["Alex"]


def test_waiting_messages_are_read_once_the_oldest_is_old(
    fake_openai: FakeOpenAIServer, store: Store, tmp_path: Path
) -> None:
    sid = store.sessions.create("old").id
    conversation(store, sid, [SAID[1], "Nice."])
    store.db._conn.execute("UPDATE messages SET created_at = '2020-01-01T00:00:00+00:00'")
    fake_openai.reply_json({"facts": []})
    assert extract(fake_openai, store, sid, every=5).requests == 1


def _chat(workspace: Workspace, sid: int, texts: list[str]) -> Any:
    async def go() -> None:
        for text in texts:
            async for _ in workspace.send(sid, text):
                pass
            assert await workspace.wait_for_upkeep(10)

    return go()


@pytest.mark.parametrize(("every", "requests"), [(1, 6), (3, 2)])
def test_batching_cuts_extraction_requests(
    tmp_path: Path, fake_openai: FakeOpenAIServer, every: int, requests: int
) -> None:
    """Six messages in a facts chat: one extraction per message, or one per three."""
    texts = [*SAID, "I work as a nurse.", "Thanks!"]
    for i in range(len(texts)):
        fake_openai.reply(f"Reply {i}.")
        if (i + 1) % every == 0:  # the extraction request follows the reply that fills a batch
            fake_openai.reply_json({"facts": []})

    async def job(workspace: Workspace, events: list[Event]) -> None:
        workspace.set_setting("facts_every", every)
        sid = workspace.new_session(title="Batch", strategy=Strategy.FACTS).id  # titled: no title request
        await _chat(workspace, sid, texts)
        kinds = [r.kind for r in workspace._store.usage.for_session(sid)]
        assert kinds.count("reply") == 6 and kinds.count("facts") == requests
        assert len(extraction_requests(fake_openai)) == requests
        through = workspace.upkeep_status(sid)["facts"].through_id
        assert through == workspace._store.messages.all(sid)[-2].id  # every user message read
        assert all(m.role is not Role.USER or m.id <= (through or 0) for m in workspace._store.messages.all(sid))

    with_workspace(tmp_path, fake_openai, job)


def test_a_batched_answer_that_is_not_json_is_retried_then_given_up(
    fake_openai: FakeOpenAIServer, store: Store
) -> None:
    sid = store.sessions.create("broken").id
    said = conversation(store, sid, [SAID[0], "Hi.", SAID[1], "Ok."])
    for _ in range(3):
        fake_openai.reply("not json at all")
    first = extract(fake_openai, store, sid, every=2)
    assert first.failed and f"messages {said[0].id}-{said[2].id}" in (first.error or "")
    extract(fake_openai, store, sid, every=2)
    last = extract(fake_openai, store, sid, every=2)
    assert "Gave up" in (last.error or "")
    assert store.upkeep_state.get(sid, "facts").through_id == said[2].id
    assert json.loads(json.dumps(last.skipped)) == {str(said[0].id): "the answer is not valid JSON"} | {
        str(said[2].id): "the answer is not valid JSON"
    }
