"""Files go when nothing needs them: retention's deletes sweep them; after start-up, one sweep takes what a
composer left behind. Real data folders; file ages set with os.utime, row ages written as they would be."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from pathlib import Path

from desktop_chat.core.events import Event
from desktop_chat.core.models import Attachment, FilePart, Role, TextPart
from desktop_chat.core.storage.attachment_files import AttachmentFiles
from desktop_chat.core.storage.db import utcnow
from desktop_chat.core.storage.store import Store
from desktop_chat.core.workspace import Workspace
from tests.helpers.cli import cli
from tests.helpers.controller import data_dir
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.workspace import with_workspace

TWO_DAYS = 2 * 24 * 3600


def stored(folder: Path) -> set[str]:
    files = AttachmentFiles(folder)
    return set(files.stored())


def age(files: AttachmentFiles, sha: str, seconds: float = TWO_DAYS) -> None:
    path = files.path(sha)
    os.utime(path, (path.stat().st_atime - seconds, path.stat().st_mtime - seconds))


async def send(workspace: Workspace, session_id: int, text: str, *attachments: Attachment) -> None:
    async for _ in workspace.replies.send(session_id, text, attachments=attachments):
        pass


def seed_leftovers(folder: Path) -> dict[str, str]:
    """A data folder with what a composer and a crash leave behind, before the app opens it.

    ``abandoned``: a row and a file two days old that no message refers to (attached, never sent);
    ``orphan``: a two-day-old file with no row at all (the app stopped between writing it and its row);
    ``fresh``: a row and file from just now, still in a composer.
    """
    store = Store.open(folder)
    files = AttachmentFiles(folder)
    made: dict[str, str] = {}
    try:
        for name, old in (("abandoned", True), ("orphan", True), ("fresh", False)):
            sha = files.put_bytes(f"{name} file".encode())
            made[name] = sha
            if name != "orphan":
                at = utcnow() - timedelta(days=2) if old else None
                store.attachments.add(Attachment(sha, f"{name}.txt", "text/plain", 10, f"{name} file"), at=at)
            if old:
                age(files, sha)
    finally:
        store.close()
    return made


def test_retention_deletes_the_files_only_the_deleted_chats_refer_to(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    shared, own = tmp_path / "shared.txt", tmp_path / "own.txt"
    shared.write_text("in an old chat and a pinned one")
    own.write_text("only in the old chat")
    folder = data_dir(tmp_path)

    async def job(workspace: Workspace, events: list[Event]) -> None:
        a, b = workspace.attachments.add(shared), workspace.attachments.add(own)
        old, pinned = workspace.new_session(title="old").id, workspace.new_session(title="kept").id
        await send(workspace, old, "both", a, b)
        await send(workspace, pinned, "shared", a)
        workspace.set_pinned(pinned, True)
        long_ago = utcnow() - timedelta(days=40)  # both idle for 40 days; the pinned one is never touched
        for sid in (old, pinned):
            workspace._store.sessions.set_times(sid, created_at=long_ago, updated_at=long_ago)
        dry = workspace.data.purge(days=30, mode="delete", dry_run=True)
        assert [s.id for s in dry.sessions] == [old] and dry.freed == frozenset()
        assert stored(folder) == {a.sha256, b.sha256}  # a dry run deletes nothing
        report = workspace.data.purge(days=30, mode="delete")
        assert report.freed == {a.sha256, b.sha256}
        assert stored(folder) == {a.sha256}  # the pinned chat still refers to the shared file
        assert workspace.attachments.path(a.sha256).read_bytes() == shared.read_bytes()
        archived = workspace.data.purge(days=30, mode="archive")
        assert archived.freed == frozenset() and stored(folder) == {a.sha256}

    with_workspace(tmp_path, fake_openai, job)


def test_the_purge_command_deletes_the_files_of_the_chats_it_deletes(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    folder = tmp_path / "data"
    note = tmp_path / "note.txt"
    note.write_text("the tide table for May")
    store = Store.open(folder)  # a chat with a file, as `send --attach` leaves it, last used 90 days ago
    try:
        sha = AttachmentFiles(folder).put_bytes(note.read_bytes())
        store.attachments.add(Attachment(sha, "note.txt", "text/plain", 22, note.read_text()))
        sid = store.sessions.create("old").id
        parts = (TextPart("Keep this"), FilePart(sha, "note.txt", "text/plain"))
        store.messages.append(sid, Role.USER, "Keep this", parts=parts)
        long_ago = utcnow() - timedelta(days=90)
        store.sessions.set_times(sid, created_at=long_ago, updated_at=long_ago)
    finally:
        store.close()
    assert len(stored(folder)) == 1
    purged = cli(folder, "purge", "--days", "30", "--mode", "delete")
    assert purged.returncode == 0, purged.stderr
    assert stored(folder) == set()


def test_one_sweep_after_start_up_takes_what_a_composer_left_and_nothing_else(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    folder = data_dir(tmp_path)
    made = seed_leftovers(folder)
    kept_file = tmp_path / "kept.txt"
    kept_file.write_text("sent long ago")

    async def job(workspace: Workspace, events: list[Event]) -> None:
        kept = workspace.attachments.add(kept_file)
        await send(workspace, workspace.new_session(title="sent").id, "here", kept)
        age(workspace.attachments.files, kept.sha256)  # an old file a message refers to: stays
        await workspace.warm_up(sweep_after=0.2)  # the window's start schedules it
        for _ in range(400):  # until the sweep has run to its end (its file walk is a worker thread's)
            await asyncio.sleep(0.05)
            task = workspace.attachments._sweep_task
            if task is not None and task.done():
                break
        assert stored(folder) == {made["fresh"], kept.sha256}
        assert not workspace.attachments.files.exists(made["abandoned"])
        assert workspace.attachments.get(made["fresh"]).name == "fresh.txt"  # still in a composer
        await workspace.warm_up(sweep_after=0.0)  # once per start: a second call schedules nothing
        assert workspace.attachments._sweep_task is not None and workspace.attachments._sweep_task.done()

    with_workspace(tmp_path, fake_openai, job)


def test_closing_before_the_sweep_is_due_cancels_it(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    folder = data_dir(tmp_path)
    made = seed_leftovers(folder)

    async def job(workspace: Workspace, events: list[Event]) -> None:
        await workspace.warm_up(sweep_after=30.0)
        assert stored(folder) == set(made.values())  # not on the start's path: warm_up returned, nothing swept

    with_workspace(tmp_path, fake_openai, job)  # closes at once: the sweep never ran
    assert stored(folder) == set(made.values())
