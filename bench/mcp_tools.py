"""Tools (issue 24): a tool round trip's overhead against a plain reply, a stdio server's start time, and the
event loop's longest stall while a call runs.

    .venv/bin/python -m bench.mcp_tools [--runs 15]

Against the project's fake OpenAI server (tests/helpers/fake_openai.py, on 127.0.0.1, through the real openai
SDK) and the test MCP server built with the SDK (tests/helpers/mcp_server.py, run with this venv's python):

- plain: ``workspace.send`` of a reply with no tool offered (tools_mode off);
- tool: the same reply, but the model calls ``echo`` once (policy always) and answers after the result:
  two requests, one MCP call, the parts saved. The difference is what a tool round trip costs the app
  (the fake server answers at once, so the figure is the app's, not a model's);
- start: a fresh ``McpHost`` starting the stdio server and listing its tools (a new Python process that
  imports the SDK: most of it is the server's own start);
- stall: the longest gap of a 10 ms ticker on the reply's loop during the tool replies (aim < 50 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from desktop_chat.core.storage.store import Store
from desktop_chat.core.tools import McpHost
from desktop_chat.core.workspace import Workspace
from tests.helpers.controller import make_factory, settings_for
from tests.helpers.db_lock import StallMeter
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.mcp_servers import stdio_server


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def _replies(server: FakeOpenAIServer, folder: Path, runs: int) -> tuple[list[float], list[float], float]:
    store = Store.open(folder)
    settings = settings_for(server)
    store.settings.set("profiles", list(settings.profiles))
    store.settings.set("active_profile", settings.active_profile)
    store.settings.set("default_strategy", "window")
    workspace = Workspace(store, make_factory())
    await workspace.tools.add(stdio_server("calc"))
    workspace.tools.set_policy("calc", "echo", "always")
    plain: list[float] = []
    tooled: list[float] = []
    worst = 0.0
    try:
        for run in range(runs + 2):  # two warm-up rounds: encodings, the server's start, the SDK's imports
            for mode in ("off", "auto"):
                workspace.tools.set_mode(mode)
                sid = workspace.new_session(title="bench").id
                if mode == "auto":
                    server.reply("", tool_calls=[("c1", "calc__echo", ['{"text": "ping"}'])])
                server.reply("Done.")
                meter = StallMeter().start()
                started = time.perf_counter()
                async for _ in workspace.send(sid, "go"):
                    pass
                elapsed = time.perf_counter() - started
                stall = await meter.stop()
                if run >= 2:
                    (plain if mode == "off" else tooled).append(elapsed)
                    if mode == "auto":
                        worst = max(worst, stall)
    finally:
        await workspace.aclose()
        store.close()
    return plain, tooled, worst


async def _starts(runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        host = McpHost()
        try:
            started = time.perf_counter()
            [status] = await host.servers((stdio_server("calc"),), lambda s, k: None, 60)
            samples.append(time.perf_counter() - started)
            assert status.ok, status.problem
        finally:
            await host.aclose()
    return samples


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    with FakeOpenAIServer() as server, tempfile.TemporaryDirectory() as folder:
        plain, tooled, worst = asyncio.run(_replies(server, Path(folder), args.runs))
    starts = asyncio.run(_starts(max(3, args.runs // 3)))
    overhead = _median_ms(tooled) - _median_ms(plain)
    print(f"python {sys.version.split()[0]}, {args.runs} runs each")
    print("| figure | median (ms) |")
    print("| --- | ---: |")
    print(f"| plain reply (no tools) | {_median_ms(plain):.1f} |")
    print(f"| reply with one tool call (2 requests + 1 MCP call) | {_median_ms(tooled):.1f} |")
    print(f"| a tool round trip's overhead | {overhead:.1f} |")
    print(f"| stdio server start + list tools ({len(starts)} runs) | {_median_ms(starts):.0f} |")
    print(f"| longest event-loop stall during the tool replies | {worst * 1000:.1f} |")


if __name__ == "__main__":
    main()
