"""The tool loop through the workspace: the fake server streams tool-call deltas through the real openai SDK,
a real stdio MCP server runs the calls, and the loop runs to a final answer; consent, limits and stops."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from desktop_chat.core.events import Event, Finished, ReplyEvent, Started, Stopped, ToolActivity
from desktop_chat.core.models import MessageStatus, PartKind, TextPart, ToolCallPart, ToolResultPart
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.providers import ChatClient
from desktop_chat.core.settings import Settings
from desktop_chat.core.workspace import Workspace
from tests.helpers.controller import make_factory, settings_for
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.mcp_servers import stdio_server
from tests.helpers.workspace import with_workspace


def with_tools(server: FakeOpenAIServer, **overrides: Any) -> Settings:
    return replace(settings_for(server), **overrides)


async def setup(workspace: Workspace, *, policy: str | None = "always", **settings: Any) -> int:
    await workspace.tools.add(stdio_server("calc"))
    if policy is not None:
        workspace.tools.set_policy("calc", "add", policy)  # type: ignore[arg-type]
    for key, value in settings.items():
        workspace.set_setting(key, value)
    return workspace.new_session(title="Tools").id


async def collect(events: Any) -> list[ReplyEvent]:
    return [e async for e in events]


def tool_messages(server: FakeOpenAIServer, request: int) -> list[dict[str, Any]]:
    return [m for m in server.chat_requests[request].body["messages"] if m["role"] in ("tool", "assistant")]


def test_a_call_runs_and_the_loop_ends_with_an_answer(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply("Let me add. ", tool_calls=[("call_1", "calc__add", ['{"a": 2', ', "b": 40}'])])
    fake_openai.reply("It is 42.")

    async def job(workspace: Workspace, events: list[Event]) -> None:
        sid = await setup(workspace)
        replies = await collect(workspace.send(sid, "What is 2 + 40?"))
        started = next(e for e in replies if isinstance(e, Started))
        tools_part = next(p for p in started.plan.parts if p.kind is PartKind.TOOLS)
        assert tools_part.tokens > 20 and "calc__add" in tools_part.reason
        activity = [(e.state, e.tool) for e in replies if isinstance(e, ToolActivity)]
        assert activity == [("running", "calc__add"), ("done", "calc__add")]
        done = next(e for e in replies if isinstance(e, ToolActivity) and e.state == "done")
        assert (done.result, done.is_error) == ("42", False) and done.seconds > 0
        finished = next(e for e in replies if isinstance(e, Finished))
        message = finished.message
        assert message.content == "Let me add. It is 42."
        assert message.parts == (
            TextPart("Let me add. "),
            ToolCallPart("call_1", "calc__add", '{"a": 2, "b": 40}'),
            ToolResultPart("call_1", "42"),
            TextPart("It is 42."),
        )
        # the activity went out on the channel too, for every view
        assert [e for e in events if isinstance(e, ToolActivity)] == [e for e in replies if isinstance(e, ToolActivity)]

    with_workspace(tmp_path, fake_openai, job)
    first, _ = fake_openai.chat_requests
    offered = {t["function"]["name"] for t in first.body["tools"]}
    assert offered == {"calc__add", "calc__echo", "calc__slow", "calc__env"}
    assert first.body["tools"][0]["type"] == "function"
    assert tool_messages(fake_openai, 1) == [
        {
            "role": "assistant",
            "content": "Let me add. ",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "calc__add", "arguments": '{"a": 2, "b": 40}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "42"},
    ]


def test_ask_approved_and_denied(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply("", tool_calls=[("c1", "calc__echo", ['{"text": "yes"}'])])
    fake_openai.reply("ok")
    fake_openai.reply("", tool_calls=[("c2", "calc__echo", ['{"text": "no"}'])])
    fake_openai.reply("fine")
    asked: list[ToolActivity] = []
    answers = [True, False]

    async def approver(activity: ToolActivity) -> bool:
        asked.append(activity)
        return answers.pop(0)

    async def job(workspace: Workspace, events: list[Event]) -> None:
        sid = await setup(workspace, policy=None)
        workspace.tools.set_approver(approver)
        first = await collect(workspace.send(sid, "say yes"))
        assert [e.state for e in first if isinstance(e, ToolActivity)] == ["asking", "running", "done"]
        second = await collect(workspace.send(sid, "say no"))
        denied = [e for e in second if isinstance(e, ToolActivity)]
        assert [e.state for e in denied] == ["asking", "denied"] and denied[1].result == "Denied by the user."
        final = next(e for e in second if isinstance(e, Finished)).message
        assert ToolResultPart("c2", "Denied by the user.", True) in final.parts

    with_workspace(tmp_path, fake_openai, job)
    assert [(a.state, a.tool, json.loads(a.arguments)) for a in asked] == [
        ("asking", "calc__echo", {"text": "yes"}),
        ("asking", "calc__echo", {"text": "no"}),
    ]
    assert tool_messages(fake_openai, 3)[-1] == {"role": "tool", "tool_call_id": "c2", "content": "Denied by the user."}


def test_ask_with_nobody_to_ask_is_denied_and_the_model_told(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply("", tool_calls=[("c1", "calc__echo", ['{"text": "hi"}'])])
    fake_openai.reply("I could not run it.")

    async def job(workspace: Workspace, events: list[Event]) -> None:
        sid = await setup(workspace, policy=None)
        replies = await collect(workspace.send(sid, "echo hi"))
        [denied] = [e for e in replies if isinstance(e, ToolActivity)]
        assert denied.state == "denied" and "nobody could be asked" in denied.result

    with_workspace(tmp_path, fake_openai, job)
    assert "nobody could be asked" in tool_messages(fake_openai, 1)[-1]["content"]


def test_never_is_not_offered_and_mode_ask_asks_even_for_always(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply("", tool_calls=[("c1", "calc__add", ['{"a": 1, "b": 1}'])])
    fake_openai.reply("2")
    asked: list[str] = []

    async def approver(activity: ToolActivity) -> bool:
        asked.append(activity.tool)
        return True

    async def job(workspace: Workspace, events: list[Event]) -> None:
        sid = await setup(workspace)
        workspace.tools.set_policy("calc", "slow", "never")
        workspace.tools.set_mode("ask")
        workspace.tools.set_approver(approver)
        await collect(workspace.send(sid, "1+1"))

    with_workspace(tmp_path, fake_openai, job)
    assert asked == ["calc__add"]
    assert "calc__slow" not in {t["function"]["name"] for t in fake_openai.chat_requests[0].body["tools"]}


def test_tools_off_sends_no_tools(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    async def job(workspace: Workspace, events: list[Event]) -> None:
        sid = await setup(workspace, tools_mode="off")
        replies = await collect(workspace.send(sid, "hi"))
        started = next(e for e in replies if isinstance(e, Started))
        assert PartKind.TOOLS not in {p.kind for p in started.plan.parts}

    with_workspace(tmp_path, fake_openai, job)
    assert "tools" not in fake_openai.chat_requests[0].body


def test_rounds_are_bounded_and_the_last_offers_no_tools(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    for n in range(2):
        fake_openai.reply("", tool_calls=[(f"c{n}", "calc__add", ['{"a": 1, "b": 1}'])])
    fake_openai.reply("Enough.")

    async def job(workspace: Workspace, events: list[Event]) -> None:
        sid = await setup(workspace, tool_rounds=2)
        replies = await collect(workspace.send(sid, "loop"))
        assert next(e for e in replies if isinstance(e, Finished)).message.content == "Enough."

    with_workspace(tmp_path, fake_openai, job)
    requests = fake_openai.chat_requests
    assert len(requests) == 3
    assert "tools" in requests[0].body and "tools" in requests[1].body and "tools" not in requests[2].body


def test_a_crashing_server_does_not_stop_the_chat(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply("Still here.")

    async def job(workspace: Workspace, events: list[Event]) -> None:
        await workspace.tools.add(stdio_server("broken", "--crash"))
        sid = workspace.new_session(title="x").id
        replies = await collect(workspace.send(sid, "hi"))
        assert next(e for e in replies if isinstance(e, Finished)).message.content == "Still here."
        [line] = workspace.tools.problems()
        assert "'broken' is not available" in line and "cannot open the database" in line

    with_workspace(tmp_path, fake_openai, job)
    assert "tools" not in fake_openai.chat_requests[0].body


def test_a_call_that_times_out_goes_back_as_an_error(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply("", tool_calls=[("c1", "calc__slow", ['{"seconds": 30}'])])
    fake_openai.reply("It took too long.")

    async def job(workspace: Workspace, events: list[Event]) -> None:
        sid = await setup(workspace, tool_timeout=1.0)
        workspace.tools.set_policy("calc", "slow", "always")
        replies = await collect(workspace.send(sid, "wait"))
        done = next(e for e in replies if isinstance(e, ToolActivity) and e.state == "done")
        assert done.is_error and "did not answer within 1 s" in done.result

    with_workspace(tmp_path, fake_openai, job)


def test_stop_during_a_call_keeps_what_was_said(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply("Waiting now. ", tool_calls=[("c1", "calc__slow", ['{"seconds": 30}'])])

    async def job(workspace: Workspace, events: list[Event]) -> None:
        sid = await setup(workspace)
        workspace.tools.set_policy("calc", "slow", "always")
        seen: list[ReplyEvent] = []
        loop = asyncio.get_running_loop()
        started = loop.time()
        async for event in workspace.send(sid, "wait"):
            seen.append(event)
            if isinstance(event, ToolActivity) and event.state == "running":
                workspace.stop(sid)
        assert loop.time() - started < 10
        stopped = next(e for e in seen if isinstance(e, Stopped)).message
        assert stopped.status is MessageStatus.STOPPED
        assert stopped.content == "Waiting now. "
        # the call asked for is kept with what was said; it never got a result
        assert stopped.parts == (TextPart("Waiting now. "), ToolCallPart("c1", "calc__slow", '{"seconds": 30}'))

    with_workspace(tmp_path, fake_openai, job)


def test_private_facts_never_leave_in_arguments(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    # A remote-looking profile whose requests are routed to the fake server: what would leave the machine.
    local = settings_for(fake_openai)
    remote = replace(local.profiles[0], base_url="https://api.example.com/v1")
    for _ in range(2):
        fake_openai.reply("", tool_calls=[("c1", "calc__echo", ['{"text": "my PIN is 4711-secret"}'])])
        fake_openai.reply("ok")
    app_clients = make_factory()

    def to_fake_server(profile: ProviderProfile, settings: Settings) -> ChatClient:
        return app_clients(replace(profile, base_url=fake_openai.base_url), settings)

    async def job(workspace: Workspace, events: list[Event]) -> None:
        sid = await setup(workspace)
        workspace.tools.set_policy("calc", "echo", "always")
        fact, _ = workspace.memory.add_fact("pin", "4711-secret")
        workspace.memory.set_fact_private(fact.id, True)
        replies = await collect(workspace.send(sid, "echo my pin"))
        [denied] = [e for e in replies if isinstance(e, ToolActivity)]
        assert denied.state == "denied" and "private fact (pin)" in denied.result
        # the same call to a model on this machine runs
        workspace.providers.update_profile(remote.name, replace(remote, base_url=fake_openai.base_url))
        replies = await collect(workspace.send(sid, "echo my pin"))
        assert [e.state for e in replies if isinstance(e, ToolActivity)] == ["running", "done"]

    with_workspace(tmp_path, fake_openai, job, settings=replace(local, profiles=(remote,)), factory=to_fake_server)
    assert "4711-secret" not in tool_messages(fake_openai, 1)[-1]["content"]
    assert tool_messages(fake_openai, 3)[-1]["content"] == "my PIN is 4711-secret"


def test_search_my_history(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply("Noted.")
    fake_openai.reply("", tool_calls=[("h1", "search_my_history", ['{"query": "lighthouse"}'])])
    fake_openai.reply("You mentioned a lighthouse.")

    async def job(workspace: Workspace, events: list[Event]) -> None:
        other = workspace.new_session(title="Holiday").id
        await collect(workspace.send(other, "We rented the old lighthouse in Brittany."))
        workspace.set_setting("history_tool", True)
        sid = workspace.new_session(title="Now").id
        replies = await collect(workspace.send(sid, "Where did we stay?"))
        done = next(e for e in replies if isinstance(e, ToolActivity) and e.state == "done")
        assert "lighthouse in Brittany" in done.result and "Holiday" in done.result

    with_workspace(tmp_path, fake_openai, job)
    assert "search_my_history" in {t["function"]["name"] for t in fake_openai.chat_requests[1].body["tools"]}


def test_calls_and_results_are_exported_and_imported(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply("Adding. ", tool_calls=[("call_9", "calc__add", ['{"a": 1, "b": 2}'])])
    fake_openai.reply("Three.")
    exported: dict[str, Any] = {}

    async def job(workspace: Workspace, events: list[Event]) -> None:
        sid = await setup(workspace)
        await collect(workspace.send(sid, "1+2"))
        exported.update(workspace.data.export_json([sid]))

    with_workspace(tmp_path, fake_openai, job)
    [session] = exported["sessions"]
    reply = session["messages"][-1]
    assert reply["content"] == "Adding. Three."
    assert reply["parts"][2].pop("seconds") > 0  # how long the call took, kept beside its result
    assert reply["parts"] == [
        {"kind": "text", "text": "Adding. "},
        {"kind": "tool_call", "call_id": "call_9", "name": "calc__add", "arguments": '{"a": 1, "b": 2}'},
        {"kind": "tool_result", "call_id": "call_9", "content": "3", "is_error": False},
        {"kind": "text", "text": "Three."},
    ]
    reply["parts"][2]["seconds"] = 0.25

    async def again(workspace: Workspace, events: list[Event]) -> None:
        result = workspace.data.import_text(json.dumps(exported))
        [imported] = result.session_ids
        message = workspace.chats.messages(imported)[-1]
        assert [p.seconds for p in message.parts if isinstance(p, ToolResultPart)] == [0.25]
        assert message.parts == (
            TextPart("Adding. "),
            ToolCallPart("call_9", "calc__add", '{"a": 1, "b": 2}'),
            ToolResultPart("call_9", "3"),
            TextPart("Three."),
        )

    with_workspace(tmp_path / "other", fake_openai, again)


def test_a_server_that_hangs_delays_one_reply_not_every_reply(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    async def job(workspace: Workspace, events: list[Event]) -> None:
        await workspace.tools.add(stdio_server("stuck", "--hang"))
        workspace.set_setting("mcp_start_timeout", 2.0)
        sid = workspace.new_session(title="x").id
        loop = asyncio.get_running_loop()
        started = loop.time()
        await collect(workspace.send(sid, "one"))
        first = loop.time() - started
        started = loop.time()
        await collect(workspace.send(sid, "two"))
        second = loop.time() - started
        assert first >= 2.0 and second < 1.5, (first, second)
        [line] = workspace.tools.problems()  # still said, without waiting again
        assert "did not answer within 2 s" in line and "waiting for ever" in line
        # Test (or mcp list) tries it again
        [status] = await workspace.tools.status(("stuck",))
        assert not status.ok

    with_workspace(tmp_path, fake_openai, job)


def test_the_cost_counts_every_round_and_the_message_keeps_the_planned_requests_usage(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.reply(
        "", tool_calls=[("c1", "calc__add", ['{"a": 1, "b": 1}'])], prompt_tokens=500, completion_tokens=20
    )
    fake_openai.reply("2", prompt_tokens=540, completion_tokens=5)

    async def job(workspace: Workspace, events: list[Event]) -> None:
        sid = await setup(workspace)
        replies = await collect(workspace.send(sid, "1+1"))
        finished = next(e for e in replies if isinstance(e, Finished))
        record = workspace.costs.replies([finished.message.id])[finished.message.id]
        assert (record.prompt_tokens, record.completion_tokens) == (1040, 25)
        assert finished.message.usage is not None and finished.message.usage.prompt_tokens == 500

    with_workspace(tmp_path, fake_openai, job)
