"""Automatic titles: from the upkeep model after the first exchange, a fallback, never over the user's title.

The title is made in the background after ``Finished`` and published on the event channel, so a caller
is done with a reply when its generator ends; these tests record the generator's events and the
channel's ``TitleChanged`` in the order they happened.
"""

from __future__ import annotations

import time
from pathlib import Path

from desktop_chat.core.controller import ConversationController
from desktop_chat.core.events import Event, Finished, TitleChanged
from desktop_chat.core.titles import clean_title, fallback_title
from tests.helpers.controller import UPKEEP_MODEL, collect, ending, open_store, started, with_controller
from tests.helpers.fake_openai import FakeOpenAIServer, Fault

FIRST = "I am planning a week in Lisbon in May with my sister"


def run_first_exchange(
    tmp_path: Path, server: FakeOpenAIServer, *, title: str = ""
) -> tuple[list[Event], list[Event], str]:
    async def job(c: ConversationController) -> tuple[list[Event], list[Event], str]:
        session = c.new_session(title=title)
        seen: list[Event] = []
        c.subscribe(lambda e: seen.append(e) if isinstance(e, TitleChanged) else None)
        first = await collect(c.send(session.id, FIRST))
        await c.wait_for_upkeep(10)
        first += seen
        seen.clear()
        second = await collect(c.send(session.id, "Any food tips?"))
        await c.wait_for_upkeep(10)
        second += seen
        return first, second, c.store.sessions.get(session.id).title

    return with_controller(tmp_path, server, job)


def test_title_comes_from_the_upkeep_model_after_the_first_exchange(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.reply("A week in Lisbon sounds lovely.")
    fake_openai.reply('Title: "Lisbon Trip in May."')
    first, second, stored = run_first_exchange(tmp_path, fake_openai)

    assert isinstance(first[-1], TitleChanged)
    assert first[-1].title == "Lisbon Trip in May"
    assert stored == "Lisbon Trip in May"
    assert not any(isinstance(e, TitleChanged) for e in second)  # only the first exchange names the chat
    title_request = fake_openai.chat_requests[1].body
    assert title_request["model"] == UPKEEP_MODEL
    assert title_request["max_tokens"] == 24  # a title, not a chat reply
    assert FIRST in title_request["messages"][-1]["content"]
    # The title came after the reply had finished, never before.
    kinds = [type(e) for e in first]
    assert kinds.index(Finished) < kinds.index(TitleChanged)


def test_the_reply_ends_at_finished_while_the_title_is_still_being_made(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.reply("A week in Lisbon sounds lovely.")
    fake_openai.fail(Fault.STALL, seconds=1.5)  # a title model that takes its time

    async def job(c: ConversationController) -> tuple[float, list[Event], str]:
        session = c.new_session()
        seen: list[Event] = []
        c.subscribe(lambda e: seen.append(e) if isinstance(e, TitleChanged) else None)
        started = time.monotonic()
        events = await collect(c.send(session.id, FIRST))
        took = time.monotonic() - started
        assert isinstance(ending(events), Finished)
        assert not seen  # not yet: the caller did not have to wait for it
        await c.wait_for_upkeep(10)
        return took, seen, c.store.sessions.get(session.id).title

    took, seen, title = with_controller(tmp_path, fake_openai, job)
    assert took < 1.5
    assert title and seen == [TitleChanged(1, title)]


def test_title_falls_back_to_the_first_words_when_the_model_fails(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.reply("A week in Lisbon sounds lovely.")
    fake_openai.fail(Fault.UNAUTHORIZED)  # the title request
    first, _, stored = run_first_exchange(tmp_path, fake_openai)
    assert isinstance(ending(first), Finished)
    assert stored == "I am planning a week in"
    assert first[-1] == TitleChanged(started(first).session_id, stored)


def test_a_title_the_user_set_is_never_overwritten(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    _, _, stored = run_first_exchange(tmp_path, fake_openai, title="Sister trip")
    assert stored == "Sister trip"
    assert len(fake_openai.chat_requests) == 2  # the two replies; no title request at all


def test_a_rename_while_the_title_is_being_made_wins(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply("Lovely.")
    fake_openai.reply("Lisbon Trip")

    async def job(c: ConversationController) -> tuple[list[Event], str]:
        session = c.new_session()
        events: list[Event] = []
        c.subscribe(lambda e: events.append(e) if isinstance(e, TitleChanged) else None)
        async for event in c.send(session.id, FIRST):
            events.append(event)
            if isinstance(event, Finished):
                c.store.sessions.rename(session.id, "Mine")
        await c.wait_for_upkeep(10)
        return events, c.store.sessions.get(session.id).title

    events, title = with_controller(tmp_path, fake_openai, job)
    assert title == "Mine"
    assert not any(isinstance(e, TitleChanged) for e in events)
    store = open_store(tmp_path)
    try:
        assert store.sessions.list_by_activity()[0].title == "Mine"
    finally:
        store.close()


def test_clean_title_and_fallback_shapes() -> None:
    assert clean_title("**Planning Lisbon**\nBecause...") == "Planning Lisbon"
    assert clean_title("\u201cBudget Review Q3\u201d.") == "Budget Review Q3"
    assert clean_title("   ") == ""
    long = fallback_title("x" * 200)
    assert len(long) <= 60
    assert fallback_title("   ") == "Untitled chat"
