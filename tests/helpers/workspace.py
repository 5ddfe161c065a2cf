"""Driving the application facade (Workspace) as a Qt-free client would: real SQLite, the fake server over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from desktop_chat.core.bootstrap import open_workspace
from desktop_chat.core.events import Event
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.services import ClientFactory
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.store import Store
from desktop_chat.core.workspace import Workspace
from tests.helpers.controller import data_dir, make_factory, settings_for
from tests.helpers.fake_openai import FakeOpenAIServer

T = TypeVar("T")


def with_workspace(
    tmp_path: Path,
    server: FakeOpenAIServer,
    job: Callable[[Workspace, list[Event]], Awaitable[T]],
    *,
    settings: Settings | None = None,
    factory: ClientFactory | None = None,
    **kwargs: Any,
) -> T:
    """Run ``job`` with a workspace on a real data folder whose settings point at the fake server.

    ``job`` also gets the list every published event is appended to.
    """
    store = Store.open(data_dir(tmp_path))
    chosen = settings or settings_for(server)
    # Profiles before the active profile that names one of them.
    store.settings.set("profiles", list(chosen.profiles))
    for name in ("active_profile", "default_strategy", "window_messages", "summary_trigger", "read_timeout"):
        store.settings.set(name, getattr(chosen, name))

    async def go() -> T:
        workspace = Workspace(store, factory or make_factory(), **kwargs)
        events: list[Event] = []
        workspace.subscribe(events.append)
        try:
            return await job(workspace, events)
        finally:
            await workspace.aclose()

    try:
        return asyncio.run(go())
    finally:
        store.close()


def prepare_profile(folder: Path, server: FakeOpenAIServer) -> None:
    """A data folder whose active profile is the fake server (no key needed)."""
    workspace = open_workspace(folder)
    try:
        profile = ProviderProfile(
            name="Test",
            base_url=server.base_url,
            default_model="fake-gpt",
            summary_model="fake-mini",
            context_window=8192,
            needs_key=False,
        )
        workspace.add_profile(profile, activate=True)
        workspace.set_setting("default_strategy", "full")
    finally:
        workspace.close()
