"""Every facade operation publishes its change; fact rules (undo, pins) hold; the CLI drives the same core."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from desktop_chat.core.errors import EmptyInput, NotAllowed
from desktop_chat.core.events import (
    Delta,
    Event,
    ExternalChange,
    FactsChanged,
    Finished,
    MessagesChanged,
    SessionChanged,
    SessionCreated,
    SessionDeleted,
    SettingsChanged,
    Started,
    Stopped,
    SummaryChanged,
    UpkeepChanged,
)
from desktop_chat.core.models import FactStatus, Role, Session, Strategy
from desktop_chat.core.storage.store import Store
from desktop_chat.core.workspace import Workspace
from tests.helpers.cli import cli
from tests.helpers.controller import collect, data_dir, ending, settings_for
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.workspace import with_workspace


def kinds(events: list[Event]) -> list[str]:
    return [type(e).__name__ for e in events]


def test_each_session_operation_publishes_its_event(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    async def job(workspace: Workspace, events: list[Event]) -> None:
        session = workspace.new_session()
        assert events == [SessionCreated(session)]
        changes: list[Callable[[], Session]] = [
            lambda: workspace.rename_session(session.id, "Trip"),
            lambda: workspace.set_pinned(session.id, True),
            lambda: workspace.set_archived(session.id, True),
            lambda: workspace.set_archived(session.id, False),
            lambda: workspace.set_strategy(session.id, Strategy.RECALL, {"recall_neighbours": 1}),
        ]
        for change in changes:
            before = len(events)
            changed = change()
            assert events[before:] == [SessionChanged(changed)]
        assert workspace.session(session.id).title == "Trip"
        assert workspace.session(session.id).strategy_options == {"recall_neighbours": 1}
        with pytest.raises(EmptyInput):
            workspace.rename_session(session.id, "  ")
        before = len(events)
        workspace.delete_session(session.id)
        assert events[before:] == [SessionDeleted(session.id)]
        before = len(events)
        settings = workspace.set_setting("window_messages", 7)
        assert events[before:] == [SettingsChanged(settings)] and settings.window_messages == 7

    with_workspace(tmp_path, fake_openai, job)


def test_a_reply_and_its_background_work_publish_their_events(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply("Hello Ada.")
    fake_openai.reply_json({"facts": [{"key": "name", "value": "Ada", "quote": "I am Ada"}]})
    settings = replace(settings_for(fake_openai), default_strategy=Strategy.FACTS)
    finished: list[Finished] = []

    async def job(workspace: Workspace, events: list[Event]) -> list[Event]:
        session = workspace.new_session(title="Intro")  # titles have their own tests; no race with upkeep here
        replies = await collect(workspace.send(session.id, "I am Ada"))
        end = ending(replies)
        assert isinstance(end, Finished)
        finished.append(end)
        await workspace.wait_for_upkeep(10)
        assert [f.value for f in workspace.facts(session.id)] == ["Ada"]
        return events

    events = with_workspace(tmp_path, fake_openai, job, settings=settings)
    names = kinds(events)
    assert names.count("MessagesChanged") >= 2  # the user's message saved; the reply finished
    # The reply's end names its message, after its last Delta: a view that buffered its text lets it go.
    ends = [i for i, e in enumerate(events) if isinstance(e, MessagesChanged) and e.ended_reply is not None]
    assert [e.ended_reply for e in events if isinstance(e, MessagesChanged) and e.ended_reply] == [
        finished[0].message.id
    ]
    assert max(i for i, e in enumerate(events) if isinstance(e, Delta)) < ends[0]
    assert "FactsChanged" in names
    ups = [e for e in events if isinstance(e, UpkeepChanged)]
    assert ups[0].running and not ups[-1].running
    # The chat's activity changed with the reply: the sidebar re-sorts without asking.
    assert any(isinstance(e, SessionChanged) for e in events)
    assert names.index("FactsChanged") > names.index("UpkeepChanged")


def test_fact_operations_publish_and_undo_restores_value_pin_and_status(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    async def job(workspace: Workspace, events: list[Event]) -> None:
        fact, created = workspace.add_fact("city", "Berlin")
        assert created and events[-1] == FactsChanged(None, (fact.id,))
        pinned = workspace.pin_fact(fact.id)
        # 8.5: the user's own update of a pinned key keeps the pin.
        moved, _ = workspace.add_fact("city", "Lisbon")
        assert moved.pinned and workspace.fact(fact.id).status is FactStatus.SUPERSEDED
        # Undo the new value: Berlin comes back, active and pinned.
        workspace.undo_fact(moved.id)
        berlin = workspace.fact(fact.id)
        assert (berlin.value, berlin.status, berlin.pinned) == ("Berlin", FactStatus.ACTIVE, pinned.pinned)
        assert workspace.fact(moved.id).status is FactStatus.DELETED
        # Edit, then undo the edit.
        workspace.edit_fact(fact.id, value="Porto")
        restored = workspace.undo_fact(fact.id)
        assert (restored.value, restored.status, restored.pinned) == ("Berlin", FactStatus.ACTIVE, True)
        # Unpin, delete, and undo twice: the delete, then the unpin.
        workspace.pin_fact(fact.id, False)
        workspace.delete_fact(fact.id)
        assert workspace.undo_fact(fact.id).status is FactStatus.ACTIVE
        assert workspace.undo_fact(fact.id).pinned
        actions = [e.action for e in workspace.fact_history(fact.id)]
        assert actions.count("restored") >= 4
        assert [f.value for f in workspace.facts() if f.key == "city"] == ["Berlin"]  # never two active
        assert all(isinstance(e, FactsChanged) for e in events)
        with pytest.raises(NotAllowed):
            workspace.approve_fact(fact.id)

    with_workspace(tmp_path, fake_openai, job)


def test_summary_edit_is_kept_as_the_users_and_published(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply("Noted.")

    async def job(workspace: Workspace, events: list[Event]) -> None:
        session = workspace.new_session(strategy=Strategy.SUMMARY)
        await collect(workspace.send(session.id, "We plan a trip to Lisbon in May."))
        summary = workspace.edit_summary(session.id, "Planning a May trip to Lisbon.")
        assert summary.edited_by_user and events[-1] == SummaryChanged(session.id)
        plan = workspace.preview(session.id, "Where again?")
        assert any("Planning a May trip" in m.content for p in plan.parts for m in p.messages)

    with_workspace(tmp_path, fake_openai, job)


def test_the_cli_and_a_client_drive_the_same_core(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    """What one front end does, the other sees, and another process's writes are noticed cheaply."""

    async def job(workspace: Workspace, events: list[Event]) -> None:
        session = workspace.new_session(title="From the client")
        fact, _ = workspace.add_fact("pet", "cat")
        assert not workspace.poll_external_changes()
        run = await asyncio.to_thread(cli, data_dir(tmp_path), "facts", "edit", str(fact.id), "dog")
        assert run.returncode == 0, run.stderr
        listed = await asyncio.to_thread(cli, data_dir(tmp_path), "sessions", "--json")
        assert listed.returncode == 0, listed.stderr
        assert [s["title"] for s in json.loads(listed.stdout)] == [session.title]
        assert workspace.poll_external_changes()
        assert isinstance(events[-1], ExternalChange)
        assert workspace.fact(fact.id).value == "dog"
        assert not workspace.poll_external_changes()  # nothing new since

    with_workspace(tmp_path, fake_openai, job)


def test_the_entry_module_loads_no_cli_and_no_heavy_library() -> None:
    code = (
        "import sys, desktop_chat.app\n"
        "heavy = [m for m in ('desktop_chat.cli', 'openai', 'keyring', 'tiktoken', 'PySide6') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert run.stdout.strip() == ""


def test_the_core_and_an_open_workspace_load_no_keyring_sdk_or_local_model_server(tmp_path: Path) -> None:
    """What the window waits for before its last chat shows: each of these loads when first used instead."""
    code = (
        "import sys, pathlib\n"
        "from desktop_chat.core.bootstrap import open_workspace\n"
        "workspace = open_workspace(pathlib.Path(sys.argv[1]))\n"
        "workspace.sessions()\n"
        "workspace.close()\n"
        "lazy = ('openai', 'keyring', 'urllib.request', 'desktop_chat.core.providers.local.server',\n"
        "        'desktop_chat.core.providers.local.catalog', 'desktop_chat.core.providers.local.download')\n"
        "print(','.join(m for m in lazy if m in sys.modules))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "data")], capture_output=True, text=True, timeout=60, check=True
    )
    assert run.stdout.strip() == ""


def test_reading_chats_as_the_window_first_screen_does_leaves_the_reply_engine_unloaded(tmp_path: Path) -> None:
    """The last chat shows before the reply engine (planner, strategies, naming, metering) is imported or made."""
    folder = tmp_path / "data"
    store = Store.open(folder)
    session = store.sessions.create("Bookstore API")
    for n in range(4):
        store.messages.append(session.id, Role.USER if n % 2 == 0 else Role.ASSISTANT, f"message {n}")
    store.close()
    code = (
        "import sys, pathlib\n"
        "from desktop_chat.core.bootstrap import open_workspace\n"
        "workspace = open_workspace(pathlib.Path(sys.argv[1]))\n"
        "workspace.recover_interrupted()\n"
        "page = workspace.sessions_page(limit=40)\n"
        "chat = workspace.session(page[0].id)\n"
        "shown = workspace.messages(chat.id, limit=30)\n"
        "assert workspace.message_count(chat.id) == len(shown) == 4\n"
        "workspace.chats.version_positions(chat.id, [m.id for m in shown])\n"
        "workspace.costs.replies([m.id for m in shown])\n"
        "print(workspace.target(chat.id).model, workspace.strategy_choice(chat).short_label, file=sys.stderr)\n"
        "engine = ('desktop_chat.core.controller.replies', 'desktop_chat.core.memory.planner',\n"
        "          'desktop_chat.core.controller.naming', 'desktop_chat.core.metering')\n"
        "print(','.join(m for m in engine if m in sys.modules))\n"
        "import asyncio\n"
        "asyncio.run(workspace.warm_up(sweep_after=3600))  # a worker imports them before the first preview\n"
        "print(','.join(m for m in engine if m in sys.modules))\n"
        "workspace.close()\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(folder)], capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stderr
    before, after = run.stdout.splitlines()
    assert before == ""
    assert after.split(",") == [
        "desktop_chat.core.controller.replies", "desktop_chat.core.memory.planner",
        "desktop_chat.core.controller.naming", "desktop_chat.core.metering",
    ]  # fmt: skip
    assert run.stderr.strip()  # the chat's model and memory strategy were read


def test_sending_to_an_archived_chat_brings_it_back(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    async def job(workspace: Workspace, events: list[Event]) -> None:
        session = workspace.new_session(title="Old plans")
        workspace.set_archived(session.id, True)
        assert session.id not in [s.id for s in workspace.sessions()]
        replies = await collect(workspace.send(session.id, "Back to this"))
        assert isinstance(ending(replies), Finished)
        assert not workspace.session(session.id).archived
        assert session.id in [s.id for s in workspace.sessions()]
        assert isinstance(events[-1], SessionChanged) and not events[-1].session.archived

    with_workspace(tmp_path, fake_openai, job)


def test_stop_right_after_started_ends_the_reply(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    """Esc pressed the moment a reply starts: the reply ends as stopped instead of waiting forever."""
    fake_openai.reply(chunks=["never ", "sent"], chunk_delay=0.5)

    async def job(workspace: Workspace, events: list[Event]) -> list[Event]:
        session = workspace.new_session(title="Quick stop")
        seen: list[Event] = []
        async with asyncio.timeout(10):
            async for event in workspace.send(session.id, "Tell me a long story"):
                seen.append(event)
                if isinstance(event, Started):
                    assert workspace.stop(session.id)
        return seen

    seen = with_workspace(tmp_path, fake_openai, job)
    assert isinstance(ending(seen), Stopped)
