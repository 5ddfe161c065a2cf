"""The harder recall set (``--split dev`` / ``--split heldout``): LoCoMo-like chats and four question types.

A chat: two speakers, 20-26 dated sessions 3-12 days apart (the newest a few
days before ``today``), 10-16 turns of small talk per session plus what is
planted, every turn "Name: text" of 15-40 words. Per chat, one question per
template of the split (the persona it asks about is drawn per chat):

* ``single-hop``: the answer turn paraphrases or partially overlaps the
  question (checked: it shares a content word); the other speaker's turn
  before it may be a question, a vague prompt or nothing.
* ``temporal``: "When did X ...?"; the answer turn says it happened ("last
  Sunday") and shares words with the question, and so do *echoes* in other
  sessions (the event planned or remembered), which are not the answer.
* ``multi-hop``: 2-4 pieces in sessions at least two apart, every one needed,
  tied to the question by topic and world knowledge only: no piece shares a
  content word with the question or with another piece (``recall_words``
  checks it with FTS5's stemmer and raises). Before a piece the other speaker
  names the topic with a question word (``P_LEAD``), asks vaguely, or says
  nothing.
* ``open-domain``: the same shape, answered by inference from a persona's
  scattered turns ("Would X enjoy a career in veterinary medicine?" <- the
  shelter, a hedgehog nursed back to health, biology).

Distractors: each template's words in unrelated senses ("business partner",
"in-laws"), turns on neighbouring topics (another city, another hobby), and
every other template's turns. The question is asked as the draft at the end of
its chat; it is held when the plan holds every evidence turn.
"""

from __future__ import annotations

import importlib
import itertools
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from recall_templates import Hops, Split  # type: ignore[import-not-found]
from recall_words import disjoint, sharing  # type: ignore[import-not-found]

# How often the other speaker names the topic (with a word of the question) before a piece,
# and how often they ask vaguely instead; otherwise the piece comes unprompted.
P_LEAD = {"multi-hop": 0.3, "open-domain": 0.25}
P_PROMPT = 0.4
P_ASK = 0.6  # single-hop / temporal: the other speaker asks first
P_REACT = 0.6  # the other speaker replies to a planted turn
SESSIONS = (20, 26)
SMALL_TALK = (12, 18)
MIN_WORDS = 15


def _split(name: str) -> Split:
    module = importlib.import_module(f"recall_split_{name}")
    split: Split = module.SPLIT
    return split


class _Chat:
    def __init__(self, index: int, split: Split, rng: random.Random, today: date) -> None:
        self.split, self.rng = split, rng
        (self.a, pa), (self.b, pb) = split.pairs[index % len(split.pairs)]
        self.their = {self.a: pa, self.b: pb}
        n = rng.randint(*SESSIONS)
        day = datetime(today.year, today.month, today.day, tzinfo=UTC) - timedelta(days=rng.randint(2, 4))
        starts = []
        for _ in range(n):
            starts.append(day.replace(hour=rng.randint(8, 20), minute=rng.randint(0, 59)))
            day -= timedelta(days=rng.randint(3, 12))
        self.starts = list(reversed(starts))
        self.blocks: list[list[list[tuple[str, str, str | None]]]] = [[] for _ in range(n)]
        self.questions: list[dict[str, Any]] = []
        self.names = [self.a, self.b]

    def persona(self) -> tuple[str, str]:
        p = self.rng.choice(self.names)
        return p, self.b if p == self.a else self.a

    def fmt(self, text: str, p: str, o: str) -> str:
        return text.format(p=p, o=o, their=self.their[p])

    def plant(self, session: int, block: list[tuple[str, str, str | None]]) -> None:
        self.blocks[session].append(block)

    def scatter(self, texts: tuple[str, ...], p: str, o: str) -> None:
        """Each text once, as a stand-alone turn of either speaker, in a random session."""
        for text in texts:
            speaker = self.rng.choice(self.names)
            turn = self._lengthen(self.fmt(text, p, o))
            self.plant(self.rng.randrange(len(self.blocks)), [(speaker, turn, None)])

    def react(self, o: str) -> list[tuple[str, str, str | None]]:
        if self.rng.random() >= P_REACT:
            return []
        return [(o, self._lengthen(self.rng.choice(self.split.reactions)), None)]

    def facts(self) -> None:
        for i, t in enumerate(self.split.single_hop):
            p, o = self.persona()
            question = self.fmt(t.question, p, o)
            answer = self.fmt(self.rng.choice(t.answers), p, o)
            if not sharing(question, answer, ignore=self.names):
                raise ValueError(f"single-hop {i}: {answer!r} shares no word with {question!r}")
            tag = f"sh{i}"
            ask = [(o, self.fmt(self.rng.choice(t.asks), p, o), None)] if t.asks and self.rng.random() < P_ASK else []
            self.plant(self.rng.randrange(len(self.blocks)), [*ask, (p, answer, tag), *self.react(o)])
            self.questions.append({"type": "single-hop", "question": question, "evidence": [tag]})
            self.scatter(t.distractors, p, o)

    def temporal(self) -> None:
        for i, t in enumerate(self.split.temporal):
            p, o = self.persona()
            question = self.fmt(t.question, p, o)
            answer = self.fmt(self.rng.choice(t.answers), p, o)
            if not sharing(question, answer, ignore=self.names):
                raise ValueError(f"temporal {i}: {answer!r} shares no word with {question!r}")
            sessions = self.rng.sample(range(len(self.blocks)), 1 + len(t.echoes))
            tag = f"tm{i}"
            self.plant(sessions[0], [(p, answer, tag), *self.react(o)])
            for s, echo in zip(sessions[1:], t.echoes, strict=True):
                self.plant(s, [(p, self.fmt(echo, p, o), None)])
            self.questions.append({"type": "temporal", "question": question, "evidence": [tag]})
            self.scatter(t.distractors, p, o)

    def hops(self, kind: str, templates: tuple[Hops, ...]) -> None:
        for i, t in enumerate(templates):
            p, o = self.persona()
            question = self.fmt(t.question, p, o)
            pieces = self._pieces(question, t, p, o, f"{kind} {i}")
            for lead in t.leads:
                if not sharing(question, self.fmt(lead, p, o), ignore=self.names):
                    raise ValueError(f"{kind} {i}: lead {lead!r} shares no word with {question!r}")
            prompts = [x for x in self.split.prompts if not sharing(question, x, ignore=self.names)]
            sessions = self._apart(len(pieces))
            tags = []
            for j, (s, piece) in enumerate(zip(sessions, pieces, strict=True)):
                tag = f"{kind}{i}-{j}"
                tags.append(tag)
                roll = self.rng.random()
                before: list[tuple[str, str, str | None]] = []
                if roll < P_LEAD[kind]:
                    before = [(o, self.fmt(self.rng.choice(t.leads), p, o), None)]
                elif roll < P_LEAD[kind] + P_PROMPT:
                    before = [(o, self._prompt(question, prompts), None)]
                self.plant(s, [*before, (p, piece, tag), *self.react(o)])
            self.questions.append({"type": kind, "question": question, "evidence": tags})
            self.scatter(t.distractors, p, o)
            self.scatter(t.neighbours, p, o)

    def _pieces(self, question: str, t: Hops, p: str, o: str, what: str) -> list[str]:
        """One variant of each piece, a short one lengthened by an aside, all disjoint (else ``ValueError``)."""
        # Two to all of the pieces: whatever was said is the answer, and every piece said is needed for it.
        kept = sorted(self.rng.sample(range(len(t.pieces)), self.rng.randint(2, len(t.pieces))))
        chosen = [self.fmt(self.rng.choice(t.pieces[k]), p, o) for k in kept]
        disjoint(question, chosen, ignore=self.names, what=what)  # the template itself must hold
        for _ in range(100):  # asides add words of their own: draw until the promise still holds
            padded = [self._lengthen(x) for x in chosen]
            try:
                disjoint(question, padded, ignore=self.names, what=what)
            except ValueError:
                continue
            return padded
        return chosen

    def _prompt(self, question: str, prompts: list[str]) -> str:
        """A vague ask, often after an aside, still sharing no word with the question."""
        prompt = self.rng.choice(prompts)
        if self.rng.random() < 0.5:
            return prompt
        for _ in range(20):
            longer = f"{self.rng.choice(self.split.asides)} {prompt}"
            if not sharing(question, longer, ignore=self.names):
                return longer
        return prompt

    def _lengthen(self, text: str) -> str:
        while len(text.split()) < MIN_WORDS:
            text += " " + self.rng.choice(self.split.asides)
        return text

    def _apart(self, k: int) -> list[int]:
        """``k`` sessions, no two adjacent (so pieces are days or weeks apart), in random order."""
        while True:
            chosen = sorted(self.rng.sample(range(len(self.blocks)), k))
            if all(y - x >= 2 for x, y in itertools.pairwise(chosen)):
                self.rng.shuffle(chosen)
                return chosen

    def small_talk(self) -> str:
        rng, split = self.rng, self.split
        if rng.random() < 0.6:
            text = rng.choice(split.small_talk).format(x=rng.choice(split.subjects))
        else:
            text = rng.choice(split.asides)
        return self._lengthen(text)

    def render(self, index: int) -> dict[str, Any]:
        rng = self.rng
        turns: list[dict[str, Any]] = []
        where: dict[str, int] = {}
        for s, blocks in enumerate(self.blocks):
            first = rng.choice(self.names)
            second = self.b if first == self.a else self.a
            body: list[tuple[str, str, str | None]] = [
                (first, rng.choice(self.split.greetings).format(o=second), None),
                (second, self.small_talk(), None),
            ]
            fillers = rng.randint(*SMALL_TALK)
            rng.shuffle(blocks)
            slots = sorted(rng.choices(range(fillers + 1), k=len(blocks)))
            k = 0
            for f in range(fillers + 1):
                while k < len(blocks) and slots[k] == f:
                    body.extend(blocks[k])
                    k += 1
                if f < fillers:
                    body.append((first if f % 2 == 0 else second, self.small_talk(), None))
            at = self.starts[s]
            for speaker, text, tag in body:
                if tag is not None:
                    where[tag] = len(turns)
                turns.append({"speaker": speaker, "text": text, "at": at.isoformat(), "session": s})
                at += timedelta(minutes=rng.randint(1, 3))
        for q in self.questions:
            q["evidence"] = [where[t] for t in q["evidence"]]
            q["chat"] = index
        return {"speakers": self.names, "turns": turns, "questions": self.questions}


def validate(split: Split) -> None:
    """Every promise of every template, for every combination of variants; ``ValueError`` names the first broken."""
    names = [name for pair in split.pairs for name, _ in pair]
    for kind, hops in (("multi-hop", split.multi_hop), ("open-domain", split.open_domain)):
        for i, t in enumerate(hops):
            for combo in itertools.product(*t.pieces):
                disjoint(t.question, list(combo), ignore=names, what=f"{kind} {i}")
            for text in (*t.leads, *t.distractors):
                if not sharing(t.question, text, ignore=names):
                    raise ValueError(f"{kind} {i}: {text!r} shares no word with {t.question!r}")
    for kind, facts in (("single-hop", split.single_hop), ("temporal", split.temporal)):
        for i, f in enumerate(facts):
            for text in (*f.answers, *f.distractors, *getattr(f, "echoes", ())):
                if not sharing(f.question, text, ignore=names):
                    raise ValueError(f"{kind} {i}: {text!r} shares no word with {f.question!r}")


def build_chat(index: int, split: Split, rng: random.Random, today: date) -> dict[str, Any]:
    chat = _Chat(index, split, rng, today)
    chat.facts()
    chat.temporal()
    chat.hops("multi-hop", split.multi_hop)
    chat.hops("open-domain", split.open_domain)
    return chat.render(index)


def generate_hard(name: str, *, seed: int = 7, chats: int = 5, today: date | None = None) -> dict[str, Any]:
    split = _split(name)
    validate(split)
    rng = random.Random(f"{name}-{seed}")
    day = today or datetime.now(UTC).date()
    built = [build_chat(i, split, rng, day) for i in range(chats)]
    return {
        "seed": seed,
        "today": day.isoformat(),
        "chats": [{"speakers": c["speakers"], "turns": c["turns"]} for c in built],
        "questions": [q for c in built for q in c["questions"]],
    }
