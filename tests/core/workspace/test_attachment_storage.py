"""Attached files kept once by their hash in the data folder, referred to by messages, deleted with their chat."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from desktop_chat.core.attachments.types import UnreadableAttachment
from desktop_chat.core.events import Event
from desktop_chat.core.models import FilePart, TextPart
from desktop_chat.core.storage.store import Store
from desktop_chat.core.workspace import Workspace
from tests.helpers.controller import data_dir
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.workspace import with_workspace


def stored_files(tmp_path: Path) -> list[Path]:
    folder = data_dir(tmp_path) / "attachments"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


async def send(workspace: Workspace, session_id: int, text: str, *attachments: object) -> None:
    async for _ in workspace.replies.send(session_id, text, attachments=attachments):  # type: ignore[arg-type]
        pass


def test_a_file_is_kept_once_byte_for_byte_and_the_message_refers_to_it(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"The boat is called Marigold.\n")
    copy = tmp_path / "copy of notes.txt"
    copy.write_bytes(notes.read_bytes())

    async def job(workspace: Workspace, events: list[Event]) -> None:
        first = workspace.attachments.add(notes)
        again = workspace.attachments.add(copy)
        assert first.sha256 == again.sha256 and again.name == "copy of notes.txt"
        assert [p.read_bytes() for p in stored_files(tmp_path)] == [notes.read_bytes()]
        assert oct(stored_files(tmp_path)[0].stat().st_mode & 0o777) == "0o600"
        sid = workspace.new_session(title="Files").id
        await send(workspace, sid, "What is the boat called?", first)
        user = workspace.chats.messages(sid)[0]
        assert user.parts == (TextPart("What is the boat called?"), FilePart(first.sha256, "notes.txt", "text/plain"))
        assert [a.name for a in workspace.attachments.of_message(user.id)] == ["notes.txt"]
        assert workspace.attachments.path(first.sha256).read_bytes() == notes.read_bytes()

    with_workspace(tmp_path, fake_openai, job)


def test_deleting_a_chat_deletes_the_files_only_it_refers_to(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    shared, own = tmp_path / "shared.txt", tmp_path / "own.txt"
    shared.write_text("in two chats")
    own.write_text("in one chat")

    async def job(workspace: Workspace, events: list[Event]) -> None:
        a, b = workspace.attachments.add(shared), workspace.attachments.add(own)
        one, two = workspace.new_session(title="one").id, workspace.new_session(title="two").id
        await send(workspace, one, "both", a, b)
        await send(workspace, two, "shared only", a)
        workspace.chats.delete_session(one)
        assert [p.name for p in stored_files(tmp_path)] == [a.sha256]
        workspace.chats.delete_session(two)
        assert stored_files(tmp_path) == []

    with_workspace(tmp_path, fake_openai, job)


def test_an_attachment_waiting_in_the_composer_survives_sweeps(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    draft = tmp_path / "draft.txt"
    draft.write_text("left in the composer")

    async def job(workspace: Workspace, events: list[Event]) -> None:
        kept = workspace.attachments.add(draft)
        assert workspace.attachments.sweep() == 0  # today's draft stays
        day_old = 2 * 24 * 3600
        path = workspace.attachments.files.path(kept.sha256)
        os.utime(path, (path.stat().st_atime - day_old, path.stat().st_mtime - day_old))
        workspace.attachments.sweep()  # its row was written now, so it is not abandoned yet: the file stays
        assert path.exists()

    with_workspace(tmp_path, fake_openai, job)


@pytest.mark.parametrize(
    ("make", "line"),
    [
        (lambda p: p, "missing.txt does not exist any more. Choose the file again."),
        (
            lambda p: (p.mkdir(), p)[1],
            "Cannot open missing.txt (it is a folder: attach the files in it). Choose a file you may read.",
        ),
        (
            lambda p: (p.write_bytes(b"x" * 2_000_000), p)[1],
            "missing.txt is 2.0 MB, over the 1.0 MB limit for an attachment. "
            "Attach a smaller file, or raise the attachment size limit.",
        ),
    ],
    ids=["missing", "folder", "too-large"],
)
def test_a_file_that_cannot_be_kept_is_refused_in_one_line_and_nothing_is_stored(
    tmp_path: Path, fake_openai: FakeOpenAIServer, make: object, line: str
) -> None:
    async def job(workspace: Workspace, events: list[Event]) -> None:
        workspace.config.set_setting("attachment_max_mb", 1)
        with pytest.raises(UnreadableAttachment) as raised:
            workspace.attachments.add(make(tmp_path / "missing.txt"))  # type: ignore[operator]
        assert str(raised.value) == line
        assert stored_files(tmp_path) == []

    with_workspace(tmp_path, fake_openai, job)


def test_a_file_read_and_kept_on_a_worker_thread_is_found_from_the_workspaces_thread(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    """The window reads and indexes on a worker: the workspace's own connection refuses other threads."""
    import threading

    notes = tmp_path / "notes.txt"
    notes.write_text("The lighthouse keeper is called Morwenna.\n", encoding="utf-8")

    async def job(workspace: Workspace, events: list[Event]) -> None:
        found: list[object] = []
        worker = threading.Thread(
            target=lambda: found.append(
                workspace.attachments.keep_on_worker(workspace.attachments.read(notes, limit_mb=50))
            )
        )
        worker.start()
        worker.join()
        (attachment,) = found
        assert workspace.attachments.get(attachment.sha256).name == "notes.txt"  # type: ignore[attr-defined]
        store = Store.open(data_dir(tmp_path))
        try:
            hits = store.attachments.search_chunks("morwenna")
            assert [h.sha256 for h in hits] == [attachment.sha256]  # type: ignore[attr-defined]
        finally:
            store.close()

    with_workspace(tmp_path, fake_openai, job)
