"""Upkeep the user asks for runs through the controller's one scheduler, like upkeep after a reply."""

from __future__ import annotations

from pathlib import Path

from desktop_chat.core.events import Event, FactsChanged, UpkeepChanged
from desktop_chat.core.models import FactOrigin, FactStatus, Role, Strategy
from desktop_chat.core.storage.store import Store
from desktop_chat.core.workspace import Workspace
from tests.helpers.controller import data_dir
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.workspace import with_workspace


def test_retrying_upkeep_retires_facts_whose_message_left_the_branch(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    # Before the scheduler, the workspace ran upkeep on a path of its own that skipped this step.
    fake_openai.reply_json({"facts": []})

    async def job(workspace: Workspace, events: list[Event]) -> None:
        sid = workspace.new_session(title="Moves", strategy=Strategy.FACTS).id
        store = Store.open(data_dir(tmp_path))  # the same data folder, as the CLI would open it
        said = store.messages.append(sid, Role.USER, "I live in Paris.")
        store.messages.append(sid, Role.ASSISTANT, "Nice.", parent_id=said.id)
        paris = store.facts.add(
            "city", "Paris", scope=sid, origin=FactOrigin.EXTRACTED, source_message_id=said.id, actor="extractor"
        )
        # The message leaves the branch while its facts are being extracted (no after_branch yet).
        store.messages.deactivate_from(sid, said.id)
        store.messages.append(sid, Role.USER, "I live in Porto.")
        assert [f.id for f in store.facts.visible(session_id=sid)] == [paris.id]
        events.clear()

        report = await workspace.retry_upkeep(sid)

        assert report.ok, report
        assert store.facts.visible(session_id=sid) == []
        assert store.facts.get(paris.id).status is FactStatus.DELETED  # kept in history, off the chat
        store.close()
        running = [e.running for e in events if isinstance(e, UpkeepChanged)]
        assert running == [True, False]
        assert any(isinstance(e, FactsChanged) for e in events)

    with_workspace(tmp_path, fake_openai, job)
