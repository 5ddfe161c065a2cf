"""The retention rule: purge or archive idle chats, never the pinned ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from desktop_chat.core.models import Role
from desktop_chat.core.retention import purge
from desktop_chat.core.storage.store import Store

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def chat(store: Store, title: str, idle_days: int, *, pinned: bool = False) -> int:
    when = NOW - timedelta(days=idle_days)
    session = store.sessions.create(title, created_at=when)
    message = store.messages.append(session.id, Role.USER, f"{title} says my name is Alex", created_at=when)
    store.messages.append(session.id, Role.ASSISTANT, "Hi Alex", created_at=when)
    store.summaries.save(session.id, f"{title}: user is Alex", covers_through=message.id, token_count=5, model=None)
    store.facts.add("name", "Alex", scope=session.id, source_message_id=message.id, source_quote="my name is Alex")
    if pinned:
        store.sessions.update(session.id, pinned=True)
    return session.id


def test_dry_run_reports_and_changes_nothing(store: Store) -> None:
    stale = chat(store, "stale", 40)
    chat(store, "fresh", 2)
    report = purge(store, days=30, mode="delete", dry_run=True, now=NOW)
    assert [s.id for s in report.sessions] == [stale] and report.messages == 2
    assert report.describe().startswith("Would delete 1 session(s)")
    assert store.messages.count(stale) == 2


def test_delete_mode_removes_idle_sessions_but_never_pinned(store: Store) -> None:
    stale = chat(store, "stale", 40)
    pinned = chat(store, "pinned", 400, pinned=True)
    fresh = chat(store, "fresh", 2)
    report = purge(store, days=30, mode="delete", now=NOW)
    assert [s.id for s in report.sessions] == [stale]
    remaining = {s.id for s in store.sessions.list_by_activity(include_archived=True)}
    assert remaining == {pinned, fresh}
    assert store.messages.count(pinned) == 2


def test_archive_mode_keeps_summary_and_facts(store: Store) -> None:
    stale = chat(store, "stale", 40)
    pinned = chat(store, "pinned", 400, pinned=True)
    report = purge(store, days=30, mode="archive", now=NOW)
    assert [s.id for s in report.sessions] == [stale]
    session = store.sessions.get(stale)
    assert session.archived and session.message_count == 0
    assert store.messages.count(stale) == 0
    summary = store.summaries.get(stale)
    assert summary is not None and summary.text == "stale: user is Alex"
    facts = store.facts.visible(session_id=stale, include_global=False)
    assert [(f.key, f.value, f.source_quote) for f in facts] == [("name", "Alex", "my name is Alex")]
    assert store.messages.count(pinned) == 2 and not store.sessions.get(pinned).archived
    # Archiving is done once; a second purge finds nothing more to remove.
    assert purge(store, days=30, mode="archive", now=NOW).sessions == ()


def test_keep_forever_purges_nothing(store: Store) -> None:
    chat(store, "ancient", 4000)
    report = purge(store, days=None, mode="delete", now=NOW)
    assert report.sessions == () and "keep forever" in report.describe()
