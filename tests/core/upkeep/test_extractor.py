"""Fact extraction through the real client and the fake server: grounding, superseding, protection."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from desktop_chat.core.errors import DesktopChatError
from desktop_chat.core.memory.extractor import (
    MAX_ANSWER_TOKENS,
    MAX_ATTEMPTS,
    MAX_KEY_CHARS,
    ExtractionOutcome,
    answer_tokens,
    extract_facts,
)
from desktop_chat.core.memory.fact_rules import approve as approve_fact
from desktop_chat.core.memory.fact_rules import reject as reject_fact
from desktop_chat.core.models import Fact, FactOrigin, FactStatus, Role
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.store import Store
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.upkeep import MODEL, conversation, with_client

SETTINGS = Settings()


def facts_answer(*facts: tuple[str, str, str | None]) -> dict[str, Any]:
    return {"facts": [{"key": k, "value": v, "quote": q} for k, v, q in facts]}


def extract(
    server: FakeOpenAIServer, store: Store, session_id: int, settings: Settings = SETTINGS
) -> ExtractionOutcome:
    return with_client(server, lambda client: extract_facts(store, client, session_id, model=MODEL, settings=settings))


def by_status(store: Store, status: FactStatus) -> list[Fact]:
    return [f for f in store.facts.all() if f.status is status]


@pytest.fixture
def session_id(store: Store) -> int:
    return store.sessions.create("facts").id


def test_grounded_fact_is_kept_and_an_invented_one_is_rejected_with_a_reason(
    fake_openai: FakeOpenAIServer, store: Store, session_id: int
) -> None:
    (user, _) = conversation(store, session_id, ["Hi! My name is Ada and I write compilers.", "Hello Ada."])
    fake_openai.reply_json(facts_answer(("name", "Ada", "My name is Ada"), ("city", "Lisbon", "I live in Lisbon")))

    outcome = extract(fake_openai, store, session_id)

    [active] = by_status(store, FactStatus.ACTIVE)
    assert (active.key, active.value, active.origin) == ("name", "Ada", FactOrigin.EXTRACTED)
    assert active.source_message_id == user.id
    assert active.source_quote == "My name is Ada"
    [rejected] = by_status(store, FactStatus.REJECTED)
    assert rejected.value == "Lisbon"
    assert rejected.reason is not None and "not grounded" in rejected.reason
    assert outcome.count("added") == 1 and outcome.count("rejected") == 1
    # The facts the prompt sees are only the active ones.
    assert [f.value for f in store.facts.visible(session_id=session_id, statuses=(FactStatus.ACTIVE,))] == ["Ada"]


def test_the_request_uses_json_mode_and_carries_the_message(
    fake_openai: FakeOpenAIServer, store: Store, session_id: int
) -> None:
    conversation(store, session_id, ["I am a beekeeper in Ghent."])
    fake_openai.reply_json({"facts": []})

    extract(fake_openai, store, session_id)

    [request] = fake_openai.chat_requests
    assert "I am a beekeeper in Ghent." in request.body["messages"][-1]["content"]
    # The answer's shape as a schema, bounded by the message: nothing longer than it, a fact per word at most.
    response_format = request.body["response_format"]
    assert response_format["type"] == "json_schema"
    facts = response_format["json_schema"]["schema"]["properties"]["facts"]
    assert facts["maxItems"] == 6
    fact = facts["items"]["properties"]
    room = len("I am a beekeeper in Ghent.") + 16
    assert fact["value"]["maxLength"] == room and fact["quote"]["maxLength"] == room
    assert fact["key"]["maxLength"] == MAX_KEY_CHARS
    # A short message gets a short answer budget, so a model looping inside the JSON stops early.
    assert request.body["max_tokens"] < 150


def test_a_server_without_json_schema_gets_json_object_and_the_facts_still_count(
    fake_openai: FakeOpenAIServer, store: Store, session_id: int
) -> None:
    fake_openai.reject_json_schema = True
    conversation(store, session_id, ["My name is Ada.", "Hi Ada.", "I live in Porto."])
    fake_openai.reply_json(facts_answer(("name", "Ada", None)))
    fake_openai.reply_json(facts_answer(("city", "Porto", None)))

    outcome = extract(fake_openai, store, session_id)

    assert outcome.error is None
    assert sorted(f.value for f in by_status(store, FactStatus.ACTIVE)) == ["Ada", "Porto"]
    formats = [r.body["response_format"]["type"] for r in fake_openai.chat_requests]
    assert formats == ["json_schema", "json_object", "json_object"]


def test_the_answer_budget_grows_with_the_message_up_to_a_cap() -> None:
    assert answer_tokens(10) < answer_tokens(50) < answer_tokens(1_000) == answer_tokens(4_000) == MAX_ANSWER_TOKENS


def test_a_quote_grounds_a_value_only_when_it_states_that_value(
    fake_openai: FakeOpenAIServer, store: Store, session_id: int
) -> None:
    conversation(store, session_id, ["My sister's name is Anna, she lives in Oslo."])
    fake_openai.reply_json(
        facts_answer(
            ("sister", "Anna (sister)", "My sister's name is Anna"),  # value reworded, quote verbatim
            ("brother", "Maria", "My sister's name is Anna"),  # real quote, unrelated value
            ("sister_city", "Oslo", None),  # value verbatim, no quote
        )
    )

    extract(fake_openai, store, session_id)

    assert sorted(f.value for f in by_status(store, FactStatus.ACTIVE)) == ["Anna (sister)", "Oslo"]
    [rejected] = by_status(store, FactStatus.REJECTED)
    assert rejected.value == "Maria"
    assert rejected.reason is not None and "does not state the value" in rejected.reason


def test_case_and_whitespace_do_not_matter_but_partial_words_do(
    fake_openai: FakeOpenAIServer, store: Store, session_id: int
) -> None:
    conversation(store, session_id, ["i  work at   ACME Corp and my daughter is called Annabel"])
    fake_openai.reply_json(facts_answer(("employer", "Acme corp", None), ("daughter", "Anna", None)))

    extract(fake_openai, store, session_id)

    assert [f.value for f in by_status(store, FactStatus.ACTIVE)] == ["Acme corp"]
    assert [f.value for f in by_status(store, FactStatus.REJECTED)] == ["Anna"]


def test_a_contradiction_supersedes_and_both_stay_in_history(
    fake_openai: FakeOpenAIServer, store: Store, session_id: int
) -> None:
    conversation(store, session_id, ["I live in Berlin.", "Nice.", "Actually I moved: I live in Paris now.", "Ok."])
    fake_openai.reply_json(facts_answer(("city", "Berlin", "I live in Berlin")))
    fake_openai.reply_json(facts_answer(("City", "Paris", "I live in Paris now")))

    outcome = extract(fake_openai, store, session_id)

    berlin, paris = store.facts.history("city", None)
    assert (berlin.value, berlin.status, berlin.superseded_by) == ("Berlin", FactStatus.SUPERSEDED, paris.id)
    assert (paris.value, paris.status) == ("Paris", FactStatus.ACTIVE)
    assert [e.action for e in store.facts.events(berlin.id)] == ["created", "superseded"]
    assert store.facts.events(berlin.id)[-1].actor == "extractor"
    assert outcome.count("superseded") == 1
    assert [d.replaced.id for d in outcome.decisions if d.replaced] == [berlin.id]


def test_the_same_value_twice_makes_one_fact(fake_openai: FakeOpenAIServer, store: Store, session_id: int) -> None:
    conversation(store, session_id, ["I'm vegetarian.", "Noted.", "As I said, I'm VEGETARIAN."])
    fake_openai.reply_json(facts_answer(("diet", "vegetarian", None)))
    fake_openai.reply_json(facts_answer(("diet", "Vegetarian", None)))

    extract(fake_openai, store, session_id)

    [fact] = store.facts.all()
    assert fact.value == "vegetarian"


def test_running_again_reads_only_new_messages(fake_openai: FakeOpenAIServer, store: Store, session_id: int) -> None:
    conversation(store, session_id, ["My name is Ada.", "Hi Ada."])
    fake_openai.reply_json(facts_answer(("name", "Ada", None)))
    extract(fake_openai, store, session_id)
    assert len(fake_openai.chat_requests) == 1

    extract(fake_openai, store, session_id)  # nothing new: no request at all
    assert len(fake_openai.chat_requests) == 1

    conversation(store, session_id, ["I have a cat."])
    fake_openai.reply_json(facts_answer(("pet", "cat", "I have a cat")))
    extract(fake_openai, store, session_id)
    assert len(fake_openai.chat_requests) == 2
    assert "I have a cat." in fake_openai.chat_requests[-1].body["messages"][-1]["content"]
    assert sorted(f.key for f in by_status(store, FactStatus.ACTIVE)) == ["name", "pet"]


@pytest.mark.parametrize("protect", ["pin", "edit"])
def test_pinned_or_user_edited_facts_survive_extraction(
    fake_openai: FakeOpenAIServer, store: Store, session_id: int, protect: str
) -> None:
    mine = store.facts.add("city", "Berlin")
    if protect == "pin":
        store.facts.set_pinned(mine.id, True)
    else:
        mine = store.facts.edit(mine.id, value="Berlin-Mitte")
    conversation(store, session_id, ["I live in Paris."])
    fake_openai.reply_json(facts_answer(("city", "Paris", "I live in Paris")))

    extract(fake_openai, store, session_id)

    kept = store.facts.get(mine.id)
    assert kept.status is FactStatus.ACTIVE and kept.superseded_by is None
    assert kept.value == ("Berlin" if protect == "pin" else "Berlin-Mitte")
    [refused] = by_status(store, FactStatus.REJECTED)
    assert refused.value == "Paris"
    assert refused.reason is not None and "conflicts with the" in refused.reason

    # The user can still choose the new value explicitly.
    approve_fact(store, refused.id)
    assert store.facts.get(mine.id).status is FactStatus.SUPERSEDED
    assert store.facts.get(refused.id).status is FactStatus.ACTIVE


def test_approval_mode_keeps_new_facts_pending_until_approved(
    fake_openai: FakeOpenAIServer, store: Store, session_id: int
) -> None:
    settings = replace(SETTINGS, facts_require_approval=True)
    old = store.facts.add("city", "Berlin")
    conversation(store, session_id, ["I live in Paris and my dog is called Rex."])
    fake_openai.reply_json(facts_answer(("city", "Paris", None), ("dog_name", "Rex", None)))

    extract(fake_openai, store, session_id, settings)

    pending = {f.key: f for f in by_status(store, FactStatus.PENDING)}
    assert set(pending) == {"city", "dog_name"}
    assert store.facts.get(old.id).status is FactStatus.ACTIVE  # not superseded yet

    approved = approve_fact(store, pending["city"].id)
    assert approved.status is FactStatus.ACTIVE
    superseded = store.facts.get(old.id)
    assert (superseded.status, superseded.superseded_by) == (FactStatus.SUPERSEDED, approved.id)
    assert [e.action for e in store.facts.events(approved.id)] == ["created", "approved"]

    rejected = reject_fact(store, pending["dog_name"].id)
    assert rejected.status is FactStatus.REJECTED
    with pytest.raises(DesktopChatError, match="only pending"):
        reject_fact(store, approved.id)
    with pytest.raises(DesktopChatError, match="only pending or rejected"):
        approve_fact(store, approved.id)


def test_session_scope_puts_facts_in_the_session(fake_openai: FakeOpenAIServer, store: Store, session_id: int) -> None:
    conversation(store, session_id, ["I prefer tabs."])
    fake_openai.reply_json(facts_answer(("indentation", "tabs", None)))

    extract(fake_openai, store, session_id, replace(SETTINGS, facts_scope="session"))

    [fact] = store.facts.all()
    assert fact.scope == session_id


def test_only_user_messages_are_read(fake_openai: FakeOpenAIServer, store: Store, session_id: int) -> None:
    conversation(store, session_id, ["Hello", "I am the assistant and my name is Bot.", "Bye"])
    fake_openai.reply_json({"facts": []})
    fake_openai.reply_json({"facts": []})

    outcome = extract(fake_openai, store, session_id)

    assert len(fake_openai.chat_requests) == 2
    assert all("my name is Bot" not in r.body["messages"][-1]["content"] for r in fake_openai.chat_requests)
    assert len(outcome.processed_ids) == 2


BAD_ANSWERS = {
    "invalid json": '{"facts": [{"key": "name", "value": "Ada"',
    "wrong shape": json.dumps({"facts": {"key": "name", "value": "Ada"}}),
    "a list": json.dumps([{"key": "name", "value": "Ada"}]),
    "non-string value": json.dumps({"facts": [{"key": "age", "value": 36}]}),
    "too many facts": json.dumps({"facts": [{"key": f"k{i}", "value": "Ada"} for i in range(25)]}),
    "huge value": json.dumps({"facts": [{"key": "name", "value": "Ada " * 100}]}),
    "enormous answer": json.dumps({"facts": [], "padding": "x" * 50_000}),
}


@pytest.mark.parametrize("answer", BAD_ANSWERS.values(), ids=BAD_ANSWERS.keys())
def test_malformed_output_changes_nothing_and_is_retried(
    fake_openai: FakeOpenAIServer, store: Store, session_id: int, answer: str
) -> None:
    existing = store.facts.add("name", "Ada")
    (user,) = conversation(store, session_id, ["My name is Ada, I am 36."])
    before = store.facts.all()
    fake_openai.reply(answer)

    outcome = extract(fake_openai, store, session_id)

    assert store.facts.all() == before
    assert [e.action for e in store.facts.events(existing.id)] == ["created"]
    assert outcome.error is not None and "retried (attempt 1 of" in outcome.error
    assert store.upkeep_state.get(session_id, "facts").through_id is None

    # The next run asks again for the same message, and a good answer is used.
    fake_openai.reply_json(facts_answer(("age", "36", None)))
    outcome = extract(fake_openai, store, session_id)
    assert outcome.error is None
    assert store.facts.current("age", None) is not None
    assert store.upkeep_state.get(session_id, "facts").through_id == user.id


def test_a_message_is_skipped_after_repeated_invalid_answers(
    fake_openai: FakeOpenAIServer, store: Store, session_id: int
) -> None:
    first, _, second = conversation(store, session_id, ["My name is Ada.", "Hi.", "I live in Porto."])
    for _ in range(MAX_ATTEMPTS):
        fake_openai.reply("not json at all")
    fake_openai.reply_json(facts_answer(("city", "Porto", None)))

    outcomes = [extract(fake_openai, store, session_id) for _ in range(MAX_ATTEMPTS)]

    assert all(o.error for o in outcomes)
    assert outcomes[-1].skipped == {first.id: "the answer is not valid JSON"}
    assert "Gave up" in (outcomes[-1].error or "")
    # After giving up on the first message the same run went on to the next one.
    assert [f.value for f in store.facts.all()] == ["Porto"]
    assert store.upkeep_state.get(session_id, "facts").through_id == second.id


def _extraction_work(fake_openai: FakeOpenAIServer, store: Store, turns: int) -> tuple[int, int]:
    """(SQLite VM steps, chat requests) for one extraction pass over a fresh chat of ``turns`` exchanges."""
    session_id = store.sessions.create(f"imported {turns}").id
    for n in range(turns):
        store.messages.append(session_id, Role.USER, f"Message {n}: nothing about me here.")
        store.messages.append(session_id, Role.ASSISTANT, f"Reply {n}.")
    for _ in range(turns):
        fake_openai.reply_json({"facts": []})
    requests_before = len(fake_openai.chat_requests)
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0  # 0: carry on

    # SQLite calls this every 100 virtual-machine steps: a measure of the work done, not of the clock.
    store.db._conn.set_progress_handler(count, 100)
    try:
        outcome = extract(fake_openai, store, session_id)
    finally:
        store.db._conn.set_progress_handler(None, 100)
    assert outcome.error is None and len(outcome.processed_ids) == turns
    return steps, len(fake_openai.chat_requests) - requests_before


def test_a_long_chat_is_read_in_one_pass_not_once_per_message(fake_openai: FakeOpenAIServer, store: Store) -> None:
    # A big imported chat: each step must fetch only the next user message, not re-read the backlog.
    small_steps, small_requests = _extraction_work(fake_openai, store, 100)
    large_steps, large_requests = _extraction_work(fake_openai, store, 400)

    assert (small_requests, large_requests) == (100, 400)
    # Four times the chat, about four times the database work; re-reading the backlog per message made it ~16x.
    assert large_steps < 6 * small_steps, (small_steps, large_steps)
