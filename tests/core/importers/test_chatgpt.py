"""A ChatGPT export, zipped as downloaded or its bare conversations.json, into real SQLite."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from desktop_chat.core.importers.files import import_file
from desktop_chat.core.models import FactOrigin, FactStatus, Role
from desktop_chat.core.storage.store import Store
from tests.helpers.import_shapes import (
    T0,
    chatgpt_branched,
    chatgpt_linear,
    chatgpt_memories,
    chatgpt_zip,
    message,
    node,
    write_json,
)


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(T0 + seconds, UTC)


@pytest.mark.parametrize("packed", ["zip", "json"])
def test_the_active_branch_inactive_branches_roles_dates_and_title_are_kept(
    store: Store, tmp_path: Path, packed: str
) -> None:
    conversations = [chatgpt_branched()]
    path = (
        chatgpt_zip(tmp_path / "chatgpt-export.zip", conversations)
        if packed == "zip"
        else write_json(tmp_path / "conversations.json", conversations)
    )

    result = import_file(store, path)

    assert result.source == "ChatGPT export" and result.conversations == 1 and not result.cancelled
    (session_id,) = result.session_ids
    session = store.sessions.get(session_id)
    assert session.title == "Lisbon weekend"
    assert session.origin == "chatgpt:conv-trip"
    assert session.created_at == at(0) and session.updated_at == at(90)

    active = store.messages.all(session_id)
    assert [(m.role, m.content) for m in active] == [
        (Role.USER, "Plan a weekend in Lisbon"),
        (Role.ASSISTANT, "Start in Alfama, then Belém"),
        (Role.USER, "[image: file-abc.png]\nWhat is this building?\n[file: itinerary.pdf]"),
        (Role.ASSISTANT, "That is the Jerónimos Monastery"),
        (Role.ASSISTANT, "[code-interpreter output]"),
        (Role.ASSISTANT, "The sum is 2"),
    ]
    assert [m.created_at for m in active] == [at(10), at(30), at(60), at(70), at(81), at(90)]
    assert active[1].model == "gpt-4o"
    # Each message answers the one before it on the active branch (the thoughts node in between is skipped).
    assert [m.parent_id for m in active] == [None, *[m.id for m in active[:-1]]]

    everything = store.messages.all(session_id, include_inactive=True)
    inactive = {m.content: m for m in everything if not m.active}
    assert set(inactive) == {"Old answer: go to Sintra", "What about trams?", "Tram 28 is famous"}
    by_id = {m.id: m for m in everything}
    # The regenerated answer hangs off the question; the edited question off the answer before it.
    assert inactive["Old answer: go to Sintra"].parent_id == active[0].id
    assert inactive["What about trams?"].parent_id == active[1].id
    assert by_id[inactive["Tram 28 is famous"].parent_id or 0].content == "What about trams?"
    # Hidden system nodes, custom instructions, thoughts and the call addressed to the code tool are not turns.
    contents = " ".join(m.content for m in everything)
    assert "print(1 + 1)" not in contents and "Porto" not in contents
    assert store.sessions.get(session_id).message_count == len(active)


def test_imported_words_are_searchable_at_once(store: Store, tmp_path: Path) -> None:
    import_file(store, chatgpt_zip(tmp_path / "export.zip", [chatgpt_branched()]))

    hits = store.sessions.search("Jeronimos")

    assert [h.session_title for h in hits] == ["Lisbon weekend"]


def test_custom_instructions_and_memories_are_offered_as_pending_facts(store: Store, tmp_path: Path) -> None:
    store.facts.add("about me", "I am a teacher")  # the user's own active value for a key the export offers

    result = import_file(store, chatgpt_zip(tmp_path / "export.zip", [chatgpt_branched(), chatgpt_memories()]))

    offered = {f.key: f for f in store.facts.all() if f.status is FactStatus.PENDING}
    assert result.facts == len(offered) == 5
    assert offered["about_me"].value == "I live in Porto and work as a nurse."
    assert offered["about_me"].origin is FactOrigin.USER
    assert offered["about_me"].reason and "ChatGPT export: custom instructions" in offered["about_me"].reason
    assert offered["how_to_respond"].value == "Answer briefly, in metric units."
    memories = {f.value: f for f in offered.values() if f.key.startswith("memory")}
    assert set(memories) == {"Prefers metric units.", "Has a dog named Pixel.", "Is vegetarian."}
    assert all(f.origin is FactOrigin.EXTRACTED and f.source_quote == f.value for f in memories.values())
    assert memories["Has a dog named Pixel."].created_at == datetime(2024, 4, 20, tzinfo=UTC)
    # An offer does not replace what the user already has: it waits for approval.
    history = store.facts.history("about me", None)
    assert [(f.value, f.status) for f in history] == [
        ("I am a teacher", FactStatus.ACTIVE),
        ("I live in Porto and work as a nurse.", FactStatus.PENDING),
    ]


def test_importing_the_same_export_again_skips_what_is_there_and_reports_it(store: Store, tmp_path: Path) -> None:
    path = chatgpt_zip(tmp_path / "export.zip", [chatgpt_branched(), chatgpt_memories()])
    first = import_file(store, path)
    rejected = next(f for f in store.facts.all() if f.value == "Is vegetarian.")
    store.facts.set_status(rejected.id, FactStatus.REJECTED)

    again = import_file(store, path)

    assert again.session_ids == () and again.messages == 0 and again.facts == 0
    assert [(s.index, s.title) for s in again.skipped] == [(0, "Lisbon weekend"), (1, "Food")]
    assert {s.existing_id for s in again.skipped} == set(first.session_ids)
    assert again.facts_known == 5  # a rejected offer is not offered again
    assert len(store.sessions.list_by_activity(include_archived=True)) == 2


def test_a_single_conversation_or_a_wrapped_list_is_read_too(store: Store, tmp_path: Path) -> None:
    single = import_file(store, write_json(tmp_path / "one.json", chatgpt_branched()))
    wrapped = import_file(store, write_json(tmp_path / "wrapped.json", {"conversations": [chatgpt_memories()]}))

    assert len(single.session_ids) == 1 and len(wrapped.session_ids) == 1
    assert wrapped.source == "ChatGPT export"


def test_odd_values_in_optional_fields_do_not_stop_the_import(store: Store, tmp_path: Path) -> None:
    conversation = chatgpt_memories()
    conversation["create_time"] = "yesterday"
    conversation["mapping"]["ctx"]["message"]["create_time"] = None
    conversation["mapping"]["u"]["message"]["create_time"] = "soon"
    conversation["title"] = None

    result = import_file(store, write_json(tmp_path / "conversations.json", [conversation]))

    (session_id,) = result.session_ids
    assert store.sessions.get(session_id).title == ""
    assert [m.content for m in store.messages.all(session_id)] == [
        "Remember that I am vegetarian",
        "Noted: vegetarian.",
    ]
    assert result.facts == 3


def test_a_conversation_continued_in_chatgpt_gets_its_newer_messages_on_reimport(store: Store, tmp_path: Path) -> None:
    first = import_file(store, chatgpt_zip(tmp_path / "old.zip", [chatgpt_linear(0, turns=2)]))
    (chat,) = first.session_ids

    again = import_file(store, chatgpt_zip(tmp_path / "new.zip", [chatgpt_linear(0, turns=4)]))

    assert again.session_ids == () and again.skipped == ()
    assert [(c.index, c.title, c.session_id, c.messages) for c in again.continued] == [(0, "Chat 0", chat, 2)]
    assert again.messages == 2
    messages = store.messages.all(chat)
    assert [m.content for m in messages] == [f"chat 0 line {i}" for i in range(4)]
    assert [m.parent_id for m in messages[1:]] == [m.id for m in messages[:-1]]  # one chain, in order
    assert store.sessions.get(chat).updated_at == at(3)
    assert store.sessions.search("line 3")  # searchable at once, like a new import
    # The same file once more: nothing newer, nothing doubled.
    third = import_file(store, chatgpt_zip(tmp_path / "new.zip", [chatgpt_linear(0, turns=4)]))
    assert third.continued == () and [s.existing_id for s in third.skipped] == [chat]
    assert len(store.messages.all(chat)) == 4


def test_a_chat_continued_here_and_there_is_skipped_whole_not_mixed(store: Store, tmp_path: Path) -> None:
    (chat,) = import_file(store, chatgpt_zip(tmp_path / "old.zip", [chatgpt_linear(0, turns=2)])).session_ids
    store.messages.append(chat, Role.USER, "A question asked here, in Desktop Chat")

    again = import_file(store, chatgpt_zip(tmp_path / "new.zip", [chatgpt_linear(0, turns=4)]))

    assert again.continued == () and [s.existing_id for s in again.skipped] == [chat]
    assert [m.content for m in store.messages.all(chat)] == [
        "chat 0 line 0",
        "chat 0 line 1",
        "A question asked here, in Desktop Chat",
    ]


def test_an_edit_made_in_chatgpt_after_the_import_is_not_merged(store: Store, tmp_path: Path) -> None:
    (chat,) = import_file(store, chatgpt_zip(tmp_path / "old.zip", [chatgpt_linear(0, turns=4)])).session_ids
    edited = chatgpt_linear(0, turns=4)
    # In ChatGPT the user edited the second question: a new branch from m1, now the current one.
    mapping = edited["mapping"]
    mapping["m1"]["children"].append("e2")
    mapping["e2"] = node("e2", "m1", ["e3"], message("e2", "user", ["an edited question"], T0 + 10))
    mapping["e3"] = node("e3", "e2", [], message("e3", "assistant", ["its answer"], T0 + 11))
    edited["current_node"] = "e3"

    again = import_file(store, chatgpt_zip(tmp_path / "edited.zip", [edited]))

    assert again.continued == () and [s.existing_id for s in again.skipped] == [chat]
    assert [m.content for m in store.messages.all(chat)] == [f"chat 0 line {i}" for i in range(4)]
