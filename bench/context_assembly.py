"""How long planning the next request takes on a 100,000-message chat, per strategy.

Builds (once, reused afterwards) bench/out/context_assembly/ holding one chat of
100,000 messages (a minute apart, a two-hour pause every 40), 40 facts and a
summary, then times ``plan_context`` for every strategy: the first (cold) run
after opening the database, and the median of 30 warm runs, as the GUI would
see them while the user types. Prints a markdown table.

    .venv/bin/python bench/context_assembly.py [--messages N] [--window TOKENS] [--runs N] [--embeddings]

``--embeddings``: every message gets a vector first, so recall searches by meaning
too (the model loaded, as in the window). Embedding 100,000 messages for real
takes ~40 minutes on two cores; the vectors of 2,000 of them are made for real
and the others get copies, in turn: what is timed (reading and scoring 100,000
vectors, fusing the lists) does not depend on their values.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sqlite3
import statistics
import time
from datetime import timedelta
from pathlib import Path

from desktop_chat.core.memory.history import stored_token_count
from desktop_chat.core.memory.planner import plan_context
from desktop_chat.core.models import Strategy
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.db import to_db_time, utcnow
from desktop_chat.core.storage.store import Store
from desktop_chat.core.tokens import TokenCounter

OUT = Path(__file__).parent / "out" / "context_assembly"
MODEL = "local-model"  # unknown tokenizer: o200k_base counts, the database's own
WORDS = [
    "the",
    "a",
    "we",
    "you",
    "it",
    "plan",
    "trip",
    "budget",
    "code",
    "python",
    "lisbon",
    "dog",
    "cat",
    "garden",
    "meeting",
    "tuesday",
    "deadline",
    "invoice",
    "report",
    "server",
    "database",
    "query",
    "index",
    "token",
    "model",
    "context",
    "memory",
    "summary",
    "fact",
    "window",
    "recall",
    "search",
    "coffee",
    "tea",
    "piano",
    "guitar",
    "book",
    "film",
    "weather",
    "rain",
    "sun",
    "holiday",
    "flight",
    "hotel",
    "train",
    "ticket",
    "price",
    "euro",
    "project",
    "release",
    "bug",
    "fix",
    "test",
    "deploy",
    "review",
    "branch",
    "merge",
    "commit",
    "function",
    "class",
    "method",
    "variable",
]


def build(folder: Path, messages: int) -> int:
    """The chat's id; the database is built once per message count and reused."""
    store = Store.open(folder)
    try:
        existing = store.sessions.list_by_activity(include_archived=True)
        if existing and existing[0].message_count == messages and existing[0].title == TITLE:
            return existing[0].id
        if existing:  # an older build of the benchmark chat: start again
            store.close()
            for path in folder.iterdir():
                path.unlink()
            store = Store.open(folder)
        rng = random.Random(7)
        session = store.sessions.create(TITLE, system_prompt="You are a helpful assistant.")
        # A message a minute, with a two-hour pause every 40 messages: recall's episodes have edges.
        start = utcnow() - timedelta(minutes=messages * 4)
        started = time.perf_counter()
        rows = []
        for i in range(messages):
            role = "user" if i % 2 == 0 else "assistant"
            length = rng.randint(5, 25) if role == "user" else rng.randint(20, 120)
            text = " ".join(rng.choice(WORDS) for _ in range(length))
            if i == 1234:
                text = "By the way, my tortoise is called Humphrey and he loves dandelions."
            if i % 250 == 7:  # 400 messages that a "some words" draft finds: recall has real work to do
                text += " The rooftop pool at the hotel was closed again."
            at = to_db_time(start + timedelta(minutes=i, hours=2 * (i // 40)))
            rows.append((session.id, role, text, at, stored_token_count(role, text)))
        # A bulk load of this size is the benchmark's business, not the app's: its own connection.
        assert store.db.path is not None
        with contextlib.closing(sqlite3.connect(store.db.path)) as raw, raw:
            raw.executemany(
                "INSERT INTO messages(session_id, role, content, created_at, token_count) VALUES (?, ?, ?, ?, ?)",
                rows,
            )
        last = store.messages.last_id(session.id)
        assert last is not None
        for i in range(40):
            store.facts.add(f"fact {i}", f"value number {i} about {rng.choice(WORDS)}", pinned=i < 3)
        store.summaries.save(
            session.id,
            "The user plans a trip to Lisbon in May with a budget of 2,000 euros. " * 6,
            covers_through=last - 40,
            token_count=0,
            model=None,
        )
        print(f"built {messages:,} messages in {time.perf_counter() - started:.1f} s (counts cached at insert)")
        return session.id
    finally:
        store.close()


TITLE = "Benchmark chat (dated, v2)"
RARE = "What is my tortoise called, and what does he eat?"
# Its words are in 400 messages spread over the chat: 40 hits, each with its neighbours and episode.
SOME = "Was the rooftop pool open?"
# Every word of this one is in thousands of messages: BM25 has to rank them all.
COMMON = "What did we say about the trip budget, the hotel price and the flight?"


def time_strategy(
    folder: Path, session_id: int, strategy: Strategy, *, window: int, runs: int, draft: str
) -> tuple[float, float, int]:
    store = Store.open(folder)
    try:
        # No request cap: the window column is what is planned (the default cap of 16,000 would plan 16k at 128k).
        config = Settings(max_request_tokens=None)

        def once() -> float:
            started = time.perf_counter()
            plan = plan_context(
                store,
                session_id,
                settings=config,
                model=MODEL,
                context_window=window,
                strategy=strategy,
                draft=draft,
            )
            elapsed = (time.perf_counter() - started) * 1000
            assert plan.total_tokens <= plan.budget
            return elapsed

        cold = once()
        warm = statistics.median(once() for _ in range(runs))
        plan = plan_context(
            store, session_id, settings=config, model=MODEL, context_window=window, strategy=strategy, draft=draft
        )
        sent = sum(len(p.message_ids) for p in plan.parts)
        return cold, warm, sent
    finally:
        store.close()


def add_vectors(folder: Path, made: int = 2_000) -> None:
    """A vector for every message without one: ``made`` of them real, the rest copies (see the docstring)."""
    from desktop_chat.core.semantic.index import encode
    from desktop_chat.core.semantic.model import MODEL_NAME, shared_embedder

    store = Store.open(folder)
    try:
        pending = store.embeddings.pending(MODEL_NAME, after_id=0, limit=10_000_000)
        if not pending:
            return
        started = time.perf_counter()
        vectors = shared_embedder().embed([text for _, text in pending[:made]])
        blobs = [encode(v) for v in vectors]
        rows = [(i, text, blobs[n % len(blobs)]) for n, (i, text) in enumerate(pending)]
        for start in range(0, len(rows), 10_000):
            store.embeddings.put(MODEL_NAME, rows[start : start + 10_000])
        print(f"vectors for {len(rows):,} messages ({len(blobs):,} made) in {time.perf_counter() - started:.0f} s")
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--window", type=int, action="append", help="context window(s) to plan for")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--embeddings", action="store_true", help="recall by meaning too (see the docstring)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    folder = OUT / f"m{args.messages}"
    session_id = build(folder, args.messages)
    if args.embeddings:
        from desktop_chat.core.semantic.model import shared_embedder

        add_vectors(folder)
        shared_embedder()
    started = time.perf_counter()
    TokenCounter.for_model(MODEL).count_text("warm up")
    print(
        f"loading the encoding: {(time.perf_counter() - started) * 1000:.0f} ms (once per process, not counted below)"
    )
    print()
    meaning = "words and meaning" if args.embeddings else "words only"
    print(f"{args.messages:,} messages, model {MODEL!r}, recall by {meaning}, median of {args.runs} warm runs")
    print()
    print("| strategy | context window | draft | cold (ms) | warm median (ms) | messages sent |")
    print("| --- | ---: | --- | ---: | ---: | ---: |")
    for window in args.window or [8192, 128_000]:
        for strategy in Strategy:
            drafts = [("rare words", RARE), ("common words", COMMON), ("400 hits", SOME)]
            for label, draft in drafts if strategy in {Strategy.RECALL, Strategy.HYBRID} else drafts[:1]:
                cold, warm, sent = time_strategy(
                    folder, session_id, strategy, window=window, runs=args.runs, draft=draft
                )
                print(f"| {strategy.value} | {window:,} | {label} | {cold:.1f} | {warm:.2f} | {sent:,} |")


if __name__ == "__main__":
    main()
