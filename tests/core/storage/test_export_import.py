"""JSON export round-trips; the minimal shape imports; bad input writes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from desktop_chat.core.errors import ImportFormatError
from desktop_chat.core.export import export_json, export_markdown
from desktop_chat.core.importers.document import parse_document
from desktop_chat.core.importers.writer import import_json
from desktop_chat.core.models import FactStatus, Role
from desktop_chat.core.storage.store import Store
from tests.helpers.chats import populate


def normalised(document: dict[str, Any]) -> dict[str, Any]:
    """Ids differ between databases; replace each by its position so documents compare."""
    document = json.loads(json.dumps(document))
    document.pop("exported_at")
    message_ids: dict[int, int] = {}
    fact_ids: dict[int, int] = {}
    for session in document["sessions"]:
        for message in session["messages"]:
            message_ids[message["id"]] = len(message_ids)
    facts = document["facts"] + [f for s in document["sessions"] for f in s["facts"]]
    for fact in facts:
        fact_ids[fact["id"]] = len(fact_ids)
    for session in document["sessions"]:
        for message in session["messages"]:
            message["id"] = message_ids[message["id"]]
            message["parent_id"] = message_ids.get(message["parent_id"])
        if session["summary"]:
            session["summary"]["covers_through"] = message_ids[session["summary"]["covers_through"]]
            session["summary"].pop("updated_at")
    for fact in facts:
        fact["id"] = fact_ids[fact["id"]]
        fact["source_message_id"] = message_ids.get(fact["source_message_id"])
        fact["superseded_by"] = fact_ids.get(fact["superseded_by"])
    return document


def test_export_import_round_trip_is_equal(tmp_path: Path) -> None:
    source = Store.open(tmp_path / "a")
    populate(source)
    exported = export_json(source)
    target = Store.open(tmp_path / "b")
    target.sessions.create("already here")  # so ids in the target differ
    result = import_json(target, parse_document(json.dumps(exported)))
    assert len(result.session_ids) == 2 and result.messages == 4 and result.facts == 3
    again = export_json(target, result.session_ids)
    assert normalised(again) == normalised(exported)
    meta = [m["meta"] for m in again["sessions"][0]["messages"] if "meta" in m]
    assert meta == [{"external_id": "x-1", "n": [1]}]
    source.close()
    target.close()


def test_minimal_shape_imports_with_meta_and_dates(store: Store) -> None:
    document = {
        "sessions": [
            {
                "title": "From elsewhere",
                "messages": [
                    {"role": "system", "content": "You are kind."},
                    {
                        "role": "user",
                        "content": "hello",
                        "created_at": "2024-05-01T10:00:00Z",
                        "meta": {"id": 7},
                    },
                    {"role": "assistant", "content": "hi!", "created_at": "2024-05-01T10:00:05+02:00"},
                ],
            }
        ]
    }
    result = import_json(store, parse_document(json.dumps(document)))
    (session_id,) = result.session_ids
    messages = store.messages.all(session_id)
    assert [(m.role, m.content) for m in messages] == [
        (Role.SYSTEM, "You are kind."),
        (Role.USER, "hello"),
        (Role.ASSISTANT, "hi!"),
    ]
    assert messages[1].meta == {"id": 7}
    assert messages[1].created_at.isoformat() == "2024-05-01T10:00:00+00:00"
    assert [m.parent_id for m in messages] == [None, messages[0].id, messages[1].id]
    assert store.sessions.get(session_id).title == "From elsewhere"
    assert store.sessions.search("hello")[0].session_id == session_id


BAD_DOCUMENTS = [
    ("[1, 2]", 'a "sessions" list'),
    (
        '{"sessions": [{"title": "x", "messages": [{"role": "bot", "content": "hi"}]}]}',
        "sessions[0].messages[0].role",
    ),
    ('{"sessions": [{"title": "x", "messages": [{"role": "user"}]}]}', "sessions[0].messages[0].content"),
    (
        '{"sessions": [{"title": "ok", "messages": []}, {"title": "x"}]}',
        "sessions[1].messages must be a list",
    ),
    (
        '{"sessions": [{"messages": [{"role": "user", "content": "a", "created_at": "yesterday"}]}]}',
        "ISO-8601",
    ),
    ('{"sessions": [{"messages": [{"role": "user", "content": "a", "meta": "nope"}]}]}', "meta must be dict"),
    ('{"sessions": [{"messages": []}], "facts": [{"key": "", "value": "v"}]}', "facts[0].key"),
    ('{"sessions": ', "not valid JSON"),
]


@pytest.mark.parametrize(("text", "complaint"), BAD_DOCUMENTS)
def test_malformed_import_writes_nothing(store: Store, text: str, complaint: str) -> None:
    store.sessions.create("existing")
    before = store.db._conn.execute(
        "SELECT (SELECT COUNT(*) FROM sessions) + (SELECT COUNT(*) FROM messages)"
    ).fetchone()
    with pytest.raises(ImportFormatError) as caught:
        import_json(store, parse_document(text))
    message = str(caught.value)
    assert complaint in message and "nothing was imported" in message and "\n" not in message
    after = store.db._conn.execute(
        "SELECT (SELECT COUNT(*) FROM sessions) + (SELECT COUNT(*) FROM messages)"
    ).fetchone()
    assert after == before
    assert store.facts.all() == []


def test_markdown_export_reads_as_a_transcript(store: Store) -> None:
    populate(store)
    session_id = store.sessions.search("Bookstore")[0].session_id
    text = export_markdown(store, session_id)
    assert text.startswith("# Bookstore API\n")
    assert "## Summary (through message" in text and "Alex works at Acme." in text
    assert "- **employer**: Acme (pinned)" in text and "Initech" not in text
    assert "### You ·" in text and "Hello Alex!" in text and "Hi Alex" not in text
    assert "(failed)" in text


def test_superseded_fact_history_survives_export(store: Store) -> None:
    populate(store)
    document = export_json(store)
    statuses = {(f["value"], f["status"]) for f in document["facts"]}
    assert statuses == {("Initech", FactStatus.SUPERSEDED.value), ("Acme", FactStatus.ACTIVE.value)}
    acme = next(f for f in document["facts"] if f["value"] == "Acme")
    assert [e["action"] for e in acme["events"]] == ["created", "pinned"]
