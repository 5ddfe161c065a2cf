"""A ChatGPT export, zipped as downloaded or its bare conversations.json, into real SQLite."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from desktop_chat.core.export import import_file
from desktop_chat.core.models import FactOrigin, FactStatus, Role
from desktop_chat.core.storage.store import Store
from tests.core.importers.shapes import T0, chatgpt_branched, chatgpt_memories, chatgpt_zip, write_json


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
