"""Driving a ConversationController in tests: settings pointing at the fake server, a real client, event helpers."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from desktop_chat.core.controller import ConversationController
from desktop_chat.core.events import Delta, Event, Failed, Finished, Started, Stopped
from desktop_chat.core.models import Message, Strategy
from desktop_chat.core.paths import database_path
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.providers import OpenAIChatClient
from desktop_chat.core.secrets import MemorySecretStore
from desktop_chat.core.services import ClientFactory, SecretAccess, client_factory
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.store import Store
from tests.helpers.fake_openai import FakeOpenAIServer

T = TypeVar("T")

MODEL = "fake-gpt"
UPKEEP_MODEL = "fake-mini"
KEY = "sk-test-controller0123456789abcdefghij"  # a fake key, never a real one


def settings_for(server: FakeOpenAIServer, **overrides: Any) -> Settings:
    profile = ProviderProfile(
        name="Test",
        base_url=server.base_url,
        default_model=MODEL,
        summary_model=UPKEEP_MODEL,
        context_window=8192,
        needs_key=False,
    )
    base = Settings(
        active_profile="Test",
        profiles=(profile,),
        default_strategy=Strategy.FULL,  # no upkeep unless a test asks for it
        read_timeout=5.0,
        connect_timeout=2.0,
    )
    return replace(base, **overrides)


def save_settings(store: Store, settings: Settings) -> None:
    """Store ``settings`` as the app keeps them (the profiles first: the active profile must name one)."""
    store.settings.set("profiles", settings.profiles)
    store.settings.save(settings)


def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def open_store(tmp_path: Path) -> Store:
    return Store.open(data_dir(tmp_path))


def raw_db(tmp_path: Path) -> sqlite3.Connection:
    """A second connection to the same file, as another process would see it."""
    return sqlite3.connect(database_path(data_dir(tmp_path)), timeout=5)


def make_client(server: FakeOpenAIServer, **kwargs: Any) -> OpenAIChatClient:
    kwargs.setdefault("backoff", 0.01)
    kwargs.setdefault("read_timeout", 5.0)
    kwargs.setdefault("max_retries", 2)
    return OpenAIChatClient(server.base_url, KEY, **kwargs)


def make_factory(key: str = KEY) -> ClientFactory:
    """The app's own client factory (``services.client_factory``) with quick retries and ``key`` stored for
    profile "Test": it builds real clients for the settings' profiles, which point at the fake server."""
    keys = MemorySecretStore()
    keys.set("Test", key)
    return client_factory(SecretAccess(lambda: keys), environ={}, max_retries=2, backoff=0.01)


def with_controller(
    tmp_path: Path,
    server: FakeOpenAIServer,
    job: Callable[[ConversationController], Awaitable[T]],
    *,
    settings: Settings | None = None,
    factory: ClientFactory | None = None,
    **controller_kwargs: Any,
) -> T:
    """Run ``job`` with a controller on a real store in tmp_path (``settings`` stored there), its clients from
    the app's factory (or ``factory``, e.g. one that stands the fake server in for the built-in model's)."""
    store = open_store(tmp_path)

    async def go() -> T:
        save_settings(store, settings or settings_for(server))  # read back per reply, as in the app
        controller = ConversationController(store, factory or make_factory(), **controller_kwargs)
        try:
            return await job(controller)
        finally:
            await controller.aclose()

    try:
        return asyncio.run(go())
    finally:
        store.close()


async def collect(events: AsyncIterator[Any]) -> list[Event]:
    return [event async for event in events]


def text_of(events: list[Event]) -> str:
    return "".join(e.text for e in events if isinstance(e, Delta))


def only(events: list[Event], kind: type[T]) -> T:
    found = [e for e in events if isinstance(e, kind)]
    assert len(found) == 1, events
    return found[0]


def ending(events: list[Event]) -> Finished | Stopped | Failed:
    ends = [e for e in events if isinstance(e, Finished | Stopped | Failed)]
    assert len(ends) == 1, events
    return ends[0]


def started(events: list[Event]) -> Started:
    return only(events, Started)


def active_pairs(store: Store, session_id: int) -> list[tuple[str, str, str]]:
    return [(m.role.value, m.content, m.status.value) for m in store.messages.all(session_id)]


def all_messages(store: Store, session_id: int) -> list[Message]:
    return store.messages.all(session_id, include_inactive=True)
