"""Helpers for the memory upkeep tests (summary, fact extraction): the upkeep jobs talk to the in-process fake OpenAI
server through the real ``OpenAIChatClient``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from desktop_chat.core.models import ChatMessage, Message, Role
from desktop_chat.core.providers import Completion, JsonSchema, OpenAIChatClient, StreamEvent
from desktop_chat.core.storage.store import Store
from tests.helpers.fake_openai import FakeOpenAIServer

T = TypeVar("T")

MODEL = "fake-mini"


def open_store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "data")


def with_client(server: FakeOpenAIServer, job: Callable[[OpenAIChatClient], Awaitable[T]]) -> T:
    """Run ``job`` with a real client of the fake server, closing the client afterwards."""

    async def go() -> T:
        async with OpenAIChatClient(server.base_url, "sk-test-upkeep", max_retries=0) as client:
            return await job(client)

    return asyncio.run(go())


def conversation(store: Store, session_id: int, texts: Sequence[str]) -> list[Message]:
    """Append ``texts`` alternating user / assistant, starting with the user."""
    roles = (Role.USER, Role.ASSISTANT)
    return [store.messages.append(session_id, roles[i % 2], text) for i, text in enumerate(texts)]


class AfterReply:
    """A real ChatClient that gets the real reply, then runs ``then`` before handing it back.

    It stands for what can happen between the request and the save: the task
    being cancelled, the user editing the summary in the window.
    """

    def __init__(self, inner: OpenAIChatClient, then: Callable[[], object]) -> None:
        self._inner = inner
        self._then = then

    def stream_chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str,
        max_tokens: int | None = None,
        temperature: float | None = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
    ) -> AsyncIterator[StreamEvent]:
        return self._inner.stream_chat(
            messages, model=model, max_tokens=max_tokens, temperature=temperature, tools=tools
        )

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str,
        json_mode: bool = False,
        json_schema: JsonSchema | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> Completion:
        completion = await self._inner.complete(
            messages,
            model=model,
            json_mode=json_mode,
            json_schema=json_schema,
            max_tokens=max_tokens,
            temperature=temperature,
        )
        result = self._then()
        if asyncio.iscoroutine(result):
            await result
        return completion

    async def list_models(self) -> list[str]:
        return await self._inner.list_models()

    async def aclose(self) -> None:
        await self._inner.aclose()
