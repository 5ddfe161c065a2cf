"""Sending: commit first, plan, stream, save as it streams, finish; stop keeps the partial reply."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from desktop_chat.core.controller import ConversationController
from desktop_chat.core.errors import DesktopChatError, InputTooLarge
from desktop_chat.core.events import Delta, Event, Failed, Finished, Started, Stopped
from desktop_chat.core.models import MessageStatus
from tests.helpers.controller import (
    MODEL,
    active_pairs,
    collect,
    ending,
    open_store,
    raw_db,
    settings_for,
    started,
    text_of,
    with_controller,
)
from tests.helpers.fake_openai import FakeOpenAIServer, Fault, prompt_tokens_for


def test_full_send_commits_first_streams_in_order_and_completes_with_usage(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    chunks = ["Hello ", "Ada, ", "nice ", "to ", "meet ", "you."]
    fake_openai.reply(chunks=chunks, chunk_delay=0.05)
    seen_in_db_at_first_delta: list[tuple[str, str]] = []

    async def job(c: ConversationController) -> list[Event]:
        session = c.new_session(title="Intro")
        events: list[Event] = []
        async for event in c.send(session.id, "My name is Ada."):
            if isinstance(event, Delta) and not seen_in_db_at_first_delta:
                # The server has the request by now; another connection must already see the user's words.
                assert len(fake_openai.chat_requests) == 1
                with raw_db(tmp_path) as db:
                    seen_in_db_at_first_delta.extend(
                        db.execute("SELECT role, content FROM messages ORDER BY id").fetchall()
                    )
            events.append(event)
        return events

    events = with_controller(tmp_path, fake_openai, job)

    assert seen_in_db_at_first_delta[0] == ("user", "My name is Ada.")
    assert isinstance(events[0], Started)
    assert [e.text for e in events if isinstance(e, Delta)] == chunks
    end = ending(events)
    assert isinstance(end, Finished)
    assert end.message.status is MessageStatus.COMPLETE
    assert end.message.content == "Hello Ada, nice to meet you."
    request = fake_openai.chat_requests[0].body
    plan = started(events).plan
    assert request["messages"] == plan.request_messages()
    assert request["model"] == MODEL
    assert end.usage is not None
    assert end.usage.prompt_tokens == prompt_tokens_for(request["messages"])
    assert end.usage.completion_tokens == len(chunks)
    assert end.calibrated
    assert end.estimated_prompt_tokens == plan.total_tokens

    store = open_store(tmp_path)
    try:
        stored = store.messages.get(end.message.id)
        assert stored.status is MessageStatus.COMPLETE
        assert stored.usage == end.usage
        assert stored.parent_id == started(events).user_message_id
    finally:
        store.close()


def test_history_of_earlier_turns_reaches_the_server(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply("Hello Ada.")
    fake_openai.reply("Your name is Ada.")

    async def job(c: ConversationController) -> tuple[list[Event], list[Event], int]:
        session = c.new_session(title="Names")
        first = await collect(c.send(session.id, "My name is Ada."))
        second = await collect(c.send(session.id, "What is my name?"))
        return first, second, c.calibrations.get(MODEL).samples

    _, second, samples = with_controller(tmp_path, fake_openai, job)
    assert text_of(second) == "Your name is Ada."
    sent = fake_openai.chat_requests[1].body["messages"]
    assert [(m["role"], m["content"]) for m in sent] == [
        ("user", "My name is Ada."),
        ("assistant", "Hello Ada."),
        ("user", "What is my name?"),
    ]
    assert sent == started(second).plan.request_messages()
    assert samples == 2  # every reported usage calibrates the estimate


def test_partial_reply_is_in_the_database_at_least_once_a_second(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    chunks = [f"w{i:02d} " for i in range(30)]
    fake_openai.reply(chunks=chunks, chunk_delay=0.1)  # about 3 s of streaming
    received: list[tuple[float, int]] = []  # (when, characters the caller had)
    polled: list[tuple[float, int]] = []  # (when, characters another connection saw)
    stop_polling = threading.Event()

    def poll() -> None:
        with raw_db(tmp_path) as db:
            while not stop_polling.is_set():
                row = db.execute("SELECT content FROM messages WHERE role = 'assistant'").fetchone()
                if row is not None:
                    polled.append((time.monotonic(), len(row[0])))
                time.sleep(0.02)

    async def job(c: ConversationController) -> list[Event]:
        session = c.new_session(title="Counting")
        poller = threading.Thread(target=poll)
        events: list[Event] = []
        total = 0
        try:
            async for event in c.send(session.id, "Count"):
                if isinstance(event, Started):
                    poller.start()
                if isinstance(event, Delta):
                    total += len(event.text)
                    received.append((time.monotonic(), total))
                events.append(event)
        finally:
            stop_polling.set()
            poller.join()
        return events

    events = with_controller(tmp_path, fake_openai, job)
    assert isinstance(ending(events), Finished)
    stream_end = received[-1][0]

    def had(moment: float) -> int:
        return max((n for t, n in received if t <= moment), default=0)

    mid_stream = [(t, n) for t, n in polled if t < stream_end]
    assert len(mid_stream) > 50
    for when, saved in mid_stream:
        # What the database holds is never more than a second behind what had arrived.
        assert saved >= had(when - 1.0), (when, saved, had(when - 1.0))
    distinct = {n for _, n in mid_stream if n}
    assert len(distinct) >= 3  # it was saved during the stream, not only at the end
    assert len(distinct) < len(chunks) // 2  # and on a timer, not once per delta


def test_stop_saves_the_partial_reply_as_stopped_and_closes_the_stream(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.fail(Fault.FOREVER, interval=0.02)

    async def job(c: ConversationController) -> tuple[list[Event], bool]:
        session = c.new_session(title="Endless")
        events: list[Event] = []
        async for event in c.send(session.id, "Go on forever"):
            events.append(event)
            if isinstance(event, Delta) and sum(isinstance(e, Delta) for e in events) == 5:
                assert c.stop(session.id)
        return events, c.is_streaming(session.id)

    events, still_streaming = with_controller(tmp_path, fake_openai, job)
    assert not still_streaming
    end = ending(events)
    assert isinstance(end, Stopped)
    assert end.message.status is MessageStatus.STOPPED
    assert end.message.content.startswith(text_of(events))
    assert end.message.content.startswith("tick0 tick1 tick2 tick3 tick4 ")
    assert fake_openai.disconnected.wait(5), "the HTTP stream was not closed"
    store = open_store(tmp_path)
    try:
        stored = store.messages.get(end.message.id)
        assert (stored.status, stored.content, stored.active) == (MessageStatus.STOPPED, end.message.content, True)
    finally:
        store.close()


def test_cancelling_the_task_that_iterates_stops_like_stop(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    """What the window does: it owns the task and cancels it."""
    fake_openai.fail(Fault.FOREVER, interval=0.02)
    deltas: list[str] = []

    async def job(c: ConversationController) -> int:
        session = c.new_session(title="Endless")
        five = asyncio.Event()

        async def consume() -> None:
            async for event in c.send(session.id, "Go on"):
                if isinstance(event, Delta):
                    deltas.append(event.text)
                    if len(deltas) == 5:
                        five.set()

        task = asyncio.create_task(consume())
        await five.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return session.id

    session_id = with_controller(tmp_path, fake_openai, job)
    assert fake_openai.disconnected.wait(5)
    store = open_store(tmp_path)
    try:
        reply = store.messages.all(session_id)[-1]
        assert reply.status is MessageStatus.STOPPED
        assert reply.content.startswith("".join(deltas))
    finally:
        store.close()


def test_message_too_large_fails_before_any_request_and_is_kept(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    settings = settings_for(fake_openai, reserved_reply_tokens=100)
    profile = settings.profiles[0]
    settings = replace(settings, profiles=(replace(profile, context_window=300),))
    huge = "word " * 2000

    async def job(c: ConversationController) -> tuple[list[Event], int]:
        session = c.new_session(title="Big")
        return await collect(c.send(session.id, huge)), session.id

    events, session_id = with_controller(tmp_path, fake_openai, job, settings=settings)
    assert len(events) == 1
    failed = events[0]
    assert isinstance(failed, Failed)
    assert isinstance(failed.error, InputTooLarge)
    assert failed.assistant_message_id is None
    assert not failed.retryable
    assert "\n" not in failed.message
    assert fake_openai.chat_requests == []
    store = open_store(tmp_path)
    try:
        assert active_pairs(store, session_id) == [("user", huge, "complete")]
    finally:
        store.close()


def test_a_second_send_while_streaming_is_refused(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply(chunks=["a ", "b ", "c"], chunk_delay=0.1)

    async def job(c: ConversationController) -> list[Event]:
        session = c.new_session(title="Busy")
        events: list[Event] = []
        async for event in c.send(session.id, "first"):
            events.append(event)
            if isinstance(event, Started):
                with pytest.raises(DesktopChatError, match="still streaming"):
                    await collect(c.send(session.id, "second"))
        return events

    events = with_controller(tmp_path, fake_openai, job)
    assert isinstance(ending(events), Finished)
    assert len(fake_openai.chat_requests) == 1


def test_a_local_models_reply_is_capped_by_what_is_left_of_the_window(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    """An unknown (local) model gets max_tokens, so it cannot generate until its context is full."""
    fake_openai.reply("Sure.")
    fake_openai.reply("Sure again.")

    async def job(c: ConversationController) -> tuple[list[Event], list[Event]]:
        local = c.new_session(title="local")
        known = c.new_session(title="known", model="gpt-4o")
        return await collect(c.send(local.id, "Hello there")), await collect(c.send(known.id, "Hello there"))

    local_events, _ = with_controller(tmp_path, fake_openai, job)
    plan = started(local_events).plan
    assert fake_openai.chat_requests[0].body["max_tokens"] == 8192 - plan.total_tokens
    # Known OpenAI models keep the server's own limit (the o-series refuses max_tokens).
    assert "max_tokens" not in fake_openai.chat_requests[1].body
