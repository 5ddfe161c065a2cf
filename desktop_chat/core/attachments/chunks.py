"""A document's text cut into chunks: what full-text search finds and what excerpts are made of.

Chunks end at paragraph boundaries where they can (a paragraph longer than a chunk is cut at
sentence ends, then at spaces), so an excerpt reads as the document does. Sizes are in
characters, not tokens: cutting must not load a tokenizer (a chunk of ~1,200 characters is
~300 tokens of English). Each chunk knows the page, slide or sheet it starts on, from the
``[page 3]`` marker lines the readers write.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

CHUNK_CHARS = 1_200
_MARKER = re.compile(r"^\[(page|slide|sheet) (\d+)(?::[^\]\n]*)?\]")  # "[page 3]", "[sheet 1: Sales]"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True, slots=True)
class Chunk:
    seq: int
    label: str  # "page 3", "slide 2", "sheet 1"; "" for flat text
    text: str


def chunk_text(text: str, size: int = CHUNK_CHARS) -> list[Chunk]:
    """``text`` in order, as chunks of at most ``size`` characters (never empty, never losing a word)."""
    chunks: list[Chunk] = []
    label = ""
    pending: list[str] = []
    pending_label = ""
    length = 0

    def flush() -> None:
        nonlocal pending, length
        if pending:
            chunks.append(Chunk(len(chunks), pending_label, "\n\n".join(pending)))
        pending, length = [], 0

    for raw in re.split(r"\n\s*\n", text):
        paragraph = raw.strip()
        if not paragraph:
            continue
        marker = _MARKER.match(paragraph.splitlines()[0])
        if marker:
            label = f"{marker.group(1)} {marker.group(2)}"
        for piece in _pieces(paragraph, size):
            if pending and length + len(piece) + 2 > size:
                flush()
            if not pending:
                pending_label = label
            pending.append(piece)
            length += len(piece) + 2
    flush()
    return chunks


def _pieces(paragraph: str, size: int) -> list[str]:
    """A paragraph as pieces of at most ``size`` characters: whole, else by sentences, else by words."""
    if len(paragraph) <= size:
        return [paragraph]
    return _pack((run for sentence in _SENTENCE_END.split(paragraph) for run in _by_words(sentence, size)), size)


def _by_words(sentence: str, size: int) -> list[str]:
    if len(sentence) <= size:
        return [sentence]
    # A "word" longer than a chunk (a base64 blob, a URL) is cut into pieces of ``size``.
    return _pack((word[at : at + size] for word in sentence.split() for at in range(0, len(word), size)), size)


def _pack(parts: Iterable[str], size: int) -> list[str]:
    """``parts`` joined by spaces into runs of at most ``size`` characters, in order."""
    runs: list[str] = []
    current = ""
    for part in parts:
        if current and len(current) + 1 + len(part) > size:
            runs.append(current)
            current = ""
        current = f"{current} {part}" if current else part
    if current:
        runs.append(current)
    return runs
