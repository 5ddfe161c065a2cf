"""The facts every label of the window reads from the core: the effective strategy, upkeep, the recent window."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from desktop_chat.core.events import Event, SettingsChanged
from desktop_chat.core.memory.upkeep import describe_upkeep
from desktop_chat.core.models import JobName, JobState, JobStatus, PartKind, Role, Strategy
from desktop_chat.core.profiles import LOCAL_PRESET, PRESETS
from desktop_chat.core.workspace import Workspace
from tests.helpers.cli import cli
from tests.helpers.controller import data_dir, settings_for
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.workspace import with_workspace

BUILTIN = PRESETS[LOCAL_PRESET]


def test_the_starter_model_says_which_strategy_it_really_uses_and_why(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    settings = settings_for(fake_openai, default_strategy=Strategy.HYBRID)
    settings = replace(settings, profiles=(*settings.profiles, BUILTIN))

    async def job(workspace: Workspace, _events: list[Event]) -> None:
        on_test = workspace.new_session()
        on_starter = workspace.new_session(profile=BUILTIN.name)
        plain = workspace.strategy_choice(on_test.id)
        assert (plain.effective, plain.why, plain.label) == (Strategy.HYBRID, "", "Hybrid")
        starter = workspace.strategy_choice(on_starter.id)
        assert starter.chosen is None and starter.wanted is Strategy.HYBRID
        assert starter.effective is Strategy.RECALL
        assert starter.label == "Recall (hybrid needs upkeep: the starter model keeps none)"
        # The label and the plan the request is built from agree.
        assert workspace.preview(on_starter.id).strategy is Strategy.RECALL
        # Recall needs no upkeep: asked for, it is what it says.
        chosen = workspace.set_strategy(on_starter.id, Strategy.WINDOW)
        assert workspace.strategy_choice(chosen).label == "Window"

    with_workspace(tmp_path, fake_openai, job, settings=settings)


def test_a_summary_job_that_wrote_nothing_is_not_called_done() -> None:
    done: dict[JobName, JobState] = {"summary": JobState(1, "summary", JobStatus.DONE, through_id=4)}
    text, failed = describe_upkeep(("summary",), done, has_summary=False)
    assert "done" not in text and "not needed yet" in text and not failed
    text, _ = describe_upkeep(("summary",), done, has_summary=True)
    assert text == "Upkeep: summary up to date through #4"
    failing: dict[JobName, JobState] = {"facts": JobState(1, "facts", JobStatus.FAILED, error="timed out")}
    text, failed = describe_upkeep(("summary", "facts"), failing, has_summary=False)
    assert failed and "facts failed: timed out" in text


def test_the_recent_window_counts_the_chats_messages_apart_from_the_next_one(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    async def job(workspace: Workspace, _events: list[Event]) -> None:
        session = workspace.new_session()
        fake_openai.reply("Hello Alex.")
        async for _ in workspace.send(session.id, "Hi, I am Alex."):
            pass
        assert [m.role for m in workspace.messages(session.id)] == [Role.USER, Role.ASSISTANT]
        recent = next(p for p in workspace.preview(session.id).parts if p.kind is PartKind.RECENT)
        assert recent.count == 3  # the two messages and the one being written
        assert recent.reason == "all 2 messages of the chat and your next one"

    with_workspace(tmp_path, fake_openai, job)


def test_settings_changed_by_another_process_are_published(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    async def job(workspace: Workspace, events: list[Event]) -> None:
        assert not workspace.poll_external_changes()
        done = await asyncio.to_thread(cli, data_dir(tmp_path), "config", "set", "conversation_font_size", "14")
        assert done.returncode == 0, done.stderr
        assert workspace.poll_external_changes()
        published = [e for e in events if isinstance(e, SettingsChanged)]
        assert [e.settings.conversation_font_size for e in published] == [14]
        # Another write that leaves the settings alone publishes no settings change.
        listed = await asyncio.to_thread(cli, data_dir(tmp_path), "sessions")
        assert listed.returncode == 0, listed.stderr
        workspace.new_session()
        assert len([e for e in events if isinstance(e, SettingsChanged)]) == 1

    with_workspace(tmp_path, fake_openai, job)
