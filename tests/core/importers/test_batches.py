"""Large exports through the facade: batches of whole conversations, progress, cancel, events after each commit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from desktop_chat.core.events import Event, FactsChanged, SessionCreated
from desktop_chat.core.importers.files import BATCH_CONVERSATIONS
from desktop_chat.core.paths import database_path
from desktop_chat.core.workspace import Workspace
from tests.helpers.controller import data_dir
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.import_shapes import chatgpt_linear, chatgpt_memories, chatgpt_zip, write_json
from tests.helpers.workspace import with_workspace

TOTAL = 2 * BATCH_CONVERSATIONS + 50


def big_export(folder: Path) -> Path:
    return chatgpt_zip(folder / "export.zip", [chatgpt_linear(i, turns=4) for i in range(TOTAL)])


def committed_sessions(tmp_path: Path) -> int:
    """What another connection sees: only committed rows."""
    with sqlite3.connect(database_path(data_dir(tmp_path))) as other:
        return int(other.execute("SELECT count(*) FROM sessions").fetchone()[0])


def test_progress_is_reported_per_batch_and_each_chat_is_announced_once_committed(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    path = big_export(tmp_path)
    seen: list[tuple[int, int]] = []
    visible_when_announced: list[int] = []

    async def job(workspace: Workspace, events: list[Event]) -> None:
        def on_event(event: Event) -> None:
            if isinstance(event, SessionCreated):
                visible_when_announced.append(committed_sessions(tmp_path))

        workspace.subscribe(on_event)
        result = workspace.import_file(path, progress=lambda done, total: seen.append((done, total)))

        assert len(result.session_ids) == TOTAL and result.messages == 4 * TOTAL and not result.cancelled
        created = [e.session.id for e in events if isinstance(e, SessionCreated)]
        assert created == list(result.session_ids)
        assert workspace.search("chat 249 line 3")[0].session_title == "Chat 249"

    with_workspace(tmp_path, fake_openai, job)
    assert seen == [(0, TOTAL), (100, TOTAL), (200, TOTAL), (TOTAL, TOTAL)]
    # Each chat was announced after its batch was committed: another process could already read it.
    assert visible_when_announced[0] == BATCH_CONVERSATIONS and visible_when_announced[-1] == TOTAL


def test_a_cancelled_import_leaves_whole_conversations_only_and_importing_again_adds_the_rest(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    path = big_export(tmp_path)

    async def job(workspace: Workspace, events: list[Event]) -> None:
        asked: list[int] = []

        def cancel() -> bool:
            asked.append(1)
            return len(asked) > 1  # let the first batch through, then stop

        first = workspace.import_file(path, cancel=cancel)

        assert first.cancelled and len(first.session_ids) == BATCH_CONVERSATIONS
        for session in workspace.sessions():
            assert [m.content for m in workspace.messages(session.id)] == [
                f"{session.title.lower()} line {i}" for i in range(4)
            ]
        assert len([e for e in events if isinstance(e, SessionCreated)]) == BATCH_CONVERSATIONS

        rest = workspace.import_file(path)

        assert not rest.cancelled and len(rest.skipped) == BATCH_CONVERSATIONS
        assert len(rest.session_ids) == TOTAL - BATCH_CONVERSATIONS
        assert len(workspace.sessions()) == TOTAL

    with_workspace(tmp_path, fake_openai, job)


def test_cancelling_the_apps_own_export_imports_nothing(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    document = {"sessions": [{"title": f"t{i}", "messages": [{"role": "user", "content": "hi"}]} for i in range(3)]}
    path = write_json(tmp_path / "mine.json", document)

    async def job(workspace: Workspace, events: list[Event]) -> None:
        result = workspace.import_file(path, cancel=lambda: True)

        assert result.cancelled and result.session_ids == () and result.conversations == 3
        assert workspace.sessions() == [] and events == []
        done = workspace.import_file(path)
        assert len(done.session_ids) == 3 and done.source == "Desktop Chat export"

    with_workspace(tmp_path, fake_openai, job)


def test_offered_facts_are_announced_once(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    path = write_json(tmp_path / "conversations.json", [chatgpt_memories()])

    async def job(workspace: Workspace, events: list[Event]) -> None:
        result = workspace.import_file(path)

        assert result.facts == 3
        assert [e for e in events if isinstance(e, FactsChanged)] == [FactsChanged(None)]
        assert {f.value for f in workspace.facts()} == {
            "Prefers metric units.",
            "Has a dog named Pixel.",
            "Is vegetarian.",
        }

    with_workspace(tmp_path, fake_openai, job)
