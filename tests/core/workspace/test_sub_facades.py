"""The workspace is made of sub-facades; the names kept on it reach their methods; the rules moved below hold."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from desktop_chat.core import chat_rules, profile_rules
from desktop_chat.core.errors import EmptyInput, NotAllowed
from desktop_chat.core.events import Event, SessionChanged
from desktop_chat.core.paths import backup_path
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.secrets import clean_api_key
from desktop_chat.core.storage.store import Store
from desktop_chat.core.workspace import Workspace, _Forward
from tests.helpers.controller import data_dir
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.workspace import with_workspace


def test_every_kept_name_reads_an_existing_sub_facade_method_with_its_signature() -> None:
    kept = {name: attr for name, attr in vars(Workspace).items() if isinstance(attr, _Forward)}
    assert len(kept) > 60  # the names the front ends called before the split
    facades = {"chats", "replies", "memory", "config", "providers", "data", "local"}
    for name, forward in kept.items():
        assert forward._facade in facades, name
        assert forward.__doc__ == getattr(Workspace, name).__doc__


def test_a_kept_name_and_the_sub_facade_do_the_same_thing(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    async def job(workspace: Workspace, events: list[Event]) -> None:
        chat = workspace.chats.new_session(title="One")
        workspace.rename_session(chat.id, "  Two ")
        assert workspace.chats.session(chat.id).title == "Two"
        assert [e for e in events if isinstance(e, SessionChanged)][-1].session.title == "Two"
        # Bound methods of the sub-facade, so callers that keep a reference (a signal's slot) still work.
        assert inspect.ismethod(workspace.rename_session)
        assert workspace.rename_session.__self__ is workspace.chats
        assert workspace.facts() == workspace.memory.facts()
        assert workspace.local_model_files() == workspace.local.files()
        assert workspace.data_folder == workspace.data.data_folder is not None

    with_workspace(tmp_path, fake_openai, job)


def test_chat_rules() -> None:
    assert chat_rules.clean_title("  A title ") == "A title"
    with pytest.raises(EmptyInput):
        chat_rules.clean_title(" \n")


def test_profile_rules_follow_a_rename_and_keep_the_last_profile(tmp_path: Path) -> None:
    store = Store.open(data_dir(tmp_path))
    try:
        save = store.settings.set
        settings = save("profiles", [ProviderProfile("a")])
        settings = save("active_profile", "a")
        with pytest.raises(NotAllowed, match="only provider profile"):
            profile_rules.remove(settings, "a", save)
        settings = profile_rules.replace(settings, "a", ProviderProfile("b"), save)
        assert [p.name for p in settings.profiles] == ["b"]
        assert settings.active_profile == "b"  # the active profile follows its rename
        with pytest.raises(NotAllowed, match="already a provider profile"):
            profile_rules.add(settings, ProviderProfile("b"), save)
        settings = profile_rules.add(settings, ProviderProfile("c"), save, activate=True)
        assert settings.active_profile == "c"
    finally:
        store.close()


def test_keys_and_backups() -> None:
    assert clean_api_key("  sk-abc\n") == "sk-abc"
    with pytest.raises(EmptyInput):
        clean_api_key("sk-a bc")


def test_a_backup_never_overwrites_one_taken_the_same_second(tmp_path: Path) -> None:
    first = backup_path(tmp_path, "20250101T000000")
    first.parent.mkdir()
    first.write_bytes(b"")
    assert backup_path(tmp_path, "20250101T000000").name == "desktop-chat-20250101T000000-2.sqlite3"
