"""OpenAIChatClient through the real openai SDK over real HTTP against the fake server."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from desktop_chat.core.errors import (
    AuthError,
    BadResponse,
    ConnectionFailed,
    ContextTooLong,
    ModelNotFound,
    ProviderError,
    RateLimited,
)
from desktop_chat.core.models import ChatMessage, Role, Usage
from desktop_chat.core.providers import (
    ChatClient,
    JsonSchema,
    OpenAIChatClient,
    StreamEnd,
    TextDelta,
)
from tests.helpers.fake_openai import FakeOpenAIServer, Fault, prompt_tokens_for

T = TypeVar("T")

KEY = "sk-test-FAKEabcdefghijklmnopqrstuvwxyz012345"  # fake key for tests
PLAIN_KEY = "my-own-test-secret-42"  # not key-shaped: only explicit redaction can hide it

HISTORY = (
    ChatMessage(Role.SYSTEM, "You are terse."),
    ChatMessage(Role.USER, "My name is Ada."),
    ChatMessage(Role.ASSISTANT, "Hello Ada."),
    ChatMessage(Role.USER, "What is my name?"),
)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def make_client(server: FakeOpenAIServer, **kwargs: Any) -> OpenAIChatClient:
    kwargs.setdefault("backoff", 0.01)
    kwargs.setdefault("read_timeout", 5.0)
    api_key = kwargs.pop("api_key", KEY)
    return OpenAIChatClient(server.base_url, api_key, **kwargs)


async def collect(
    client: ChatClient, model: str = "fake-gpt", messages: tuple[ChatMessage, ...] = HISTORY
) -> tuple[list[str], StreamEnd]:
    deltas: list[str] = []
    ends: list[StreamEnd] = []
    async for event in client.stream_chat(messages, model=model):
        if isinstance(event, TextDelta):
            assert not ends, "no text may follow the end"
            deltas.append(event.text)
        elif isinstance(event, StreamEnd):
            ends.append(event)
    assert len(ends) == 1
    return deltas, ends[0]


async def stream_until_error(client: ChatClient, model: str = "fake-gpt") -> tuple[list[str], Exception]:
    deltas: list[str] = []
    try:
        async for event in client.stream_chat(HISTORY, model=model):
            if isinstance(event, TextDelta):
                deltas.append(event.text)
    except Exception as exc:
        return deltas, exc
    raise AssertionError("the stream ended without an error")


def assert_user_message(err: BaseException, *secrets: str) -> None:
    text = str(err)
    assert text
    assert "\n" not in text
    assert "Traceback" not in text
    for secret in secrets:
        assert secret not in text


@pytest.fixture
def keyed_server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(api_key=KEY) as server:
        yield server


# --- the happy paths ---------------------------------------------------------------


def test_stream_yields_deltas_in_order_then_usage(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply(chunks=["Your ", "name ", "is ", "Ada."], prompt_tokens=42)

    async def scenario() -> tuple[list[str], StreamEnd]:
        async with make_client(fake_openai) as client:
            return await collect(client)

    deltas, end = run(scenario())

    assert deltas == ["Your ", "name ", "is ", "Ada."]
    assert "".join(deltas) == "Your name is Ada."
    assert end == StreamEnd(Usage(prompt_tokens=42, completion_tokens=4), "stop", "fake-gpt")
    [request] = fake_openai.chat_requests
    assert request.body["messages"] == [m.to_openai() for m in HISTORY]
    assert request.body["stream"] is True
    assert request.body["stream_options"] == {"include_usage": True}
    assert request.authorization == f"Bearer {KEY}"


def test_default_reply_reports_the_servers_prompt_tokens(fake_openai: FakeOpenAIServer) -> None:
    async def scenario() -> tuple[list[str], StreamEnd]:
        async with make_client(fake_openai) as client:
            return await collect(client)

    deltas, end = run(scenario())

    assert "".join(deltas) == "You said: What is my name?"
    assert end.usage is not None
    assert end.usage.prompt_tokens == prompt_tokens_for([m.to_openai() for m in HISTORY])
    assert end.usage.completion_tokens == len(deltas)


def test_complete_returns_text_and_usage(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply("A short summary.", prompt_tokens=11, completion_tokens=4)

    async def scenario() -> Any:
        async with make_client(fake_openai) as client:
            return await client.complete(HISTORY, model="fake-mini", max_tokens=50, temperature=0.2)

    completion = run(scenario())

    assert completion.text == "A short summary."
    assert completion.usage == Usage(11, 4)
    assert completion.model == "fake-mini"
    [request] = fake_openai.chat_requests
    # Streamed under the hood, so giving up closes the stream and the server stops generating.
    assert request.body["stream"] is True
    assert request.body["max_tokens"] == 50
    assert request.body["temperature"] == 0.2
    assert "response_format" not in request.body


def test_json_mode_asks_for_a_json_object(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply_json({"facts": [{"key": "name", "value": "Ada"}]})

    async def scenario() -> Any:
        async with make_client(fake_openai) as client:
            return await client.complete(HISTORY, model="fake-mini", json_mode=True)

    completion = run(scenario())

    assert json.loads(completion.text) == {"facts": [{"key": "name", "value": "Ada"}]}
    assert fake_openai.chat_requests[0].body["response_format"] == {"type": "json_object"}


NAME_SCHEMA = JsonSchema(
    "name",
    {"type": "object", "properties": {"name": {"type": "string", "maxLength": 12}}, "required": ["name"]},
)


def test_a_json_schema_is_sent_as_a_non_strict_json_schema_response_format(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply_json({"name": "Ada"})

    async def scenario() -> Any:
        async with make_client(fake_openai) as client:
            return await client.complete(HISTORY, model="fake-mini", json_schema=NAME_SCHEMA, max_tokens=40)

    assert json.loads(run(scenario()).text) == {"name": "Ada"}
    [request] = fake_openai.chat_requests
    assert request.body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "name", "schema": dict(NAME_SCHEMA.schema), "strict": False},
    }
    assert request.body["max_tokens"] == 40


def test_a_server_refusing_json_schema_gets_json_object_and_the_client_remembers(
    fake_openai: FakeOpenAIServer,
) -> None:
    fake_openai.reject_json_schema = True
    fake_openai.reply_json({"name": "Ada"})
    fake_openai.reply_json({"name": "Bob"})

    async def scenario() -> list[str]:
        async with make_client(fake_openai) as client:
            first = await client.complete(HISTORY, model="fake-mini", json_schema=NAME_SCHEMA)
            second = await client.complete(HISTORY, model="fake-mini", json_schema=NAME_SCHEMA)
            return [first.text, second.text]

    assert [json.loads(text) for text in run(scenario())] == [{"name": "Ada"}, {"name": "Bob"}]
    formats = [r.body["response_format"]["type"] for r in fake_openai.chat_requests]
    # One refusal, then json_object at once: the second request does not ask for the schema again.
    assert formats == ["json_schema", "json_object", "json_object"]


def test_other_refusals_are_not_retried_without_the_schema(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.fail(Fault.CONTEXT_LENGTH)

    async def scenario() -> Any:
        async with make_client(fake_openai) as client:
            return await client.complete(HISTORY, model="fake-mini", json_schema=NAME_SCHEMA)

    with pytest.raises(ContextTooLong):
        run(scenario())
    assert [r.body["response_format"]["type"] for r in fake_openai.chat_requests] == ["json_schema"]


def test_list_models(fake_openai: FakeOpenAIServer) -> None:
    async def scenario() -> list[str]:
        async with make_client(fake_openai) as client:
            return await client.list_models()

    assert run(scenario()) == ["fake-gpt", "fake-mini"]


def test_no_key_anywhere_still_works(fake_openai: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)

    async def scenario() -> tuple[list[str], StreamEnd]:
        async with make_client(fake_openai, api_key=None) as client:
            return await collect(client)

    deltas, _ = run(scenario())

    assert deltas
    assert fake_openai.chat_requests[0].authorization == "Bearer not-needed"


def test_base_url_and_key_default_to_the_sdk_environment(
    fake_openai: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", PLAIN_KEY)

    async def scenario() -> list[str]:
        async with OpenAIChatClient(None, None) as client:
            return await client.list_models()

    assert run(scenario()) == ["fake-gpt", "fake-mini"]
    assert fake_openai.requests[0].authorization == f"Bearer {PLAIN_KEY}"


def test_server_rejecting_stream_options_is_asked_again_without(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reject_stream_options = True

    async def scenario() -> list[StreamEnd]:
        async with make_client(fake_openai) as client:
            _, first = await collect(client)
            _, second = await collect(client)
            return [first, second]

    first, second = run(scenario())

    assert first.usage is None
    assert first.finish_reason == "stop"
    assert second.finish_reason == "stop"
    sent = [("stream_options" in r.body) for r in fake_openai.chat_requests]
    assert sent == [True, False, False]  # the client remembers the server's dislike


# --- faults -------------------------------------------------------------------------


@pytest.mark.parametrize("key", [KEY, PLAIN_KEY])
def test_wrong_key_is_an_auth_error_without_the_key(keyed_server: FakeOpenAIServer, key: str) -> None:
    wrong = key + "-wrong"

    async def scenario() -> tuple[list[str], Exception]:
        async with make_client(keyed_server, api_key=wrong) as client:
            return await stream_until_error(client)

    deltas, err = run(scenario())

    assert deltas == []
    assert isinstance(err, AuthError)
    assert keyed_server.base_url in str(err)
    assert "API key" in str(err)
    assert_user_message(err, wrong, key)
    assert len(keyed_server.chat_requests) == 1  # a bad key is not retried


def test_unknown_model_names_the_model_the_url_and_what_the_server_has(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reject_unknown_models = True

    async def scenario() -> tuple[list[str], Exception]:
        async with make_client(fake_openai) as client:
            return await stream_until_error(client, model="gpt-nope")

    _, err = run(scenario())

    assert isinstance(err, ModelNotFound)
    assert err.model == "gpt-nope"
    assert err.available == ("fake-gpt", "fake-mini")
    for part in ("gpt-nope", fake_openai.base_url, "fake-gpt", "fake-mini"):
        assert part in str(err)
    assert_user_message(err, KEY)


def test_unknown_model_in_complete(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.fail(Fault.MODEL_NOT_FOUND)

    async def scenario() -> Any:
        async with make_client(fake_openai) as client:
            return await client.complete(HISTORY, model="gpt-gone")

    with pytest.raises(ModelNotFound, match="gpt-gone") as info:
        run(scenario())
    assert info.value.available == ("fake-gpt", "fake-mini")


def test_rate_limit_is_retried_until_success(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.fail(Fault.RATE_LIMIT, times=2)
    fake_openai.reply("third time lucky")

    async def scenario() -> tuple[list[str], StreamEnd]:
        async with make_client(fake_openai, max_retries=3) as client:
            return await collect(client)

    deltas, _ = run(scenario())

    assert "".join(deltas) == "third time lucky"
    assert len(fake_openai.chat_requests) == 3


def test_rate_limit_forever_ends_in_rate_limited(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.fail(Fault.RATE_LIMIT, times=100)

    async def scenario() -> tuple[list[str], Exception]:
        async with make_client(fake_openai, max_retries=2) as client:
            return await stream_until_error(client)

    _, err = run(scenario())

    assert isinstance(err, RateLimited)
    assert "429" in str(err)
    assert len(fake_openai.chat_requests) == 3
    assert_user_message(err, KEY)


def test_server_error_is_retried_then_reported_with_its_status(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.fail(Fault.SERVER_ERROR, times=100)

    async def scenario() -> Any:
        async with make_client(fake_openai, max_retries=2) as client:
            return await client.complete(HISTORY, model="fake-gpt")

    with pytest.raises(ProviderError) as info:
        run(scenario())

    assert type(info.value) is ProviderError
    assert "500" in str(info.value)
    assert len(fake_openai.chat_requests) == 3
    assert_user_message(info.value, KEY)


def test_no_first_byte_before_the_timeout(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.fail(Fault.STALL, seconds=3)

    async def scenario() -> tuple[list[str], Exception]:
        async with make_client(fake_openai, read_timeout=0.3) as client:
            return await stream_until_error(client)

    started = time.monotonic()
    _, err = run(scenario())

    assert time.monotonic() - started < 1.5
    assert isinstance(err, ConnectionFailed)
    assert "0.3 s" in str(err)
    assert len(fake_openai.chat_requests) == 1  # a silent server is not asked again
    assert_user_message(err, KEY)


def test_connection_dropped_mid_stream_keeps_the_partial_text_and_does_not_retry(
    fake_openai: FakeOpenAIServer,
) -> None:
    fake_openai.fail(Fault.DROP, after_chunks=2)
    fake_openai.reply("a retry would fetch this")

    async def scenario() -> tuple[list[str], Exception]:
        async with make_client(fake_openai, max_retries=3) as client:
            return await stream_until_error(client)

    deltas, err = run(scenario())

    assert deltas == ["You ", "said: "]
    assert isinstance(err, ConnectionFailed)
    assert "dropped mid-reply" in str(err)
    assert len(fake_openai.chat_requests) == 1
    assert_user_message(err, KEY)


def test_connection_dropped_before_the_first_token_is_retried(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.fail(Fault.DROP, after_chunks=0)
    fake_openai.reply("second try")

    async def scenario() -> tuple[list[str], StreamEnd]:
        async with make_client(fake_openai) as client:
            return await collect(client)

    deltas, _ = run(scenario())

    assert "".join(deltas) == "second try"
    assert len(fake_openai.chat_requests) == 2


def test_malformed_sse_line_is_a_bad_response(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.fail(Fault.MALFORMED, after_chunks=1)

    async def scenario() -> tuple[list[str], Exception]:
        async with make_client(fake_openai) as client:
            return await stream_until_error(client)

    deltas, err = run(scenario())

    assert deltas == ["You "]
    assert isinstance(err, BadResponse)
    assert fake_openai.base_url in str(err)
    assert len(fake_openai.chat_requests) == 1
    assert_user_message(err, KEY)


def test_malformed_body_is_a_bad_response(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.fail(Fault.MALFORMED)

    async def scenario() -> Any:
        async with make_client(fake_openai) as client:
            return await client.complete(HISTORY, model="fake-gpt")

    with pytest.raises(BadResponse) as info:
        run(scenario())
    assert_user_message(info.value, KEY)


def test_context_length_exceeded_carries_the_numbers(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.fail(Fault.CONTEXT_LENGTH)

    async def scenario() -> tuple[list[str], Exception]:
        async with make_client(fake_openai) as client:
            return await stream_until_error(client)

    _, err = run(scenario())

    assert isinstance(err, ContextTooLong)
    assert (err.prompt_tokens, err.limit) == (9000, 8192)
    assert "9000" in str(err)
    assert "8192" in str(err)
    assert len(fake_openai.chat_requests) == 1
    assert_user_message(err, KEY)


def test_a_prompt_over_the_servers_real_limit(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.context_limit = 50
    long_history = (ChatMessage(Role.USER, "word " * 100),)
    expected = prompt_tokens_for([m.to_openai() for m in long_history])

    async def scenario() -> Any:
        async with make_client(fake_openai) as client:
            return await client.complete(long_history, model="fake-gpt")

    with pytest.raises(ContextTooLong) as info:
        run(scenario())
    assert (info.value.prompt_tokens, info.value.limit) == (expected, 50)


def test_connection_refused(unused_port: int) -> None:
    async def scenario() -> Any:
        async with OpenAIChatClient(f"http://127.0.0.1:{unused_port}/v1", KEY, max_retries=1, backoff=0.01) as client:
            return await client.list_models()

    with pytest.raises(ConnectionFailed) as info:
        run(scenario())
    assert str(info.value) == f"Cannot reach http://127.0.0.1:{unused_port}/v1: is the server running?"


@pytest.fixture
def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- stopping ----------------------------------------------------------------------


def test_cancelling_the_consumer_closes_the_http_stream(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.fail(Fault.FOREVER, interval=0.02)

    async def scenario() -> tuple[list[str], float]:
        received: list[str] = []
        three = asyncio.Event()

        async def consume() -> None:
            async for event in make_client_holder.stream_chat(HISTORY, model="fake-gpt"):
                if isinstance(event, TextDelta):
                    received.append(event.text)
                    if len(received) == 3:
                        three.set()

        async with make_client(fake_openai) as make_client_holder:
            task = asyncio.create_task(consume())
            await asyncio.wait_for(three.wait(), 2)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            cancelled_at = time.monotonic()
            assert await asyncio.to_thread(fake_openai.disconnected.wait, 2)
            return received, time.monotonic() - cancelled_at

    received, took = run(scenario())

    assert received[:3] == ["tick0 ", "tick1 ", "tick2 "]
    assert took < 1.0
    assert fake_openai.disconnects == 1
    assert len(fake_openai.chat_requests) == 1


def test_closing_the_stream_early_closes_the_http_stream(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.fail(Fault.FOREVER, interval=0.02)

    async def scenario() -> None:
        async with make_client(fake_openai) as client:
            stream = client.stream_chat(HISTORY, model="fake-gpt")
            first = await anext(stream)
            assert first == TextDelta("tick0 ")
            await stream.aclose()
            assert await asyncio.to_thread(fake_openai.disconnected.wait, 2)

    run(scenario())
    assert fake_openai.disconnects == 1
