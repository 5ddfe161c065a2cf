"""Recall: neighbours, episodes, stemming, dates and borrowed words, each with provenance in the plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from desktop_chat.core.memory.planner import plan_context
from desktop_chat.core.memory.recall_dates import find_date
from desktop_chat.core.models import ContextPart, ContextPlan, PartKind, Role, Strategy
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.store import Store

MODEL = "gpt-4o-mini"
START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
SMALL_TALK = "Small talk about the weather number {}, nothing else to report today."


def timed_chat(store: Store, turns: list[tuple[datetime, str, str | None]]) -> list[int]:
    """A chat of (time, text, imported session) turns, alternating user and assistant; returns the ids."""
    session = store.sessions.create("chat")
    ids = []
    for i, (at, text, source) in enumerate(turns):
        role = Role.USER if i % 2 == 0 else Role.ASSISTANT
        meta = {"session": source} if source is not None else None
        ids.append(store.messages.append(session.id, role, text, created_at=at, meta=meta).id)
    return ids


def minutes(start: datetime, texts: list[str], source: str | None = None) -> list[tuple[datetime, str, str | None]]:
    return [(start + timedelta(minutes=i), text, source) for i, text in enumerate(texts)]


def filler(count: int, start: int = 0) -> list[str]:
    return [SMALL_TALK.format(i) for i in range(start, start + count)]


def recalled(plan: ContextPlan) -> ContextPart:
    found = [p for p in plan.parts if p.kind == PartKind.RECALLED]
    assert found, f"nothing recalled: {[p.kind for p in plan.parts]}"
    return found[0]


def plan(store: Store, draft: str, budget: int = 3000, **settings: object) -> ContextPlan:
    session_id = store.sessions.list_by_activity()[0].id
    config = Settings(**{"window_messages": 2, **settings})  # type: ignore[arg-type]
    return plan_context(
        store, session_id, settings=config, model=MODEL, strategy=Strategy.RECALL, budget=budget, draft=draft
    )


def test_the_answer_after_the_matching_question_comes_with_it_by_default(store: Store) -> None:
    texts = [
        *filler(10),
        "How long have you been playing the violin?",
        "For about a month now, still squeaky.",
        *filler(30, 10),
    ]
    ids = timed_chat(store, minutes(START, texts))
    result = plan(store, "How long has she been playing violin?", recall_episodes=False)
    part = recalled(result)
    assert {ids[10], ids[11]} <= set(part.message_ids), "the hit and the answer after it, by id"
    assert "For about a month now" in part.messages[0].content
    assert "2025-03-01" in part.messages[0].content, "a quote carries its date"


def test_an_episode_comes_whole_and_stops_at_a_pause(store: Store) -> None:
    before = minutes(START, filler(12))
    episode = minutes(
        START + timedelta(days=3),
        [
            "Have you thought any more about getting a pet?",
            "We went to look at a few last weekend.",
            "So? Any luck?",
            "We brought home a beagle called Max, he chews everything.",
            "That is adorable.",
            "He already ate a shoe.",
        ],
    )
    after = minutes(START + timedelta(days=9), filler(30, 12))
    ids = timed_chat(store, [*before, *episode, *after])
    result = plan(store, "What pet did she get?", budget=2000, recall_episodes=True)
    part = recalled(result)
    episode_ids = ids[12:18]
    assert set(episode_ids) <= set(part.message_ids), "the whole episode, by id"
    assert ids[11] not in part.message_ids and ids[18] not in part.message_ids, "nothing across the pauses"
    assert "beagle called Max" in part.messages[0].content
    assert "whole episode" in part.reason


def test_an_imported_session_boundary_ends_an_episode(store: Store) -> None:
    first = minutes(START, [*filler(8), "We should talk about the garden fence soon."], source="1")
    second = minutes(START + timedelta(minutes=9), ["Totally unrelated chatter.", *filler(6, 8)], source="2")
    later = minutes(START + timedelta(days=5), filler(30, 20))
    ids = timed_chat(store, [*first, *second, *later])
    part = recalled(plan(store, "What about the fence?", budget=2000, recall_neighbours=2, recall_episodes=True))
    assert ids[8] in part.message_ids
    assert not set(ids[9:16]) & set(part.message_ids), "the next imported session is another episode"


def test_a_stemmed_query_finds_an_inflected_word(store: Store) -> None:
    ids = timed_chat(store, minutes(START, ["We planned a picnic by the river.", *filler(30)]))
    part = recalled(plan(store, "What were the plans?", recall_neighbours=0, recall_episodes=False))
    assert ids[0] in part.message_ids


def test_a_dated_question_prefers_messages_of_that_date(store: Store) -> None:
    turns = []
    for day, dish in [(datetime(2025, 3, 3, tzinfo=UTC), "rice"), (datetime(2025, 4, 10, tzinfo=UTC), "pizza")]:
        turns += minutes(day, [f"I cooked {dish} for dinner.", *filler(9, day.month * 10)])
    turns += minutes(datetime(2025, 5, 20, tzinfo=UTC), ["I cooked curry for dinner.", *filler(20, 60)])
    ids = timed_chat(store, turns)
    options = {"recall_neighbours": 0, "recall_episodes": False, "recall_expansion": 0}
    # Room for one quoted line: it must be the one of that day, with its date.
    part = recalled(plan(store, "What did I cook on 10 April 2025?", budget=66, window_messages=1, **options))
    assert part.message_ids == (ids[10],)
    assert "[2025-04-10]" in part.messages[0].content and "pizza" in part.messages[0].content
    part = recalled(plan(store, "What did I cook in March 2025?", budget=66, window_messages=1, **options))
    assert part.message_ids == (ids[0],)


def test_borrowed_words_reach_a_turn_that_shares_no_word_with_the_question(store: Store) -> None:
    texts = [
        "The garden roses need pruning and new secateurs.",
        *filler(10),
        "Roses in the garden again: pruning with secateurs all afternoon.",
        *filler(10, 10),
        "Bought secateurs yesterday, pruning tomorrow.",
        *filler(20, 20),
    ]
    ids = timed_chat(store, minutes(START, texts))
    options = {"recall_neighbours": 0, "recall_episodes": False}
    with_expansion = recalled(plan(store, "How are the garden roses?", recall_expansion=4, **options))
    assert ids[22] in with_expansion.message_ids
    without = recalled(plan(store, "How are the garden roses?", recall_expansion=0, **options))
    assert ids[22] not in without.message_ids


def test_hybrid_window_grows_over_recalled_messages_and_they_leave_the_quotes(store: Store) -> None:
    texts = [*filler(30), "My tortoise is called Humphrey.", *filler(6, 30)]
    ids = timed_chat(store, minutes(START, texts))
    session_id = store.sessions.list_by_activity()[0].id
    result = plan_context(
        store, session_id, settings=Settings(), model=MODEL, strategy=Strategy.HYBRID, budget=3000, draft="tortoise?"
    )
    recent = next(p for p in result.parts if p.kind == PartKind.RECENT)
    assert ids[30] in recent.message_ids
    assert all(p.kind != PartKind.RECALLED or ids[30] not in p.message_ids for p in result.parts)
    sent = [i for p in result.parts for i in p.message_ids]
    assert len(sent) == len(set(sent))


@pytest.mark.parametrize(
    ("text", "since", "until"),
    [
        ("What did we say on 27 March 2022?", datetime(2022, 3, 27), datetime(2022, 3, 28)),
        ("as of March 27, 2022, where did she live?", datetime(2022, 3, 27), datetime(2022, 3, 28)),
        ("What happened in May?", datetime(2026, 5, 1), datetime(2026, 6, 1)),
        ("What happened in December?", datetime(2025, 12, 1), datetime(2026, 1, 1)),
        ("Anything last week?", datetime(2026, 11, 16), datetime(2026, 11, 26)),
        ("What about yesterday?", datetime(2026, 11, 24), datetime(2026, 11, 25)),
        ("the trip two weeks ago", datetime(2026, 11, 8), datetime(2026, 11, 15)),
        ("2024-02-29 notes", datetime(2024, 2, 29), datetime(2024, 3, 1)),
    ],
)
def test_dates_in_a_question_become_a_time_range(text: str, since: datetime, until: datetime) -> None:
    now = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a Wednesday
    found = find_date(text, now)
    assert found is not None
    assert (found.since, found.until) == (since.replace(tzinfo=UTC), until.replace(tzinfo=UTC))


@pytest.mark.parametrize("text", ["May I ask what we said?", "What is my dog called?", "Room 12 on floor 3"])
def test_no_date_is_read_into_a_question_that_names_none(text: str) -> None:
    assert find_date(text, datetime(2026, 11, 25, tzinfo=UTC)) is None
