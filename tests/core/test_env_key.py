"""OPENAI_API_KEY goes to OpenAI's API (or the OPENAI_BASE_URL set beside it), never to another server
unless its profile allows it: checked from the fake server's log of the ``authorization`` header."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from desktop_chat.core.bootstrap import open_workspace
from desktop_chat.core.errors import MissingApiKey, SettingsError
from desktop_chat.core.models import ChatMessage, Role
from desktop_chat.core.profiles import ProviderProfile, env_key_allowed
from desktop_chat.core.providers import ChatClient, OpenAIChatClient
from desktop_chat.core.secrets import MemorySecretStore
from desktop_chat.core.services import SecretAccess, client_factory
from desktop_chat.core.settings import Settings
from tests.helpers.fake_openai import FakeOpenAIServer

ENV_KEY_VALUE = "sk-test-envkey0123456789abcdefghijklmn"  # a fake key
HELLO = [ChatMessage(Role.USER, "Hello")]


def _custom(server: FakeOpenAIServer, **overrides: object) -> ProviderProfile:
    data = {"name": "Custom", "base_url": server.base_url, "default_model": "fake-gpt", **overrides}
    return ProviderProfile.from_dict(data)


async def _send(client: ChatClient) -> None:
    try:
        async for _event in client.stream_chat(HELLO, model="fake-gpt"):
            pass
    finally:
        await client.aclose()


def _sent_keys(server: FakeOpenAIServer) -> list[str | None]:
    return [request.authorization for request in server.requests]


@pytest.fixture
def env_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OPENAI_API_KEY", ENV_KEY_VALUE)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    return ENV_KEY_VALUE


def test_a_custom_server_never_gets_the_environments_key(fake_openai: FakeOpenAIServer, env_key: str) -> None:
    profile = _custom(fake_openai)
    make = client_factory(SecretAccess(MemorySecretStore))

    with pytest.raises(MissingApiKey, match="only sent to OpenAI's API"):
        make(profile, Settings(profiles=(profile,), active_profile=profile.name))
    # The client on its own (the SDK's fallback) keeps it home too.
    asyncio.run(_send(OpenAIChatClient(fake_openai.base_url, None)))

    assert fake_openai.requests  # the server was asked...
    assert f"Bearer {env_key}" not in _sent_keys(fake_openai)  # ...without the user's OpenAI key


def test_the_key_status_and_connection_check_do_not_offer_the_env_key(
    tmp_path: Path, fake_openai: FakeOpenAIServer, env_key: str
) -> None:
    workspace = open_workspace(tmp_path / "data", secrets=MemorySecretStore)
    try:
        workspace.add_profile(_custom(fake_openai), activate=True)
        status = asyncio.run(workspace.key_status("Custom"))
        assert "from OPENAI_API_KEY" not in status
        assert not asyncio.run(workspace.provider_ready())
        check = asyncio.run(workspace.test_connection("Custom"))
        assert not check.ok
    finally:
        workspace.close()
    assert f"Bearer {env_key}" not in _sent_keys(fake_openai)


def test_the_env_key_goes_to_openai_base_url_when_that_is_the_profiles_url(
    fake_openai: FakeOpenAIServer, env_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url + "/")  # a trailing slash is the same URL
    profile = _custom(fake_openai)
    make = client_factory(SecretAccess(MemorySecretStore))

    asyncio.run(_send(make(profile, Settings(profiles=(profile,), active_profile=profile.name))))

    assert fake_openai.chat_requests[-1].authorization == f"Bearer {env_key}"


def test_a_profile_that_allows_it_gets_the_env_key(tmp_path: Path, fake_openai: FakeOpenAIServer, env_key: str) -> None:
    profile = _custom(fake_openai, use_env_key=True)
    workspace = open_workspace(tmp_path / "data", secrets=MemorySecretStore)
    try:
        workspace.add_profile(profile, activate=True)
        assert asyncio.run(workspace.key_status("Custom")) == "from OPENAI_API_KEY"
        assert asyncio.run(workspace.test_connection("Custom")).ok
    finally:
        workspace.close()
    assert fake_openai.requests[-1].authorization == f"Bearer {env_key}"


def test_a_stored_key_still_goes_to_a_custom_server(fake_openai: FakeOpenAIServer, env_key: str) -> None:
    stored = "sk-test-stored0123456789abcdefghijklm"
    secrets = MemorySecretStore()
    secrets.set("Custom", stored)
    profile = _custom(fake_openai)
    make = client_factory(SecretAccess(lambda: secrets))

    asyncio.run(_send(make(profile, Settings(profiles=(profile,), active_profile=profile.name))))

    assert _sent_keys(fake_openai) == [f"Bearer {stored}"]


def test_where_the_env_key_may_go() -> None:
    env = {"OPENAI_BASE_URL": "https://proxy.example.com/v1"}
    assert env_key_allowed(None, env)  # the SDK's own pair of variables
    assert env_key_allowed("https://api.openai.com/v1/", {})
    assert env_key_allowed("HTTPS://API.OPENAI.COM/v1", {})
    assert env_key_allowed("https://proxy.example.com/v1", env)
    assert not env_key_allowed("https://api.openai.com.evil.example/v1", {})
    assert not env_key_allowed("http://api.openai.com/v1", {})  # not over plain HTTP
    assert not env_key_allowed("http://localhost:11434/v1", env)
    assert env_key_allowed("http://localhost:11434/v1", env, opted_in=True)


def test_use_env_key_is_validated() -> None:
    with pytest.raises(SettingsError, match="'use_env_key' must be true or false"):
        ProviderProfile.from_dict({"name": "X", "use_env_key": "yes"})
    assert not ProviderProfile(name="X").use_env_key
