"""A chat's model and profile, the instructions (custom and per chat) and assistants, through the workspace.

Every request goes through the real openai SDK to the fake server, which records what it was sent.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from desktop_chat.core.assistants import Assistant, shipped
from desktop_chat.core.errors import InputTooLarge, SettingsError
from desktop_chat.core.events import Event, SessionChanged, SessionCreated
from desktop_chat.core.models import PartKind, Strategy
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.settings import Settings
from desktop_chat.core.workspace import Workspace
from tests.helpers.controller import settings_for
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.workspace import with_workspace


def two_profiles(server: FakeOpenAIServer) -> Settings:
    settings = settings_for(server)
    other = ProviderProfile(
        name="Other", base_url=server.base_url, default_model="other-default", context_window=2048, needs_key=False
    )
    return replace(settings, profiles=(*settings.profiles, other))


async def send(workspace: Workspace, session_id: int, text: str) -> None:
    async for _ in workspace.send(session_id, text):
        pass


def test_the_chats_model_and_profile_are_the_ones_the_request_uses(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    async def job(workspace: Workspace, events: list[Event]) -> None:
        sid = workspace.new_session(title="Per chat").id
        await send(workspace, sid, "first")
        session = workspace.chats.edit_session(sid, model="fake-mini")
        assert session.model == "fake-mini"
        assert any(isinstance(e, SessionChanged) and e.session.model == "fake-mini" for e in events)
        assert workspace.preview(sid, "next").model == "fake-mini"  # the inspector plans for it
        await send(workspace, sid, "second")
        workspace.chats.edit_session(sid, profile="Other", model="")  # the profile's own default
        plan = workspace.preview(sid, "third")
        assert (plan.model, plan.context_window) == ("other-default", 2048)
        await send(workspace, sid, "third")

    with_workspace(tmp_path, fake_openai, job, settings=two_profiles(fake_openai))
    models = [r.body["model"] for r in fake_openai.chat_requests if r.body.get("stream")]
    assert models == ["fake-gpt", "fake-mini", "other-default"]


def test_an_unknown_profile_is_refused_by_name_and_nothing_changes(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    async def job(workspace: Workspace, events: list[Event]) -> None:
        sid = workspace.new_session(title="Keep").id
        with pytest.raises(SettingsError, match="no provider profile 'Nope'; known: Test"):
            workspace.chats.edit_session(sid, title="Changed", profile="Nope")
        assert workspace.session(sid).title == "Keep"

    with_workspace(tmp_path, fake_openai, job)


def test_custom_instructions_then_the_chats_system_prompt_open_every_request(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    async def job(workspace: Workspace, events: list[Event]) -> None:
        workspace.config.set_setting("custom_instructions", "I am Ada. Answer briefly.")
        sid = workspace.new_session(title="Instructed").id
        workspace.chats.edit_session(sid, system_prompt="You are a pirate.")
        plan = workspace.preview(sid, "hello")
        kinds = [p.kind for p in plan.parts]
        assert kinds[:2] == [PartKind.INSTRUCTIONS, PartKind.SYSTEM_PROMPT]
        assert all(p.tokens > 0 for p in plan.parts[:2])
        assert plan.fixed_tokens == 3 + plan.parts[0].tokens + plan.parts[1].tokens
        await send(workspace, sid, "hello")

    with_workspace(tmp_path, fake_openai, job)
    messages = fake_openai.chat_requests[0].body["messages"]
    assert messages[0] == {"role": "system", "content": "I am Ada. Answer briefly."}
    assert messages[1] == {"role": "system", "content": "You are a pirate."}
    assert messages[-1] == {"role": "user", "content": "hello"}


def test_instructions_are_never_cut_and_too_long_ones_are_refused_with_the_numbers(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    async def job(workspace: Workspace, events: list[Event]) -> None:
        workspace.config.set_setting("max_request_tokens", 300)
        sid = workspace.new_session(title="Small").id
        for n in range(6):  # history the budget must cut instead of the instructions
            await send(workspace, sid, f"message {n} " + "word " * 30)
        workspace.chats.edit_session(sid, system_prompt="Be kind. " * 20)
        plan = workspace.preview(sid, "hi")
        assert plan.parts[0].kind is PartKind.SYSTEM_PROMPT and plan.total_tokens <= plan.budget
        assert any(o.kind is PartKind.RECENT for o in plan.omitted)  # older messages made way
        with pytest.raises(InputTooLarge) as refused:
            workspace.chats.edit_session(sid, system_prompt="Be kind. " * 200)
        line = str(refused.value)
        assert "\n" not in line
        assert "The instructions are" in line and "this chat's budget is 300" in line and "no room" in line
        assert workspace.session(sid).system_prompt == ("Be kind. " * 20).strip()  # unchanged
        with pytest.raises(InputTooLarge, match=r"custom instructions .* budget is 300"):
            workspace.config.set_setting("custom_instructions", "Always " * 400)
        assert workspace.settings.custom_instructions == ""

    with_workspace(tmp_path, fake_openai, job)


def test_assistants_ship_start_chats_with_their_settings_and_round_trip_as_json(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    assert {"Writing editor", "Code reviewer", "Translator", "Tutor"} <= {a.name for a in shipped()}

    async def job(workspace: Workspace, events: list[Event]) -> None:
        assert workspace.assistants.list() == shipped()
        mine = Assistant(
            name="Pirate",
            system_prompt="Speak like a pirate.",
            profile="Test",
            model="fake-mini",
            strategy=Strategy.WINDOW,
            strategy_options={"window_messages": 4},
        )
        workspace.assistants.save(mine)
        with pytest.raises(SettingsError, match="already an assistant named 'pirate'"):
            workspace.assistants.save(replace(mine, name="pirate"))
        with pytest.raises(SettingsError, match="window_messages"):
            workspace.assistants.save(replace(mine, name="Bad", strategy_options={"window_messages": 0}))
        session = workspace.assistants.start_chat("pirate")
        assert any(isinstance(e, SessionCreated) and e.session.id == session.id for e in events)
        assert (session.system_prompt, session.model, session.profile, session.strategy) == (
            "Speak like a pirate.",
            "fake-mini",
            "Test",
            Strategy.WINDOW,
        )
        assert session.strategy_options == {"window_messages": 4}
        await send(workspace, session.id, "ahoy")
        exported = json.dumps(workspace.assistants.export())
        workspace.assistants.remove("Pirate")
        workspace.assistants.remove("Tutor")
        assert "Pirate" not in {a.name for a in workspace.assistants.list()}
        assert workspace.assistants.import_text(exported) == (2, 3)  # Pirate and Tutor back, 3 replaced
        assert workspace.assistants.get("Pirate") == mine
        with pytest.raises(SettingsError, match="holds no assistants"):
            workspace.assistants.import_text('{"format": "desktop-chat-export", "sessions": []}')

    with_workspace(tmp_path, fake_openai, job)
    body = fake_openai.chat_requests[0].body
    assert body["model"] == "fake-mini"
    assert body["messages"][0] == {"role": "system", "content": "Speak like a pirate."}
