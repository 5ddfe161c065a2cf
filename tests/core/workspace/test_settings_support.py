"""What the settings window needs from the core: reply settings sent, connection checks, readiness, backups."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from desktop_chat.core.errors import AuthError, ModelNotFound, NotAllowed, SettingsError
from desktop_chat.core.models import ChatMessage, Role
from desktop_chat.core.paths import database_path
from desktop_chat.core.profiles import PRESETS, ProviderProfile
from desktop_chat.core.providers import OpenAIChatClient, limit_field_for
from desktop_chat.core.secrets import MemorySecretStore
from desktop_chat.core.services import SecretAccess, client_factory
from desktop_chat.core.settings import Settings, validate
from desktop_chat.core.storage.store import Store
from desktop_chat.core.workspace import Workspace
from tests.helpers.controller import settings_for
from tests.helpers.fake_openai import FakeOpenAIServer

HELLO = [ChatMessage(Role.USER, "Hello")]
KEY = "sk-test-support0123456789abcdefghij"  # a fake key


async def _drain(client: OpenAIChatClient, **kwargs: object) -> None:
    try:
        async for _event in client.stream_chat(HELLO, model="fake-gpt", **kwargs):  # type: ignore[arg-type]
            pass
    finally:
        await client.aclose()


def test_a_profiles_temperature_and_reply_cap_are_sent(fake_openai: FakeOpenAIServer) -> None:
    client = OpenAIChatClient(fake_openai.base_url, None, temperature=0.7, max_reply_tokens=50)
    asyncio.run(_drain(client))
    body = fake_openai.chat_requests[-1].body
    assert (body["temperature"], body["max_tokens"]) == (0.7, 50)
    assert "max_completion_tokens" not in body


def test_the_smaller_cap_wins_and_a_callers_temperature_too(fake_openai: FakeOpenAIServer) -> None:
    client = OpenAIChatClient(fake_openai.base_url, None, temperature=0.7, max_reply_tokens=50)
    asyncio.run(_drain(client, max_tokens=30, temperature=0.1))
    body = fake_openai.chat_requests[-1].body
    assert (body["temperature"], body["max_tokens"]) == (0.1, 30)


def test_no_reply_settings_send_neither_field(fake_openai: FakeOpenAIServer) -> None:
    asyncio.run(_drain(OpenAIChatClient(fake_openai.base_url, None)))
    body = fake_openai.chat_requests[-1].body
    assert not {"temperature", "max_tokens", "max_completion_tokens"} & set(body)


def test_openais_api_gets_max_completion_tokens() -> None:
    assert limit_field_for("https://api.openai.com/v1") == "max_completion_tokens"
    assert limit_field_for("http://localhost:11434/v1") == "max_tokens"
    assert limit_field_for("https://openai.example.com/v1") == "max_tokens"


def test_the_client_factory_passes_the_profiles_reply_settings(fake_openai: FakeOpenAIServer) -> None:
    profile = replace(settings_for(fake_openai).profile(), temperature=1.5, max_reply_tokens=77)
    client = client_factory(SecretAccess(MemorySecretStore))(profile, settings_for(fake_openai))
    assert isinstance(client, OpenAIChatClient)
    asyncio.run(_drain(client))
    body = fake_openai.chat_requests[-1].body
    assert (body["temperature"], body["max_tokens"]) == (1.5, 77)


def test_profile_reply_settings_are_validated() -> None:
    with pytest.raises(SettingsError, match="'temperature' must be a number from 0 to 2, not 3"):
        ProviderProfile.from_dict({"name": "X", "temperature": 3})
    with pytest.raises(SettingsError, match="'max_reply_tokens' must be a whole number from 1"):
        ProviderProfile.from_dict({"name": "X", "max_reply_tokens": 0})
    # A profile object is checked by the same rules as a stored one: it could not be loaded again otherwise.
    with pytest.raises(SettingsError, match="'temperature'"):
        validate("profiles", [ProviderProfile("X", temperature=9.0)])
    assert ProviderProfile.from_dict({"name": "X", "temperature": 1}).temperature == 1.0


def test_appearance_settings_are_validated() -> None:
    assert validate("theme", "dark") == "dark"
    with pytest.raises(SettingsError, match="one of system, light, dark"):
        validate("theme", "blue")
    assert validate("conversation_font_size", None) is None
    with pytest.raises(SettingsError, match="from 6 to 48"):
        validate("conversation_font_size", 100)


# --- errors name no Settings screen --------------------------------------------------------


def test_provider_errors_name_no_settings_screen(fake_openai: FakeOpenAIServer) -> None:
    fake_openai.api_key = KEY

    async def refused() -> Exception:
        client = OpenAIChatClient(fake_openai.base_url, "sk-test-wrong0123456789abcdefghijk", max_retries=0)
        try:
            await _drain(client)
        except AuthError as exc:
            return exc
        raise AssertionError("no error")

    auth = asyncio.run(refused())
    assert str(auth) == f"The server at {fake_openai.base_url} rejected the API key (401); check the key."

    fake_openai.api_key = None
    fake_openai.reject_unknown_models = True

    async def missing() -> Exception:
        client = OpenAIChatClient(fake_openai.base_url, None, max_retries=0)
        try:
            async for _event in client.stream_chat(HELLO, model="no-such-model"):
                pass
        except ModelNotFound as exc:
            return exc
        finally:
            await client.aclose()
        raise AssertionError("no error")

    model = asyncio.run(missing())
    assert (
        str(model) == f"The server at {fake_openai.base_url} has no model 'no-such-model'. It has: fake-gpt, fake-mini."
    )
    assert "Settings" not in str(auth) + str(model)


# --- the workspace's part ------------------------------------------------------------------


def _workspace(tmp_path: Path, settings: Settings, store: MemorySecretStore | None = None) -> Workspace:
    data = Store.open(tmp_path / "data")
    data.settings.set("profiles", settings.profiles)
    data.settings.save(settings)
    secrets = store or MemorySecretStore()
    access = SecretAccess(lambda: secrets)
    return Workspace(data, client_factory(access, environ={}), secrets=access)


def test_connection_check_answers_in_one_line(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    workspace = _workspace(tmp_path, settings_for(fake_openai))
    try:
        ok = asyncio.run(workspace.test_connection())
        assert ok.ok and ok.models == ("fake-gpt", "fake-mini")
        assert ok.message == f"Connected to {fake_openai.base_url}: 2 models."
        gone = replace(workspace.settings.profile(), base_url="http://127.0.0.1:9/v1")
        failed = asyncio.run(workspace.test_connection(gone))
        assert not failed.ok and failed.message == "Cannot reach http://127.0.0.1:9/v1: is the server running?"
    finally:
        workspace.close()


def test_connection_check_uses_the_key_typed_else_the_stored_one(
    tmp_path: Path, fake_openai: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    fake_openai.api_key = KEY
    settings = settings_for(fake_openai)
    keyed = replace(settings.profile(), needs_key=True)
    secrets = MemorySecretStore()
    workspace = _workspace(tmp_path, replace(settings, profiles=(keyed,)), secrets)
    try:
        missing = asyncio.run(workspace.test_connection())
        assert not missing.ok and "No API key is stored for profile 'Test'" in missing.message
        typed = asyncio.run(workspace.test_connection(key=KEY))
        assert typed.ok
        secrets.set("Test", KEY)
        assert asyncio.run(workspace.test_connection()).ok
        assert fake_openai.requests[-1].authorization == f"Bearer {KEY}"
    finally:
        workspace.close()


def test_provider_ready(tmp_path: Path, fake_openai: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    secrets = MemorySecretStore()
    workspace = _workspace(tmp_path, Settings(), secrets)  # OpenAI: needs a key
    try:
        assert not asyncio.run(workspace.provider_ready())
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        assert asyncio.run(workspace.provider_ready())
        monkeypatch.delenv("OPENAI_API_KEY")
        secrets.set("OpenAI", KEY)
        assert asyncio.run(workspace.provider_ready())
        secrets.delete("OpenAI")
        workspace.add_profile(PRESETS["ollama"], activate=True)  # a local server needs none
        assert asyncio.run(workspace.provider_ready())
    finally:
        workspace.close()


def test_backup_now_copies_the_live_database(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    workspace = _workspace(tmp_path, settings_for(fake_openai))
    try:
        workspace.new_session(title="Keep me")
        first, second = workspace.backup_now(), workspace.backup_now()
        assert first != second and first.parent == tmp_path / "data" / "backups"
        restored = tmp_path / "restored"
        restored.mkdir()
        restored_db = database_path(restored)
        restored_db.write_bytes(second.read_bytes())
        copy = Store.open(restored)
        try:
            assert [s.title for s in copy.sessions.list_by_activity()] == ["Keep me"]
        finally:
            copy.close()
    finally:
        workspace.close()


def test_an_in_memory_workspace_has_nothing_to_back_up(fake_openai: FakeOpenAIServer) -> None:
    workspace = Workspace(Store.in_memory(), client_factory(SecretAccess(MemorySecretStore)))
    with pytest.raises(NotAllowed, match="nothing to back up"):
        workspace.backup_now()
    assert workspace.data_folder is None
