"""Sessions and messages as the sidebar, the chat pane and search use them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from desktop_chat.core.errors import NotFound
from desktop_chat.core.models import FactOrigin, MessageStatus, Role, Strategy, Usage
from desktop_chat.core.storage.sessions import listing_key
from desktop_chat.core.storage.store import Store


def hit_ids(store: Store, text: str) -> set[int | None]:
    return {hit.message_id for hit in store.sessions.search(text)}


def test_fts_follows_insert_update_and_delete(store: Store) -> None:
    session = store.sessions.create("Plans")
    message = store.messages.append(session.id, Role.USER, "I adopted a tortoise named Humphrey")
    assert message.id in hit_ids(store, "tortoise")

    store.messages.update_content(message.id, "I adopted a parrot named Humphrey")
    assert message.id not in hit_ids(store, "tortoise")
    assert message.id in hit_ids(store, "parrot")

    store.db._conn.execute("DELETE FROM messages WHERE id = ?", (message.id,))
    assert hit_ids(store, "parrot") == set()


def test_search_covers_titles_with_snippets_and_ignores_fts_syntax(store: Store) -> None:
    budget = store.sessions.create("Budget Q3")
    other = store.sessions.create("Lisbon trip")
    store.messages.append(other.id, Role.USER, "the hotel budget is 900 euros")
    hits = store.sessions.search("budget")
    assert {(h.session_id, h.message_id) for h in hits} >= {
        (budget.id, None),
        (other.id, hits[-1].message_id),
    }
    assert any("[budget]" in h.snippet.lower() for h in hits)
    # What users type is not FTS syntax; quotes, stars and operators must not raise.
    for query in ['"unbalanced', "NOT", "a AND (b", "*", "col:value", "—"]:
        store.sessions.search(query)
    assert store.sessions.search("budg")  # prefix search as you type


def test_delete_cascades_to_messages_summary_and_session_facts(store: Store) -> None:
    session = store.sessions.create("Doomed")
    keep = store.sessions.create("Keeper")
    message = store.messages.append(session.id, Role.USER, "my cat is called Miso")
    store.summaries.save(session.id, "cat Miso", covers_through=message.id, token_count=3, model=None)
    scoped = store.facts.add("cat", "Miso", scope=session.id, source_message_id=message.id)
    global_fact = store.facts.add(
        "name", "Alex", origin=FactOrigin.EXTRACTED, source_message_id=message.id, source_quote="Alex"
    )
    store.messages.append(keep.id, Role.USER, "unrelated")

    store.sessions.delete(session.id)

    conn = store.db._conn
    assert conn.execute("SELECT COUNT(*) FROM messages WHERE session_id = ?", (session.id,)).fetchone()[0] == 0
    assert store.summaries.get(session.id) is None
    with pytest.raises(NotFound):
        store.facts.get(scoped.id)
    assert conn.execute("SELECT COUNT(*) FROM fact_events WHERE fact_id = ?", (scoped.id,)).fetchone()[0] == 0
    # A global fact about the user outlives the chat it came from, keeping its quote.
    survivor = store.facts.get(global_fact.id)
    assert survivor.source_message_id is None and survivor.source_quote == "Alex"
    assert store.messages.count(keep.id) == 1
    assert hit_ids(store, "Miso") == set()
    with pytest.raises(NotFound, match="no chat"):
        store.sessions.delete(session.id)


def test_sessions_listed_by_last_activity_and_flags(store: Store) -> None:
    old = store.sessions.create("old", created_at=datetime(2026, 1, 1, tzinfo=UTC))
    new = store.sessions.create("new", created_at=datetime(2026, 2, 1, tzinfo=UTC))
    assert [s.title for s in store.sessions.list_by_activity()] == ["new", "old"]
    store.messages.append(old.id, Role.USER, "back to this one")
    assert [s.title for s in store.sessions.list_by_activity()] == ["old", "new"]

    store.sessions.rename(new.id, "  renamed  ")
    store.sessions.update(new.id, pinned=True, strategy=Strategy.SUMMARY, strategy_options={"keep": 2})
    store.sessions.update(old.id, archived=True)
    listed = store.sessions.list_by_activity()
    assert [(s.title, s.pinned, s.strategy) for s in listed] == [("renamed", True, Strategy.SUMMARY)]
    assert listed[0].strategy_options == {"keep": 2}
    assert {s.title for s in store.sessions.list_by_activity(include_archived=True)} == {"old", "renamed"}
    assert store.sessions.get(old.id).message_count == 1


def test_streamed_message_lifecycle(store: Store) -> None:
    session = store.sessions.create("s")
    user = store.messages.append(session.id, Role.USER, "hi")
    reply = store.messages.append(session.id, Role.ASSISTANT, "", status=MessageStatus.STREAMING, model="m")
    assert reply.parent_id == user.id
    store.messages.update_content(reply.id, "Hel")
    assert store.messages.get(reply.id).content == "Hel"
    assert [m.id for m in store.messages.interrupted()] == [reply.id]
    done = store.messages.finish(reply.id, MessageStatus.COMPLETE, content="Hello!", usage=Usage(12, 3))
    assert (done.content, done.status, done.usage) == ("Hello!", MessageStatus.COMPLETE, Usage(12, 3))
    assert store.messages.interrupted() == []


def test_paging_newest_and_before(store: Store) -> None:
    session = store.sessions.create("long")
    ids = [store.messages.append(session.id, Role.USER, f"message {i}").id for i in range(30)]
    assert store.messages.count(session.id) == 30
    newest = store.messages.newest(session.id, 10)
    assert [m.id for m in newest] == ids[-10:]
    page = store.messages.newest(session.id, 10, before_id=newest[0].id)
    assert [m.id for m in page] == ids[10:20]
    assert [m.id for m in store.messages.newest(session.id, 10, before_id=ids[3])] == ids[:3]


def test_superseded_branch_is_kept_but_not_active(store: Store) -> None:
    session = store.sessions.create("edit")
    first = store.messages.append(session.id, Role.USER, "what is 2+2")
    answer = store.messages.append(session.id, Role.ASSISTANT, "5")
    store.messages.deactivate_from(session.id, first.id)
    edited = store.messages.append(session.id, Role.USER, "what is 2+3", parent_id=first.parent_id)
    assert [m.id for m in store.messages.all(session.id)] == [edited.id]
    assert [m.id for m in store.messages.all(session.id, include_inactive=True)] == [
        first.id,
        answer.id,
        edited.id,
    ]
    assert store.sessions.get(session.id).message_count == 1
    assert first.id not in hit_ids(store, "2")


def test_appending_to_a_missing_session_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound, match="no chat 999"):
        store.messages.append(999, Role.USER, "lost?")


def test_timestamps_round_trip_as_utc(store: Store) -> None:
    moment = datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=UTC) + timedelta(hours=0)
    session = store.sessions.create("t", created_at=moment)
    assert store.sessions.get(session.id).created_at == moment


def test_a_word_in_most_messages_is_listed_newest_first(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop_chat.core.storage import sessions as sessions_module

    monkeypatch.setattr(sessions_module, "RANK_BY_RELEVANCE_UP_TO", 5)
    session = store.sessions.create("chatty")
    ids = [store.messages.append(session.id, Role.USER, f"okay number {i}").id for i in range(8)]
    hits = store.sessions.search("okay", limit=3)
    assert [h.message_id for h in hits] == ids[::-1][:3]


def test_listing_pages_follow_the_listing_key_without_gaps(store: Store) -> None:
    base = datetime(2026, 5, 1, 12, tzinfo=UTC)
    ids = []
    for i in range(23):
        session = store.sessions.create(f"Chat {i}", pinned=i % 7 == 0, archived=i % 5 == 0)
        store.sessions.touch(session.id, base + timedelta(minutes=i % 4))  # ties on time: the id decides
        ids.append(session.id)
    for archived in (False, True):
        everything = sorted(
            (s for s in store.sessions.list_by_activity(include_archived=True) if archived or not s.archived),
            key=listing_key,
        )
        paged: list[int] = []
        after = None
        while page := store.sessions.page(after=after, limit=4, include_archived=archived):
            paged += [s.id for s in page]
            after = page[-1]
        assert paged == [s.id for s in everything]
        assert everything[0].pinned and not everything[0].archived
        assert everything[-1].archived == archived
