"""Attachments travel with an export: the JSON carries each file once, byte for byte, checked on import;
the Markdown transcript names them. Real data folders, the fake server over HTTP for the sends."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from desktop_chat.core.errors import ImportFormatError
from desktop_chat.core.events import Event
from desktop_chat.core.models import FilePart, ImagePart, TextPart
from desktop_chat.core.workspace import Workspace
from tests.helpers.cli import cli, one_line
from tests.helpers.controller import data_dir
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.workspace import with_workspace


def png(width: int, height: int) -> bytes:
    """A real PNG (grey pixels), bytes that are not text."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + bytes([(x * 37) % 256 for x in range(width)]) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def stored(folder: Path) -> dict[str, bytes]:
    root = data_dir(folder) / "attachments"
    return {p.name: p.read_bytes() for p in root.rglob("*") if p.is_file()} if root.exists() else {}


async def send(workspace: Workspace, session_id: int, text: str, *attachments: Any) -> None:
    async for _ in workspace.replies.send(session_id, text, attachments=attachments):
        pass


def exported_chat(tmp_path: Path, fake_openai: FakeOpenAIServer) -> tuple[dict[str, Any], dict[str, bytes]]:
    """A chat with a text file and an image (sent twice), exported as JSON; and the files the folder kept."""
    notes = tmp_path / "notes.txt"
    notes.write_text("The lighthouse keeper's boat is called Marigold.\n")
    photo = tmp_path / "photo.png"
    photo.write_bytes(png(3, 2))

    async def job(workspace: Workspace, events: list[Event]) -> dict[str, Any]:
        text, image = workspace.attachments.add(notes), workspace.attachments.add(photo)
        sid = workspace.new_session(title="Boats").id
        await send(workspace, sid, "What is the boat called?", text, image)
        await send(workspace, sid, "And in this one?", image)
        return workspace.data.export_json([sid])

    source = tmp_path / "source"
    document = with_workspace(source, fake_openai, job)
    return document, stored(source)


def test_export_then_import_keeps_attachments_byte_for_byte(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    document, original = exported_chat(tmp_path, fake_openai)
    assert len(original) == 2
    assert sorted(a["sha256"] for a in document["attachments"]) == sorted(original)  # each file once
    export = tmp_path / "export.json"
    export.write_text(json.dumps(document))
    target = tmp_path / "target"

    async def job(workspace: Workspace, events: list[Event]) -> None:
        result = workspace.data.import_file(export)
        (sid,) = result.session_ids
        first, _, second, _ = workspace.chats.messages(sid)
        (text_sha,) = [s for s, b in original.items() if b.startswith(b"The lighthouse")]
        (image_sha,) = [s for s in original if s != text_sha]
        assert first.parts == (
            TextPart("What is the boat called?"),
            FilePart(text_sha, "notes.txt", "text/plain"),
            ImagePart(image_sha, "photo.png", "image/png"),
        )
        assert second.parts == (TextPart("And in this one?"), ImagePart(image_sha, "photo.png", "image/png"))
        for sha, data in original.items():
            assert workspace.attachments.path(sha).read_bytes() == data
        assert [a.name for a in workspace.attachments.of_message(first.id)] == ["notes.txt", "photo.png"]
        notes = workspace.attachments.get(text_sha)
        assert notes.text == "The lighthouse keeper's boat is called Marigold.\n"  # not read again: carried
        assert workspace.attachments.get(image_sha).width == 3
        again = workspace.data.import_file(export)  # idempotent: the chat is skipped, nothing is added
        assert again.session_ids == () and [s.existing_id for s in again.skipped] == [sid]
        assert len(workspace.chats.sessions()) == 1

    with_workspace(target, fake_openai, job)
    assert stored(target) == original
    assert {oct(p.stat().st_mode & 0o777) for p in (data_dir(target) / "attachments").rglob("*") if p.is_file()} == {
        "0o600"
    }


def test_a_tampered_export_is_refused_in_one_line_and_nothing_is_imported(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    document, _ = exported_chat(tmp_path, fake_openai)
    entry = next(a for a in document["attachments"] if a["name"] == "photo.png")
    changed = bytearray(base64.b64decode(entry["data"]))
    changed[-20] ^= 0xFF  # one byte of the image, its size unchanged
    entry["data"] = base64.b64encode(bytes(changed)).decode()
    export = tmp_path / "export.json"
    export.write_text(json.dumps(document))
    target = tmp_path / "target"

    async def job(workspace: Workspace, events: list[Event]) -> None:
        with pytest.raises(ImportFormatError) as refused:
            workspace.data.import_file(export)
        line = str(refused.value)
        assert "\n" not in line
        assert line.startswith("Cannot import: attachments[1] (photo.png) does not match its SHA-256 or size")
        assert line.endswith("; nothing was imported.")
        assert workspace.chats.sessions() == []

    with_workspace(target, fake_openai, job)
    assert stored(target) == {}


def test_a_file_written_before_the_import_failed_is_taken_back(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    """A document whose files check out but whose later chat is malformed: the files already written go again."""
    document, _ = exported_chat(tmp_path, fake_openai)
    document["sessions"].append({"title": "broken", "messages": [{"role": "bot", "content": "?"}]})
    export = tmp_path / "export.json"
    export.write_text(json.dumps(document))
    target = tmp_path / "target"

    async def job(workspace: Workspace, events: list[Event]) -> None:
        with pytest.raises(ImportFormatError, match=r"sessions\[1\]\.messages\[0\]\.role"):
            workspace.data.import_file(export)
        assert workspace.chats.sessions() == []

    with_workspace(target, fake_openai, job)
    assert stored(target) == {}


def test_a_part_referring_to_a_file_the_document_lacks_is_refused(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    document, _ = exported_chat(tmp_path, fake_openai)
    del document["attachments"]
    export = tmp_path / "export.json"
    export.write_text(json.dumps(document))

    async def job(workspace: Workspace, events: list[Event]) -> None:
        with pytest.raises(ImportFormatError) as refused:
            workspace.data.import_file(export)
        assert str(refused.value).startswith(
            "Cannot import: sessions[0].messages[0].parts[1] refers to an attached file the document does not carry"
        )

    with_workspace(tmp_path / "target", fake_openai, job)


def test_the_markdown_transcript_names_each_attachment_with_its_size(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("x" * 2048)

    async def job(workspace: Workspace, events: list[Event]) -> str:
        sid = workspace.new_session(title="Files").id
        await send(workspace, sid, "Read this", workspace.attachments.add(notes, name="report.txt"))
        return workspace.data.export_markdown(sid)

    markdown = with_workspace(tmp_path, fake_openai, job)
    assert "Read this\n\n- Attached: report.txt (2 KB)\n" in markdown


def test_the_commands_export_and_import_the_files_and_refuse_a_tampered_one(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    _, original = exported_chat(tmp_path, fake_openai)
    export = tmp_path / "all.json"
    made = cli(data_dir(tmp_path / "source"), "export", "all", "-o", str(export))
    assert made.returncode == 0, made.stderr
    target = tmp_path / "target"
    imported = cli(data_dir(target), "import", str(export))
    assert imported.returncode == 0, imported.stderr
    assert stored(target) == original
    document = json.loads(export.read_text())
    document["attachments"][0]["size"] += 1
    export.write_text(json.dumps(document))
    refused = cli(data_dir(tmp_path / "other"), "import", str(export))
    assert refused.returncode != 0
    assert "does not match its SHA-256 or size" in one_line(refused.stderr)
    assert stored(tmp_path / "other") == {}
