"""Build chats quickly through the repositories, the way the app stores them."""

from __future__ import annotations

from collections.abc import Sequence

from desktop_chat.core.models import Message, Role, Session
from desktop_chat.core.storage.store import Store


def chat(
    store: Store, texts: Sequence[str], *, system_prompt: str = "", **options: object
) -> tuple[Session, list[Message]]:
    """A chat alternating user and assistant, starting with the user."""
    session = store.sessions.create("chat", system_prompt=system_prompt, strategy_options=dict(options))
    with store.db.transaction():
        messages = [
            store.messages.append(session.id, Role.USER if i % 2 == 0 else Role.ASSISTANT, text)
            for i, text in enumerate(texts)
        ]
    return store.sessions.get(session.id), messages
