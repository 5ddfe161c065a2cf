"""The shape of a split's templates for the harder recall set (``recall_hard.py``).

Placeholders: ``{p}`` the persona the question is about, ``{their}`` that
persona's possessive, ``{o}`` the other speaker. Each split module
(``recall_split_dev.py``, ``recall_split_heldout.py``) builds one ``Split``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fact:
    """Single-hop: one answer turn that paraphrases or partially overlaps the question."""

    question: str
    answers: tuple[str, ...]  # variants of the answer turn; each must share a content word with the question
    asks: tuple[str, ...] = ()  # what the other speaker may say just before (sometimes nothing)
    distractors: tuple[str, ...] = ()  # the question's words in unrelated senses


@dataclass(frozen=True)
class When:
    """Temporal: "When did X ...?", answered by the turn that says it happened ("last Sunday")."""

    question: str
    answers: tuple[str, ...]  # each shares a content word with the question
    echoes: tuple[str, ...]  # the same event planned or remembered in other sessions: not the answer
    distractors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hops:
    """Multi-hop or open-domain: every piece is needed; no piece shares a content word with the question or another.

    The pieces are tied to the question by topic and world knowledge only
    (Lisbon -> tram 28, pasteis de nata, fado). They land in sessions days
    or weeks apart; before each, the other speaker may name the topic with a
    question word (``leads``), ask vaguely, or say nothing.
    """

    question: str
    pieces: tuple[tuple[str, ...], ...]  # per piece, its variants (one is chosen per chat)
    leads: tuple[str, ...]  # the other speaker naming the topic; each shares a word with the question
    distractors: tuple[str, ...]  # the question's words in unrelated senses
    neighbours: tuple[str, ...] = ()  # neighbouring topics, no shared purpose (semantic distractors)


@dataclass(frozen=True)
class Split:
    pairs: tuple[tuple[tuple[str, str], tuple[str, str]], ...]  # ((name, possessive), (name, possessive))
    single_hop: tuple[Fact, ...]
    temporal: tuple[When, ...]
    multi_hop: tuple[Hops, ...]
    open_domain: tuple[Hops, ...]
    greetings: tuple[str, ...]  # a session's first turn, "{o}" the other speaker
    small_talk: tuple[str, ...]  # "{x}" a subject
    subjects: tuple[str, ...]
    asides: tuple[str, ...]  # stand-alone small talk and short add-ons
    prompts: tuple[str, ...]  # vague asks before a piece ("So?? Tell me everything!")
    reactions: tuple[str, ...]  # the other speaker's reply after a piece
