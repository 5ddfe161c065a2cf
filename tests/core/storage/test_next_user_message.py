"""``MessageRepository.next_user_message``: the one-row step fact extraction walks a chat with."""

from __future__ import annotations

from desktop_chat.core.models import MessageStatus, Role
from desktop_chat.core.storage.store import Store


def test_next_user_message_skips_replies_unfinished_and_inactive_messages(store: Store) -> None:
    chat = store.sessions.create("walk").id
    other = store.sessions.create("other").id
    first = store.messages.append(chat, Role.USER, "first")
    store.messages.append(chat, Role.ASSISTANT, "a reply")
    store.messages.append(other, Role.USER, "another chat")
    store.messages.append(chat, Role.USER, "still streaming", status=MessageStatus.STREAMING)
    failed = store.messages.append(chat, Role.USER, "failed")
    store.messages.finish(failed.id, MessageStatus.FAILED, error="boom")
    second = store.messages.append(chat, Role.USER, "second")
    edited_away = store.messages.append(chat, Role.USER, "edited away")
    store.messages.deactivate_from(chat, edited_away.id)

    assert store.messages.next_user_message(chat, None) == first
    assert store.messages.next_user_message(chat, first.id) == second
    assert store.messages.next_user_message(chat, second.id) is None
    assert store.messages.next_user_message(store.sessions.create("empty").id, None) is None
