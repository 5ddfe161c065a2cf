"""Evidence recall of every strategy at 2k/4k/8k/16k, per question type, on the generated chats.

Builds the chats of ``bench/recall_generate.py`` into a fresh database (each
turn a message "Name: text" with its real time and ``meta.session``; the first
speaker is the user), asks each question as the draft at the end of its chat,
and counts a question as answered when the plan holds *every* evidence turn
(in the window or recalled). No LLM anywhere: no facts, no summary.

    .venv/bin/python bench/recall_eval.py [--budgets 2000 4000 8000 16000] [--strategies recall hybrid]
        [--options '{"recall_neighbours": 2}'] [--types]

Prints markdown tables. Runs against whatever ``desktop_chat`` is importable
(PYTHONPATH), so the same script measures main and a branch.
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
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.store import Store

MODEL = "local-model"  # o200k_base counts, as for any local model


def build(store: Store, data: dict[str, Any]) -> list[list[int]]:
    """One session per chat; returns, per chat, the message id of each turn."""
    ids: list[list[int]] = []
    for n, chat in enumerate(data["chats"]):
        first = chat["speakers"][0]
        session = store.sessions.create(f"{' and '.join(chat['speakers'])} ({n})")
        chat_ids = []
        with store.db.transaction():
            for turn in chat["turns"]:
                role = Role.USER if turn["speaker"] == first else Role.ASSISTANT
                content = f"{turn['speaker']}: {turn['text']}"
                message = store.messages.append(
                    session.id,
                    role,
                    content,
                    created_at=datetime.fromisoformat(turn["at"]),
                    token_count=stored_token_count(role, content),
                    meta={"session": turn["session"]},
                )
                chat_ids.append(message.id)
        ids.append(chat_ids)
    return ids


def answered(plan: Any, evidence: set[int]) -> bool:
    held: set[int] = set()
    for part in plan.parts:
        if part.kind in (PartKind.RECALLED, PartKind.RECENT):
            held.update(part.message_ids)
    return evidence <= held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", type=int, nargs="+", default=[2000, 4000, 8000, 16000])
    parser.add_argument("--strategies", nargs="+", default=[s.value for s in Strategy])
    parser.add_argument("--options", default="{}", help="strategy options (JSON) applied to every plan")
    parser.add_argument("--types", action="store_true", help="also print recall per question type")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    data = generate(seed=args.seed)
    options = json.loads(args.options)
    questions = data["questions"]
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder))
        ids = build(store, data)
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
    print(
        f"{len(questions)} questions, {len(turns)} chats of {min(turns)}-{max(turns)} turns; "
        f"options {options or 'default'}; plan mean {sum(timings) / len(timings):.1f} ms,"
        f" p95 {sorted(timings)[int(len(timings) * 0.95)]:.1f} ms, max {max(timings):.1f} ms\n"
    )
    head = "| strategy | " + " | ".join(f"{b:,}" for b in args.budgets) + " |"
    print(head)
    print("| --- |" + " ---: |" * len(args.budgets))
    for strategy in args.strategies:
        cells = []
        for budget in args.budgets:
            flat = [x for xs in results[(strategy, budget)].values() for x in xs]
            cells.append(f"{sum(flat) / len(flat):.0%}")
        print(f"| {strategy} | " + " | ".join(cells) + " |")
    if args.types:
        kinds = sorted({q["type"] for q in questions})
        for strategy in args.strategies:
            print(f"\n{strategy}, per question type:\n")
            print("| type | questions | " + " | ".join(f"{b:,}" for b in args.budgets) + " |")
            print("| --- | ---: |" + " ---: |" * len(args.budgets))
            for kind in kinds:
                cells = [
                    f"{sum(results[(strategy, b)][kind]) / len(results[(strategy, b)][kind]):.0%}" for b in args.budgets
                ]
                count = len(results[(strategy, args.budgets[0])][kind])
                print(f"| {kind} | {count} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
