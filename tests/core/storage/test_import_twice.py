"""Importing is idempotent: chats already here are skipped, facts are merged by key."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desktop_chat.core.export import export_json
from desktop_chat.core.importers.document import parse_document
from desktop_chat.core.importers.writer import import_json
from desktop_chat.core.models import FactOrigin, FactStatus, Role
from desktop_chat.core.storage.migrations import MIGRATIONS
from desktop_chat.core.storage.store import Store
from tests.helpers.chats import populate

MINIMAL = {
    "sessions": [
        {"title": "Lisbon", "messages": [{"role": "user", "content": "I fly to Lisbon on 3 May"}]},
        {"title": "Budget", "messages": [{"role": "user", "content": "Q3 budget is 4,000 euros"}]},
    ],
    "facts": [{"key": "home city", "value": "Porto"}],
}


def counts(store: Store) -> dict[str, int]:
    sessions = store.sessions.list_by_activity(include_archived=True)
    facts = store.facts.all()
    return {
        "sessions": len(sessions),
        "messages": sum(len(store.messages.all(s.id, include_inactive=True)) for s in sessions),
        "facts": len(facts),
        "events": sum(len(store.facts.events(f.id)) for f in facts),
    }


def current_per_key(store: Store) -> dict[tuple[str, int | None], int]:
    seen: dict[tuple[str, int | None], int] = {}
    for fact in store.facts.all():
        if fact.status in {FactStatus.ACTIVE, FactStatus.PENDING}:
            seen[(fact.key, fact.scope)] = seen.get((fact.key, fact.scope), 0) + 1
    return seen


def test_importing_the_same_export_twice_adds_nothing(store: Store, tmp_path: Path) -> None:
    source = Store.open(tmp_path / "source")
    populate(source)
    document = json.loads(json.dumps(export_json(source)))
    source.close()

    first = import_json(store, document)
    assert len(first.session_ids) == 2 and first.skipped == ()
    after_first = counts(store)

    second = import_json(store, document)

    assert second.session_ids == () and second.messages == 0 and second.facts == 0
    assert [(s.index, s.title) for s in second.skipped] == [(0, "Bookstore API"), (1, "Empty chat")]
    assert {s.existing_id for s in second.skipped} == set(first.session_ids)
    assert second.facts_known == first.facts - 1  # the chat's own fact came with its (skipped) chat
    assert counts(store) == after_first
    assert all(n == 1 for n in current_per_key(store).values())


def test_an_export_imported_where_it_came_from_is_skipped(store: Store) -> None:
    populate(store)
    before = counts(store)
    result = import_json(store, export_json(store))
    assert result.session_ids == () and len(result.skipped) == 2
    assert counts(store) == before


def test_the_minimal_shape_is_known_by_its_content_or_its_meta_id(store: Store) -> None:
    first = import_json(store, json.loads(json.dumps(MINIMAL)))
    again = import_json(store, parse_document(json.dumps(MINIMAL)))
    assert len(first.session_ids) == 2 and again.session_ids == () and len(again.skipped) == 2
    assert again.facts == 0 and again.facts_known == 1

    # Different content is a different chat; the source app's id in meta wins over content.
    changed = {"sessions": [{"title": "Lisbon", "messages": [{"role": "user", "content": "I fly on 4 May"}]}]}
    assert len(import_json(store, changed).session_ids) == 1
    tagged = {"sessions": [{"title": "A", "meta": {"id": "conv-7"}, "messages": [{"role": "user", "content": "v1"}]}]}
    retagged = {"sessions": [{"title": "A", "meta": {"id": "conv-7"}, "messages": [{"role": "user", "content": "v2"}]}]}
    assert len(import_json(store, tagged).session_ids) == 1
    assert import_json(store, retagged).skipped[0].title == "A"
    assert len(store.sessions.list_by_activity()) == 4


def test_duplicate_chats_inside_one_document_are_imported_once(store: Store) -> None:
    chat = {"title": "Twice", "messages": [{"role": "user", "content": "same words"}]}
    result = import_json(store, {"sessions": [chat, chat]})
    assert len(result.session_ids) == 1 and [s.index for s in result.skipped] == [1]


def _fact_document(key: str, value: str, updated_at: str) -> dict[str, Any]:
    return {
        "sessions": [],
        "facts": [
            {
                "id": 1,
                "key": key,
                "value": value,
                "origin": "user",
                "status": "active",
                "created_at": updated_at,
                "updated_at": updated_at,
                "events": [{"at": updated_at, "actor": "user", "action": "created", "new": {"value": value}}],
            }
        ],
    }


def test_an_imported_newer_fact_supersedes_the_older_one_keeping_its_history(store: Store) -> None:
    old = store.facts.add("city", "Paris", created_at=datetime(2025, 1, 1, tzinfo=UTC), pinned=True)
    result = import_json(store, _fact_document("city", "Lisbon", "2030-01-01T00:00:00+00:00"))

    assert result.facts == 1
    current = store.facts.current("city", None)
    assert current is not None and current.value == "Lisbon"
    assert current.pinned, "the user's pin on the key passes to the newer value"
    superseded = store.facts.get(old.id)
    assert superseded.status is FactStatus.SUPERSEDED and superseded.superseded_by == current.id
    assert [(e.actor, e.action) for e in store.facts.events(old.id)] == [("user", "created"), ("import", "superseded")]
    assert [e.action for e in store.facts.events(current.id)] == ["created", "pinned"]  # its own history came along
    assert [f.value for f in store.facts.history("city", None)] == ["Paris", "Lisbon"]


def test_an_imported_older_fact_is_kept_as_superseded_by_the_newer_one_here(store: Store) -> None:
    here = store.facts.add("city", "Paris", origin=FactOrigin.USER)
    import_json(store, _fact_document("city", "Lisbon", "2001-01-01T00:00:00+00:00"))
    current = store.facts.current("city", None)
    assert current is not None and current.id == here.id and current.value == "Paris"
    [older] = [f for f in store.facts.history("city", None) if f.value == "Lisbon"]
    assert older.status is FactStatus.SUPERSEDED and older.superseded_by == here.id
    assert current_per_key(store) == {("city", None): 1}


def test_every_chat_has_an_origin_and_old_databases_get_one(tmp_path: Path) -> None:
    path = tmp_path / "desktop-chat.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    for index, (name, migrate) in enumerate(MIGRATIONS[:5], start=1):
        migrate(conn)
        conn.execute("INSERT INTO schema_migrations(name, applied_at) VALUES (?, '2026-01-01T00:00:00+00:00')", (name,))
        conn.execute(f"PRAGMA user_version={index}")
    for title in ("one", "two"):
        conn.execute(
            "INSERT INTO sessions(title, created_at, updated_at) VALUES (?, '2026-01-01T00:00:00+00:00',"
            " '2026-01-01T00:00:00+00:00')",
            (title,),
        )
    conn.close()

    store = Store.open(tmp_path)
    try:
        origins = [s.origin for s in store.sessions.list_by_activity()]
        assert all(origins) and len(set(origins)) == 2
        fresh = store.sessions.create("three")
        assert fresh.origin and fresh.origin not in origins
        assert store.sessions.by_origin(fresh.origin) == fresh
        store.messages.append(fresh.id, Role.USER, "hello")
        assert export_json(store, [fresh.id])["sessions"][0]["origin"] == fresh.origin
    finally:
        store.close()
