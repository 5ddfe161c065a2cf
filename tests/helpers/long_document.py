"""A long generated document with facts planted in it (seeded: the same text every run).

The filler reads like an operations manual (sections of varied sentences about rooms, schedules,
suppliers). With ``distractors`` (the default), about one sentence in twelve uses some of the facts'
words elsewhere ("the key cabinet", "the cellar door"), so a search must weigh words, not just find them.
Used by the attachment tests (a needle in ~200,000 tokens) and by ``bench/attachment_budget.py``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

_SUBJECTS = (
    "The cleaning rota",
    "The delivery schedule",
    "The heating system",
    "Each visitor",
    "The quarterly inventory",
    "The night porter",
    "The laundry service",
    "Every contractor",
    "The fire drill",
    "The booking office",
    "The kitchen staff",
    "The garden crew",
    "The reception desk",
    "The parking area",
    "The conference hall",
)
_VERBS = (
    "is reviewed",
    "must be signed off",
    "is recorded",
    "gets checked",
    "is planned",
    "is reported",
    "is updated",
    "should be confirmed",
    "is handed over",
    "is arranged",
)
_WHEN = (
    "every Monday morning",
    "before the end of each month",
    "at the start of the season",
    "after every public holiday",
    "twice a week",
    "on the first Friday",
    "during the winter months",
    "once the guests have left",
    "whenever the manager asks",
    "at the weekly meeting",
)
_BY = (
    "by the duty manager",
    "with the head of housekeeping",
    "through the shared calendar",
    "in the blue ledger",
    "with the regional office",
    "by two members of staff",
    "on the printed form",
    "in the staff room",
    "with the supplier's driver",
    "by the building surveyor",
)
_EXTRA = (
    "Late changes are noted in the margin.",
    "Questions go to the office first.",
    "Copies are filed for three years.",
    "Nobody works alone on this task.",
    "The previous version is kept for reference.",
    "Temporary staff are shown the procedure on their first day.",
    "Any fault is written up the same afternoon.",
    "The checklist hangs by the service door.",
)

_DISTRACTORS = (
    "The key cabinet in the office is locked at night.",
    "The boathouse roof was repainted last spring.",
    "The cellar door sticks in wet weather.",
    "Spare light bulbs are kept in the store room.",
    "The linen cupboard is restocked on Tuesdays.",
    "Fuel receipts are filed with the monthly accounts.",
    "The humidity in the greenhouse is checked by the garden crew.",
    "Payment for small purchases is made from the petty cash tin.",
    "The alarm panel is tested every quarter.",
    "Each supplier account receives a statement every month.",
    "The generator shed is swept before the inspection.",
    "Terms for new staff are explained at the induction.",
)


@dataclass(frozen=True, slots=True)
class Fact:
    """A planted fact, a question that asks for it in other words, and the answer's distinctive words."""

    sentence: str
    question: str
    answer: str


FACTS = (
    Fact(
        "The spare key to the boathouse is kept under the third blue flowerpot beside the east gate.",
        "Where do they keep the spare boathouse key?",
        "third blue flowerpot",
    ),
    Fact(
        "The wine cellar's humidity alarm is set to sound when the reading passes 78 percent.",
        "At what humidity does the cellar alarm go off?",
        "78 percent",
    ),
    Fact(
        "Invoices from Harrowgate Linen are paid on net 45 terms, never earlier, by agreement with Mrs Okafor.",
        "What payment terms do we have with Harrowgate Linen?",
        "net 45",
    ),
    Fact(
        "The emergency generator's fuel is ordered from Pellworth Fuels, account number PW-20931.",
        "Which account number do we use to order generator fuel?",
        "PW-20931",
    ),
)


def _sentence(rng: random.Random, distractors: bool) -> str:
    if distractors and rng.random() < 1 / 12:
        return rng.choice(_DISTRACTORS)
    text = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_WHEN)} {rng.choice(_BY)}."
    return text + (" " + rng.choice(_EXTRA) if rng.random() < 0.4 else "")


def manual(tokens: int = 200_000, *, facts: tuple[Fact, ...] = FACTS, seed: int = 23, distractors: bool = True) -> str:
    """About ``tokens`` tokens (o200k_base) of manual, ``facts`` planted at spread places (not the beginning)."""
    rng = random.Random(seed)
    # ~13 tokens a sentence, 5-9 sentences a paragraph, 4 paragraphs a section: ~510 tokens.
    sections = max(1, tokens // 510)
    places = {int(sections * (i + 1) / (len(facts) + 1)): fact for i, fact in enumerate(facts)}
    out: list[str] = []
    for number in range(1, sections + 1):
        out.append(f"Section {number}")
        for paragraph in range(4):
            sentences = [_sentence(rng, distractors) for _ in range(rng.randint(5, 9))]
            fact = places.get(number)
            if fact is not None and paragraph == 2:
                sentences.insert(rng.randint(1, len(sentences) - 1), fact.sentence)
            out.append(" ".join(sentences))
    return "\n\n".join(out) + "\n"
