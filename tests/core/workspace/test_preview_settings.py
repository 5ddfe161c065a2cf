"""Previews plan with the settings as stored, without reading and validating them again per keystroke."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_chat.core.events import Event
from desktop_chat.core.models import Strategy
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.settings_store import SettingsStore
from desktop_chat.core.storage.store import Store
from desktop_chat.core.workspace import Workspace
from tests.helpers.controller import data_dir
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.workspace import with_workspace


def count_loads(monkeypatch: pytest.MonkeyPatch) -> list[SettingsStore]:
    """Wrap the real ``SettingsStore.load`` with a recorder: each call appends the table it read."""
    calls: list[SettingsStore] = []
    load = SettingsStore.load

    def recording(self: SettingsStore) -> Settings:
        calls.append(self)
        return load(self)

    monkeypatch.setattr(SettingsStore, "load", recording)
    return calls


def test_previews_read_the_settings_once_until_they_change(
    tmp_path: Path, fake_openai: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def job(workspace: Workspace, _events: list[Event]) -> None:
        chat = workspace.new_session()
        workspace.preview(chat.id, "warm")  # the first preview reads them
        calls = count_loads(monkeypatch)

        def loads() -> int:
            return len([c for c in calls if c is not writer[0]])

        for end in range(1, 30):
            workspace.preview(chat.id, "What did we decide about the budget"[:end])
        assert loads() == 0, "typed keys do not reload the settings"

        workspace.set_setting("default_strategy", Strategy.WINDOW)  # this process changes them: read again
        assert workspace.preview(chat.id, "x").strategy is Strategy.WINDOW
        before = loads()  # set_setting itself reads them to validate the change
        assert workspace.preview(chat.id, "y").strategy is Strategy.WINDOW
        assert loads() == before, "read once after the change"

        other = Store.open(data_dir(tmp_path))  # another process (the CLI's `config set`) changes them
        writer[0] = other.settings
        before = loads()
        try:
            other.settings.set("default_strategy", Strategy.FULL.value)
        finally:
            other.close()
        assert workspace.preview(chat.id, "x").strategy is Strategy.FULL
        assert workspace.preview(chat.id, "xy").strategy is Strategy.FULL
        assert loads() == before + 1, "read once after another process's commit"

    writer: list[SettingsStore | None] = [None]
    with_workspace(tmp_path, fake_openai, job)
