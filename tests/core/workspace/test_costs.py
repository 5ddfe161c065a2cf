"""Costs through the workspace: a reply's usage stored with its cost, upkeep requests counted, estimates said so.

The fake server is on 127.0.0.1, so its requests are free unless the profile sets its own price
(which wins over "free": a paid server may be reached through a tunnel on localhost).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from desktop_chat.core.events import Event, Finished, Started
from desktop_chat.core.models import Strategy
from desktop_chat.core.settings import Settings
from desktop_chat.core.workspace import Workspace
from tests.helpers.controller import settings_for
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.workspace import with_workspace

IN, OUT = 2.0, 8.0  # dollars per million tokens


def priced(server: FakeOpenAIServer, **overrides: object) -> Settings:
    settings = settings_for(server, **overrides)
    profile = replace(settings.profiles[0], input_price=IN, output_price=OUT)
    return replace(settings, profiles=(profile,))


async def reply_to(workspace: Workspace, session_id: int, text: str) -> tuple[Started, Finished]:
    events = [e async for e in workspace.send(session_id, text)]
    started = next(e for e in events if isinstance(e, Started))
    finished = next(e for e in events if isinstance(e, Finished))
    return started, finished


def test_a_replys_usage_is_stored_with_its_cost(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply("Hello there", prompt_tokens=1200, completion_tokens=30, cached_tokens=200)

    async def job(workspace: Workspace, events: list[Event]) -> None:
        sid = workspace.new_session(title="Costs").id
        _, finished = await reply_to(workspace, sid, "Hi")
        record = workspace.costs.replies([finished.message.id])[finished.message.id]
        assert (record.kind, record.session_id, record.model) == ("reply", sid, "fake-gpt")
        assert (record.prompt_tokens, record.completion_tokens, record.cached_tokens) == (1200, 30, 200)
        assert not record.estimated and record.pricing == "priced"
        assert record.cost_usd == pytest.approx((1200 * IN + 30 * OUT) / 1_000_000)
        chat = workspace.costs.chat(sid)
        assert chat.of("reply").requests == 1 and chat.all.cost_usd == pytest.approx(record.cost_usd)
        assert workspace.costs.month().all.cost_usd == pytest.approx(record.cost_usd)

    with_workspace(tmp_path, fake_openai, job, settings=priced(fake_openai))


def test_a_loopback_server_costs_nothing_and_says_free(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    async def job(workspace: Workspace, events: list[Event]) -> None:
        sid = workspace.new_session(title="Local").id
        _, finished = await reply_to(workspace, sid, "Hi")
        record = workspace.costs.replies([finished.message.id])[finished.message.id]
        assert (record.pricing, record.cost_usd) == ("free", 0.0)
        plan = workspace.memory.preview(sid, "next one")
        cost = workspace.costs.next_request(sid, plan)
        assert (cost.pricing, cost.cost_usd, cost.prompt_tokens) == ("free", 0.0, plan.total_tokens)

    with_workspace(tmp_path, fake_openai, job)


def test_without_the_providers_usage_the_cost_is_estimated(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.send_usage = False  # a server that ignores stream_options

    async def job(workspace: Workspace, events: list[Event]) -> None:
        sid = workspace.new_session(title="No usage").id
        started, finished = await reply_to(workspace, sid, "Hi there")
        assert finished.usage is None
        record = workspace.costs.replies([finished.message.id])[finished.message.id]
        assert record.estimated
        assert record.prompt_tokens == started.plan.total_tokens  # our count of what was sent
        assert record.completion_tokens > 0
        assert record.cost_usd == pytest.approx((record.prompt_tokens * IN + record.completion_tokens * OUT) / 1e6)

    with_workspace(tmp_path, fake_openai, job, settings=priced(fake_openai))


def test_a_server_refusing_stream_options_still_answers_and_is_estimated(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.reject_stream_options = True

    async def job(workspace: Workspace, events: list[Event]) -> None:
        sid = workspace.new_session(title="Old server").id
        for text in ("one", "two"):
            _, finished = await reply_to(workspace, sid, text)
            assert finished.message.content == f"You said: {text}"
            assert workspace.costs.replies([finished.message.id])[finished.message.id].estimated
        asked = [r for r in fake_openai.requests if r.path.endswith("/chat/completions")]
        # Refused once, then remembered for the profile's client: the second reply asks without it.
        assert ["stream_options" in r.body for r in asked] == [True, False, False]

    with_workspace(tmp_path, fake_openai, job, settings=priced(fake_openai))


def test_upkeep_requests_are_counted_with_their_kind(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    async def job(workspace: Workspace, events: list[Event]) -> None:
        sid = workspace.new_session(strategy=Strategy.FACTS).id  # untitled: a title is asked for too
        await reply_to(workspace, sid, "My name is Alex and I live in Lisbon.")
        assert await workspace.wait_for_upkeep(10)
        kinds = sorted(r.kind for r in workspace._store.usage.for_session(sid))
        assert kinds == ["facts", "reply", "title"]
        chat = workspace.costs.chat(sid)
        assert chat.upkeep.requests == 2 and chat.of("reply").requests == 1
        upkeep = [r for r in workspace._store.usage.for_session(sid) if r.kind != "reply"]
        assert {r.model for r in upkeep} == {"fake-mini"}  # the profile's upkeep model
        assert all(r.cost_usd is not None and r.cost_usd > 0 for r in upkeep)
        assert chat.all.cost_usd == pytest.approx(workspace.costs.month().all.cost_usd)

    with_workspace(tmp_path, fake_openai, job, settings=priced(fake_openai))


def test_a_temporary_chats_spending_counts_in_the_month(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply("Sure", prompt_tokens=500, completion_tokens=10)

    async def job(workspace: Workspace, events: list[Event]) -> None:
        sid = workspace.new_session(temporary=True).id
        _, finished = await reply_to(workspace, sid, "Quick question")
        expected = (500 * IN + 10 * OUT) / 1_000_000
        assert workspace.costs.replies([finished.message.id])[finished.message.id].cost_usd == pytest.approx(expected)
        assert workspace.costs.month().all.cost_usd == pytest.approx(expected)
        assert [title for _, title, _ in workspace.costs.chats()] == ["Untitled chat (temporary)"]

    with_workspace(tmp_path, fake_openai, job, settings=priced(fake_openai))


def test_a_deleted_chats_spending_stays_in_the_month(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    async def job(workspace: Workspace, events: list[Event]) -> None:
        sid = workspace.new_session(title="Gone soon").id
        await reply_to(workspace, sid, "Hi")
        spent = workspace.costs.month().all.cost_usd
        assert spent > 0
        workspace.delete_session(sid)
        assert workspace.costs.month().all.cost_usd == pytest.approx(spent)
        assert [title for _, title, _ in workspace.costs.chats()] == ["(deleted chat)"]

    with_workspace(tmp_path, fake_openai, job, settings=priced(fake_openai))
