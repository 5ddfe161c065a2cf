"""From what the SDK and HTTP raise to our ``ProviderError`` hierarchy, in one line a user can act on.

Every message is redacted of the client's key and names the server by its display URL. The
classifiers also tell the client which failures deserve a retry and which mean "this server
does not take that field" (a fallback, not a failure).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
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
from desktop_chat.core.redact import redact

_DETAIL_LIMIT = 200
_MODELS_SHOWN = 8


def one_line(text: str, limit: int = _DETAIL_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def display_url(url: str) -> str:
    """The base URL without credentials or a trailing slash, for messages."""
    parts = urlsplit(url)
    netloc = parts.hostname or parts.netloc.rpartition("@")[2]
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", "")).rstrip("/")


class ErrorMapper:
    """Maps one client's failures: knows its URL, its key (to redact) and its timeouts (to name them).

    ``list_models``: a best-effort look-up of the server's models, for "no such model" messages.
    """

    def __init__(
        self,
        url: str,
        secrets: tuple[str, ...],
        *,
        connect_timeout: float,
        read_timeout: float,
        list_models: Callable[[], Awaitable[list[str]]],
    ) -> None:
        self._url = url
        self._secrets = secrets
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._list_models = list_models

    def message(self, text: str) -> str:
        return one_line(redact(text, self._secrets), limit=400)

    def detail(self, exc: Exception) -> str:
        body = getattr(exc, "body", None)
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(message, str) or not message:
            message = getattr(exc, "message", None) or str(exc)
        return one_line(redact(str(message), self._secrets))

    def bad_response(self) -> str:
        return self.message(
            f"The server at {self._url} sent a reply that is not OpenAI-compatible JSON; "
            "check that the base URL points at an OpenAI-compatible API."
        )

    async def map(  # noqa: PLR0911 - one early return per kind of failure reads best
        self, exc: Exception, *, model: str | None, started: bool, attempts: int
    ) -> ProviderError:
        import openai

        url = self._url
        if isinstance(exc, openai.APITimeoutError):
            if cause_named(exc, "ConnectTimeout"):
                return ConnectionFailed(
                    self.message(f"Cannot reach {url} within {self._connect_timeout:g} s: is the server running?")
                )
            if started:
                return ConnectionFailed(
                    self.message(f"{url} stopped sending for {self._read_timeout:g} s mid-reply; try again.")
                )
            return ConnectionFailed(
                self.message(
                    f"{url} sent no reply within {self._read_timeout:g} s; the server may be busy or still "
                    "loading the model. Try again, or raise the read timeout."
                )
            )
        if isinstance(exc, openai.APIConnectionError):
            if cause_named(exc, "ConnectError"):
                return ConnectionFailed(self.message(f"Cannot reach {url}: is the server running?"))
            return ConnectionFailed(self.message(f"The connection to {url} dropped mid-reply; try again."))
        if isinstance(exc, openai.APIStatusError):
            return await self._map_status(exc, model=model, attempts=attempts)
        if isinstance(exc, openai.APIResponseValidationError | ValueError):
            return BadResponse(self.bad_response())
        if isinstance(exc, openai.APIError):
            return ProviderError(self.message(f"The server at {url} reported an error: {self.detail(exc)}"))
        return ProviderError(self.message(f"Talking to {url} failed unexpectedly ({type(exc).__name__}); try again."))

    async def _map_status(  # noqa: PLR0911 - one early return per status family
        self, exc: Any, *, model: str | None, attempts: int
    ) -> ProviderError:
        url = self._url
        status = int(exc.status_code)
        body = exc.body if isinstance(exc.body, dict) else {}
        detail = self.detail(exc)
        context = _context_error(status, body, detail)
        if context is not None:
            prompt_tokens, limit = context
            numbers = ""
            if prompt_tokens is not None and limit is not None:
                numbers = f" ({prompt_tokens} tokens, the limit is {limit})"
            elif limit is not None:
                numbers = f" (the limit is {limit} tokens)"
            return ContextTooLong(
                self.message(
                    f"The conversation is too long for {model or 'the model'}{numbers}; start a new chat "
                    "or choose a memory strategy that sends less."
                ),
                prompt_tokens=prompt_tokens,
                limit=limit,
            )
        if status in (401, 403):
            return AuthError(self.message(f"The server at {url} rejected the API key ({status}); check the key."))
        if model is not None and _model_error(status, body, detail, model):
            available = await self._list_models()
            if available:
                shown = ", ".join(available[:_MODELS_SHOWN])
                more = f" and {len(available) - _MODELS_SHOWN} more" if len(available) > _MODELS_SHOWN else ""
                hint = f"It has: {shown}{more}."
            else:
                hint = "Check the model name."
            return ModelNotFound(
                self.message(f"The server at {url} has no model '{model}'. {hint}"),
                model=model,
                available=tuple(available),
            )
        if status == 404:
            return ProviderError(
                self.message(f"{url} has no OpenAI-compatible API (404); check the base URL (it usually ends in /v1).")
            )
        if status == 429:
            return RateLimited(
                self.message(
                    f"The server at {url} is rate-limiting requests (429) after {attempts_text(attempts)}; "
                    "wait a minute and try again."
                )
            )
        if status >= 500:
            return ProviderError(
                self.message(
                    f"The server at {url} failed with HTTP {status} after {attempts_text(attempts)} ({detail}); "
                    "try again later."
                )
            )
        return ProviderError(self.message(f"The server at {url} refused the request (HTTP {status}): {detail}"))


# --- classifying failures ------------------------------------------------------------


def attempts_text(n: int) -> str:
    return "1 attempt" if n == 1 else f"{n} attempts"


def cause_named(exc: BaseException, *names: str) -> bool:
    # httpx2 is the SDK's private dependency; match its exception by name rather than import it.
    cause = exc.__cause__
    return cause is not None and any(cls.__name__ in names for cls in type(cause).__mro__)


def retryable(exc: Exception) -> bool:
    import openai

    if isinstance(exc, openai.APITimeoutError):
        # A server that accepted the request but said nothing for read_timeout is not helped by asking again.
        return cause_named(exc, "ConnectTimeout")
    if isinstance(exc, openai.APIConnectionError):
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500
    return False


def retry_after(exc: Exception) -> float | None:
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


# llama.cpp's "JSON schema error at ...", LM Studio's and vLLM's grammar / structured-output errors.
_SCHEMA_WORDS = ("response_format", "json_schema", "schema", "grammar", "parser", "structured")


def rejects_json_schema(exc: Exception) -> bool:
    status = getattr(exc, "status_code", None)
    if status not in (400, 415, 422, 500, 501):
        return False
    text = f"{getattr(exc, 'message', '')} {getattr(exc, 'body', '')}".lower()
    return any(word in text for word in _SCHEMA_WORDS)


def rejects_stream_options(exc: Exception) -> bool:
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


def rejects_field(exc: Exception, field: str) -> bool:
    """A 400/422 that names ``field``: the server does not take that spelling of the reply limit."""
    status = getattr(exc, "status_code", None)
    if status not in (400, 422):
        return False
    return field in f"{getattr(exc, 'message', '')} {getattr(exc, 'body', '')}"
