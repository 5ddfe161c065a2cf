"""Sending a ~200,000-token document within the budget: planning time, tokens sent, and whether the answer is in.

A generated manual (``tests/helpers/long_document.py``: seeded filler with four planted facts at 1/5 ... 4/5 of
the text) is attached to a draft in a new chat, and each question is planned with ``workspace.preview`` as the
window's composer would (no request is sent). Questions range from specific (the fact's own words, rephrased)
to vague (one of its words) and generic ("summarise this"). Against two baselines in the same run:

* **truncate**: the document's first N tokens, N = what the plan sent of it (the naive "what fits").
* **top 5**: the five best chunks by the same full-text search, no fill (a fixed-k retrieval).

Run: ``PYTHONPATH=. .venv/bin/python bench/attachment_budget.py [--tokens 200000] [--budgets 4000 16000 64000]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from desktop_chat.core.bootstrap import open_workspace
from desktop_chat.core.memory.recall_search import query_words
from desktop_chat.core.models import PartKind
from desktop_chat.core.storage.store import Store
from desktop_chat.core.tokens import TokenCounter
from tests.helpers.long_document import FACTS, manual

MODEL = "gpt-4o-mini"
WARM_RUNS = 5
# (question, the fact whose answer it needs or None for a generic one, how specific)
QUESTIONS: list[tuple[str, int | None, str]] = [
    (FACTS[0].question, 0, "specific"),
    ("Anything about a key for the boathouse?", 0, "vague"),
    (FACTS[1].question, 1, "specific"),
    ("How is the cellar monitored?", 1, "vague"),
    (FACTS[2].question, 2, "specific"),
    ("Who supplies our linen?", 2, "vague"),
    (FACTS[3].question, 3, "specific"),
    ("What do we know about fuel?", 3, "vague"),
    ("Summarise this document", None, "generic"),
    ("What is this about?", None, "generic"),
    ("Give me the main points", None, "generic"),
]


def _tenths(document: str, shown: str) -> int:
    """In how many tenths of ``document`` a paragraph of ``shown`` lies (generic questions: coverage)."""
    # Each excerpt starts with its label line ("[manual.txt, part 12 of 1,246]"): not the document's text.
    lines = [line for line in shown.splitlines() if not line.startswith("[")]
    paragraphs = [p for p in "\n".join(lines).split("\n\n") if len(p) > 80]
    places = {document.find(p[:80]) * 10 // len(document) for p in paragraphs if document.find(p[:80]) >= 0}
    return len(places)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=200_000)
    parser.add_argument("--budgets", type=int, nargs="+", default=[4_000, 16_000, 64_000])
    args = parser.parse_args()
    counter = TokenCounter.for_model(MODEL)
    text = manual(args.tokens)
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "manual.txt"
        source.write_text(text)
        workspace = open_workspace(Path(folder) / "data")
        started = time.perf_counter()
        doc = workspace.attachments.add(source)
        added = time.perf_counter() - started
        store = Store.open(Path(folder) / "data")  # the baselines' reads, on a connection of their own
        chunks = store.attachments.chunks(doc.sha256)
        sid = workspace.new_session(title="bench").id
        print(f"document: {counter.count_text(text):,} tokens, {len(text):,} characters, {len(chunks):,} chunks;")
        print(f"read, chunked and indexed by workspace.attachments.add in {added:.2f} s\n")
        print(
            "| budget | question | kind | plan ms (cold / warm) | sent / budget | answer in: plan "
            "| truncate | top 5 (tokens) |"
        )
        print("| ---: | --- | --- | ---: | ---: | :---: | :---: | :---: |")
        hits = {"plan": 0, "truncate": 0, "top5": 0}
        answerable = 0
        for budget in args.budgets:
            for question, fact, kind in QUESTIONS:
                times = []
                for _ in range(WARM_RUNS + 1):
                    t = time.perf_counter()
                    plan = workspace.preview(sid, question, attachments=[doc], budget=budget, model=MODEL)
                    times.append((time.perf_counter() - t) * 1000)
                [part] = [p for p in plan.parts if p.kind is PartKind.ATTACHMENT]
                sent = part.messages[0].content
                truncated = counter.truncate_to(text, part.tokens)
                words = " ".join(query_words(question))
                top = store.attachments.search_chunks(words, [doc.sha256], limit=5)
                top_text = "\n".join(c.text for c in top)
                top_tokens = counter.count_text(top_text)
                if fact is None:  # no answer to find: how much of the document each one shows, in tenths
                    marks = tuple(f"{_tenths(text, shown)}/10 shown" for shown in (sent, truncated, top_text))
                else:
                    answer = FACTS[fact].answer
                    found = (answer in sent, answer in truncated, answer in top_text)
                    answerable += 1
                    for key, hit in zip(hits, found, strict=True):
                        hits[key] += hit
                    marks = tuple("yes" if hit else "no" for hit in found)
                cold, warm = times[0], statistics.median(times[1:])
                print(
                    f"| {budget:,} | {question} | {kind} | {cold:.0f} / {warm:.0f} "
                    f"| {plan.total_tokens:,} / {plan.budget:,} | {marks[0]} | {marks[1]} "
                    f"| {marks[2]} ({top_tokens:,}) |"
                )
                if plan.total_tokens > plan.budget:
                    print("BUDGET EXCEEDED", file=sys.stderr)
                    return 1
        print(
            f"\nanswer in, of {answerable} answerable plans: plan {hits['plan']}, truncate {hits['truncate']}, "
            f"top 5 {hits['top5']}"
        )
        store.close()
        workspace.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
