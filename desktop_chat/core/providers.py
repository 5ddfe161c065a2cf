"""Talking to OpenAI-compatible servers: the ``ChatClient`` protocol and its AsyncOpenAI implementation.

Everything that can go wrong on the wire ends as one ``ProviderError`` subclass whose
``str()`` is a single line a user can act on and never contains the API key. Retries
happen only before the first token: once text has reached the caller, a failure is
raised so the caller keeps the partial reply instead of getting a silently restarted one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast
from urllib.parse import urlsplit, urlunsplit

from desktop_chat.core.errors import (
    AuthError,
    BadResponse,
    ConnectionFailed,
    ContextTooLong,
    ModelNotFound,
    ProviderError,
    RateLimited,
)
from desktop_chat.core.models import ChatMessage, Usage
from desktop_chat.core.profiles import ENV_KEY, env_key_allowed
from desktop_chat.core.redact import redact

if TYPE_CHECKING:
    from openai import AsyncOpenAI

T = TypeVar("T")

OPENAI_BASE_URL = "https://api.openai.com/v1"
# The SDK insists on a key; local servers ignore whatever we send.
NO_KEY_PLACEHOLDER = "not-needed"
MAX_BACKOFF = 8.0  # seconds, for our own exponential backoff
MAX_RETRY_AFTER = 20.0  # seconds; a server asking for longer gets this much
_MODELS_LOOKUP_TIMEOUT = 5.0
_DETAIL_LIMIT = 200
_MODELS_SHOWN = 8


# --- what callers see ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the reply, in order."""

    text: str


@dataclass(frozen=True, slots=True)
class StreamEnd:
    """The reply finished; always the last event of a stream."""

    usage: Usage | None
    finish_reason: str | None
    model: str


StreamEvent = TextDelta | StreamEnd


@dataclass(frozen=True, slots=True)
class JsonSchema:
    """The shape a JSON answer must have, for servers that constrain output to a schema.

    llama.cpp, vLLM, LM Studio and Ollama turn it into a grammar, so bounds such as
    ``maxItems`` and ``maxLength`` stop a small model that would otherwise loop until
    its token limit. Sent non-strict: OpenAI's strict mode refuses those bounds.
    """

    name: str
    schema: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    usage: Usage | None
    model: str


class ChatClient(Protocol):
    """What the controller and memory upkeep need from a model server."""

    def stream_chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> AsyncIterator[StreamEvent]:
        """Yield ``TextDelta``s then one ``StreamEnd``; closing or cancelling it closes the HTTP stream."""
        ...

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
        """One whole answer. ``json_schema`` asks for JSON of that shape where the server takes a
        schema, else (like ``json_mode``) for any JSON object."""
        ...

    async def list_models(self) -> list[str]: ...

    async def aclose(self) -> None: ...


# --- message hygiene ---------------------------------------------------------------


def _one_line(text: str, limit: int = _DETAIL_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _display_url(url: str) -> str:
    """The base URL without credentials or a trailing slash, for messages."""
    parts = urlsplit(url)
    netloc = parts.hostname or parts.netloc.rpartition("@")[2]
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", "")).rstrip("/")


# --- the implementation ------------------------------------------------------------


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

    @property
    def base_url(self) -> str:
        return _display_url(self._base_url)

    def _client(self) -> AsyncOpenAI:
        if self._sdk is None:
            import openai  # lazily: it costs ~0.4 s of start-up

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
    ) -> AsyncGenerator[StreamEvent, None]:
        # The generator itself, not a wrapper: no extra layer per chunk.
        return self._stream(messages, model=model, max_tokens=max_tokens, temperature=temperature, reply_defaults=True)

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
                    messages=cast(Any, [m.to_openai() for m in messages]),
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
                            usage = Usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                        for choice in chunk.choices:
                            finish_reason = choice.finish_reason or finish_reason
                            text = choice.delta.content if choice.delta is not None else None
                            if text:
                                started = True
                                yield TextDelta(text)
            except Exception as exc:
                if not started and include_usage and _rejects_stream_options(exc):
                    self._stream_options_ok = False
                    continue
                if not started and schema_sent and _rejects_json_schema(exc):
                    # Remembered for this client: every later request goes straight to json_object.
                    self._json_schema_ok = False
                    continue
                if not started and max_tokens is not None and not flipped and _rejects_field(exc, limit_field):
                    self._limit_field = _OTHER_LIMIT_FIELD[limit_field]
                    flipped = True
                    continue
                await self._retry_or_raise(exc, attempt, model=model, started=started)
                attempt += 1
                continue
            if finish_reason is None and usage is None:
                # The body ended without a finish: a proxy or server closed the connection early.
                raise ConnectionFailed(self._msg(f"The connection to {self.base_url} dropped mid-reply; try again."))
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
                else:
                    end = event
        if end is None:  # _stream always ends with StreamEnd or raises
            raise BadResponse(self._bad_response_message())
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
        if not started and attempt < self._max_retries and _retryable(exc):
            await asyncio.sleep(self._delay(attempt, exc))
            return
        raise await self._map_error(exc, model=model, started=started, attempts=attempt + 1) from exc

    def _delay(self, attempt: int, exc: Exception) -> float:
        asked = _retry_after(exc)
        if asked is not None:
            return min(max(asked, 0.0), MAX_RETRY_AFTER)
        base = min(self._backoff * 2.0**attempt, MAX_BACKOFF)
        return base + random.uniform(0, base / 4)

    # --- error mapping -------------------------------------------------------------

    def _msg(self, text: str) -> str:
        return _one_line(redact(text, self._secrets), limit=400)

    def _detail(self, exc: Exception) -> str:
        body = getattr(exc, "body", None)
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(message, str) or not message:
            message = getattr(exc, "message", None) or str(exc)
        return _one_line(redact(str(message), self._secrets))

    def _bad_response_message(self) -> str:
        return self._msg(
            f"The server at {self.base_url} sent a reply that is not OpenAI-compatible JSON; "
            "check that the base URL points at an OpenAI-compatible API."
        )

    async def _map_error(  # noqa: PLR0911 - one early return per kind of failure reads best
        self, exc: Exception, *, model: str | None, started: bool, attempts: int
    ) -> ProviderError:
        import openai

        url = self.base_url
        if isinstance(exc, openai.APITimeoutError):
            if _cause_named(exc, "ConnectTimeout"):
                return ConnectionFailed(
                    self._msg(f"Cannot reach {url} within {self._connect_timeout:g} s: is the server running?")
                )
            if started:
                return ConnectionFailed(
                    self._msg(f"{url} stopped sending for {self._read_timeout:g} s mid-reply; try again.")
                )
            return ConnectionFailed(
                self._msg(
                    f"{url} sent no reply within {self._read_timeout:g} s; the server may be busy or still "
                    "loading the model. Try again, or raise the read timeout."
                )
            )
        if isinstance(exc, openai.APIConnectionError):
            if _cause_named(exc, "ConnectError"):
                return ConnectionFailed(self._msg(f"Cannot reach {url}: is the server running?"))
            return ConnectionFailed(self._msg(f"The connection to {url} dropped mid-reply; try again."))
        if isinstance(exc, openai.APIStatusError):
            return await self._map_status(exc, model=model, attempts=attempts)
        if isinstance(exc, openai.APIResponseValidationError | ValueError):
            return BadResponse(self._bad_response_message())
        if isinstance(exc, openai.APIError):
            return ProviderError(self._msg(f"The server at {url} reported an error: {self._detail(exc)}"))
        return ProviderError(self._msg(f"Talking to {url} failed unexpectedly ({type(exc).__name__}); try again."))

    async def _map_status(  # noqa: PLR0911 - one early return per status family
        self, exc: Any, *, model: str | None, attempts: int
    ) -> ProviderError:
        url = self.base_url
        status = int(exc.status_code)
        body = exc.body if isinstance(exc.body, dict) else {}
        detail = self._detail(exc)
        context = _context_error(status, body, detail)
        if context is not None:
            prompt_tokens, limit = context
            numbers = ""
            if prompt_tokens is not None and limit is not None:
                numbers = f" ({prompt_tokens} tokens, the limit is {limit})"
            elif limit is not None:
                numbers = f" (the limit is {limit} tokens)"
            return ContextTooLong(
                self._msg(
                    f"The conversation is too long for {model or 'the model'}{numbers}; start a new chat "
                    "or choose a memory strategy that sends less."
                ),
                prompt_tokens=prompt_tokens,
                limit=limit,
            )
        if status in (401, 403):
            return AuthError(self._msg(f"The server at {url} rejected the API key ({status}); check the key."))
        if model is not None and _model_error(status, body, detail, model):
            available = await self._models_best_effort()
            if available:
                shown = ", ".join(available[:_MODELS_SHOWN])
                more = f" and {len(available) - _MODELS_SHOWN} more" if len(available) > _MODELS_SHOWN else ""
                hint = f"It has: {shown}{more}."
            else:
                hint = "Check the model name."
            return ModelNotFound(
                self._msg(f"The server at {url} has no model '{model}'. {hint}"),
                model=model,
                available=tuple(available),
            )
        if status == 404:
            return ProviderError(
                self._msg(f"{url} has no OpenAI-compatible API (404); check the base URL (it usually ends in /v1).")
            )
        if status == 429:
            return RateLimited(
                self._msg(
                    f"The server at {url} is rate-limiting requests (429) after {_attempts(attempts)}; "
                    "wait a minute and try again."
                )
            )
        if status >= 500:
            return ProviderError(
                self._msg(
                    f"The server at {url} failed with HTTP {status} after {_attempts(attempts)} ({detail}); "
                    "try again later."
                )
            )
        return ProviderError(self._msg(f"The server at {url} refused the request (HTTP {status}): {detail}"))

    async def _models_best_effort(self) -> list[str]:
        try:
            page = await asyncio.wait_for(self._client().models.list(), _MODELS_LOOKUP_TIMEOUT)
            return [m.id for m in page.data]
        except Exception:
            return []


# --- the reply limit's field ---------------------------------------------------------

_OTHER_LIMIT_FIELD = {"max_tokens": "max_completion_tokens", "max_completion_tokens": "max_tokens"}


def limit_field_for(base_url: str) -> str:
    """The request field that caps a reply: ``max_completion_tokens`` for OpenAI's API, else ``max_tokens``."""
    host = (urlsplit(base_url).hostname or "").lower()
    return "max_completion_tokens" if host == "api.openai.com" or host.endswith(".openai.com") else "max_tokens"


def _smallest(*limits: int | None) -> int | None:
    given = [limit for limit in limits if limit is not None]
    return min(given) if given else None


def _rejects_field(exc: Exception, field: str) -> bool:
    """A 400/422 that names ``field``: the server does not take that spelling of the reply limit."""
    status = getattr(exc, "status_code", None)
    if status not in (400, 422):
        return False
    return field in f"{getattr(exc, 'message', '')} {getattr(exc, 'body', '')}"


# --- classifying failures ------------------------------------------------------------


def _attempts(n: int) -> str:
    return "1 attempt" if n == 1 else f"{n} attempts"


def _cause_named(exc: BaseException, *names: str) -> bool:
    # httpx2 is the SDK's private dependency; match its exception by name rather than import it.
    cause = exc.__cause__
    return cause is not None and any(cls.__name__ in names for cls in type(cause).__mro__)


def _retryable(exc: Exception) -> bool:
    import openai

    if isinstance(exc, openai.APITimeoutError):
        # A server that accepted the request but said nothing for read_timeout is not helped by asking again.
        return _cause_named(exc, "ConnectTimeout")
    if isinstance(exc, openai.APIConnectionError):
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500
    return False


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return float(value) / scale
        except ValueError:
            continue
    return None


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
# llama.cpp's "JSON schema error at ...", LM Studio's and vLLM's grammar / structured-output errors.
_SCHEMA_WORDS = ("response_format", "json_schema", "schema", "grammar", "parser", "structured")


def _rejects_json_schema(exc: Exception) -> bool:
    status = getattr(exc, "status_code", None)
    if status not in (400, 415, 422, 500, 501):
        return False
    text = f"{getattr(exc, 'message', '')} {getattr(exc, 'body', '')}".lower()
    return any(word in text for word in _SCHEMA_WORDS)


def _rejects_stream_options(exc: Exception) -> bool:
    status = getattr(exc, "status_code", None)
    if status not in (400, 422):
        return False
    return "stream_options" in f"{getattr(exc, 'message', '')} {getattr(exc, 'body', '')}"


_LIMIT_PATTERNS = (
    re.compile(r"maximum context length is (\d+)"),
    re.compile(r"context (?:size|window|length) (?:is |of )?(\d+)"),
)
_PROMPT_PATTERNS = (
    re.compile(r"resulted in (\d+) tokens"),
    re.compile(r"\((\d+) in the messages"),
    re.compile(r"requested (\d+) tokens"),
)


def _first_int(patterns: Iterable[re.Pattern[str]], text: str) -> int | None:
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            return int(match.group(1))
    return None


def _context_error(status: int, body: dict[str, Any], detail: str) -> tuple[int | None, int | None] | None:
    """``(prompt_tokens, limit)`` when the error says the prompt is too long, else None."""
    if status not in (400, 413, 422):
        return None
    text = detail.lower()
    if not (
        body.get("code") == "context_length_exceeded"
        or body.get("type") == "exceed_context_size_error"  # llama.cpp
        or (("context length" in text or "context size" in text or "context window" in text) and "exceed" in text)
        or "maximum context length" in text
    ):
        return None
    # llama.cpp reports the numbers as fields of the error body.
    prompt = body.get("n_prompt_tokens")
    limit = body.get("n_ctx")
    prompt_tokens = prompt if isinstance(prompt, int) else _first_int(_PROMPT_PATTERNS, text)
    context_limit = limit if isinstance(limit, int) else _first_int(_LIMIT_PATTERNS, text)
    return prompt_tokens, context_limit


def _model_error(status: int, body: dict[str, Any], detail: str, model: str) -> bool:
    if body.get("code") == "model_not_found":
        return True
    if status not in (400, 404):
        return False
    text = detail.lower()
    return "model" in text and (
        model.lower() in text or "not found" in text or "does not exist" in text or "unknown" in text
    )
