"""What each strategy puts in the request, as a user inspecting the plan would check it."""

from __future__ import annotations

import pytest

from desktop_chat.core.errors import InputTooLarge, SettingsError
from desktop_chat.core.memory.budget import DEFAULT_CONTEXT_WINDOW
from desktop_chat.core.memory.history import History, stored_token_count
from desktop_chat.core.memory.planner import plan_context
from desktop_chat.core.models import ContextPart, ContextPlan, FactStatus, PartKind, Role, Strategy
from desktop_chat.core.settings import HybridSplit, Settings
from desktop_chat.core.storage.store import Store
from desktop_chat.core.tokens import TokenCounter
from tests.helpers.chats import chat

MODEL = "gpt-4o-mini"
FILLER = [f"turn {i}: we talked about the weather and nothing in particular" for i in range(60)]


def part(plan: ContextPlan, kind: PartKind) -> ContextPart:
    found = [p for p in plan.parts if p.kind == kind]
    assert found, f"no {kind} part in {[p.kind for p in plan.parts]}"
    return found[0]


def kinds(plan: ContextPlan) -> list[PartKind]:
    return [p.kind for p in plan.parts]


def plan(store: Store, session_id: int, strategy: Strategy, **kwargs: object) -> ContextPlan:
    config = kwargs.pop("settings", Settings())
    return plan_context(store, session_id, settings=config, model=MODEL, strategy=strategy, **kwargs)  # type: ignore[arg-type]


# --- budget and the message being answered -------------------------------------------


def test_a_message_too_large_for_the_budget_is_refused_with_the_numbers(store: Store) -> None:
    session, _ = chat(store, ["hi"], system_prompt="Be brief.")
    with pytest.raises(InputTooLarge) as caught:
        plan(store, session.id, Strategy.WINDOW, budget=500, draft="word " * 2000)
    message = str(caught.value)
    assert caught.value.budget == 500 and caught.value.tokens > 2000
    assert f"Your message is {caught.value.tokens:,} tokens" in message
    assert "budget is 500" in message and "Shorten it" in message and "\n" not in message


def test_the_budget_is_the_window_less_the_reply_and_the_margin(store: Store) -> None:
    session, _ = chat(store, ["hi"])
    config = Settings(reserved_reply_tokens=1000, safety_margin_tokens=50, max_request_tokens=None)  # no cap
    known = plan(store, session.id, Strategy.FULL, settings=config)
    assert (known.context_window, known.budget, known.context_window_source) == (128_000, 126_950, "model")
    profile = plan(store, session.id, Strategy.FULL, settings=config, context_window=4096)
    assert (profile.budget, profile.context_window_source) == (3046, "given")
    unknown = plan_context(store, session.id, settings=config, model="my-local-llama")
    assert unknown.context_window == DEFAULT_CONTEXT_WINDOW and unknown.context_window_source == "default"
    assert not unknown.exact_counts


def test_without_a_draft_the_newest_user_message_is_answered(store: Store) -> None:
    session, messages = chat(store, ["first question", "first answer", "second question", "second answer"])
    result = plan(store, session.id, Strategy.FULL)
    assert result.request_messages()[-1] == {"role": "user", "content": "second question"}
    after = [o for o in result.omitted if messages[3].id in o.message_ids]
    assert after and after[0].reason == "after the message being answered"


def test_a_draft_comes_after_every_stored_message(store: Store) -> None:
    session, messages = chat(store, ["q", "a"])
    result = plan(store, session.id, Strategy.FULL, draft="next one")
    assert part(result, PartKind.RECENT).message_ids == (messages[0].id, messages[1].id)
    assert result.request_messages()[-2:] == [
        {"role": "assistant", "content": "a"},
        {"role": "user", "content": "next one"},
    ]


# --- token counts ---------------------------------------------------------------------


def test_counts_are_cached_in_the_database_and_not_recounted(store: Store) -> None:
    session, messages = chat(store, ["how are you", "fine, thanks", "good"])
    assert store.messages.get(messages[0].id).token_count is None
    plan(store, session.id, Strategy.FULL)
    cached = store.messages.get(messages[0].id).token_count
    assert cached == stored_token_count(Role.USER, "how are you")
    # A planner that recounted would not notice this; one that trusts its cache sends fewer messages.
    store.messages.set_token_counts([(messages[0].id, 10_000)])
    result = plan(store, session.id, Strategy.FULL, budget=5000)
    assert messages[0].id not in part(result, PartKind.RECENT).message_ids


def test_many_counts_are_counted_and_cached_together_as_one_by_one(store: Store) -> None:
    # A recall plan counts the dozens of messages it reads at once, in one write: the same counts as one by one.
    _, messages = chat(store, ["how are you", "fine, thanks", "good", "and the harbour?"])
    history = History(store, TokenCounter.for_model("gpt-4o-mini"))
    store.messages.set_token_counts([(messages[1].id, 77)])  # a count already cached is taken, not redone
    loaded = history.load([m.id for m in messages])

    counts = history.tokens_of_all(loaded.values())

    expected = {m.id: stored_token_count(m.role, m.content) for m in messages} | {messages[1].id: 77}
    assert counts == expected
    assert {m.id: store.messages.get(m.id).token_count for m in messages} == expected
    assert history.tokens_of(store.messages.get(messages[2].id)) == expected[messages[2].id]


def test_other_encodings_are_counted_in_process_and_leave_the_database_alone(store: Store) -> None:
    session, messages = chat(store, ["hello there", "hi", "what now"])
    result = plan_context(store, session.id, settings=Settings(), model="gpt-4", strategy=Strategy.FULL)
    assert result.exact_counts and result.total_tokens <= result.budget
    assert all(store.messages.get(m.id).token_count is None for m in messages)


# --- full and window ------------------------------------------------------------------


def test_full_keeps_every_message_until_the_context_is_full(store: Store) -> None:
    session, messages = chat(store, FILLER)
    everything = plan(store, session.id, Strategy.FULL, draft="and now?")
    assert part(everything, PartKind.RECENT).message_ids == tuple(m.id for m in messages)
    tight = plan(store, session.id, Strategy.FULL, draft="and now?", budget=300)
    kept = part(tight, PartKind.RECENT).message_ids
    assert kept == tuple(m.id for m in messages[-len(kept) :]) and len(kept) < len(messages)
    reasons = {o.reason for o in tight.omitted}
    assert any("does not fit the context" in r for r in reasons)


@pytest.mark.parametrize("n", [1, 2, 5, 20])
def test_the_window_keeps_exactly_the_last_n_messages(store: Store, n: int) -> None:
    session, messages = chat(store, FILLER, window_messages=n)
    result = plan(store, session.id, Strategy.WINDOW, draft="and now?")
    recent = part(result, PartKind.RECENT)
    assert len(recent.messages) == n  # the new message counts as one of the N
    assert recent.message_ids == tuple(m.id for m in messages[len(messages) - (n - 1) :])
    older = [o for o in result.omitted if o.kind == PartKind.RECENT]
    assert older and older[0].reason == f"older than the window (the last {n} messages)"
    assert len(older[0].message_ids) == len(messages) - (n - 1)


def test_a_token_window_keeps_the_newest_messages_that_fit_it(store: Store) -> None:
    session, messages = chat(store, FILLER)
    config = Settings(window_tokens=200)
    result = plan(store, session.id, Strategy.WINDOW, draft="and now?", settings=config)
    recent = part(result, PartKind.RECENT)
    assert recent.tokens <= 200
    first_left_out = messages[len(messages) - len(recent.message_ids) - 1]
    assert recent.tokens + stored_token_count(first_left_out.role, first_left_out.content) > 200


def test_a_bad_chat_option_is_refused_by_name(store: Store) -> None:
    session, _ = chat(store, ["hi"], window_messages=0)
    with pytest.raises(SettingsError, match="window_messages"):
        plan(store, session.id, Strategy.WINDOW)


# --- summary ----------------------------------------------------------------------------


def test_summary_sends_the_summary_and_only_what_it_does_not_cover(store: Store) -> None:
    session, messages = chat(store, FILLER)
    covers = messages[39].id
    store.summaries.save(session.id, "Alex moved to Lisbon in May.", covers_through=covers, token_count=9, model=None)
    result = plan(store, session.id, Strategy.SUMMARY, draft="and now?", settings=Settings(summary_keep_last=4))
    summary = part(result, PartKind.SUMMARY)
    assert "Alex moved to Lisbon in May." in summary.messages[0].content and summary.summary_through == covers
    assert part(result, PartKind.RECENT).message_ids == tuple(m.id for m in messages[40:])
    summarised = [o for o in result.omitted if o.reason == f"summarised in the summary through #{covers}"]
    assert summarised and set(summarised[0].message_ids) == {m.id for m in messages[:40]}


def test_summary_always_keeps_the_last_k_even_when_the_summary_covers_them(store: Store) -> None:
    session, messages = chat(store, FILLER[:10])
    store.summaries.save(session.id, "All covered.", covers_through=messages[-1].id, token_count=3, model=None)
    result = plan(store, session.id, Strategy.SUMMARY, draft="more?", settings=Settings(summary_keep_last=3))
    assert part(result, PartKind.RECENT).message_ids == tuple(m.id for m in messages[-3:])


def test_unsummarised_messages_over_budget_are_left_out_newest_kept(store: Store) -> None:
    session, messages = chat(store, FILLER)
    store.summaries.save(session.id, "Old stuff.", covers_through=messages[9].id, token_count=3, model=None)
    result = plan(store, session.id, Strategy.SUMMARY, draft="more?", budget=250)
    kept = part(result, PartKind.RECENT).message_ids
    assert kept == tuple(m.id for m in messages[-len(kept) :]) and kept[0] > messages[10].id
    assert any(o.reason.startswith("not yet summarised; over budget") for o in result.omitted)


# --- facts --------------------------------------------------------------------------------


def test_facts_sends_active_facts_pinned_first_and_nothing_else(store: Store) -> None:
    session, _ = chat(store, ["hello"])
    name = store.facts.add("name", "Alex")
    city = store.facts.add("city", "Lisbon", pinned=True)
    scoped = store.facts.add("project", "the garden shed", scope=session.id)
    other = store.sessions.create("other")
    store.facts.add("elsewhere", "not this chat", scope=other.id)
    store.facts.add("pet", "a pending parrot", status=FactStatus.PENDING)
    store.facts.add("car", "a rejected Volvo", status=FactStatus.REJECTED)
    store.facts.add("food", "a deleted pizza", status=FactStatus.DELETED)
    old = store.facts.add("job", "old job at the bakery")
    store.facts.set_status(old.id, FactStatus.SUPERSEDED)

    result = plan(store, session.id, Strategy.FACTS, draft="what do you know?")
    assert kinds(result)[:2] == [PartKind.PINNED_FACTS, PartKind.FACTS]
    pinned, facts = part(result, PartKind.PINNED_FACTS), part(result, PartKind.FACTS)
    assert pinned.fact_ids == (city.id,) and "- city: Lisbon" in pinned.messages[0].content
    assert facts.fact_ids == (name.id, scoped.id)
    assert facts.messages[0].content == "Known facts about the user:\n- name: Alex\n- project: the garden shed"
    sent = " ".join(m["content"] for m in result.request_messages())
    for absent in ("parrot", "Volvo", "pizza", "bakery", "not this chat"):
        assert absent not in sent
    assert any(o.reason.startswith("superseded fact") and old.id in o.fact_ids for o in result.omitted)


def test_facts_that_do_not_fit_are_left_out_with_a_reason(store: Store) -> None:
    session, _ = chat(store, ["hello"])
    for i in range(40):
        store.facts.add(f"fact {i}", "a fairly long value that takes a number of tokens to state")
    result = plan(store, session.id, Strategy.FACTS, budget=300, draft="hi")
    facts = part(result, PartKind.FACTS)
    assert 0 < len(facts.fact_ids) < 40
    assert any(
        o.reason.startswith("over budget") and len(o.fact_ids) == 40 - len(facts.fact_ids) for o in result.omitted
    )


# --- recall -------------------------------------------------------------------------------


def test_recall_finds_a_planted_message_by_a_word_and_skips_the_window(store: Store) -> None:
    texts = list(FILLER)
    texts[6] = "By the way, my tortoise is called Humphrey."
    texts[-2] = "Humphrey the tortoise says hello again"  # in the window: must not be recalled
    session, messages = chat(store, texts, window_messages=4)
    result = plan(store, session.id, Strategy.RECALL, draft="What is my tortoise called?")
    recalled = part(result, PartKind.RECALLED)
    assert messages[6].id in recalled.message_ids
    assert not set(recalled.message_ids) & set(part(result, PartKind.RECENT).message_ids)
    text = recalled.messages[0].content
    assert "my tortoise is called Humphrey" in text and "\nuser: By the way, my tortoise" in text
    assert kinds(result) == [PartKind.RECALLED, PartKind.RECENT]


def test_recall_brings_neighbours_and_searches_other_chats_when_asked(store: Store) -> None:
    _, other_messages = chat(store, ["Where should we eat?", "Try the Cervejaria Ramiro for seafood.", "ok"])
    session, _ = chat(store, FILLER[:10], window_messages=2)
    config = Settings(recall_all_sessions=True, recall_neighbours=1)
    result = plan(store, session.id, Strategy.RECALL, draft="that seafood place, what was it?", settings=config)
    recalled = part(result, PartKind.RECALLED)
    assert {other_messages[0].id, other_messages[1].id, other_messages[2].id} <= set(recalled.message_ids)
    assert ', chat "chat"]' in recalled.messages[0].content
    alone = plan(store, session.id, Strategy.RECALL, draft="that seafood place, what was it?")
    assert PartKind.RECALLED not in kinds(alone)


# --- hybrid -------------------------------------------------------------------------------


def test_hybrid_has_every_part_in_order_and_respects_the_split(store: Store) -> None:
    texts = list(FILLER)
    texts[2] = "My tortoise is called Humphrey."
    session, messages = chat(store, texts, system_prompt="Be brief.")
    for i in range(30):
        store.facts.add(f"fact {i}", "a value long enough to cost a few tokens each")
    store.summaries.save(session.id, "Summary. " * 40, covers_through=messages[29].id, token_count=0, model=None)
    split = HybridSplit(facts=0.1, summary=0.3, recall=0.2)
    budget = 900
    result = plan(
        store,
        session.id,
        Strategy.HYBRID,
        draft="What is my tortoise called?",
        budget=budget,
        settings=Settings(hybrid_split=split),
    )
    assert kinds(result) == [
        PartKind.SYSTEM_PROMPT,
        PartKind.FACTS,
        PartKind.SUMMARY,
        PartKind.RECALLED,
        PartKind.RECENT,
    ]
    draft_tokens = TokenCounter.for_model(MODEL).count_message("user", "What is my tortoise called?")
    # The shares are of what is left once the reply priming, the prompt and the new message are paid.
    memory = budget - 3 - part(result, PartKind.SYSTEM_PROMPT).tokens - draft_tokens
    assert part(result, PartKind.FACTS).tokens <= int(memory * 0.1)
    assert part(result, PartKind.SUMMARY).tokens <= int(memory * 0.3)
    assert part(result, PartKind.RECALLED).tokens <= int(memory * 0.2)
    assert messages[2].id in part(result, PartKind.RECALLED).message_ids
    # The window holds everything the summary does not cover (it fits in what is left).
    assert part(result, PartKind.RECENT).message_ids == tuple(m.id for m in messages[30:])


def test_hybrid_gives_unused_shares_to_the_window(store: Store) -> None:
    session, _ = chat(store, FILLER)
    result = plan(store, session.id, Strategy.HYBRID, draft="hello", budget=1200)
    assert kinds(result) == [PartKind.RECENT]  # no facts, no summary, nothing recalled
    window = plan(store, session.id, Strategy.FULL, draft="hello", budget=1200)
    assert part(result, PartKind.RECENT).message_ids == part(window, PartKind.RECENT).message_ids
