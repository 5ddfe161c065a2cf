"""Build chats quickly through the repositories, the way the app stores them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from desktop_chat.core.models import FactOrigin, Message, MessageStatus, Role, Session, Strategy, Usage
from desktop_chat.core.storage.store import Store

# A history recall by meaning searches: everyday notes, and one message about a puppy no word of a question
# about "a pet" matches.
PUPPY = "We finally adopted a golden retriever puppy, he chews everything."
TOPICS = (
    "The meeting moved to Thursday afternoon.",
    "I repainted the garage door green.",
    "Traffic was awful on the bridge today.",
    "My sister is visiting in June.",
    "The printer jammed again.",
)


def note(i: int) -> str:
    return f"{TOPICS[i % len(TOPICS)]} (note {i})"


def long_history(folder: Path, messages: int = 60, puppy_at: int = 10) -> None:
    """The chat "A long history" in the data folder: ``messages`` notes, the ``puppy_at``-th about the puppy."""
    store = Store.open(folder)
    try:
        session = store.sessions.create("A long history")
        with store.db.transaction():
            for i in range(messages):
                text = PUPPY if i == puppy_at else note(i)
                store.messages.append(session.id, Role.USER if i % 2 == 0 else Role.ASSISTANT, text)
    finally:
        store.close()


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


def populate(store: Store) -> None:
    first = store.sessions.create("Bookstore API", strategy=Strategy.SUMMARY, system_prompt="Be terse.", model="gpt-4o")
    u1 = store.messages.append(first.id, Role.USER, "I'm Alex, I work at Acme", meta={"external_id": "x-1", "n": [1]})
    a1 = store.messages.append(first.id, Role.ASSISTANT, "Hi Alex", usage=Usage(20, 3), model="gpt-4o", token_count=6)
    store.messages.deactivate_from(first.id, a1.id)
    store.messages.append(first.id, Role.ASSISTANT, "Hello Alex!", parent_id=u1.id)
    failed = store.messages.append(first.id, Role.USER, "and now?")
    store.messages.finish(failed.id, MessageStatus.FAILED, error="Cannot reach the server")
    store.summaries.save(first.id, "Alex works at Acme.", covers_through=u1.id, token_count=5, model="gpt-4o-mini")
    old = store.facts.add(
        "employer", "Initech", origin=FactOrigin.EXTRACTED, source_message_id=u1.id, source_quote="Initech"
    )
    new = store.facts.add("employer", "Acme", origin=FactOrigin.EXTRACTED, source_message_id=u1.id, source_quote="Acme")
    store.facts.supersede(old.id, new.id)
    store.facts.set_pinned(new.id, True)
    store.facts.add("project", "bookstore", scope=first.id)
    second = store.sessions.create("Empty chat")
    store.sessions.update(second.id, pinned=True, archived=True)
