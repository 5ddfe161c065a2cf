"""Recall by meaning: local embeddings find what shares no word with the question, and follow edits and deletes."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desktop_chat.core.memory import recall_semantic
from desktop_chat.core.memory.planner import plan_context
from desktop_chat.core.memory.recall_search import meaning_queries
from desktop_chat.core.memory.recall_semantic import embed_queries, missing_queries
from desktop_chat.core.models import ContextPlan, PartKind, Role, Strategy
from desktop_chat.core.paths import database_path
from desktop_chat.core.semantic.indexer import index_store
from desktop_chat.core.semantic.model import MODEL_NAME, shared_embedder
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.migrations import MIGRATIONS
from desktop_chat.core.storage.store import Store

MODEL = "gpt-4o-mini"
START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
# Small talk with no word (nor meaning) of the question "Which pet did I get?"
SMALL_TALK = [
    "The meeting moved to Thursday afternoon.",
    "I repainted the garage door green.",
    "Traffic was awful on the bridge today.",
    "My sister is visiting in June.",
    "I bought a new laptop for work.",
    "The soup needed more salt.",
    "We watched a documentary about volcanoes.",
    "My knee hurts after the run.",
    "The printer jammed again.",
    "I planted tomatoes and basil on the balcony.",
]
PUPPY = "We finally adopted a golden retriever puppy, he chews everything."
QUESTION = "Which pet did I get?"


def build(store: Store, texts: Sequence[str]) -> list[int]:
    session = store.sessions.create("chat")
    with store.db.transaction():
        return [
            store.messages.append(
                session.id, Role.USER if i % 2 == 0 else Role.ASSISTANT, text, created_at=START + timedelta(hours=i)
            ).id
            for i, text in enumerate(texts)
        ]


def history(puppy_at: int = 7) -> list[str]:
    texts = [SMALL_TALK[i % len(SMALL_TALK)] + f" ({i})" for i in range(40)]
    texts[puppy_at] = PUPPY
    return texts


def plan(store: Store, draft: str = QUESTION) -> ContextPlan:
    session_id = store.sessions.list_by_activity()[0].id
    return plan_context(
        store,
        session_id,
        settings=Settings(window_messages=2, recall_neighbours=0),
        model=MODEL,
        strategy=Strategy.RECALL,
        budget=400,
        draft=draft,
    )


def recalled_ids(result: ContextPlan) -> set[int]:
    return {i for p in result.parts if p.kind == PartKind.RECALLED for i in p.message_ids}


def recalled_reason(result: ContextPlan) -> str:
    return next(p.reason for p in result.parts if p.kind == PartKind.RECALLED)


@pytest.fixture(autouse=True)
def embedder_loaded() -> None:
    shared_embedder()  # as the window's worker or the command line has done before a plan


def test_a_message_sharing_no_word_with_the_question_is_recalled_by_meaning(store: Store) -> None:
    ids = build(store, history())
    puppy = ids[7]
    before = plan(store)
    # By words alone "pet" finds nothing; the plan says why the search was narrow.
    assert puppy not in recalled_ids(before)
    assert index_store(store) == len(ids)
    after = plan(store)
    assert puppy in recalled_ids(after)
    assert "by words only" not in recalled_reason(after)


def test_before_any_embedding_exists_recall_goes_by_words_and_the_plan_says_so(store: Store) -> None:
    texts = history()
    ids = build(store, texts)
    found = plan(store, "Is the printer jammed?")
    printer = {i for i, text in zip(ids, texts, strict=True) if "printer" in text} - set(ids[-2:])
    assert printer and printer <= recalled_ids(found)
    assert "by words only (messages not yet indexed for meaning)" in recalled_reason(found)


def test_an_edited_message_is_found_by_its_new_meaning_not_its_old_one(store: Store) -> None:
    ids = build(store, history())
    index_store(store)
    puppy = ids[7]
    assert puppy in recalled_ids(plan(store))
    store.messages.update_content(puppy, "We finally bought a second-hand canoe for the lake.")
    assert store.embeddings.pending(MODEL_NAME, after_id=0, limit=10) == [
        (puppy, "We finally bought a second-hand canoe for the lake.")
    ]
    assert puppy not in recalled_ids(plan(store))  # the old vector is not used
    assert index_store(store) == 1
    assert puppy in recalled_ids(plan(store, "What boat do we own for paddling?"))
    assert puppy not in recalled_ids(plan(store))


def test_a_deleted_chat_takes_its_vectors_with_it(store: Store) -> None:
    build(store, history())
    index_store(store)
    assert store.embeddings.count(MODEL_NAME) == 40
    store.sessions.delete(store.sessions.list_by_activity()[0].id)
    assert store.embeddings.count(MODEL_NAME) == 0


def test_a_message_on_an_abandoned_branch_is_not_recalled(store: Store) -> None:
    ids = build(store, history())
    index_store(store)
    puppy = ids[7]
    session_id = store.sessions.list_by_activity()[0].id
    store.messages.deactivate_from(session_id, puppy)  # an edit-and-resend from there abandons the rest
    assert puppy not in recalled_ids(plan(store))


def test_only_finished_user_and_assistant_messages_get_vectors(store: Store) -> None:
    from desktop_chat.core.models import MessageStatus

    session = store.sessions.create("chat")
    store.messages.append(session.id, Role.USER, "Hello there")
    failed = store.messages.append(session.id, Role.ASSISTANT, "")
    store.messages.finish(failed.id, MessageStatus.FAILED, error="network")
    streaming = store.messages.append(session.id, Role.ASSISTANT, "half", status=MessageStatus.STREAMING)
    assert index_store(store) == 1
    store.messages.update_content(streaming.id, "half a reply, now whole")
    store.messages.finish(streaming.id, MessageStatus.COMPLETE)
    assert index_store(store) == 1
    assert store.embeddings.count(MODEL_NAME) == 2


def test_the_migration_adds_the_vectors_table_to_an_existing_database_with_a_backup(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    store = Store.open(folder)
    ids = build(store, history())
    store.close()
    path = database_path(folder)
    # Roll the file back to the schema before 015, as the release before it left it (016 and 017 came later).
    conn = sqlite3.connect(path)
    before = [name for name, _ in MIGRATIONS].index("015_message_embeddings")
    conn.executescript(
        "DROP TABLE attachment_chunks_fts; DROP TABLE attachment_chunks;"
        "DROP TABLE message_attachments; DROP TABLE attachments;"
        "DROP TRIGGER message_embeddings_stale; DROP TABLE message_embeddings;"
        "DELETE FROM schema_migrations WHERE name >= '015';"
        f"PRAGMA user_version = {before};"
    )
    conn.close()
    store = Store.open(folder)
    try:
        backups = list(folder.glob("*.backup*"))
        assert backups, "no backup was taken before migrating"
        assert plan(store).parts  # recall works before any vector exists, by words
        assert index_store(store) == len(ids)
        assert ids[7] in recalled_ids(plan(store))
    finally:
        store.close()


def test_a_10000_message_chat_sends_at_most_16000_tokens_and_still_recalls_a_detail_9000_messages_back(
    store: Store,
) -> None:
    texts = [f"{SMALL_TALK[i % len(SMALL_TALK)]} Nothing else new, day {i}." for i in range(10_000)]
    texts[1_000] = "My locker code at the climbing gym is 4471, remind me if I forget."
    ids = build(store, texts)
    result = plan_context(
        store, store.sessions.list_by_activity()[0].id, settings=Settings(), model=MODEL, draft="What's my locker code?"
    )
    assert result.budget == 16_000 and result.total_tokens <= 16_000
    held = {i for p in result.parts for i in p.message_ids}
    assert ids[1_000] in held
    assert ids[1_000] not in {i for p in result.parts if p.kind == PartKind.RECENT for i in p.message_ids}


def test_the_texts_named_before_a_plan_are_the_ones_it_embeds_and_embedded_ahead_give_the_same_plan(
    store: Store,
) -> None:
    # The window embeds them in a worker before its preview: the plan on the GUI thread finds them remembered.
    ids = build(store, history())
    assert index_store(store) == len(ids)
    session_id = store.sessions.list_by_activity()[0].id
    draft = "Which pet did I get in March, the dog or the cat?"  # a date, words, aspects
    now = datetime.now(UTC)

    def named() -> list[str]:
        return missing_queries(meaning_queries(store, session_id, draft, all_sessions=False, now=now))

    recall_semantic._query_cache.clear()  # as in a fresh process: nothing remembered
    texts = named()
    assert texts and texts[0] != draft and len(texts) > 1  # the question's searchable words, then its aspects
    planned_here = plan(store, draft)  # embeds what is missing, on this thread
    assert named() == []  # exactly those: nothing named is left to embed

    recall_semantic._query_cache.clear()
    assert named() == texts
    worker = threading.Thread(target=embed_queries, args=(texts,))
    worker.start()
    worker.join()
    assert named() == []
    assert plan(store, draft).parts == planned_here.parts
