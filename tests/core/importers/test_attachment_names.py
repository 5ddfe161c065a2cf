"""ChatGPT and Claude imports keep what their exports say about uploads: names always, Claude's text as a file."""

from __future__ import annotations

import hashlib
from pathlib import Path

from desktop_chat.core.importers.files import import_file
from desktop_chat.core.models import FilePart, TextPart
from desktop_chat.core.storage.attachment_files import AttachmentFiles
from desktop_chat.core.storage.store import Store
from tests.helpers.import_shapes import (
    LEASE_TEXT,
    chatgpt_with_uploads,
    chatgpt_zip,
    claude_with_attachments,
    write_zip,
)


def test_claude_text_of_an_upload_becomes_a_stored_searchable_attachment(store: Store, tmp_path: Path) -> None:
    export = write_zip(tmp_path / "claude.zip", {"conversations.json": [claude_with_attachments()]})
    (sid,) = import_file(store, export).session_ids
    asked, answered, upload_only = store.messages.all(sid)
    sha = hashlib.sha256(LEASE_TEXT.encode()).hexdigest()
    assert asked.parts == (
        TextPart("What does clause 4 say?\n[attachment: empty.docx]\n[file: floorplan.png]"),
        FilePart(sha, "lease.pdf", "text/plain"),
    )
    assert upload_only.parts == (FilePart(sha, "lease.pdf", "text/plain"),) and upload_only.content == ""
    assert answered.parts == (TextPart("The tenant keeps the lamp lit."),)
    files = AttachmentFiles.beside(store.db.path)
    assert files is not None and files.read(sha) == LEASE_TEXT.encode()  # stored once for both messages
    assert list(files.stored()) == [sha]
    assert store.attachments.get(sha).text == LEASE_TEXT
    (chunk,) = store.attachments.search_chunks("lighthouse")  # recall and search find its words
    assert chunk.sha256 == sha
    assert [h.session_id for h in store.sessions.search("lighthouse")] == [sid]  # the chat, by its file's words


def test_claude_reimport_adds_no_second_copy(store: Store, tmp_path: Path) -> None:
    export = write_zip(tmp_path / "claude.zip", {"conversations.json": [claude_with_attachments()]})
    import_file(store, export)
    again = import_file(store, export)
    assert again.session_ids == () and len(again.skipped) == 1
    files = AttachmentFiles.beside(store.db.path)
    assert files is not None and len(list(files.stored())) == 1
    assert len(store.attachments.referenced()) == 1


def test_chatgpt_uploads_keep_their_names_images_under_theirs(store: Store, tmp_path: Path) -> None:
    (sid,) = import_file(store, chatgpt_zip(tmp_path / "chatgpt.zip", [chatgpt_with_uploads()])).session_ids
    asked, _ = store.messages.all(sid)
    # The photo shows where it was, under the name it was uploaded with (not its pointer's id), once.
    assert asked.content == "[image: IMG_0042.jpeg]\nDoes the photo match the report?\n[file: report.pdf]"
    assert [h.session_id for h in store.sessions.search("report.pdf")] == [sid]
    files = AttachmentFiles.beside(store.db.path)
    assert files is not None and list(files.stored()) == []  # the export names the files, it does not carry them
