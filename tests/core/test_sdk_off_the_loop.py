"""The SDK's work a request used to do on the loop's (the window's) thread: done in the client pool's worker
by ``prepare()``, or skipped where it changed nothing (bench/window_stalls.py measures the stalls)."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from desktop_chat.core.models import ChatMessage, Role, ToolCallPart
from desktop_chat.core.providers import OpenAIChatClient, TextDelta
from tests.helpers.fake_openai import FakeOpenAIServer

HISTORY = (
    ChatMessage(Role.SYSTEM, "You are terse."),
    ChatMessage(Role.USER, "My name is Ada."),
    ChatMessage(Role.ASSISTANT, "Hello Ada."),
    ChatMessage(Role.USER, "What is my name?"),
)


async def _stream(server: FakeOpenAIServer, messages: tuple[ChatMessage, ...]) -> list[str]:
    async with OpenAIChatClient(server.base_url, "sk-test", read_timeout=5.0) as client:
        return [e.text async for e in client.stream_chat(messages, model="fake-gpt") if isinstance(e, TextDelta)]


def test_the_messages_go_as_wired_in_their_usual_place_in_the_body(fake_openai: FakeOpenAIServer) -> None:
    # The messages bypass the SDK's transform (a walk over every message on the window's thread): the body
    # must be what the SDK would have built: the messages where it puts them, as ``wire()`` made them.
    calls = (ToolCallPart("call_1", "lookup", '{"q": "Ada"}'),)
    messages = (
        *HISTORY,
        ChatMessage(Role.ASSISTANT, "", tool_calls=calls),
        ChatMessage(Role.TOOL, "Ada Lovelace", tool_call_id="call_1"),
    )
    fake_openai.reply(chunks=["Ada."])

    assert asyncio.run(_stream(fake_openai, messages)) == ["Ada."]

    [request] = fake_openai.chat_requests
    assert request.body["messages"] == [m.wire() for m in messages]
    assert list(request.body) == ["model", "stream", "messages", "stream_options"]  # the order the SDK gives


FIRST_REQUESTS = """
import asyncio, sys
from desktop_chat.core.models import ChatMessage, Role
from desktop_chat.core.providers import OpenAIChatClient
from openai.types import Model
from openai.types.chat import ChatCompletion, ChatCompletionChunk

client = OpenAIChatClient(sys.argv[1], "sk-test")
asyncio.run(asyncio.to_thread(client.prepare))  # as the client pool does, in a worker thread
built = all(t.__pydantic_complete__ for t in (Model, ChatCompletionChunk, ChatCompletion))
before = set(sys.modules)

async def first_requests():
    await client.list_models()
    async for _ in client.stream_chat([ChatMessage(Role.USER, "hi")], model="fake-gpt"):
        pass
    await client.complete([ChatMessage(Role.USER, "hi")], model="fake-gpt")
    await client.aclose()

asyncio.run(first_requests())
print(built, sorted(set(sys.modules) - before))
"""


def test_prepare_leaves_the_first_requests_no_module_to_import_and_no_response_type_to_build(
    fake_openai: FakeOpenAIServer,
) -> None:
    # A fresh interpreter: the process's first requests, which ran on the window's thread and stalled it.
    fake_openai.reply(chunks=["Hi."])
    fake_openai.reply("Hi.")
    done = subprocess.run(
        [sys.executable, "-c", FIRST_REQUESTS, fake_openai.base_url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert done.stdout.split(None, 1) == ["True", "[]\n"]
