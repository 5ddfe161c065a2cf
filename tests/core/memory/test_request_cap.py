"""The request cap: every plan's budget is min(window - reply - margin, cap); the most specific cap set wins."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from desktop_chat.core.errors import InputTooLarge, SettingsError
from desktop_chat.core.events import Event, Finished
from desktop_chat.core.memory.planner import plan_context
from desktop_chat.core.models import REPLY_PRIMING_TOKENS, Role, Strategy
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.request_cap import BudgetLimit, CapLevel
from desktop_chat.core.settings import Settings, parse_text, validate
from desktop_chat.core.storage.store import Store
from desktop_chat.core.tokens import TokenCounter
from desktop_chat.core.workspace import Workspace
from tests.helpers.chats import chat
from tests.helpers.controller import collect, ending, settings_for
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.workspace import with_workspace

MODEL = "gpt-4o-mini"  # a 128,000-token window
LONG = [f"turn {i}: " + "we talked about the weather, the harbour and the ferry timetable " * 6 for i in range(400)]


def test_the_default_cap_bounds_a_large_window(store: Store) -> None:
    session, _ = chat(store, LONG)
    plan = plan_context(store, session.id, settings=Settings(), model=MODEL, draft="")
    assert (plan.context_window, plan.budget, plan.budget_limit) == (128_000, 16_000, BudgetLimit.CAP)
    assert plan.request_cap is not None and plan.request_cap.level is CapLevel.SETTINGS
    assert plan.budget_reason == "cap 16,000 (Settings)"
    # The history fills the cap, not the window.
    assert 15_000 < plan.total_tokens <= 16_000


def test_no_cap_plans_the_whole_window(store: Store) -> None:
    session, _ = chat(store, LONG)
    plan = plan_context(store, session.id, settings=Settings(max_request_tokens=None), model=MODEL, draft="")
    assert (plan.budget, plan.budget_limit) == (128_000 - 1000 - 50, BudgetLimit.WINDOW)
    assert plan.budget_reason == "the model's window (no cap)"
    assert plan.total_tokens > 16_000


def test_a_window_smaller_than_the_cap_is_the_limit_and_says_so(store: Store) -> None:
    session, _ = chat(store, ["hi"])
    plan = plan_context(store, session.id, settings=Settings(), model=MODEL, context_window=4096)
    assert (plan.budget, plan.budget_limit) == (4096 - 1050, BudgetLimit.WINDOW)
    assert plan.budget_reason == "the model's window (smaller than the cap 16,000 (Settings))"


def test_a_given_budget_overrides_every_cap(store: Store) -> None:
    session, _ = chat(store, ["hi"], max_request_tokens=6000)
    work = ProviderProfile("Work", max_request_tokens=8000)
    plan = plan_context(store, session.id, settings=Settings(), model=MODEL, profile=work, budget=50_000)
    assert (plan.budget, plan.budget_limit, plan.budget_reason) == (50_000, BudgetLimit.GIVEN, "given for this plan")


def test_the_most_specific_cap_wins(store: Store) -> None:
    session, _ = chat(store, ["hi"])
    work = ProviderProfile("Work", max_request_tokens=8000)

    def budget(profile: ProviderProfile | None = None, settings: Settings | None = None) -> tuple[int, str]:
        plan = plan_context(store, session.id, settings=settings or Settings(), model=MODEL, profile=profile)
        return plan.budget, plan.budget_reason

    assert budget() == (16_000, "cap 16,000 (Settings)")
    assert budget(work) == (8000, "cap 8,000 (profile Work)")
    # A smaller cap on the chat wins over the profile's ...
    store.sessions.update(session.id, strategy_options={"max_request_tokens": 6000})
    assert budget(work) == (6000, "cap 6,000 (this chat)")
    # ... and so does a larger one: the chat's own choice, not the smallest of the three.
    store.sessions.update(session.id, strategy_options={"max_request_tokens": 12_000})
    assert budget(work) == (12_000, "cap 12,000 (this chat)")
    # A level may lift the cap: the chat's "window" over the profile's 8,000; the profile's 0 over the setting.
    store.sessions.update(session.id, strategy_options={"max_request_tokens": 0})
    assert budget(work) == (126_950, "the model's window (this chat has no cap)")
    store.sessions.update(session.id, strategy_options={})
    assert budget(replace(work, max_request_tokens=0)) == (126_950, "the model's window (profile Work has no cap)")
    # A profile without a cap of its own leaves the setting's.
    assert budget(replace(work, max_request_tokens=None), Settings(max_request_tokens=9000)) == (
        9000,
        "cap 9,000 (Settings)",
    )


def test_a_message_over_the_cap_is_refused_saying_which_cap(store: Store) -> None:
    session, _ = chat(store, ["hi"], system_prompt="Be brief.", max_request_tokens=300)
    with pytest.raises(InputTooLarge) as caught:
        plan_context(store, session.id, settings=Settings(), model=MODEL, draft="word " * 400)
    message = str(caught.value)
    assert "budget is 300 (cap 300 (this chat))" in message and "raise the cap" in message and "\n" not in message
    counter = TokenCounter.for_model(MODEL)
    fixed = REPLY_PRIMING_TOKENS + counter.count_message(Role.SYSTEM, "Be brief.")
    assert caught.value.fixed == fixed
    assert caught.value.room == 300 - fixed - caught.value.tokens < 0


def test_the_room_for_the_draft_is_exactly_what_the_planner_accepts(store: Store) -> None:
    """A draft fits while ``draft_room`` >= 0; the first one over is refused, ``room`` saying by how much."""
    session, _ = chat(
        store, [f"turn {i}: the ferry was late" for i in range(200)], system_prompt="Be terse.", max_request_tokens=400
    )
    settings = Settings()
    refused_at = None
    for words in range(0, 500, 7):
        draft = "lighthouse " * words
        try:
            plan = plan_context(store, session.id, settings=settings, model=MODEL, draft=draft)
        except InputTooLarge as exc:
            assert exc.room < 0
            refused_at = refused_at or words
            continue
        assert refused_at is None, "a longer draft fitted after a shorter one was refused"
        assert plan.draft_room >= 0
        # The history fills what the draft leaves: the room is not the plan's unused tokens.
        assert plan.draft_room == plan.budget - plan.fixed_tokens - plan.draft_tokens
        assert plan.budget - plan.total_tokens < 20  # the history fills the cap ...
        if words == 7:
            assert plan.draft_room > 300  # ... and yet the draft may still grow by almost all of it
    assert refused_at is not None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("6000", 6000), ("", None), ("window", None), ("none", None), ("0", None), (16_000, 16_000)],
)
def test_the_setting_reads_numbers_and_window(value: object, expected: int | None) -> None:
    parsed = (
        parse_text("max_request_tokens", value) if isinstance(value, str) else validate("max_request_tokens", value)
    )
    assert parsed == expected


@pytest.mark.parametrize("value", ["lots", "100", "-5", "1e9", "true"])
def test_a_bad_cap_is_refused_in_one_line(value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_text("max_request_tokens", value)
    message = str(caught.value)
    assert "'max_request_tokens'" in message and "256" in message and "'window'" in message and "\n" not in message


def test_a_bad_cap_on_a_profile_or_a_chat_is_refused_by_name(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    with pytest.raises(SettingsError, match="'max_request_tokens' must be"):
        ProviderProfile.from_dict({"name": "Work", "max_request_tokens": 12})

    async def job(workspace: Workspace, _events: list[Event]) -> None:
        chat_id = workspace.new_session().id
        with pytest.raises(SettingsError, match="Chat option 'max_request_tokens' cannot be 'many'"):
            workspace.set_strategy(chat_id, None, {"max_request_tokens": "many"})
        assert workspace.session(chat_id).strategy_options == {}

    with_workspace(tmp_path, fake_openai, job)


def test_a_chat_on_a_capped_profile_sends_no_more_than_its_own_cap(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    """Through the facade and the real request: chat over profile over the setting, for preview and send alike."""
    base = settings_for(fake_openai, default_strategy=Strategy.HYBRID)
    home = replace(base.profiles[0], context_window=128_000)
    work = replace(home, name="Work", max_request_tokens=8000)
    settings = replace(base, profiles=(home, work))

    async def job(workspace: Workspace, _events: list[Event]) -> list[tuple[int, str]]:
        seen = []
        on_home = workspace.new_session()
        on_work = workspace.new_session(profile="Work")
        for session_id in (on_home.id, on_work.id):
            for i, text in enumerate(LONG):
                workspace._store.messages.append(session_id, Role.USER if i % 2 == 0 else Role.ASSISTANT, text)
        workspace.set_setting("max_request_tokens", 16_000)
        for session_id in (on_home.id, on_work.id):
            plan = workspace.preview(session_id, "and the ferry?")
            seen.append((plan.budget, plan.budget_reason))
        workspace.set_strategy(on_work.id, None, {"max_request_tokens": 6000})
        plan = workspace.preview(on_work.id, "and the ferry?")
        seen.append((plan.budget, plan.budget_reason))
        events = await collect(workspace.send(on_work.id, "and the ferry?"))
        assert isinstance(ending(events), Finished)
        return seen

    seen = with_workspace(tmp_path, fake_openai, job, settings=settings)
    assert seen == [
        (16_000, "cap 16,000 (Settings)"),
        (8000, "cap 8,000 (profile Work)"),
        (6000, "cap 6,000 (this chat)"),
    ]
    sent = fake_openai.chat_requests[0].body["messages"]
    assert TokenCounter.for_model("fake-gpt").count_messages(sent) <= 6000
    assert len(sent) > 10  # the history filled the cap, it was not simply cut to nothing
