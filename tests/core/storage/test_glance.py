"""The window's first look: the chat it reopens and its newest messages, read from the file without the core."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from desktop_chat.core.bootstrap import open_workspace
from desktop_chat.core.models import MessageStatus, Role
from desktop_chat.core.paths import database_path
from desktop_chat.core.storage.glance import KNOWN_SCHEMA, LONGEST_TEXT, read_glance
from desktop_chat.core.storage.migrations import MIGRATIONS
from desktop_chat.core.storage.store import Store


def _folder_with_chats(tmp_path: Path) -> tuple[Path, int, int]:
    """A data folder with an older chat (five messages, the last one replaced by a newer version) and a newer one."""
    store = Store.open(tmp_path)
    try:
        older = store.sessions.create("Trip to Lisbon")
        for i in range(4):
            role = Role.USER if i % 2 == 0 else Role.ASSISTANT
            store.messages.append(older.id, role, f"message {i}", model="m1" if role is Role.ASSISTANT else None)
        replaced = store.messages.append(older.id, Role.ASSISTANT, "the first answer", model="m1")
        store.messages.deactivate_from(older.id, replaced.id)
        store.messages.append(older.id, Role.ASSISTANT, "the regenerated answer", model="m2")
        newer = store.sessions.create("Tax forms")
        store.messages.append(newer.id, Role.USER, "Which form do I need?")
    finally:
        store.close()
    return database_path(tmp_path), older.id, newer.id


def test_the_remembered_chat_is_read_with_its_newest_active_messages_oldest_first(tmp_path: Path) -> None:
    database, older, _ = _folder_with_chats(tmp_path)
    glance = read_glance(database, older, limit=3)
    assert glance is not None
    assert (glance.session_id, glance.title) == (older, "Trip to Lisbon")
    # The regenerated answer replaced the first one: the first look shows what the chat shows.
    assert [(m.role, m.text, m.model) for m in glance.messages] == [
        ("user", "message 2", None),
        ("assistant", "message 3", "m1"),
        ("assistant", "the regenerated answer", "m2"),
    ]
    assert glance.messages[0].created_at.tzinfo is not None  # shown in the user's own time


def test_without_a_remembered_chat_or_with_an_archived_one_the_latest_chat_opens(tmp_path: Path) -> None:
    database, older, newer = _folder_with_chats(tmp_path)
    assert (glance := read_glance(database, None, limit=5)) is not None and glance.session_id == newer
    assert (glance := read_glance(database, 9_999, limit=5)) is not None and glance.session_id == newer
    store = Store.open(tmp_path)
    store.sessions.update(older, archived=True)
    store.close()
    assert (glance := read_glance(database, older, limit=5)) is not None and glance.session_id == newer


def test_the_workspace_reopens_the_same_chat_as_the_first_look(tmp_path: Path) -> None:
    database, older, newer = _folder_with_chats(tmp_path)
    workspace = open_workspace(tmp_path)
    try:
        for last in (older, None, 9_999):
            glance = read_glance(database, last, limit=1)
            assert glance is not None and workspace.chat_to_reopen(last) == glance.session_id
        workspace.set_archived(older, True)
        assert workspace.chat_to_reopen(older) == newer
    finally:
        workspace.close()


def test_a_long_message_is_cut_for_the_first_look(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    chat = store.sessions.create("Long")
    store.messages.append(chat.id, Role.ASSISTANT, "x" * (LONGEST_TEXT * 3), status=MessageStatus.COMPLETE)
    store.close()
    glance = read_glance(database_path(tmp_path), None, limit=5)
    assert glance is not None and len(glance.messages[0].text) == LONGEST_TEXT


def test_no_first_look_for_a_new_folder_an_empty_one_or_a_file_it_cannot_read(tmp_path: Path) -> None:
    assert read_glance(database_path(tmp_path), None, limit=5) is None  # no file yet
    Store.open(tmp_path).close()
    assert read_glance(database_path(tmp_path), None, limit=5) is None  # no chat yet
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database" * 100)
    assert read_glance(garbage, None, limit=5) is None


def test_a_schema_this_version_does_not_know_is_left_to_the_workspace(tmp_path: Path) -> None:
    database, older, _ = _folder_with_chats(tmp_path)
    assert len(MIGRATIONS) == KNOWN_SCHEMA, "a new migration: check the first look's query and raise KNOWN_SCHEMA"
    for version in (KNOWN_SCHEMA - 1, KNOWN_SCHEMA + 1):  # an update to show, a newer app's file
        with sqlite3.connect(database) as conn:
            conn.execute(f"PRAGMA user_version={version}")
        assert read_glance(database, older, limit=5) is None
        before = database.read_bytes()
        read_glance(database, older, limit=5)
        assert database.read_bytes() == before  # only read


def test_reading_the_first_look_loads_nothing_of_the_core_but_itself(tmp_path: Path) -> None:
    _, older, _ = _folder_with_chats(tmp_path)
    code = (
        "import sys; from pathlib import Path\n"
        "from desktop_chat.core.facade.first_look import first_look\n"
        f"glance = first_look(Path({str(tmp_path)!r}), {older}, 5)\n"
        "assert glance is not None and glance.title == 'Trip to Lisbon'\n"
        "print(sorted(m for m in sys.modules if m.startswith('desktop_chat')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    core = ["desktop_chat.core", "desktop_chat.core.facade", "desktop_chat.core.facade.first_look"]
    core += ["desktop_chat.core.paths", "desktop_chat.core.storage", "desktop_chat.core.storage.glance"]
    assert out.strip() == str(["desktop_chat", *core])
