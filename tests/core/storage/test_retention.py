"""The retention rule: purge or archive idle chats, never the pinned ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from desktop_chat.core.errors import SettingsError
from desktop_chat.core.export import export_json
from desktop_chat.core.models import Role
from desktop_chat.core.retention import purge
from desktop_chat.core.settings import RetentionMode
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


def test_archive_hides_a_chat_and_keeps_every_message(store: Store) -> None:
    # An imported chat has no summary and no facts: archiving must not leave it empty.
    when = NOW - timedelta(days=40)
    bare = store.sessions.create("Imported trip", created_at=when)
    store.messages.append(bare.id, Role.USER, "We land in Reykjavik at dawn", created_at=when)
    store.messages.append(bare.id, Role.ASSISTANT, "Bring a warm coat", created_at=when)
    stale = chat(store, "stale", 40)
    pinned = chat(store, "pinned", 400, pinned=True)

    report = purge(store, days=30, mode="archive", now=NOW)

    assert [s.id for s in report.sessions] == [bare.id, stale] and report.messages == 4
    assert {s.id for s in store.sessions.list_by_activity()} == {pinned}  # hidden from the list
    for session_id in (bare.id, stale):
        session = store.sessions.get(session_id)
        assert session.archived and session.message_count == 2
        assert store.messages.count(session_id) == 2
    assert [m.content for m in store.messages.all(bare.id)] == ["We land in Reykjavik at dawn", "Bring a warm coat"]
    summary = store.summaries.get(stale)
    assert summary is not None and summary.text == "stale: user is Alex"
    facts = store.facts.visible(session_id=stale, include_global=False)
    assert [(f.key, f.value, f.source_quote) for f in facts] == [("name", "Alex", "my name is Alex")]
    # Still searchable and exportable.
    assert {h.session_id for h in store.sessions.search("Reykjavik")} == {bare.id}
    exported = export_json(store, [bare.id])["sessions"][0]
    assert [m["content"] for m in exported["messages"]] == ["We land in Reykjavik at dawn", "Bring a warm coat"]
    # Restored with one call, whole; restoring counts as activity, so the next purge leaves it alone.
    store.sessions.restore(bare.id, at=NOW)
    assert {s.id for s in store.sessions.list_by_activity()} == {pinned, bare.id}
    assert store.sessions.get(bare.id).message_count == 2
    assert store.messages.count(pinned) == 2 and not store.sessions.get(pinned).archived
    store.sessions.update(stale, archived=False)  # the plain flag works too
    assert not store.sessions.get(stale).archived
    # Archiving is done once; a second purge finds nothing more to archive.
    store.sessions.update(stale, archived=True)
    assert purge(store, days=30, mode="archive", now=NOW).sessions == ()


def test_delete_mode_also_deletes_archived_chats(store: Store) -> None:
    stale = chat(store, "stale", 40)
    purge(store, days=30, mode="archive", now=NOW)
    report = purge(store, days=30, mode="delete", now=NOW)
    assert [s.id for s in report.sessions] == [stale]
    assert store.sessions.list_by_activity(include_archived=True) == []


def test_each_mode_says_plainly_what_it_does(store: Store) -> None:
    chat(store, "stale", 40)
    archive_dry = purge(store, days=30, mode="archive", dry_run=True, now=NOW).describe()
    assert archive_dry.startswith("Would archive 1 session(s) idle for more than 30 day(s)")
    assert "keep all 2 message(s)" in archive_dry and "restorable" in archive_dry
    assert "removing" not in archive_dry and "summaries and facts kept" not in archive_dry
    delete_dry = purge(store, days=30, mode="delete", dry_run=True, now=NOW).describe()
    assert delete_dry.startswith("Would delete 1 session(s)") and "for good, with their 2 message(s)" in delete_dry
    archived = purge(store, days=30, mode="archive", now=NOW).describe()
    assert archived.startswith("Archived 1 session(s)") and "keep all 2 message(s)" in archived
    for line in (archive_dry, delete_dry, archived):
        assert "\n" not in line and "pinned sessions are never touched" in line


@pytest.mark.parametrize("days", [0, -1, -365])
@pytest.mark.parametrize("mode", ["archive", "delete"])
def test_retention_days_below_one_are_refused_and_change_nothing(store: Store, days: int, mode: RetentionMode) -> None:
    fresh = chat(store, "fresh", 0)
    stale = chat(store, "stale", 40)
    with pytest.raises(SettingsError) as caught:
        purge(store, days=days, mode=mode, now=NOW)
    message = str(caught.value)
    assert "1 to 36500" in message and "nothing was changed" in message and "\n" not in message
    assert {s.id for s in store.sessions.list_by_activity()} == {fresh, stale}
    assert store.messages.count(fresh) == 2 and store.messages.count(stale) == 2


def test_keep_forever_purges_nothing(store: Store) -> None:
    chat(store, "ancient", 4000)
    report = purge(store, days=None, mode="delete", now=NOW)
    assert report.sessions == () and "keep forever" in report.describe()
