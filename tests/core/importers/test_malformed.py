"""A file that is not an export, or a malformed one: one line saying what was expected and found; nothing written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from desktop_chat.core.errors import ImportFormatError
from desktop_chat.core.importers import source
from desktop_chat.core.importers.files import import_file
from desktop_chat.core.storage.store import Store
from tests.helpers.import_shapes import chatgpt_linear, chatgpt_zip, claude_conversation, write_json, write_zip

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _bytes(data: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / "file"
        path.write_bytes(data)
        return path

    return make


def _json(data: Any) -> Callable[[Path], Path]:
    return lambda folder: write_json(folder / "file.json", data)


def _broken_later(folder: Path) -> Path:
    """150 good conversations, then one cut short: past the first batch, so validation must come first."""
    good = ",".join(json.dumps(chatgpt_linear(i)) for i in range(150))
    path = folder / "conversations.json"
    path.write_text(f'[{good}, {{"mapping": {{', encoding="utf-8")
    return path


def _bad_node_later(folder: Path) -> Path:
    conversations = [chatgpt_linear(i) for i in range(150)]
    conversations.append({"id": "x", "title": "bad", "mapping": {"n": "not a node"}, "current_node": "n"})
    return chatgpt_zip(folder / "export.zip", conversations)


def _bad_sender(folder: Path) -> Path:
    conversation = claude_conversation()
    conversation["chat_messages"][1]["sender"] = "robot"
    return write_json(folder / "conversations.json", [conversation])


CASES: list[tuple[str, Callable[[Path], Path], str]] = [
    ("png", _bytes(PNG), "not a ChatGPT, Claude or Desktop Chat export: found a PNG image"),
    ("pdf", _bytes(b"%PDF-1.7\n..."), "found a PDF document"),
    ("empty", _bytes(b""), "found an empty file"),
    ("text", _bytes(b"Hello, this is a letter.\n"), "found text that is not JSON"),
    ("latin-1", _bytes('{"title": "caf\xe9"}'.encode("latin-1")), "not UTF-8"),
    ("object", _json({"chats": [], "owner": "me"}), "found a JSON object with keys 'chats', 'owner'"),
    ("list", _json([{"question": "q", "answer": "a"}]), "found a JSON list of objects with keys 'answer', 'question'"),
    ("empty list", _json([]), "found an empty JSON list"),
    (
        "zip without conversations",
        lambda folder: write_zip(folder / "photos.zip", {"a.png": PNG.decode("latin-1"), "b.txt": "x"}),
        "found a zip archive without conversations.json (a.png, b.txt)",
    ),
    ("cut short after 150", _broken_later, "is not valid JSON in element 150"),
    ("bad node after 150", _bad_node_later, "conversation 150.mapping['n'] must be an object"),
    ("claude sender", _bad_sender, "conversation 0.chat_messages[1].sender must be human or assistant (got 'robot')"),
    ("own shape", _json({"sessions": [{"messages": [{"role": "robot", "content": "x"}]}]}), "sessions[0].messages[0]"),
]


@pytest.mark.parametrize(("make", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_one_line_says_what_was_expected_and_found_and_nothing_is_written(
    store: Store, tmp_path: Path, make: Callable[[Path], Path], expected: str
) -> None:
    path = make(tmp_path)

    with pytest.raises(ImportFormatError) as caught:
        import_file(store, path)

    line = str(caught.value)
    assert "\n" not in line and line.startswith("Cannot import") and line.endswith("nothing was imported.")
    assert expected in line
    assert store.sessions.list_by_activity(include_archived=True) == []
    assert store.facts.all() == []


def test_a_side_file_larger_than_its_cap_is_refused_without_reading_it_whole(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source, "MAX_SIDE_FILE_BYTES", 1024)
    path = write_zip(
        tmp_path / "export.zip",
        {"conversations.json": [chatgpt_linear(0)], "user.json": {"bio": "x" * 5000}},
    )

    with pytest.raises(ImportFormatError, match=r"user.json: it is larger than"):
        import_file(store, path)
    assert store.sessions.list_by_activity() == []


def test_a_conversation_larger_than_the_cap_is_refused(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_chat.core.importers import detect

    monkeypatch.setattr(detect, "MAX_ITEM_CHARS", 4096)
    big = chatgpt_linear(1)
    big["mapping"]["m0"]["message"]["content"]["parts"] = ["word " * 5000]
    path = write_json(tmp_path / "conversations.json", [chatgpt_linear(0), big])

    with pytest.raises(ImportFormatError, match="has an element \\(number 1\\) larger than"):
        import_file(store, path)
    assert store.sessions.list_by_activity() == []


def test_a_missing_file_and_a_folder_get_one_line(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match="there is no file"):
        import_file(store, tmp_path / "nope.zip")
    with pytest.raises(ImportFormatError, match="it is a folder"):
        import_file(store, tmp_path)
