"""Properties every strategy's plan keeps, whatever the chat and the budget."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_chat.core.errors import InputTooLarge
from desktop_chat.core.memory.planner import PART_ORDER, plan_context
from desktop_chat.core.models import REPLY_PRIMING_TOKENS, ContextPlan, FactStatus, PartKind, Role, Strategy
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.request_cap import MIN_REQUEST_CAP
from desktop_chat.core.settings import HybridSplit, Settings
from desktop_chat.core.storage.store import Store
from desktop_chat.core.tokens import TokenCounter
from tests.helpers.chats import chat

MODEL = "gpt-4o-mini"
WORDS = ["alpha", "lisbon", "dog", "rex", "budget", "piano", "green", "tuesday", "code", "x = 1", "é", "🙂", "\n"]

texts = st.lists(st.sampled_from(WORDS), min_size=1, max_size=40).map(" ".join)


@dataclass(frozen=True)
class Scenario:
    strategy: Strategy
    messages: list[str]
    system_prompt: str
    budget: int
    draft: str | None
    facts: list[tuple[FactStatus, bool, str]]
    summary_through: int | None
    window_messages: int
    window_tokens: int | None
    split: HybridSplit
    neighbours: int
    # Planned by a request cap instead of a given budget: (the level that sets it, the cap, the context window).
    capped: tuple[str, int, int] | None = None


CAP_LEVELS = ("settings", "profile", "chat")
RESERVED = 100  # the reply's room in the capped scenarios (no safety margin): the window's budget is window - 100

scenarios = st.builds(
    Scenario,
    strategy=st.sampled_from(list(Strategy)),
    messages=st.lists(texts, max_size=30),
    system_prompt=st.sampled_from(["", "Be brief.", "You are a careful assistant. " * 5]),
    budget=st.integers(min_value=1, max_value=1500),
    draft=st.one_of(st.none(), texts),
    facts=st.lists(st.tuples(st.sampled_from(list(FactStatus)), st.booleans(), texts), max_size=6),
    summary_through=st.one_of(st.none(), st.integers(min_value=0, max_value=30)),
    window_messages=st.integers(min_value=1, max_value=12),
    window_tokens=st.one_of(st.none(), st.integers(min_value=64, max_value=600)),
    split=st.tuples(*[st.floats(min_value=0, max_value=0.3) for _ in range(3)]).map(lambda t: HybridSplit(*t)),
    neighbours=st.integers(min_value=0, max_value=2),
    capped=st.one_of(
        st.none(),
        st.tuples(
            st.sampled_from(CAP_LEVELS),
            st.integers(min_value=MIN_REQUEST_CAP, max_value=2000),
            st.integers(min_value=256, max_value=2500),
        ),
    ),
)


def cap_of(store: Store, session_id: int, s: Scenario) -> tuple[Settings, ProviderProfile | None, int | None, int]:
    """Settings, profile and context window that set the scenario's cap at its level; and the budget expected."""
    config = Settings(max_request_tokens=None)
    if s.capped is None:
        return config, None, None, s.budget
    level, cap, window = s.capped
    config = replace(config, reserved_reply_tokens=RESERVED, safety_margin_tokens=0)
    profile = ProviderProfile("Work", max_request_tokens=cap if level == "profile" else None)
    if level == "settings":
        config = replace(config, max_request_tokens=cap)
    elif level == "chat":
        store.sessions.update(session_id, strategy_options={"max_request_tokens": cap})
        # A profile's cap is there to be overridden: the chat's wins, larger or smaller.
        profile = replace(profile, max_request_tokens=cap * 2 if cap % 2 else MIN_REQUEST_CAP)
    return config, profile, window, min(window - RESERVED, cap)


def build(store: Store, s: Scenario) -> tuple[int, list[int]]:
    session, messages = chat(store, s.messages, system_prompt=s.system_prompt)
    for index, (status, pinned, value) in enumerate(s.facts):
        store.facts.add(f"key{index}", value, status=status, pinned=pinned, scope=session.id if index % 2 else None)
    if s.summary_through is not None and messages:
        covers = messages[min(s.summary_through, len(messages) - 1)].id
        store.summaries.save(
            session.id, "They discussed dogs and Lisbon.", covers_through=covers, token_count=0, model=None
        )
    return session.id, [m.id for m in messages]


@pytest.mark.slow
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios)
def test_every_plan_keeps_its_promises(s: Scenario) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder))
        try:
            session_id, ids = build(store, s)
            config, profile, window, budget = cap_of(store, session_id, s)
            config = replace(
                config,
                window_messages=s.window_messages,
                window_tokens=s.window_tokens,
                hybrid_split=s.split,
                recall_neighbours=s.neighbours,
            )
            stored = store.messages.all(session_id)
            newest_user = next((m for m in reversed(stored) if m.role == Role.USER), None)
            awaits_answer = bool(stored) and stored[-1].role == Role.USER
            # A blank draft (an empty composer) plans the next message, an empty one after the last reply,
            # unless the newest stored message is the user's and still awaits its answer: then that answer.
            # No draft at all (None) plans the answer to the newest stored user message.
            typed = s.draft if s.draft is not None and s.draft.strip() else None
            if typed is not None:
                expected_text: str | None = typed
            elif s.draft is not None and not awaits_answer:
                expected_text = ""
            else:
                expected_text = newest_user.content if newest_user else None
            counter = TokenCounter.for_model(MODEL)
            anchor = counter.count_message("user", expected_text) if expected_text is not None else 0
            fixed = REPLY_PRIMING_TOKENS + (counter.count_message("system", s.system_prompt) if s.system_prompt else 0)
            needed = fixed + anchor
            no_room = bool(s.system_prompt) and fixed + counter.count_message("user", "") >= budget
            drafted = typed is not None or (s.draft is not None and not awaits_answer)
            try:
                plan = plan_context(
                    store,
                    session_id,
                    settings=config,
                    model=MODEL,
                    strategy=s.strategy,
                    budget=None if s.capped else s.budget,
                    context_window=window,
                    profile=profile,
                    draft=s.draft,
                )
            except InputTooLarge as exc:
                assert exc.budget == budget
                assert f"{exc.budget:,}" in str(exc) and "\n" not in str(exc)
                if needed <= budget:  # instructions that leave no room for even an empty message are refused
                    assert no_room and "leaves no room for a message" in str(exc)
                    return
                assert exc.room == budget - needed < 0
                return
            assert needed <= budget and not no_room
            # Never over the cap, whatever the strategy: the budget is the smaller of the cap and the window's.
            assert plan.budget == budget
            if s.capped is not None:
                assert plan.total_tokens <= s.capped[1]
            # The composer's room: what the draft may grow to before refusal, whatever the history takes.
            assert plan.draft_room == budget - fixed - (anchor if drafted else 0)
            check_plan(store, plan, ids, expected_text, counter)
        finally:
            store.close()


def check_plan(
    store: Store, plan: ContextPlan, ids: list[int], expected_text: str | None, counter: TokenCounter
) -> None:
    # The budget is never exceeded, and the counts are the provider's way of counting.
    assert plan.total_tokens <= plan.budget
    request = plan.request_messages()
    assert plan.total_tokens == counter.count_messages(request)
    # Parts come in the fixed order, at most one of each kind.
    kinds = [p.kind for p in plan.parts]
    assert kinds == sorted(kinds, key=PART_ORDER.index) and len(set(kinds)) == len(kinds)
    # The message being answered is the last thing sent, whole.
    if expected_text is not None:
        assert request[-1] == {"role": "user", "content": expected_text}
    recent = [p for p in plan.parts if p.kind == PartKind.RECENT]
    window_ids = list(recent[0].message_ids) if recent else []
    assert window_ids == sorted(window_ids)
    # The window is contiguous: no stored message between its first and last is missing.
    if window_ids:
        between = [i for i in ids if window_ids[0] <= i <= window_ids[-1]]
        assert between == window_ids
    # Nothing is sent twice, and every stored message is either sent or left out with a reason.
    sent = [i for p in plan.parts for i in p.message_ids]
    assert len(sent) == len(set(sent))
    omitted = [i for o in plan.omitted for i in o.message_ids if o.kind == PartKind.RECENT]
    assert all(o.reason for o in plan.omitted)
    assert set(ids) <= set(sent) | set(omitted)
    # Only active facts go in.
    fact_ids = {i for p in plan.parts for i in p.fact_ids}
    for fact_id in fact_ids:
        assert store.facts.get(fact_id).status == FactStatus.ACTIVE


def test_the_plan_follows_the_chats_strategy_then_the_default(store: Store) -> None:
    session, _ = chat(store, ["hello"])
    assert plan_context(store, session.id, settings=Settings(), model=MODEL).strategy == Strategy.HYBRID
    store.sessions.update(session.id, strategy=Strategy.WINDOW)
    assert plan_context(store, session.id, settings=Settings(), model=MODEL).strategy == Strategy.WINDOW
    chosen = plan_context(store, session.id, settings=Settings(), model=MODEL, strategy=Strategy.FULL)
    assert chosen.strategy == Strategy.FULL


@pytest.mark.parametrize("strategy", list(Strategy))
def test_an_empty_chat_plans_just_the_system_prompt(store: Store, strategy: Strategy) -> None:
    session = store.sessions.create("empty", system_prompt="Be brief.")
    plan = plan_context(store, session.id, settings=Settings(), model=MODEL, strategy=strategy)
    assert plan.request_messages() == [{"role": "system", "content": "Be brief."}]
    assert plan.omitted == ()


# --- recall fills its share -------------------------------------------------------------------

TOPIC = ["lisbon", "tram", "pastel", "river", "tiles", "fado", "bridge", "hill"]
topic_texts = st.lists(st.sampled_from(TOPIC + WORDS[:6]), min_size=1, max_size=60).map(
    lambda words: "lisbon " + " ".join(words)
)


@dataclass(frozen=True)
class RecallScenario:
    strategy: Strategy
    messages: list[str]
    budget: int
    neighbours: int
    episodes: bool
    expansion: int
    split: HybridSplit


recall_scenarios = st.builds(
    RecallScenario,
    strategy=st.sampled_from([Strategy.RECALL, Strategy.HYBRID]),
    messages=st.lists(topic_texts, min_size=2, max_size=30),
    budget=st.integers(min_value=60, max_value=4000),
    neighbours=st.integers(min_value=0, max_value=3),
    episodes=st.booleans(),
    expansion=st.integers(min_value=0, max_value=6),
    split=st.tuples(*[st.floats(min_value=0, max_value=0.3) for _ in range(3)]).map(lambda t: HybridSplit(*t)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recall_scenarios)
def test_recall_fills_its_share_and_never_exceeds_the_budget(s: RecallScenario) -> None:
    """Every stored message matches the query: recall (and, in hybrid, the window) must leave no room unused
    that the smallest message left out could have filled, whatever the neighbours, episodes and expansion."""
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder))
        try:
            session, messages = chat(store, s.messages)
            ids = [m.id for m in messages]
            config = Settings(
                window_messages=1,
                hybrid_split=s.split,
                recall_neighbours=s.neighbours,
                recall_episodes=s.episodes,
                recall_expansion=s.expansion,
            )
            counter = TokenCounter.for_model(MODEL)
            draft = "Tell me about lisbon"
            try:
                plan = plan_context(
                    store, session.id, settings=config, model=MODEL, strategy=s.strategy, budget=s.budget, draft=draft
                )
            except InputTooLarge:
                assert counter.count_message("user", draft) + REPLY_PRIMING_TOKENS > s.budget
                return
            check_plan(store, plan, ids, draft, counter)
            sent = {i for p in plan.parts for i in p.message_ids}
            left_out = [m for m in messages if m.id not in sent]
            if not left_out:
                return
            # A quote line costs its message's count, a dated prefix (~12 tokens) and, at worst, the
            # estimate's miss that made the exact count drop one more message.
            smallest = min(counter.count_message(m.role, m.content) for m in left_out) + 14
            largest = max(counter.count_message(m.role, m.content) for m in messages) + 14
            unused = plan.budget - plan.total_tokens
            recalled = next((p for p in plan.parts if p.kind == PartKind.RECALLED), None)
            if s.strategy == Strategy.HYBRID:
                # Hybrid: recall within its share, then the window takes the rest, down to the oldest message.
                assert unused < smallest + largest + 20
            else:
                # Recall: the window holds nothing (N = 1 is the new message); recall fills the rest.
                assert recalled is not None or smallest + 20 > unused
                assert unused < smallest + largest + 20
        finally:
            store.close()
