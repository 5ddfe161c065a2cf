"""The MCP client (``core/tools/mcp_host.py``) against real servers built with the SDK: stdio and Streamable HTTP,
and the ways a server fails (not found, crash, junk on stdout, no answer), each reported in its own line."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from desktop_chat.core.tool_config import BEARER, McpServerConfig
from desktop_chat.core.tools import McpHost, ServerStatus
from tests.helpers.mcp_servers import http_server_url, stdio_server

__all__ = ["http_server_url"]


HANG_LIMIT = 2.0  # seconds a server that never answers is given to start


def no_secrets(server: str, key: str) -> str | None:
    return None


@pytest.fixture
def host() -> Iterator[McpHost]:
    made = McpHost()
    yield made
    made.close()


def test_stdio_server_lists_tools_and_runs_one(host: McpHost) -> None:
    async def go() -> None:
        [status] = await host.servers((stdio_server("calc"),), no_secrets, 30)
        assert status.ok, status.problem
        assert {t.name for t in status.tools} == {"add", "echo", "slow", "env"}
        assert {t.qualified for t in status.tools} >= {"calc__add"}
        outcome = await host.call("calc", "add", {"a": 2, "b": 40}, 10)
        assert (outcome.content, outcome.is_error) == ("42", False)

    asyncio.run(go())


def test_started_once_across_event_loops(host: McpHost) -> None:
    # The command line runs one asyncio.run per command: a server started in one is still there in the next.
    [first] = asyncio.run(host.servers((stdio_server("calc"),), no_secrets, 30))
    [again] = asyncio.run(host.servers((stdio_server("calc"),), no_secrets, 30))
    assert first.ok and again.ok
    assert first.seconds > 0 and again.seconds == 0.0
    assert host.running == ("calc",)


def test_plain_and_secret_environment_reach_the_server(host: McpHost) -> None:
    config = stdio_server("envs", env={"PLAIN": "p"}, secret_env=["TOKEN"])
    secrets = {("envs", "TOKEN"): "s3cret"}

    async def go() -> tuple[str, str]:
        [status] = await host.servers((config,), lambda s, k: secrets.get((s, k)), 30)
        assert status.ok, status.problem
        plain = await host.call("envs", "env", {"name": "PLAIN"}, 10)
        secret = await host.call("envs", "env", {"name": "TOKEN"}, 10)
        return plain.content, secret.content

    assert asyncio.run(go()) == ("p", "s3cret")


def test_a_missing_secret_is_said_without_starting(host: McpHost) -> None:
    [status] = asyncio.run(host.servers((stdio_server("envs", secret_env=["TOKEN"]),), no_secrets, 30))
    assert not status.ok
    assert "no value in the keyring for TOKEN" in status.line()


def test_each_failing_server_is_one_line_and_the_others_work(host: McpHost) -> None:
    others = (
        stdio_server("good"),
        stdio_server("crashes", "--crash"),
        McpServerConfig.from_dict({"name": "missing", "command": "no-such-mcp-server-here"}),
    )
    hung = (stdio_server("hangs", "--hang"),)

    # The hung one gets a short limit of its own (the product's comes from Settings); the others a generous one,
    # so that a loaded machine slowing their start cannot fail the test. Both start at once, on the host's thread.
    async def start_all() -> list[ServerStatus]:
        first, second = await asyncio.gather(
            host.servers(others, no_secrets, 30), host.servers(hung, no_secrets, HANG_LIMIT)
        )
        return first + second

    started = time.monotonic()
    statuses = {s.name: s for s in asyncio.run(start_all())}
    assert time.monotonic() - started < 20  # in parallel, the hung one bounded by its limit
    assert statuses["good"].ok
    crash = statuses["crashes"].line()
    assert "stopped while starting" in crash and "cannot open the database /nonexistent/db" in crash
    hang = statuses["hangs"].line()
    assert f"did not answer within {HANG_LIMIT:g} s" in hang and "waiting for ever" in hang
    assert "'no-such-mcp-server-here' was not found" in statuses["missing"].line()
    for status in statuses.values():
        assert "\n" not in status.line() and "Traceback" not in status.line()
    # the good one still answers
    assert asyncio.run(host.call("good", "echo", {"text": "still here"}, 10)).content == "still here"


def test_junk_on_stdout_is_noted_and_the_server_still_works(host: McpHost) -> None:
    [status] = asyncio.run(host.servers((stdio_server("chatty", "--banner"),), no_secrets, 30))
    assert status.ok, status.problem
    assert "this line is not MCP" in status.line()
    assert asyncio.run(host.call("chatty", "echo", {"text": "ok"}, 10)).content == "ok"


def test_a_call_that_takes_too_long_is_an_error_result(host: McpHost) -> None:
    async def go() -> None:
        await host.servers((stdio_server("slow"),), no_secrets, 30)
        outcome = await host.call("slow", "slow", {"seconds": 30}, 1)
        assert outcome.is_error and "did not answer within 1 s" in outcome.content
        assert 0.9 < outcome.seconds < 5
        # the server itself goes on
        assert (await host.call("slow", "echo", {"text": "after"}, 10)).content == "after"

    asyncio.run(go())


def test_a_call_is_cancelled_from_the_callers_loop(host: McpHost) -> None:
    async def go() -> float:
        await host.servers((stdio_server("slow"),), no_secrets, 30)
        task = asyncio.ensure_future(host.call("slow", "slow", {"seconds": 30}, 60))
        await asyncio.sleep(0.5)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return time.monotonic() - started

    assert asyncio.run(go()) < 1.0


def test_close_stops_every_server(host: McpHost) -> None:
    asyncio.run(host.servers((stdio_server("a"), stdio_server("b")), no_secrets, 30))
    assert set(host.running) == {"a", "b"}
    host.close()
    assert host.running == ()


def test_streamable_http_server(host: McpHost, http_server_url: str) -> None:
    config = McpServerConfig.from_dict({"name": "remote", "url": http_server_url, "bearer": True})
    tokens = {("remote", BEARER): "tok"}

    async def go() -> None:
        [status] = await host.servers((config,), lambda s, k: tokens.get((s, k)), 30)
        assert status.ok, status.problem
        assert "echo" in {t.name for t in status.tools}
        assert (await host.call("remote", "add", {"a": 1, "b": 1}, 10)).content == "2"

    asyncio.run(go())


def test_an_http_server_that_is_not_there(host: McpHost) -> None:
    config = McpServerConfig.from_dict({"name": "gone", "url": "http://127.0.0.1:9/mcp"})
    [status] = asyncio.run(host.servers((config,), no_secrets, 10))
    assert not status.ok and "gone" in status.line() and "\n" not in status.line()
