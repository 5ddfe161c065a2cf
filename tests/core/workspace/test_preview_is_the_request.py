"""The inspector can never show something other than what is sent: preview equals the request, part by part."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from desktop_chat.core.events import Event, Finished
from desktop_chat.core.models import ContextPlan, PartKind, Role, Strategy
from desktop_chat.core.workspace import Workspace
from tests.helpers.controller import collect, ending, settings_for, started
from tests.helpers.fake_openai import FakeOpenAIServer, Fault
from tests.helpers.workspace import with_workspace

DRAFT = "And what did I say about the lighthouse keeper's dog?"


def seed(workspace: Workspace, session_id: int) -> None:
    """A chat long enough that every strategy has to choose, with a summary and facts to use."""
    store = workspace._store  # test setup only: writing history directly is faster than 40 replies
    words = ["lighthouse", "keeper", "dog", "harbour", "storm", "lantern", "ferry", "gull", "rope", "anchor"]
    for i in range(40):
        role = Role.USER if i % 2 == 0 else Role.ASSISTANT
        store.messages.append(session_id, role, f"Turn {i}: the {words[i % 10]} " * 8)
    last = store.messages.last_id(session_id)
    assert last is not None
    store.summaries.save(
        session_id, "They talked about a lighthouse.", covers_through=last - 10, token_count=9, model="m"
    )
    workspace.add_fact("dog_name", "Biscuit")
    workspace.add_fact("home", "Harbourtown", scope=session_id)


@pytest.mark.parametrize("strategy", list(Strategy))
def test_preview_equals_the_request_the_server_receives(
    tmp_path: Path, fake_openai: FakeOpenAIServer, strategy: Strategy
) -> None:
    # A small window so full, window and hybrid all leave things out.
    settings = replace(settings_for(fake_openai), default_strategy=strategy, window_messages=6)
    settings = replace(settings, profiles=(replace(settings.profiles[0], context_window=2500),))

    async def job(workspace: Workspace, _: list[Event]) -> tuple[ContextPlan, ContextPlan, int]:
        session = workspace.new_session()
        seed(workspace, session.id)
        preview = workspace.preview(session.id, DRAFT)
        events = await collect(workspace.send(session.id, DRAFT))
        assert isinstance(ending(events), Finished)
        return preview, started(events).plan, started(events).user_message_id

    preview, sent_plan, draft_id = with_workspace(tmp_path, fake_openai, job, settings=settings)
    received = fake_openai.chat_requests[0].body["messages"]
    assert preview.request_messages() == received
    # Part by part the same; the draft has no id until it is sent.
    assert [(p.kind, p.tokens, p.message_ids, p.fact_ids) for p in preview.parts] == [
        (p.kind, p.tokens, tuple(i for i in p.message_ids if i != draft_id), p.fact_ids) for p in sent_plan.parts
    ]
    assert preview.total_tokens == sent_plan.total_tokens <= preview.budget
    assert preview.strategy is strategy
    if strategy in (Strategy.FACTS, Strategy.HYBRID):
        assert any("Biscuit" in m["content"] for m in received)


def test_preview_of_a_temporary_chat_is_its_request_and_includes_the_saved_global_facts(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    settings = replace(settings_for(fake_openai), default_strategy=Strategy.FACTS)

    async def job(workspace: Workspace, _: list[Event]) -> ContextPlan:
        workspace.add_fact("name", "Ada")
        saved = workspace.new_session()
        workspace.add_fact("project", "the saved chat's own", scope=saved.id)
        temporary = workspace.new_session(temporary=True)
        preview = workspace.preview(temporary.id, "Who am I?")
        events = await collect(workspace.send(temporary.id, "Who am I?"))
        assert isinstance(ending(events), Finished)
        await workspace.wait_for_upkeep(10)
        assert [f.key for f in workspace.facts(temporary.id)] == ["name"]
        return preview

    preview = with_workspace(tmp_path, fake_openai, job, settings=settings)
    received = fake_openai.chat_requests[0].body["messages"]
    assert preview.request_messages() == received
    facts = [p for p in preview.parts if p.kind is PartKind.FACTS]
    assert facts and "Ada" in facts[0].messages[0].content
    assert "saved chat's own" not in str(received)
    # Nothing was extracted or summarised for the temporary chat: no JSON-mode request went out.
    assert not any(r.body.get("response_format") for r in fake_openai.chat_requests)


def test_preview_options_change_the_plan_without_changing_the_chat(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    async def job(workspace: Workspace, _: list[Event]) -> tuple[int, int, dict[str, object]]:
        session = workspace.new_session(strategy=Strategy.WINDOW)
        seed(workspace, session.id)
        narrow = workspace.preview(session.id, "hi", options={"window_messages": 2})
        wide = workspace.preview(session.id, "hi", options={"window_messages": 12})
        stored = workspace.session(session.id).strategy_options
        return len(narrow.parts[-1].message_ids), len(wide.parts[-1].message_ids), stored

    narrow, wide, stored = with_workspace(tmp_path, fake_openai, job)
    assert (narrow, wide) == (1, 11)  # the draft is the window's newest message; it has no id yet
    assert stored == {}


def test_with_nothing_typed_the_preview_is_the_next_message_after_the_last_reply(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    """After a reply the next request carries that reply; while a message awaits its answer, the retry's."""
    fake_openai.reply("Lisbon, by the river.")
    settings = replace(settings_for(fake_openai), default_strategy=Strategy.WINDOW)

    async def job(workspace: Workspace, _: list[Event]) -> tuple[ContextPlan, ContextPlan, ContextPlan, list[int]]:
        session = workspace.new_session()
        empty_chat = workspace.preview(session.id)
        assert isinstance(ending(await collect(workspace.send(session.id, "Where do I live?"))), Finished)
        answered = workspace.preview(session.id)
        await workspace.wait_for_upkeep(10)  # the title
        fake_openai.fail(Fault.SERVER_ERROR, times=10)  # the second message gets no reply
        await collect(workspace.send(session.id, "And where do I work?"))
        ids = [m.id for m in workspace.messages(session.id)]
        return empty_chat, answered, workspace.preview(session.id), ids

    empty_chat, answered, awaiting, ids = with_workspace(tmp_path, fake_openai, job, settings=settings)
    question, reply, unanswered = ids[0], ids[1], ids[2]
    recent = next(p for p in answered.parts if p.kind is PartKind.RECENT)
    # The reply is in the next request (it was "left out" when the empty preview re-answered the question).
    assert recent.message_ids == (question, reply)
    assert [m.content for m in recent.messages] == ["Where do I live?", "Lisbon, by the river.", ""]
    assert answered.draft_tokens > 0 and not answered.omitted
    assert empty_chat.draft_tokens > 0
    # A message whose reply failed: the next request is that message answered again, nothing after it.
    recent = next(p for p in awaiting.parts if p.kind is PartKind.RECENT)
    assert recent.message_ids[-1] == unanswered
    assert recent.messages[-1].content == "And where do I work?"
    assert awaiting.draft_tokens == 0
