"""Reply versions: regenerate and edit-and-resend keep what they replace; choosing one changes the next request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_chat.core.bootstrap import open_workspace
from desktop_chat.core.errors import NotAllowed
from desktop_chat.core.events import Event, FactsChanged, MessagesChanged, SummaryChanged
from desktop_chat.core.importers.files import import_file
from desktop_chat.core.models import FactOrigin, FactStatus, Message, Role
from desktop_chat.core.storage.store import Store
from desktop_chat.core.workspace import Workspace
from tests.helpers.controller import collect, data_dir, started
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.import_shapes import chatgpt_branched, chatgpt_zip
from tests.helpers.workspace import with_workspace


def sent_texts(server: FakeOpenAIServer) -> list[str]:
    return [m["content"] for m in server.chat_requests[-1].body["messages"] if m["role"] != "system"]


def stored(folder: Path, session_id: int) -> list[Message]:
    """Every message of the chat, on the branch or not, read through a second connection to the file."""
    store = Store.open(data_dir(folder))
    try:
        return store.messages.all(session_id, include_inactive=True)
    finally:
        store.close()


def shown(workspace: Workspace, session_id: int) -> list[str]:
    return [m.content for m in workspace.chats.messages(session_id)]


def test_regenerate_twice_keeps_three_versions_and_the_chosen_one_is_sent_next(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    for text in ("Paris.", "Lisbon.", "Rome.", "Noted."):
        fake_openai.reply(text)

    async def job(workspace: Workspace, events: list[Event]) -> None:
        chat = workspace.chats.new_session(title="Trip")
        first = started(await collect(workspace.send(chat.id, "Where should I fly?"))).assistant_message_id
        await collect(workspace.regenerate(chat.id))
        newest = started(await collect(workspace.regenerate(chat.id))).assistant_message_id

        versions = workspace.chats.versions(newest)
        assert (versions.position, versions.count) == (3, 3)
        assert [workspace.chats.message(i).content for i in versions.ids] == ["Paris.", "Lisbon.", "Rome."]
        assert workspace.chats.version_positions(chat.id, [newest]) == {newest: (3, 3)}

        chosen = workspace.chats.choose_version(first)
        assert (chosen.position, chosen.count) == (1, 3)
        assert shown(workspace, chat.id) == ["Where should I fly?", "Paris."]
        assert any(isinstance(e, MessagesChanged) and e.session_id == chat.id for e in events)

        await collect(workspace.send(chat.id, "Book it."))
        assert sent_texts(fake_openai) == ["Where should I fly?", "Paris.", "Book it."]

    with_workspace(tmp_path, fake_openai, job)


def test_in_place_of_is_the_version_shown_where_a_reply_was(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    for text in ("Paris.", "Lisbon."):
        fake_openai.reply(text)

    async def job(workspace: Workspace, events: list[Event]) -> None:
        chat = workspace.chats.new_session(title="Trip")
        first = started(await collect(workspace.send(chat.id, "Where should I fly?"))).assistant_message_id
        paris = workspace.chats.message(first)
        assert workspace.chats.in_place_of(paris) == first  # on the branch: itself
        second = started(await collect(workspace.regenerate(chat.id))).assistant_message_id
        assert workspace.chats.in_place_of(paris) == second  # regenerated: the new version
        workspace.chats.choose_version(first)
        lisbon = workspace.chats.message(second)
        assert workspace.chats.in_place_of(lisbon) == first
        workspace.chats.delete_version(first)
        assert workspace.chats.in_place_of(paris) == second  # deleted: the version that took its place
        question = workspace.chats.message(paris.parent_id or 0)
        assert workspace.chats.in_place_of(question) == question.id

    with_workspace(tmp_path, fake_openai, job)


def test_an_edited_message_keeps_its_old_version_and_what_continued_from_it(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    for text in ("Paris is lovely.", "Take the metro.", "Lisbon is hilly.", "Noted."):
        fake_openai.reply(text)

    async def job(workspace: Workspace, events: list[Event]) -> None:
        chat = workspace.chats.new_session(title="Trip")
        paris = started(await collect(workspace.send(chat.id, "I fly to Paris."))).user_message_id
        await collect(workspace.send(chat.id, "How do I get around?"))
        lisbon = started(await collect(workspace.edit_and_resend(chat.id, paris, "I fly to Lisbon."))).user_message_id
        assert shown(workspace, chat.id) == ["I fly to Lisbon.", "Lisbon is hilly."]
        assert workspace.chats.versions(lisbon).ids == (paris, lisbon)

        workspace.chats.choose_version(workspace.chats.versions(lisbon).previous or 0)
        # The old version comes back with everything that continued from it.
        assert shown(workspace, chat.id) == [
            "I fly to Paris.",
            "Paris is lovely.",
            "How do I get around?",
            "Take the metro.",
        ]
        await collect(workspace.send(chat.id, "And the museums?"))
        assert sent_texts(fake_openai)[-3:] == ["How do I get around?", "Take the metro.", "And the museums?"]
        assert workspace.chats.versions(paris).next == lisbon

    with_workspace(tmp_path, fake_openai, job)


def test_choosing_a_version_rolls_back_a_summary_of_the_branch_that_left(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.reply("Paris.")
    fake_openai.reply("Lisbon.")

    async def job(workspace: Workspace, events: list[Event]) -> None:
        chat = workspace.chats.new_session(title="Trip")
        first = started(await collect(workspace.send(chat.id, "Where?"))).assistant_message_id
        second = started(await collect(workspace.regenerate(chat.id))).assistant_message_id
        # A summary written by upkeep that took in the reply now on the branch.
        store = Store.open(data_dir(tmp_path))
        try:
            store.summaries.save(chat.id, "They chose Lisbon.", covers_through=second, token_count=4, model="m")
            workspace.chats.choose_version(first)
            assert store.summaries.get(chat.id) is None
        finally:
            store.close()
        assert any(isinstance(e, SummaryChanged) for e in events)

    with_workspace(tmp_path, fake_openai, job)


def test_versions_survive_a_restart(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply("Paris.")
    fake_openai.reply("Lisbon.")
    fake_openai.reply("Booked.")

    async def first_run(workspace: Workspace, events: list[Event]) -> tuple[int, int]:
        chat = workspace.chats.new_session(title="Trip")
        old = started(await collect(workspace.send(chat.id, "Where?"))).assistant_message_id
        await collect(workspace.regenerate(chat.id))
        workspace.chats.choose_version(old)
        return chat.id, old

    session_id, old = with_workspace(tmp_path, fake_openai, first_run)

    async def second_run(workspace: Workspace, events: list[Event]) -> None:
        # The database file was closed and opened again.
        assert shown(workspace, session_id) == ["Where?", "Paris."]
        assert (workspace.chats.versions(old).position, workspace.chats.versions(old).count) == (1, 2)
        await collect(workspace.send(session_id, "Book it."))
        assert sent_texts(fake_openai) == ["Where?", "Paris.", "Book it."]

    with_workspace(tmp_path, fake_openai, second_run)


def test_versions_survive_export_and_import(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply("Paris.")
    fake_openai.reply("Lisbon.")
    fake_openai.reply("Booked.")
    exported = tmp_path / "export.json"

    async def export(workspace: Workspace, events: list[Event]) -> None:
        chat = workspace.chats.new_session(title="Trip")
        old = started(await collect(workspace.send(chat.id, "Where?"))).assistant_message_id
        await collect(workspace.regenerate(chat.id))
        workspace.chats.choose_version(old)  # the older version is the one on the branch
        exported.write_text(json.dumps(workspace.export_json()), encoding="utf-8")

    with_workspace(tmp_path / "a", fake_openai, export)

    async def import_(workspace: Workspace, events: list[Event]) -> None:
        (session_id,) = workspace.data.import_file(exported).session_ids
        assert shown(workspace, session_id) == ["Where?", "Paris."]
        reply = workspace.chats.messages(session_id)[-1]
        versions = workspace.chats.versions(reply.id)
        assert (versions.position, versions.count) == (1, 2)
        assert workspace.chats.message(versions.next or 0).content == "Lisbon."
        workspace.chats.choose_version(versions.next or 0)
        await collect(workspace.send(session_id, "Book it."))
        assert sent_texts(fake_openai) == ["Where?", "Lisbon.", "Book it."]

    with_workspace(tmp_path / "b", fake_openai, import_)


def test_a_chatgpt_imports_branches_are_versions(tmp_path: Path) -> None:
    store = Store.open(data_dir(tmp_path))
    try:
        (session_id,) = import_file(store, chatgpt_zip(tmp_path / "export.zip", [chatgpt_branched()])).session_ids
        first_answer = store.messages.all(session_id)[1]
        positions = store.messages.version_positions([first_answer.id])
        assert positions == {first_answer.id: (2, 2)}  # "Old answer: go to Sintra" came first
    finally:
        store.close()

    # The facade over the same file: choose the abandoned answer and the branch follows.
    workspace = open_workspace(data_dir(tmp_path))
    try:
        versions = workspace.chats.versions(first_answer.id)
        workspace.chats.choose_version(versions.previous or 0)
        assert shown(workspace, session_id) == ["Plan a weekend in Lisbon", "Old answer: go to Sintra"]
        # The edited question hangs off the answer now shown no more; choosing it brings that answer back.
        question = next(m for m in stored(tmp_path, session_id) if m.content == "What about trams?")
        workspace.chats.choose_version(question.id)
        assert shown(workspace, session_id) == [
            "Plan a weekend in Lisbon",
            "Start in Alfama, then Belém",
            "What about trams?",
            "Tram 28 is famous",
        ]
    finally:
        workspace.close()


def test_deleting_a_version_removes_it_and_what_continued_from_it(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    for text in ("Paris is lovely.", "Take the metro.", "Lisbon is hilly."):
        fake_openai.reply(text)

    async def job(workspace: Workspace, events: list[Event]) -> None:
        chat = workspace.chats.new_session(title="Trip")
        paris = started(await collect(workspace.send(chat.id, "I fly to Paris."))).user_message_id
        await collect(workspace.send(chat.id, "How do I get around?"))
        lisbon = started(await collect(workspace.edit_and_resend(chat.id, paris, "I fly to Lisbon."))).user_message_id
        workspace.chats.choose_version(paris)
        before = stored(tmp_path, chat.id)

        left = workspace.chats.delete_version(paris)  # the one shown: its neighbour takes its place

        assert left.ids == (lisbon,) and left.message_id == lisbon
        assert shown(workspace, chat.id) == ["I fly to Lisbon.", "Lisbon is hilly."]
        after = stored(tmp_path, chat.id)
        assert len(before) - len(after) == 4  # the message, its reply, the next question and its reply
        assert workspace.chats.session(chat.id).message_count == 2
        assert workspace.search("metro") == []
        with pytest.raises(NotAllowed, match="no other version"):
            workspace.chats.delete_version(lisbon)

    with_workspace(tmp_path, fake_openai, job)


def test_a_reply_without_text_off_the_branch_is_not_a_version(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply("Paris.")
    fake_openai.fail("unauthorized")  # not retried: the reply fails with no text
    fake_openai.reply("Lisbon.")

    async def job(workspace: Workspace, events: list[Event]) -> None:
        chat = workspace.chats.new_session(title="Trip")
        await collect(workspace.send(chat.id, "Where?"))
        await collect(workspace.regenerate(chat.id))  # fails before any text
        last = started(await collect(workspace.retry(chat.id))).assistant_message_id
        assert [workspace.chats.message(i).content for i in workspace.chats.versions(last).ids] == [
            "Paris.",
            "Lisbon.",
        ]
        assert workspace.chats.message(last).role is Role.ASSISTANT

    with_workspace(tmp_path, fake_openai, job)


def test_facts_from_the_version_that_left_are_retired(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply("Noted: Paris.")
    fake_openai.reply("Noted: Lisbon.")

    async def job(workspace: Workspace, events: list[Event]) -> None:
        chat = workspace.chats.new_session(title="Trip")
        paris = started(await collect(workspace.send(chat.id, "I live in Paris."))).user_message_id
        lisbon = started(await collect(workspace.edit_and_resend(chat.id, paris, "I live in Lisbon."))).user_message_id
        store = Store.open(data_dir(tmp_path))
        try:  # what upkeep would have extracted from the message on the branch
            fact = store.facts.add(
                "city", "Lisbon", scope=chat.id, origin=FactOrigin.EXTRACTED, source_message_id=lisbon, actor="x"
            )
        finally:
            store.close()

        workspace.chats.choose_version(paris)

        assert workspace.memory.fact(fact.id).status is FactStatus.DELETED
        assert any(isinstance(e, FactsChanged) and fact.id in e.fact_ids for e in events)

    with_workspace(tmp_path, fake_openai, job)


def test_a_version_is_not_switched_while_the_chat_answers(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply("Paris.")
    fake_openai.reply("Lisbon.")
    fake_openai.fail("forever")

    async def job(workspace: Workspace, events: list[Event]) -> None:
        chat = workspace.chats.new_session(title="Trip")
        first = started(await collect(workspace.send(chat.id, "Where?"))).assistant_message_id
        await collect(workspace.regenerate(chat.id))
        reply = workspace.send(chat.id, "And then?")
        await anext(reply)  # Started: the reply is streaming
        with pytest.raises(NotAllowed, match="being written"):
            workspace.chats.choose_version(first)
        workspace.stop(chat.id)
        await collect(reply)
        assert workspace.chats.choose_version(first).position == 1

    with_workspace(tmp_path, fake_openai, job)
