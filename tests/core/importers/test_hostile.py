"""Hostile files: nesting without end, text that is not text, a conversation whose messages are their own parents.

Each is refused in one line (an ``ImportFormatError``, which the window and the command line
both show) with nothing written, or, for lone surrogates, imported with them replaced.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from desktop_chat.core.errors import DesktopChatError, ImportFormatError
from desktop_chat.core.importers.document import parse_document
from desktop_chat.core.importers.files import import_file
from desktop_chat.core.storage.store import Store
from tests.helpers.import_shapes import chatgpt_linear, chatgpt_zip, message, node, write_json


def deep(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"end": True}
    for _ in range(levels):
        value = {"a": value}
    return value


def minimal(meta: Any = None, content: str = "hello") -> dict[str, Any]:
    first: dict[str, Any] = {"role": "user", "content": content}
    if meta is not None:
        first["meta"] = meta
    return {"sessions": [{"title": "Trip", "messages": [first, {"role": "assistant", "content": "hi"}]}]}


def cyclic() -> dict[str, Any]:
    """Two nodes, each the other's parent: no root, so the walk from the roots reached nothing."""
    return {
        "id": "cyc",
        "title": "Cycle",
        "mapping": {
            "a": node("a", "b", ["b"], message("a", "user", ["question"], 1.0)),
            "b": node("b", "a", ["a"], message("b", "assistant", ["answer"], 2.0)),
        },
    }


def _refused(store: Store, path: Path) -> str:
    before = [s.id for s in store.sessions.list_by_activity(include_archived=True)]
    with pytest.raises(ImportFormatError) as caught:
        import_file(store, path)
    assert isinstance(caught.value, DesktopChatError)  # what the window's import handler catches
    line = str(caught.value)
    assert "\n" not in line and line.startswith("Cannot import") and line.endswith("nothing was imported.")
    assert [s.id for s in store.sessions.list_by_activity(include_archived=True)] == before
    return line


@pytest.mark.parametrize(
    "text",
    [
        "[" * 200_000,  # a streamed list
        '{"sessions": ' + "[" * 200_000,  # a document read whole
        '[{"mapping": ' + '{"a": ' * 200_000,  # one conversation of a streamed list
        json.dumps(minimal())[:-3] + ', "meta": ' + '{"a": ' * 200_000,  # a deep meta, too deep to parse
    ],
    ids=["list", "document", "conversation", "meta unparsable"],
)
def test_nesting_deeper_than_the_parser_goes_is_refused_in_one_line(store: Store, tmp_path: Path, text: str) -> None:
    path = tmp_path / "deep.json"
    path.write_text(text, encoding="utf-8")

    line = _refused(store, path)

    assert "too deeply" in line or "levels deep" in line


def test_a_deep_meta_that_parses_is_refused_before_it_is_stored(store: Store, tmp_path: Path) -> None:
    path = write_json(tmp_path / "chats.json", minimal(meta=deep(500)))

    line = _refused(store, path)

    assert "more than 100 levels deep" in line


def test_a_deep_value_in_a_chatgpt_conversation_is_refused(store: Store, tmp_path: Path) -> None:
    conversation = chatgpt_linear(1)
    conversation["mapping"]["m0"]["message"]["metadata"] = deep(300)
    path = chatgpt_zip(tmp_path / "export.zip", [chatgpt_linear(0), conversation])

    assert "(conversation 1)" in _refused(store, path)


def test_lone_surrogates_are_replaced_and_the_rest_of_the_text_kept(store: Store, tmp_path: Path) -> None:
    data = minimal(meta={"note\ud800": "x\udfff"}, content="before \ud800 after")
    data["sessions"][0]["title"] = "Trip \udc00"
    path = write_json(tmp_path / "chats.json", data)
    assert "\\ud800" in path.read_text(encoding="utf-8")  # valid JSON: an escape, as a hostile file has it

    result = import_file(store, path)

    assert result.replaced == 4
    session = store.sessions.get(result.session_ids[0])
    assert session.title == "Trip \ufffd"
    first = store.messages.all(session.id)[0]
    assert first.content == "before \ufffd after"
    assert first.meta == {"note\ufffd": "x\ufffd"}


def test_lone_surrogates_in_a_streamed_chatgpt_export_are_replaced(store: Store, tmp_path: Path) -> None:
    conversation = chatgpt_linear(0)
    conversation["mapping"]["m0"]["message"]["content"]["parts"] = ["caf\udce9 au lait"]
    path = write_json(tmp_path / "conversations.json", [conversation])

    result = import_file(store, path)

    assert result.replaced == 1  # counted once, though the file is read twice (check, then write)
    assert store.messages.all(result.session_ids[0])[0].content == "caf\ufffd au lait"


def test_parse_document_is_just_as_careful(store: Store) -> None:
    with pytest.raises(ImportFormatError, match="levels deep"):
        parse_document(json.dumps(minimal(meta=deep(150))))
    with pytest.raises(ImportFormatError, match="levels deep"):
        parse_document('{"sessions": ' + "[" * 200_000)
    assert parse_document(json.dumps(minimal(content="\ud800")))["sessions"][0]["messages"][0]["content"] == "\ufffd"


def test_a_mapping_with_a_cycle_is_refused_naming_it_and_nothing_is_written(store: Store, tmp_path: Path) -> None:
    path = chatgpt_zip(tmp_path / "export.zip", [chatgpt_linear(0), cyclic()])

    line = _refused(store, path)

    assert "conversation 1.mapping has a cycle ('a' → 'b' → 'a'" in line


def test_a_cycle_hanging_beside_a_real_tree_is_refused_too(store: Store, tmp_path: Path) -> None:
    conversation = chatgpt_linear(0)
    conversation["mapping"].update(cyclic()["mapping"])

    line = _refused(store, write_json(tmp_path / "conversations.json", [conversation]))

    assert "has a cycle" in line


def test_a_child_pointing_back_at_its_parent_is_read_once(store: Store, tmp_path: Path) -> None:
    conversation = chatgpt_linear(0)
    conversation["mapping"]["m1"]["children"] = ["m0"]  # a loop through the children lists: every node is reached

    result = import_file(store, write_json(tmp_path / "conversations.json", [conversation]))

    assert [m.content for m in store.messages.all(result.session_ids[0])] == ["chat 0 line 0", "chat 0 line 1"]


def test_a_node_its_parent_does_not_list_is_still_imported(store: Store, tmp_path: Path) -> None:
    conversation = chatgpt_linear(0, turns=3)
    conversation["mapping"]["m1"]["children"] = []  # m2 names m1 as its parent, m1 forgot it

    result = import_file(store, write_json(tmp_path / "conversations.json", [conversation]))

    assert len(store.messages.all(result.session_ids[0])) == 3


def test_parents_and_children_that_are_not_ids_are_ignored(store: Store, tmp_path: Path) -> None:
    conversation = chatgpt_linear(0)
    conversation["mapping"]["m0"]["parent"] = ["not", "an", "id"]
    conversation["mapping"]["m0"]["children"] = [["m1"], "m1"]
    conversation["current_node"] = {"m1": 1}

    result = import_file(store, write_json(tmp_path / "conversations.json", [conversation]))

    assert len(store.messages.all(result.session_ids[0])) == 2
