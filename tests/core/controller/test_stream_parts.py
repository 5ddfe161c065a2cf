"""A wider stream: tool-call deltas through the real openai SDK, kept as parts; deltas on the channel."""

from __future__ import annotations

import asyncio
from pathlib import Path

from desktop_chat.core.controller import ConversationController
from desktop_chat.core.events import Delta, Event, Finished
from desktop_chat.core.models import ChatMessage, MessageStatus, Role, TextPart, ToolCallPart
from desktop_chat.core.providers import StreamEnd, TextDelta, ToolCallDelta
from tests.helpers.controller import collect, ending, make_client, with_controller
from tests.helpers.fake_openai import FakeOpenAIServer

CALLS = [("call_a", "search_history", ['{"query"', ': "Porto', '"}']), ("call_b", "clock", ["{}"])]


def test_the_openai_client_maps_streamed_tool_calls_to_tool_call_deltas(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply(chunks=["Let me ", "look."], tool_calls=CALLS)

    async def read() -> list[object]:
        client = make_client(fake_openai)
        try:
            return [e async for e in client.stream_chat([ChatMessage(Role.USER, "Porto?")], model="fake-gpt")]
        finally:
            await client.aclose()

    events = asyncio.run(read())
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Let me ", "look."]
    assert [e for e in events if isinstance(e, ToolCallDelta)] == [
        ToolCallDelta(0, "call_a", "search_history", ""),
        ToolCallDelta(0, "", "", '{"query"'),
        ToolCallDelta(0, "", "", ': "Porto'),
        ToolCallDelta(0, "", "", '"}'),
        ToolCallDelta(1, "call_b", "clock", ""),
        ToolCallDelta(1, "", "", "{}"),
    ]
    end = events[-1]
    assert isinstance(end, StreamEnd) and end.finish_reason == "tool_calls"


def test_a_reply_with_tool_calls_finishes_with_its_calls_as_parts(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.reply(chunks=["Let me ", "look."], tool_calls=CALLS)

    async def job(c: ConversationController) -> list[Event]:
        session = c.new_session(title="Tools")
        return await collect(c.send(session.id, "Where did I plan to go?"))

    events = with_controller(tmp_path, fake_openai, job)
    end = ending(events)
    assert isinstance(end, Finished), "a tool call is not the end of the stream"
    message = end.message
    assert message.status is MessageStatus.COMPLETE
    assert message.parts == (
        TextPart("Let me look."),
        ToolCallPart("call_a", "search_history", '{"query": "Porto"}'),
        ToolCallPart("call_b", "clock", "{}"),
    )
    assert message.content == "Let me look."


def test_a_channel_subscriber_sees_every_delta_in_order(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    chunks = ["One ", "two ", "three ", "four."]
    fake_openai.reply(chunks=chunks, chunk_delay=0.01)
    heard: list[Delta] = []

    async def job(c: ConversationController) -> list[Event]:
        session = c.new_session(title="Listen")
        c.subscribe(lambda e: heard.append(e) if isinstance(e, Delta) else None)
        return await collect(c.send(session.id, "Count"))

    events = with_controller(tmp_path, fake_openai, job)
    end = ending(events)
    assert isinstance(end, Finished)
    assert [d.text for d in heard] == chunks
    assert {(d.session_id, d.assistant_message_id) for d in heard} == {(end.message.session_id, end.message.id)}
    assert [e for e in events if isinstance(e, Delta)] == heard, "the iterator and the channel see the same deltas"
