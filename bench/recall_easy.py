"""The easy recall set (``--split easy``): the first evaluation of recall, unchanged so its figures reproduce.

Each chat has 32 dated sessions spread over about ten months (the newest a
few days before ``today``), two speakers, every turn "Name: text". Planted in
the small talk are exchanges the questions ask about:

* ``question-turn``: the other speaker asks, the answer follows. The question
  paraphrases that *asking turn* and shares no content word with the answer
  ("How long has Mel been painting?" -> "Caroline: How long have you been
  painting?" / "Mel: Since the spring, three months now.").
* ``paraphrase``: the answer shares no content word with the question, nor
  does the turn before it; the topic was named a few turns earlier in the
  same session (the way people talk).
* ``multi-session``: two or three answers from different sessions; each
  asking turn shares a topic word with the question, no answer does.
* ``dated``: the same exchange recurs in several sessions with different
  answers; the question names the date ("on 27 March 2026", "in May", "last week").

The same topic words also appear in unrelated small talk elsewhere
(distractors), so a question word alone does not find the answer. Every
question shares a word with some turn of its exchange, which is why this set
is easy (see the harder splits in ``recall_hard.py``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from recall_easy_data import (  # type: ignore[import-not-found]
    DATED,
    DISTRACTORS,
    FILLER,
    FILLER_SUBJECTS,
    MULTI,
    PAIRS,
    PARAPHRASE,
    QUESTION_TURN,
)


@dataclass
class Turn:
    speaker: str
    text: str
    at: datetime
    session: int


def _months_back(today: date, sessions: int, rng: random.Random) -> list[datetime]:
    """Session start times over ~10 months, the newest 2-4 days before ``today``, gaps of days."""
    times: list[datetime] = []
    day = datetime(today.year, today.month, today.day, tzinfo=UTC) - timedelta(days=rng.randint(2, 4))
    for _ in range(sessions):
        times.append(day.replace(hour=rng.randint(8, 20), minute=rng.randint(0, 59)))
        day -= timedelta(days=rng.randint(6, 12))
    return list(reversed(times))


def _human_date(d: datetime) -> str:
    return f"{d.day} {d:%B %Y}"


def build_chat(index: int, rng: random.Random, today: date) -> dict[str, Any]:  # noqa: PLR0912, PLR0915
    a, b = PAIRS[index % len(PAIRS)]
    n_sessions = 32
    starts = _months_back(today, n_sessions, rng)
    # Each session: a list of blocks; a block is a list of (speaker, text, tag).
    sessions: list[list[list[tuple[str, str, str | None]]]] = [[] for _ in range(n_sessions)]
    questions: list[dict[str, Any]] = []

    for tmpl_i, (ask, answers, question) in enumerate(QUESTION_TURN):
        s = rng.randrange(n_sessions)
        tag = f"qt{tmpl_i}"
        sessions[s].append([(a, ask, None), (b, rng.choice(answers), tag)])
        questions.append({"type": "question-turn", "question": question.format(b=b), "evidence": [tag]})
    for tmpl_i, (topic, bridge, prompt, answers, question) in enumerate(PARAPHRASE):
        s = rng.randrange(n_sessions)
        tag = f"pp{tmpl_i}"
        sessions[s].append([(a, topic, None), (b, bridge, None), (a, prompt, None), (b, rng.choice(answers), tag)])
        questions.append({"type": "paraphrase", "question": question.format(b=b), "evidence": [tag]})
    for tmpl_i, (question, exchanges) in enumerate(MULTI):
        chosen_sessions = rng.sample(range(n_sessions), len(exchanges))
        group = []
        for j, (s, (ask, answer)) in enumerate(zip(chosen_sessions, exchanges, strict=True)):
            tag = f"ms{tmpl_i}-{j}"
            group.append(tag)
            sessions[s].append([(a, ask, None), (b, answer, tag)])
        questions.append({"type": "multi-session", "question": question.format(b=b), "evidence": group})
    for tmpl_i, (ask, answers, question) in enumerate(DATED):
        # Recurs in 4 sessions; one question per occurrence, named by its date (or month, or "last week").
        chosen = sorted(rng.sample(range(n_sessions - 1), 4))
        if tmpl_i == 0:
            chosen[-1] = n_sessions - 1  # the newest session: asked about as "last week"
        months = [starts[s].strftime("%Y-%m") for s in chosen]
        for j, s in enumerate(chosen):
            tag = f"dt{tmpl_i}-{j}"
            sessions[s].append([(a, ask, None), (b, answers[j], tag)])
            when_day = starts[s]
            if s == n_sessions - 1 and tmpl_i == 0:
                when = "last week"
            elif months.count(months[j]) == 1 and j % 2 == 1:
                when = f"in {when_day:%B}"
            else:
                when = f"on {_human_date(when_day)}"
            questions.append({"type": "dated", "question": question.format(b=b, when=when), "evidence": [tag]})

    turns: list[Turn] = []
    where: dict[str, int] = {}
    for s, blocks in enumerate(sessions):
        body: list[tuple[str, str, str | None]] = []
        fillers = rng.randint(14, 20)
        rng.shuffle(blocks)
        slots = sorted(rng.sample(range(fillers + 1), len(blocks))) if blocks else []
        k = 0
        for f in range(fillers + 1):
            while k < len(blocks) and slots[k] == f:
                body.extend(blocks[k])
                k += 1
            if f < fillers:
                said = " ".join(
                    rng.choice(FILLER).format(s=rng.choice(FILLER_SUBJECTS)) for _ in range(rng.randint(2, 4))
                )
                if rng.random() < 0.35:
                    said += " " + rng.choice(DISTRACTORS)
                body.append((a if f % 2 == 0 else b, said, None))
        at = starts[s]
        for speaker, text, label in body:
            if label is not None:
                where[label] = len(turns)
            turns.append(Turn(speaker, text, at, s))
            at += timedelta(minutes=rng.randint(1, 4))

    for q in questions:
        q["evidence"] = [where[t] for t in q["evidence"]]
        q["chat"] = index
    return {
        "speakers": [a, b],
        "turns": [{"speaker": t.speaker, "text": t.text, "at": t.at.isoformat(), "session": t.session} for t in turns],
        "questions": questions,
    }


def generate_easy(*, seed: int = 7, chats: int = 5, today: date | None = None) -> dict[str, Any]:
    rng = random.Random(seed)
    day = today or datetime.now(UTC).date()
    built = [build_chat(i, rng, day) for i in range(chats)]
    return {
        "seed": seed,
        "today": day.isoformat(),
        "chats": [{"speakers": c["speakers"], "turns": c["turns"]} for c in built],
        "questions": [q for c in built for q in c["questions"]],
    }
