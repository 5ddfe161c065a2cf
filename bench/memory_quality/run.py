"""Evidence recall of every memory strategy at several budgets, on the generated conversation.

For each question (asked as the draft at the end of the main chat), a strategy
scores when the plan holds an evidence message verbatim (window or recalled)
or states the answer in a facts or summary part. Facts and summary exist only
after the upkeep jobs ran with a real model: pass --base-url and --model (an
OpenAI-compatible server, e.g. a local llama.cpp) and they run once, on a copy
of the imported chats kept under bench/out/memory_quality/. Without them,
facts/summary/hybrid are reported as "no upkeep" (hybrid still recalls).

    .venv/bin/python bench/memory_quality/run.py [--base-url URL --model M] [--budgets 2000 4000 ...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

# Python puts this script's folder first on sys.path: generate.py is importable as is.
from generate import OUT, generate  # type: ignore[import-not-found]

from desktop_chat.core.importers.writer import import_json
from desktop_chat.core.memory.planner import plan_context
from desktop_chat.core.models import ContextPlan, PartKind, Strategy
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.store import Store

PLAN_MODEL = "local-model"  # o200k_base counts, as for any local model
MAX_UPKEEP_PASSES = 2000
MAX_STALLED_PASSES = 4  # a failed message is retried 3 times before it is skipped
# Small summary chunks keep each request short enough for a small local model's
# context and for the read timeout on a busy 2-core machine.
UPKEEP_CHUNK_TOKENS = 2000
NEEDS_UPKEEP = {Strategy.SUMMARY, Strategy.FACTS, Strategy.HYBRID}


def load_store(folder: Path, conversation: dict[str, Any], *, fresh: bool) -> tuple[Store, dict[str, int]]:
    """The imported chats (reused when present) and a map bench_id -> message id."""
    if fresh and folder.exists():
        shutil.rmtree(folder)
    store = Store.open(folder)
    if not store.sessions.list_by_activity(include_archived=True):
        import_json(store, conversation)
    ids: dict[str, int] = {}
    for session in store.sessions.list_by_activity(include_archived=True):
        for message in store.messages.all(session.id, include_inactive=True):
            if message.meta and message.meta.get("bench_id"):
                ids[message.meta["bench_id"]] = message.id
    return store, ids


async def run_upkeep_everywhere(store: Store, base_url: str, model: str, settings: Settings) -> None:
    from desktop_chat.core.memory.upkeep import run_upkeep, upkeep_status
    from desktop_chat.core.providers import OpenAIChatClient

    client = OpenAIChatClient(base_url, os.environ.get("OPENAI_API_KEY"), read_timeout=600)
    for session in store.sessions.list_by_activity(include_archived=True):
        # A job stops at a message the model answered badly and retries it next run
        # (skipping it after a few attempts), as the app's background upkeep would
        # over many replies; so run until every job has caught up.
        failures = 0
        stalled = 0
        for _ in range(MAX_UPKEEP_PASSES):
            before = {job: state.through_id for job, state in upkeep_status(store, session.id).items()}
            report = await run_upkeep(
                store, client, session.id, model=model, settings=settings, chunk_tokens=UPKEEP_CHUNK_TOKENS
            )
            if report.ok:
                break
            failures += 1
            after = {job: state.through_id for job, state in upkeep_status(store, session.id).items()}
            stalled = stalled + 1 if after == before else 0
            if stalled >= MAX_STALLED_PASSES:
                break  # the server keeps failing at the same place (e.g. timeouts): report what we have
        for result in report.results.values():
            print(
                f"  upkeep chat {session.id} {result.job}: {result.status} {result.detail}"
                f" (after {failures} failed pass(es))",
                file=sys.stderr,
            )


def evidence_in(plan: ContextPlan, evidence_ids: set[int], answer: str) -> bool:
    for part in plan.parts:
        if part.kind in {PartKind.RECENT, PartKind.RECALLED} and evidence_ids & set(part.message_ids):
            return True
        if part.kind in {PartKind.FACTS, PartKind.PINNED_FACTS, PartKind.SUMMARY} and any(
            answer.lower() in m.content.lower() for m in part.messages
        ):
            return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", help="OpenAI-compatible server for the upkeep jobs (summary, facts)")
    parser.add_argument("--model", help="the upkeep model on that server")
    parser.add_argument("--budgets", type=int, nargs="+", default=[2000, 4000, 8000, 16000])
    parser.add_argument("--seed", type=int, default=20261102)
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--fresh", action="store_true", help="re-import (and re-run upkeep) from scratch")
    parser.add_argument("--this-chat-only", action="store_true", help="recall searches the main chat only")
    parser.add_argument("--words-only", action="store_true", help="no embeddings: recall by words alone")
    args = parser.parse_args()

    conversation, questions = generate(args.seed, args.messages)
    settings = Settings(recall_all_sessions=not args.this_chat_only)
    label = f"upkeep-{args.model}".replace("/", "_") if args.model else "no-upkeep"
    store, ids = load_store(OUT / f"store-{args.seed}-{args.messages}-{label}", conversation, fresh=args.fresh)
    try:
        main_chat = max(s.id for s in store.sessions.list_by_activity(include_archived=True))
        if not args.words_only:  # as the window's background indexing would have done by now
            from desktop_chat.core.semantic.indexer import index_store
            from desktop_chat.core.semantic.model import shared_embedder

            shared_embedder()
            index_store(store)
        upkeep = bool(args.base_url and args.model)
        if upkeep and not store.summaries.get(main_chat):
            print(f"running upkeep with {args.model} at {args.base_url} ...", file=sys.stderr)
            asyncio.run(run_upkeep_everywhere(store, args.base_url, args.model, settings))
        print(
            f"{len(questions)} questions, main chat of {args.messages} messages, recall across chats: "
            f"{settings.recall_all_sessions}, upkeep: {args.model or 'not run'}, "
            f"recall by {'words only' if args.words_only else 'words and meaning'}"
        )
        print()
        print("| strategy | " + " | ".join(f"{b:,}" for b in args.budgets) + " |")
        print("| --- |" + " ---: |" * len(args.budgets))
        misses: dict[str, list[str]] = {}
        for strategy in Strategy:
            cells = []
            for budget in args.budgets:
                hits = 0
                for q in questions:
                    plan = plan_context(
                        store,
                        main_chat,
                        settings=settings,
                        model=PLAN_MODEL,
                        strategy=strategy,
                        budget=budget,
                        draft=q["question"],
                    )
                    if evidence_in(plan, {ids[e] for e in q["evidence"]}, q["answer"]):
                        hits += 1
                    else:
                        misses.setdefault(f"{strategy.value}@{budget}", []).append(q["id"])
                cells.append(f"{hits / len(questions):.0%}")
            note = " (no upkeep)" if strategy in NEEDS_UPKEEP and not upkeep else ""
            print(f"| {strategy.value}{note} | " + " | ".join(cells) + " |")
        print()
        print("missed:", json.dumps(misses))
    finally:
        store.close()


if __name__ == "__main__":
    main()
