"""Model servers: the ``ChatClient`` protocol, its OpenAI-compatible implementation, error mapping,
and the built-in local model (``providers.local``).

What callers need is re-exported here; ``providers.local`` is imported on its own (it starts
processes), so importing this package stays cheap and never imports the openai SDK.
"""

from desktop_chat.core.providers.openai_client import (
    NO_KEY_PLACEHOLDER,
    OPENAI_BASE_URL,
    OpenAIChatClient,
    limit_field_for,
)
from desktop_chat.core.providers.protocol import (
    ChatClient,
    Completion,
    JsonSchema,
    StreamEnd,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
)

__all__ = [
    "NO_KEY_PLACEHOLDER",
    "OPENAI_BASE_URL",
    "ChatClient",
    "Completion",
    "JsonSchema",
    "OpenAIChatClient",
    "StreamEnd",
    "StreamEvent",
    "TextDelta",
    "ToolCallDelta",
    "limit_field_for",
]
