"""The fake server itself, spoken to with a plain HTTP client: the wire shapes later tests rely on."""

from __future__ import annotations

import http.client
import json
import threading
import time
from typing import Any

from tests.helpers.fake_openai import FakeOpenAIServer, Fault


def post(server: FakeOpenAIServer, body: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request(
            "POST",
            "/v1/chat/completions",
            json.dumps(body),
            {"Content-Type": "application/json", **(headers or {})},
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def sse_payloads(raw: bytes) -> list[str]:
    return [line.removeprefix("data: ") for line in raw.decode().split("\n\n") if line.startswith("data: ")]


def test_stream_has_openai_chunk_shape_usage_chunk_and_done(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply(chunks=["a", "b"])
    body = {
        "model": "fake-gpt",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }

    status, raw = post(fake_openai, body)

    assert status == 200
    payloads = sse_payloads(raw)
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert [c["choices"][0]["delta"].get("content") for c in chunks[1:3]] == ["a", "b"]
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["completion_tokens"] == 2


def test_required_key_gives_openai_shaped_401(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.api_key = "right-test-key"
    body = {"model": "fake-gpt", "messages": [{"role": "user", "content": "hi"}]}

    status, raw = post(fake_openai, body, {"Authorization": "Bearer wrong"})
    ok_status, _ = post(fake_openai, body, {"Authorization": "Bearer right-test-key"})

    assert status == 401
    assert json.loads(raw)["error"]["code"] == "invalid_api_key"
    assert ok_status == 200
    assert [r.authorization for r in fake_openai.chat_requests] == ["Bearer wrong", "Bearer right-test-key"]


def test_json_schema_can_be_rejected(fake_openai: FakeOpenAIServer) -> None:
    body = {
        "model": "fake-gpt",
        "messages": [{"role": "user", "content": "hi"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}},
    }
    assert post(fake_openai, body)[0] == 200
    fake_openai.reject_json_schema = True
    status, raw = post(fake_openai, body)
    assert status == 400
    assert "json_schema" in json.loads(raw)["error"]["message"]


def test_faults_are_one_shot_or_n_times(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.fail(Fault.SERVER_ERROR, times=2)
    body = {"model": "fake-gpt", "messages": [{"role": "user", "content": "hi"}]}
    assert [post(fake_openai, body)[0] for _ in range(3)] == [500, 500, 200]


def test_close_ends_every_thread_even_with_clients_still_connected() -> None:
    before = set(threading.enumerate())
    server = FakeOpenAIServer().start()
    idle = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    idle.request("GET", "/v1/models")
    idle.getresponse().read()  # the keep-alive connection stays open
    server.fail(Fault.FOREVER)
    streaming = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    streaming.request("POST", "/v1/chat/completions", json.dumps({"model": "m", "stream": True, "messages": []}))
    streaming.getresponse().read(10)

    started = time.monotonic()
    server.close()

    assert time.monotonic() - started < 2
    assert set(threading.enumerate()) == before
    idle.close()
    streaming.close()
