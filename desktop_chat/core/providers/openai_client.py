"""The ``ChatClient`` over ``openai.AsyncOpenAI``: streaming, one-shot answers, model lists, retries.

Everything that can go wrong on the wire ends as one ``ProviderError`` subclass (mapped by
``errors.ErrorMapper``) whose ``str()`` is a single line a user can act on and never contains
the API key. Retries
happen only before the first token: once text has reached the caller, a failure is
raised so the caller keeps the partial reply instead of getting a silently restarted one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import urlsplit

from desktop_chat.core.errors import BadResponse, ConnectionFailed
from desktop_chat.core.models import ChatMessage, Usage
from desktop_chat.core.profiles import ENV_KEY, env_key_allowed
from desktop_chat.core.providers.errors import (
    ErrorMapper,
    display_url,
    rejects_field,
    rejects_json_schema,
    rejects_stream_options,
    retry_after,
    retryable,
)
from desktop_chat.core.providers.protocol import (
    Completion,
    JsonSchema,
    StreamEnd,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
)

T = TypeVar("T")

if TYPE_CHECKING:
    from openai import AsyncOpenAI


OPENAI_BASE_URL = "https://api.openai.com/v1"
# The SDK insists on a key; local servers ignore whatever we send.
NO_KEY_PLACEHOLDER = "not-needed"
MAX_BACKOFF = 8.0  # seconds, for our own exponential backoff
MAX_RETRY_AFTER = 20.0  # seconds; a server asking for longer gets this much
_MODELS_LOOKUP_TIMEOUT = 5.0


_SDK_LOCK = threading.Lock()


def load_sdk() -> None:
    """Import openai, its chat and models resources, and do what its first request would do on the loop's
    (the window's) thread. One thread at a time: two threads importing its packages at once fail ("partially
    initialized module"), as when a message is sent while the import started by typing still runs.

    httpx's transport imports anyio's asyncio backend on its first request (~20 ms), and pydantic builds each
    response type the first time one is parsed (a list of models, a streamed chunk, a completion: ~10 ms).
    """
    with _SDK_LOCK:
        import anyio._backends._asyncio  # noqa: F401 - imported by name in anyio.get_async_backend()

        # What a client's first .chat and .models import:
        import openai.resources.chat
        import openai.resources.models  # noqa: F401
        from openai.types import Model
        from openai.types.chat import ChatCompletion, ChatCompletionChunk

        Model.construct(id="warm", created=0, object="model", owned_by="")
        choice = {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
        ChatCompletionChunk.construct(
            id="warm", choices=[choice], created=0, model="warm", object="chat.completion.chunk"
        )
        message = {"role": "assistant", "content": ""}
        answer = {"index": 0, "message": message, "finish_reason": "stop"}
        ChatCompletion.construct(id="warm", choices=[answer], created=0, model="warm", object="chat.completion")


class OpenAIChatClient:
    """A ``ChatClient`` over ``openai.AsyncOpenAI``; works with OpenAI, llama.cpp, Ollama, vLLM, LM Studio."""

    def __init__(
        self,
        base_url: str | None,
        api_key: str | None,
        *,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        temperature: float | None = None,
        max_reply_tokens: int | None = None,
    ) -> None:
        # Resolved here (as the SDK would) so messages can name the URL before openai is imported.
        self._base_url = base_url or os.environ.get("OPENAI_BASE_URL") or OPENAI_BASE_URL
        # The SDK's own fallback to OPENAI_API_KEY, but only where that key belongs (env_key_allowed).
        key = api_key if api_key is not None or not env_key_allowed(base_url, os.environ) else os.environ.get(ENV_KEY)
        self._api_key = key or NO_KEY_PLACEHOLDER
        self._secrets = (key,) if key else ()
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._max_retries = max_retries
        self._backoff = backoff
        self._stream_options_ok = True
        self._json_schema_ok = True  # until the server refuses a json_schema response_format
        # The profile's reply settings, used by stream_chat when the caller gives none.
        self._temperature = temperature
        self._max_reply_tokens = max_reply_tokens
        # OpenAI's own API takes max_completion_tokens (its reasoning models refuse max_tokens);
        # compatible servers know max_tokens. A server that refuses the one gets the other.
        self._limit_field = limit_field_for(self._base_url)
        self._sdk: AsyncOpenAI | None = None
        self._errors = ErrorMapper(
            display_url(self._base_url),
            self._secrets,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            list_models=self._models_best_effort,
        )

    @property
    def base_url(self) -> str:
        return display_url(self._base_url)

    def _client(self) -> AsyncOpenAI:
        if self._sdk is None:
            load_sdk()  # lazily: it costs ~0.4 s of start-up
            import openai

            self._sdk = openai.AsyncOpenAI(
                base_url=self._base_url,
                api_key=self._api_key,
                max_retries=0,  # our own loop retries, only before the first token
                timeout=openai.Timeout(self._read_timeout, connect=self._connect_timeout),
            )
        return self._sdk

    def prepare(self) -> OpenAIChatClient:
        """Build the SDK client now; call it in a worker thread: it reads the CA bundle (~0.1 s that would
        otherwise stall the GUI at the first request)."""
        sdk = self._client()
        # The SDK imports its resource modules on first use: import them here too, off the loop.
        _ = (sdk.models, sdk.chat.completions)
        return self

    async def aclose(self) -> None:
        if self._sdk is not None:
            sdk, self._sdk = self._sdk, None
            await sdk.close()

    async def __aenter__(self) -> OpenAIChatClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- requests -------------------------------------------------------------------

    def stream_chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str,
        max_tokens: int | None = None,
        temperature: float | None = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
    ) -> AsyncGenerator[StreamEvent, None]:
        # The generator itself, not a wrapper: no extra layer per chunk.
        return self._stream(
            messages, model=model, max_tokens=max_tokens, temperature=temperature, reply_defaults=True, tools=tools
        )

    async def _stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str,
        max_tokens: int | None,
        temperature: float | None,
        json_mode: bool = False,
        json_schema: JsonSchema | None = None,
        reply_defaults: bool = False,
        tools: Sequence[Mapping[str, Any]] | None = None,
    ) -> AsyncGenerator[StreamEvent, None]:
        """``reply_defaults``: apply the profile's temperature and reply cap (replies; not upkeep requests)."""
        from openai import omit

        client = self._client()
        attempt = 0
        flipped = False  # the reply limit's field was switched once for this server
        while True:
            started = False
            usage: Usage | None = None
            finish_reason: str | None = None
            served_model = model
            include_usage = self._stream_options_ok
            schema_sent = json_schema is not None and self._json_schema_ok
            response_format = _response_format(
                json_mode or json_schema is not None, json_schema if schema_sent else None
            )
            limit_field = self._limit_field
            if reply_defaults:
                max_tokens = _smallest(max_tokens, self._max_reply_tokens)
                temperature = temperature if temperature is not None else self._temperature
            try:
                stream = await client.chat.completions.create(
                    model=model,
                    # The messages go as they are, in place of the empty list: the SDK's transform walks
                    # every message and part on the loop's (the window's) thread, ~15 ms per 60 messages, and
                    # changes nothing in them (no chat message field has an alias or a format).
                    messages=[],
                    extra_body={"messages": [m.wire() for m in messages]},
                    tools=cast(Any, list(tools)) if tools else omit,
                    stream=True,
                    stream_options={"include_usage": True} if include_usage else omit,
                    response_format=response_format,
                    temperature=omit if temperature is None else temperature,
                    **self._limit(max_tokens, limit_field),
                )
                # `async with` closes the HTTP stream on every exit: end, error, cancel, aclose().
                async with stream:
                    async for chunk in stream:
                        served_model = chunk.model or served_model
                        if chunk.usage is not None:
                            usage = _usage(chunk.usage)
                        for choice in chunk.choices:
                            finish_reason = choice.finish_reason or finish_reason
                            text = choice.delta.content if choice.delta is not None else None
                            if text:
                                started = True
                                yield TextDelta(text)
                            for call in (choice.delta.tool_calls if choice.delta is not None else None) or ():
                                started = True
                                yield _tool_call_delta(call)
            except Exception as exc:
                if not started and include_usage and rejects_stream_options(exc):
                    self._stream_options_ok = False
                    continue
                if not started and schema_sent and rejects_json_schema(exc):
                    # Remembered for this client: every later request goes straight to json_object.
                    self._json_schema_ok = False
                    continue
                if not started and max_tokens is not None and not flipped and rejects_field(exc, limit_field):
                    self._limit_field = _OTHER_LIMIT_FIELD[limit_field]
                    flipped = True
                    continue
                await self._retry_or_raise(exc, attempt, model=model, started=started)
                attempt += 1
                continue
            if finish_reason is None and usage is None:
                # The body ended without a finish: a proxy or server closed the connection early.
                raise ConnectionFailed(
                    self._errors.message(f"The connection to {self.base_url} dropped mid-reply; try again.")
                )
            yield StreamEnd(usage, finish_reason, served_model)
            return

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
        # Streamed, though the caller wants the whole answer: closing the stream (on a timeout, a
        # cancel or an error) is what reliably tells llama.cpp to stop generating and free its
        # slot; a plain request it may keep working on long after the client gave up. It also
        # makes ``read_timeout`` the longest silence, not the longest answer.
        parts: list[str] = []
        end: StreamEnd | None = None
        async with contextlib.aclosing(
            self._stream(
                messages,
                model=model,
                max_tokens=max_tokens,
                temperature=temperature,
                json_mode=json_mode,
                json_schema=json_schema,
            )
        ) as events:
            async for event in events:
                if isinstance(event, TextDelta):
                    parts.append(event.text)
                elif isinstance(event, StreamEnd):
                    end = event  # a tool call is not asked for here, so not kept
        if end is None:  # _stream always ends with StreamEnd or raises
            raise BadResponse(self._errors.bad_response())
        return Completion("".join(parts), end.usage, end.model)

    async def list_models(self) -> list[str]:
        client = self._client()

        async def call() -> list[str]:
            page = await client.models.list()
            return [m.id for m in page.data]

        return await self._with_retries(call, model=None)

    @staticmethod
    def _limit(limit: int | None, field: str) -> dict[str, Any]:
        return {} if limit is None else {field: limit}

    # --- retries ----------------------------------------------------------------------

    async def _with_retries(self, call: Callable[[], Awaitable[T]], *, model: str | None) -> T:
        attempt = 0
        while True:
            try:
                return await call()
            except Exception as exc:
                await self._retry_or_raise(exc, attempt, model=model, started=False)
                attempt += 1

    async def _retry_or_raise(self, exc: Exception, attempt: int, *, model: str | None, started: bool) -> None:
        """Sleep and return when ``exc`` deserves another attempt; otherwise raise it mapped."""
        if not started and attempt < self._max_retries and retryable(exc):
            await asyncio.sleep(self._delay(attempt, exc))
            return
        raise await self._errors.map(exc, model=model, started=started, attempts=attempt + 1) from exc

    def _delay(self, attempt: int, exc: Exception) -> float:
        asked = retry_after(exc)
        if asked is not None:
            return min(max(asked, 0.0), MAX_RETRY_AFTER)
        base = min(self._backoff * 2.0**attempt, MAX_BACKOFF)
        return base + random.uniform(0, base / 4)

    async def _models_best_effort(self) -> list[str]:
        try:
            page = await asyncio.wait_for(self._client().models.list(), _MODELS_LOOKUP_TIMEOUT)
            return [m.id for m in page.data]
        except Exception:
            return []


# --- the reply limit's field ---------------------------------------------------------

_OTHER_LIMIT_FIELD = {"max_tokens": "max_completion_tokens", "max_completion_tokens": "max_tokens"}


def _tool_call_delta(call: Any) -> ToolCallDelta:
    """One ``delta.tool_calls`` entry: id and name come in the first piece of each call only."""
    function = call.function
    return ToolCallDelta(
        call.index,
        call.id or "",
        (function.name if function is not None else None) or "",
        (function.arguments if function is not None else None) or "",
    )


def _usage(reported: Any) -> Usage:
    """The provider's counts; OpenAI also says how many prompt tokens came from its cache (billed less)."""
    details = getattr(reported, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None) if details is not None else None
    return Usage(reported.prompt_tokens or 0, reported.completion_tokens or 0, cached or 0)


def limit_field_for(base_url: str) -> str:
    """The request field that caps a reply: ``max_completion_tokens`` for OpenAI's API, else ``max_tokens``."""
    host = (urlsplit(base_url).hostname or "").lower()
    return "max_completion_tokens" if host == "api.openai.com" or host.endswith(".openai.com") else "max_tokens"


def _smallest(*limits: int | None) -> int | None:
    given = [limit for limit in limits if limit is not None]
    return min(given) if given else None


def _response_format(json_mode: bool, schema: JsonSchema | None) -> Any:
    """The schema when the server takes one; else json_object, the one JSON mode llama.cpp, OpenAI and
    Ollama all understand (the fallback); else nothing."""
    from openai import omit

    if schema is not None:
        return _schema_format(schema)
    return {"type": "json_object"} if json_mode else omit


def _schema_format(schema: JsonSchema) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": schema.name, "schema": dict(schema.schema), "strict": False}}


# What servers say when they refuse a schema: "response_format type 'json_schema' is not supported",
