"""A Claude export, zipped or its bare conversations.json (with the side files beside it), into real SQLite."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from desktop_chat.core.importers.files import import_file
from desktop_chat.core.models import FactOrigin, FactStatus, Role
from desktop_chat.core.storage.store import Store
from tests.helpers.import_shapes import (
    CLAUDE_SIDE,
    claude_conversation,
    claude_linear_text_only,
    write_json,
    write_zip,
)


def export_at(tmp_path: Path, packed: str) -> Path:
    conversations = [claude_conversation(), claude_linear_text_only()]
    if packed == "zip":
        return write_zip(tmp_path / "data-2024-07-02.zip", {"conversations.json": conversations, **CLAUDE_SIDE})
    for name, data in CLAUDE_SIDE.items():  # an unpacked export: the side files sit beside it
        write_json(tmp_path / name, data)
    return write_json(tmp_path / "conversations.json", conversations)


@pytest.mark.parametrize("packed", ["zip", "json"])
def test_content_blocks_branches_dates_and_titles_are_kept(store: Store, tmp_path: Path, packed: str) -> None:
    result = import_file(store, export_at(tmp_path, packed))

    assert result.source == "Claude export" and result.conversations == 2
    budget_id, sourdough_id = result.session_ids
    budget = store.sessions.get(budget_id)
    assert (budget.title, budget.origin) == ("Budget review", "claude:c-budget")
    assert budget.created_at == datetime(2024, 7, 1, 9, 0, tzinfo=UTC)
    active = store.messages.all(budget_id)
    assert [(m.role, m.content) for m in active] == [
        (Role.USER, "Review my Q3 budget\n[attachment: q3.csv]"),
        (Role.ASSISTANT, "[tool: analysis]\nRent dominates the spending"),  # thinking is not a turn
        (Role.USER, "How do I cut groceries?"),
        (Role.ASSISTANT, "Plan weekly menus"),
    ]
    assert [m.created_at.minute for m in active] == [0, 1, 5, 6]
    (edited,) = [m for m in store.messages.all(budget_id, include_inactive=True) if not m.active]
    assert edited.content == "Cut rent?" and edited.parent_id == active[1].id

    old = store.messages.all(sourdough_id)
    assert [(m.role, m.content, m.parent_id) for m in old] == [
        (Role.USER, "My starter smells of acetone", None),
        (Role.ASSISTANT, "Feed it more often", old[0].id),
    ]
    assert store.sessions.get(sourdough_id).created_at == datetime(2023, 3, 1, 10, 0, tzinfo=UTC)
    assert [h.session_title for h in store.sessions.search("acetone")] == ["Sourdough"]


@pytest.mark.parametrize("packed", ["zip", "json"])
def test_memories_project_instructions_and_name_are_offered_pending(store: Store, tmp_path: Path, packed: str) -> None:
    result = import_file(store, export_at(tmp_path, packed))

    offered = {f.key: f for f in store.facts.all()}
    assert result.facts == 5
    assert all(f.status is FactStatus.PENDING for f in offered.values())
    assert offered["name"].value == "Rita Alves" and offered["name"].origin is FactOrigin.USER
    memories = {f.value for f in offered.values() if f.key.startswith("memory")}
    assert memories == {"Rita is a nurse in Porto.", "Runs every Sunday"}  # headings are not facts
    assert offered["project_household_instructions"].value == "Always show totals in euros."
    assert offered["project_household_memory"].origin is FactOrigin.EXTRACTED
    assert all(f.reason and f.reason.startswith("from your Claude export") for f in offered.values())

    again = import_file(store, export_at(tmp_path, packed))
    assert again.session_ids == () and len(again.skipped) == 2 and again.facts == 0 and again.facts_known == 5


def test_a_message_with_nothing_to_show_passes_its_place_to_its_children(store: Store, tmp_path: Path) -> None:
    conversation = claude_conversation()
    thinking_only = {"type": "thinking", "thinking": "..."}
    conversation["chat_messages"][1]["content"] = [thinking_only]  # the first answer: nothing the user saw

    (session_id,) = import_file(store, write_json(tmp_path / "c.json", [conversation])).session_ids

    everything = store.messages.all(session_id, include_inactive=True)
    first = everything[0]
    assert first.content.startswith("Review my Q3 budget")
    # Both versions of the next question hang from the first message, not from nowhere.
    assert {m.content: m.parent_id for m in everything[1:3]} == {
        "Cut rent?": first.id,
        "How do I cut groceries?": first.id,
    }
