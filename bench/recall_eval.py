"""Evidence recall of every strategy at 2k/4k/8k/16k, per question type, on the generated chats.

Builds the chats of ``bench/recall_generate.py`` into a fresh database (each
turn a message "Name: text" with its real time and ``meta.session``; the first
speaker is the user), brings derived indexes up to date (``prepare``), asks
each question as the draft at the end of its chat, and counts a question as
held when the plan holds *every* evidence turn (in the window or recalled).
No LLM anywhere: no facts, no summary.

    .venv/bin/python bench/recall_eval.py [--split dev|heldout|both|easy] [--budgets 2000 4000 8000 16000]
        [--strategies recall hybrid] [--options '{"recall_neighbours": 2}'] [--types]

``--split both`` (the default) runs ``dev`` and ``heldout``, the harder set,
and always prints per question type; tune on ``dev`` only. ``easy`` is the
first, easier set (per type with ``--types``). Prints markdown tables. Runs
against whatever ``desktop_chat`` is importable (PYTHONPATH), so the same
script measures main and a branch.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from recall_generate import generate  # type: ignore[import-not-found]

from desktop_chat.core.memory.history import stored_token_count
from desktop_chat.core.memory.planner import plan_context
from desktop_chat.core.models import PartKind, Role, Strategy
from desktop_chat.core.semantic.indexer import index_store
from desktop_chat.core.semantic.model import shared_embedder
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.store import Store

MODEL = "local-model"  # o200k_base counts, as for any local model
WORDS_ONLY = "--words-only" in sys.argv  # prepare() reads it; argparse only documents it
TYPES = ("single-hop", "temporal", "multi-hop", "open-domain")  # the harder set's, in the held-out's order


def build(store: Store, data: dict[str, Any]) -> tuple[list[list[int]], list[int]]:
    """One session per chat; returns, per chat, the message id of each turn, and per chat its tokens."""
    ids: list[list[int]] = []
    tokens: list[int] = []
    for n, chat in enumerate(data["chats"]):
        first = chat["speakers"][0]
        session = store.sessions.create(f"{' and '.join(chat['speakers'])} ({n})")
        chat_ids = []
        total = 0
        with store.db.transaction():
            for turn in chat["turns"]:
                role = Role.USER if turn["speaker"] == first else Role.ASSISTANT
                content = f"{turn['speaker']}: {turn['text']}"
                count = stored_token_count(role, content)
                total += count
                message = store.messages.append(
                    session.id,
                    role,
                    content,
                    created_at=datetime.fromisoformat(turn["at"]),
                    token_count=count,
                    meta={"session": turn["session"]},
                )
                chat_ids.append(message.id)
        ids.append(chat_ids)
        tokens.append(total)
    return ids, tokens


def prepare(store: Store) -> float:
    """Bring the store's derived indexes (such as the embeddings of semantic recall) up to date; seconds taken.

    Called once per split, after its chats are built and before any plan, the
    way the window's background indexing (or the command line before it plans)
    would have caught up by the time the user asks: every message gets its
    vector, and the model is loaded for the questions' own vectors.
    ``--words-only`` skips it, to measure recall without meaning.
    """
    start = time.perf_counter()
    if not WORDS_ONLY:
        shared_embedder()
        index_store(store)
    return time.perf_counter() - start


def answered(plan: Any, evidence: set[int]) -> bool:
    held: set[int] = set()
    for part in plan.parts:
        if part.kind in (PartKind.RECALLED, PartKind.RECENT):
            held.update(part.message_ids)
    return evidence <= held


def run_split(split: str, args: argparse.Namespace, options: dict[str, Any]) -> None:
    data = generate(split=split, seed=args.seed)
    questions = data["questions"]
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder))
        ids, tokens = build(store, data)
        prepared = prepare(store)
        sessions = [s.id for s in sorted(store.sessions.list_by_activity(include_archived=True), key=lambda s: s.id)]
        settings = Settings()
        results: dict[tuple[str, int], dict[str, list[bool]]] = {}
        timings: list[float] = []
        for strategy in args.strategies:
            for budget in args.budgets:
                by_type: dict[str, list[bool]] = defaultdict(list)
                for q in questions:
                    evidence = {ids[q["chat"]][i] for i in q["evidence"]}
                    start = time.perf_counter()
                    plan = plan_context(
                        store,
                        sessions[q["chat"]],
                        settings=settings,
                        model=MODEL,
                        strategy=Strategy(strategy),
                        budget=budget,
                        draft=q["question"],
                        options=options,
                    )
                    timings.append((time.perf_counter() - start) * 1000)
                    by_type[q["type"]].append(answered(plan, evidence))
                results[(strategy, budget)] = by_type
        store.close()
    turns = [len(c["turns"]) for c in data["chats"]]
    words = [len(t["text"].split()) for c in data["chats"] for t in c["turns"]]
    kinds = [k for k in TYPES if any(q["type"] == k for q in questions)] or sorted({q["type"] for q in questions})
    counts = ", ".join(f"{k} {sum(q['type'] == k for q in questions)}" for k in kinds)
    print(
        f"## {split}: {len(questions)} questions ({counts}); {len(turns)} chats of {min(turns)}-{max(turns)} turns"
        f" (mean {sum(turns) / len(turns):.0f} turns, {sum(tokens) / len(tokens):,.0f} tokens,"
        f" {sum(words) / len(words):.0f} words a turn);"
        f" options {options or 'default'}; prepare {prepared:.2f} s;"
        f" plan mean {sum(timings) / len(timings):.1f} ms, p95 {sorted(timings)[int(len(timings) * 0.95)]:.1f} ms,"
        f" max {max(timings):.1f} ms\n"
    )

    def cell(strategy: str, budget: int, kind: str | None) -> str:
        by_type = results[(strategy, budget)]
        held = [x for k, xs in by_type.items() if kind in (None, k) for x in xs]
        return f"{sum(held) / len(held):.2f}"

    print("| strategy | " + " | ".join(f"{b:,}" for b in args.budgets) + " |")
    print("| --- |" + " ---: |" * len(args.budgets))
    for strategy in args.strategies:
        print(f"| {strategy} | " + " | ".join(cell(strategy, b, None) for b in args.budgets) + " |")
    if args.types or split != "easy":
        print("\n| strategy | type | questions | " + " | ".join(f"{b:,}" for b in args.budgets) + " |")
        print("| --- | --- | ---: |" + " ---: |" * len(args.budgets))
        for strategy in args.strategies:
            for kind in [*kinds, None]:
                count = sum(kind in (None, q["type"]) for q in questions)
                cells = " | ".join(cell(strategy, b, kind) for b in args.budgets)
                print(f"| {strategy} | {kind or 'all'} | {count} | {cells} |")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["dev", "heldout", "both", "easy"], default="both")
    parser.add_argument("--budgets", type=int, nargs="+", default=[2000, 4000, 8000, 16000])
    parser.add_argument("--strategies", nargs="+", default=[s.value for s in Strategy])
    parser.add_argument("--options", default="{}", help="strategy options (JSON) applied to every plan")
    parser.add_argument("--types", action="store_true", help="also print recall per question type (easy split)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--words-only", action="store_true", help="no embeddings: recall by words alone")
    args = parser.parse_args()
    options = json.loads(args.options)
    for split in ("dev", "heldout") if args.split == "both" else (args.split,):
        run_split(split, args, options)


if __name__ == "__main__":
    main()
