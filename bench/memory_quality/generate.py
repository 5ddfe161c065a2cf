"""Write a long, deterministic multi-session conversation with planted facts, and the questions about them.

Facts are stated once early, some updated later (the question asks for the new
value), some only mentioned in passing inside a longer message, one in another
chat. Every message carries ``meta.bench_id`` ("s1-m42"), which survives
``desktop-chat import``, so the questions can name their evidence.

    .venv/bin/python bench/memory_quality/generate.py [--out DIR] [--seed N] [--messages N]

Writes DIR/conversation.json (the import shape) and DIR/questions.json.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "out" / "memory_quality"


@dataclass(frozen=True)
class Plant:
    key: str
    kind: str  # "stated", "updated", "passing", "other-chat"
    first: str  # what the user says first
    at: float  # where in the chat (0..1)
    question: str
    answer: str
    update: str | None = None  # a later message that changes the value
    update_at: float = 0.0


PLANTS = [
    Plant("name", "stated", "Hi! I'm Priya, by the way.", 0.01, "What's my name?", "Priya"),
    Plant(
        "pet",
        "stated",
        "My tortoise is called Humphrey and he is 31 years old.",
        0.05,
        "What is my tortoise called?",
        "Humphrey",
    ),
    Plant(
        "city",
        "updated",
        "I live in Lisbon, near the river.",
        0.04,
        "Which city do I live in now?",
        "Porto",
        update="Big news: I just moved from Lisbon to Porto last week.",
        update_at=0.7,
    ),
    Plant(
        "job",
        "updated",
        "I work as a nurse on night shifts.",
        0.08,
        "What do I do for a living now?",
        "carpenter",
        update="I finally quit nursing; I work as a carpenter now.",
        update_at=0.6,
    ),
    Plant(
        "deadline",
        "updated",
        "The garden shed project is due on 3 June.",
        0.2,
        "When is the garden shed project due?",
        "20 June",
        update="Update on the shed: the deadline moved to 20 June.",
        update_at=0.8,
    ),
    Plant("birthday", "stated", "My birthday is on 14 March.", 0.12, "When is my birthday?", "14 March"),
    Plant("flat", "stated", "My flat number is 42B, in case you need it.", 0.15, "What's my flat number?", "42B"),
    Plant(
        "language",
        "stated",
        "I've started learning Japanese in the evenings.",
        0.3,
        "Which language am I learning?",
        "Japanese",
    ),
    Plant(
        "allergy",
        "passing",
        "Can you suggest a dinner for Saturday? Something with vegetables, nothing too spicy, and no satay "
        "since I'm allergic to peanuts. Ideally under an hour of cooking.",
        0.35,
        "What am I allergic to?",
        "peanuts",
    ),
    Plant(
        "sister",
        "passing",
        "This weekend is busy: my sister Maya is visiting, the plumber comes on Friday and I still have to "
        "finish the quarterly report.",
        0.45,
        "What is my sister's name?",
        "Maya",
    ),
    Plant(
        "car",
        "passing",
        "Yesterday I drove my old blue Volvo to the coast, and the traffic on the way back was terrible.",
        0.55,
        "What colour is my car?",
        "blue",
    ),
    Plant(
        "book",
        "other-chat",
        "My favourite book is Dune; I reread it every winter.",
        0.3,
        "What's my favourite book?",
        "Dune",
    ),
]

TOPICS = [
    "the weather",
    "a recipe for lentil soup",
    "how to sort a list in Python",
    "a film I watched",
    "planning a weekly budget",
    "the football results",
    "a podcast about history",
    "learning to draw",
    "a problem with my laptop",
    "stretching exercises",
    "houseplants",
    "a board game night",
    "the news about trains",
    "writing a cover letter",
    "a trip to the mountains",
    "coffee brewing",
]
USER_TEMPLATES = [
    "Can you tell me something about {t}?",
    "I was thinking about {t} today. Any advice?",
    "What's a good way to get started with {t}?",
    "Quick question on {t}: what do people usually get wrong?",
    "Let's talk about {t} for a bit.",
]
ASSISTANT_TEMPLATES = [
    "Sure. When it comes to {t}, a good start is to keep things simple and build from there. "
    "Many people find that a small routine works better than a big plan.",
    "Happy to help with {t}. The main things to consider are time, cost and what you enjoy; "
    "try one small step this week and see how it goes.",
    "Good question about {t}. A common mistake is doing too much at once; pick one thing, "
    "practise it, then add the next.",
]


def _message(session: int, index: int, role: str, content: str, when: datetime) -> dict[str, Any]:
    return {
        "role": role,
        "content": content,
        "created_at": when.isoformat(),
        "meta": {"bench_id": f"s{session}-m{index}"},
    }


def _chat(
    rng: random.Random, session: int, length: int, plants: list[tuple[int, str]], start: datetime
) -> list[dict[str, Any]]:
    """``length`` messages alternating user/assistant; ``plants`` put user text at given indices."""
    planted = dict(plants)
    messages = []
    when = start
    for index in range(length):
        when += timedelta(minutes=rng.randint(1, 90))
        topic = rng.choice(TOPICS)
        if index % 2 == 0:
            content = planted.get(index) or rng.choice(USER_TEMPLATES).format(t=topic)
            messages.append(_message(session, index, "user", content, when))
        else:
            reply = "Noted, thanks for telling me." if index - 1 in planted else None
            content = reply or rng.choice(ASSISTANT_TEMPLATES).format(t=topic)
            messages.append(_message(session, index, "assistant", content, when))
    return messages


def _slot(fraction: float, length: int, taken: set[int]) -> int:
    index = int(fraction * length) // 2 * 2  # a user turn
    while index in taken:
        index += 2
    taken.add(index)
    return index


def generate(seed: int, length: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rng = random.Random(seed)
    main_plants: list[tuple[int, str]] = []
    other_plants: list[tuple[int, str]] = []
    taken_main: set[int] = set()
    taken_other: set[int] = set()
    questions = []
    other_length = 80
    for plant in PLANTS:
        if plant.kind == "other-chat":
            index = _slot(plant.at, other_length, taken_other)
            other_plants.append((index, plant.first))
            evidence = [f"s1-m{index}"]
        else:
            index = _slot(plant.at, length, taken_main)
            main_plants.append((index, plant.first))
            evidence = [f"s2-m{index}"]
            if plant.update:
                update_index = _slot(plant.update_at, length, taken_main)
                main_plants.append((update_index, plant.update))
                evidence = [f"s2-m{update_index}"]
        questions.append(
            {
                "id": plant.key,
                "kind": plant.kind,
                "question": plant.question,
                "answer": plant.answer,
                "evidence": evidence,
            }
        )
    start = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
    document = {
        "sessions": [
            {"title": "An older chat", "messages": _chat(rng, 1, other_length, other_plants, start)},
            {
                "title": "Everyday chat",
                "messages": _chat(rng, 2, length, main_plants, start + timedelta(days=20)),
            },
        ]
    }
    return document, questions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--seed", type=int, default=20261102)
    parser.add_argument("--messages", type=int, default=600, help="length of the main chat")
    args = parser.parse_args()
    document, questions = generate(args.seed, args.messages)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "conversation.json").write_text(json.dumps(document, indent=1, ensure_ascii=False), encoding="utf-8")
    (args.out / "questions.json").write_text(json.dumps(questions, indent=1, ensure_ascii=False), encoding="utf-8")
    total = sum(len(s["messages"]) for s in document["sessions"])
    print(f"wrote {total} messages in {len(document['sessions'])} chats and {len(questions)} questions to {args.out}")


if __name__ == "__main__":
    main()
