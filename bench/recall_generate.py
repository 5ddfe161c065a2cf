"""Generate long two-speaker chats and questions about them, for measuring recall (seeded, deterministic).

Three splits, one generator:

* ``easy``: the first evaluation (``recall_easy.py``): every question shares a
  word with some turn of its exchange; recall scores 95-99 % on it.
* ``dev`` and ``heldout``: the harder set (``recall_hard.py``), LoCoMo-like:
  single-hop, temporal, multi-hop and open-domain questions, casual turns of
  15-40 words. The two use disjoint template families (personas, topics,
  vocabulary, phrasings; ``recall_split_dev.py`` / ``recall_split_heldout.py``):
  tune on ``dev``, never on ``heldout``. If ``dev`` rises and ``heldout`` does
  not, the change fits the templates, not conversations.

    .venv/bin/python bench/recall_generate.py [--split dev|heldout|easy] [--out FILE] [--seed N]
        [--chats N] [--today YYYY-MM-DD]

Writes FILE (bench/out/recall/<split>.json): chats with their turns (speaker,
text, time, session number) and questions with their type and evidence turn
indexes. Nothing here is committed as data: the script is the dataset.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling modules, run as a script or with -m
from recall_easy import generate_easy  # type: ignore[import-not-found]
from recall_hard import generate_hard  # type: ignore[import-not-found]

OUT = Path(__file__).resolve().parent / "out" / "recall"
SPLITS = ("dev", "heldout", "easy")


def generate(*, split: str = "dev", seed: int = 7, chats: int = 5, today: date | None = None) -> dict[str, Any]:
    """The dataset of ``split``: ``{"seed", "today", "split", "chats": [...], "questions": [...]}``."""
    day = today or datetime.now(UTC).date()
    if split == "easy":
        data: dict[str, Any] = generate_easy(seed=seed, chats=chats, today=day)
    elif split in ("dev", "heldout"):
        data = generate_hard(split, seed=seed, chats=chats, today=day)
    else:
        raise ValueError(f"unknown split {split!r}: choose one of {', '.join(SPLITS)}")
    data["split"] = split
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=SPLITS, default="dev")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chats", type=int, default=5)
    parser.add_argument("--today", type=date.fromisoformat, default=None)
    args = parser.parse_args()
    data = generate(split=args.split, seed=args.seed, chats=args.chats, today=args.today)
    out = args.out or OUT / f"{args.split}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=1))
    turns = [len(c["turns"]) for c in data["chats"]]
    print(f"{len(data['questions'])} questions over {len(turns)} chats of {min(turns)}-{max(turns)} turns -> {out}")


if __name__ == "__main__":
    main()
