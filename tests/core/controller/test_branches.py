"""Regenerate and edit-and-resend: old messages leave the active branch but stay; the server sees the new branch."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_chat.core.controller import ConversationController
from desktop_chat.core.errors import NotFound
from desktop_chat.core.events import Event, Finished
from desktop_chat.core.models import Role
from tests.helpers.controller import active_pairs, all_messages, collect, ending, open_store, started, with_controller
from tests.helpers.fake_openai import FakeOpenAIServer


def test_regenerate_supersedes_the_last_reply_and_answers_the_same_message(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.reply("Hi Ada.")
    fake_openai.reply("Paris, maybe?")
    fake_openai.reply("Lisbon.")

    async def job(c: ConversationController) -> tuple[int, list[Event], list[Event]]:
        session = c.new_session(title="Trip")
        await collect(c.send(session.id, "I am Ada."))
        before = await collect(c.send(session.id, "Where should I fly?"))
        after = await collect(c.regenerate(session.id))
        return session.id, before, after

    session_id, before, after = with_controller(tmp_path, fake_openai, job)
    old_reply = ending(before)
    new_reply = ending(after)
    assert isinstance(old_reply, Finished)
    assert isinstance(new_reply, Finished)
    assert started(after).user_message_id == started(before).user_message_id

    store = open_store(tmp_path)
    try:
        assert active_pairs(store, session_id) == [
            ("user", "I am Ada.", "complete"),
            ("assistant", "Hi Ada.", "complete"),
            ("user", "Where should I fly?", "complete"),
            ("assistant", "Lisbon.", "complete"),
        ]
        old = store.messages.get(old_reply.message.id)
        assert (old.content, old.active) == ("Paris, maybe?", False)
        # Both replies hang off the same question: the old one is reachable as a sibling.
        assert old.parent_id == new_reply.message.parent_id == started(after).user_message_id
    finally:
        store.close()
    sent = fake_openai.chat_requests[-1].body["messages"]
    assert [m["content"] for m in sent] == ["I am Ada.", "Hi Ada.", "Where should I fly?"]


def test_edit_and_resend_supersedes_the_message_and_everything_after(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    for text in ("Hi Ada.", "Noted: Paris.", "Nice.", "Noted: Lisbon."):
        fake_openai.reply(text)

    async def job(c: ConversationController) -> tuple[int, int, list[Event]]:
        session = c.new_session(title="Trip")
        await collect(c.send(session.id, "I am Ada."))
        edited = started(await collect(c.send(session.id, "I fly to Paris."))).user_message_id
        await collect(c.send(session.id, "Thanks."))
        events = await collect(c.edit_and_resend(session.id, edited, "I fly to Lisbon."))
        return session.id, edited, events

    session_id, edited_id, events = with_controller(tmp_path, fake_openai, job)
    assert isinstance(ending(events), Finished)

    store = open_store(tmp_path)
    try:
        assert active_pairs(store, session_id) == [
            ("user", "I am Ada.", "complete"),
            ("assistant", "Hi Ada.", "complete"),
            ("user", "I fly to Lisbon.", "complete"),
            ("assistant", "Noted: Lisbon.", "complete"),
        ]
        everything = all_messages(store, session_id)
        inactive = [(m.role, m.content) for m in everything if not m.active]
        assert inactive == [
            (Role.USER, "I fly to Paris."),
            (Role.ASSISTANT, "Noted: Paris."),
            (Role.USER, "Thanks."),
            (Role.ASSISTANT, "Nice."),
        ]
        old = store.messages.get(edited_id)
        new = store.messages.get(started(events).user_message_id)
        assert new.parent_id == old.parent_id  # the edit is a sibling of the original
    finally:
        store.close()
    sent = fake_openai.chat_requests[-1].body["messages"]
    assert [m["content"] for m in sent] == ["I am Ada.", "Hi Ada.", "I fly to Lisbon."]


def test_editing_a_reply_or_a_superseded_message_is_refused(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    async def job(c: ConversationController) -> None:
        session = c.new_session(title="Trip")
        events = await collect(c.send(session.id, "hello"))
        reply = ending(events)
        assert isinstance(reply, Finished)
        with pytest.raises(NotFound):
            await collect(c.edit_and_resend(session.id, reply.message.id, "changed"))
        await collect(c.edit_and_resend(session.id, started(events).user_message_id, "hello again"))
        with pytest.raises(NotFound):  # the original is off the branch now
            await collect(c.edit_and_resend(session.id, started(events).user_message_id, "once more"))

    with_controller(tmp_path, fake_openai, job)
    assert len(fake_openai.chat_requests) == 2
