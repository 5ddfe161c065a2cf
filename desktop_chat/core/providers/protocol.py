"""What the app needs from a model server: the ``ChatClient`` protocol and the events of a stream.

Every implementation (``OpenAIChatClient``, the built-in model's ``LocalChatClient``) speaks
these types; nothing here imports the SDK.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from desktop_chat.core.models import ChatMessage, Usage


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the reply, in order."""

    text: str


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A piece of a tool call, as OpenAI streams them: the first piece of call ``index`` carries
    ``call_id`` and ``name``, later ones (empty id and name) more of ``arguments_fragment``."""

    index: int
    call_id: str
    name: str
    arguments_fragment: str


@dataclass(frozen=True, slots=True)
class StreamEnd:
    """The reply finished; always the last event of a stream."""

    usage: Usage | None
    finish_reason: str | None
    model: str


StreamEvent = TextDelta | ToolCallDelta | StreamEnd


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
        tools: Sequence[Mapping[str, Any]] | None = None,
    ) -> AsyncIterator[StreamEvent]:
        """Yield ``TextDelta``s and ``ToolCallDelta``s, then one ``StreamEnd``. ``tools``: OpenAI function
        tools the model may call (None or empty: none offered, the request carries no ``tools`` field).

        Closing or cancelling it closes the HTTP stream."""
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
