"""Content words as search sees them: stemmed by SQLite FTS5's own porter tokenizer, less stopwords.

The harder recall set promises that a multi-hop or open-domain evidence turn
shares no content word with its question nor with the other evidence turns.
``disjoint`` checks it and raises when a template breaks the promise, so an
edit to the templates cannot quietly make the set easier.

The stemmer is FTS5's ``porter unicode61 remove_diacritics 2`` (the tokenizer
of the app's index), so "hiked" and "hiking" are one word here as they are to
search. The stopwords are our own list (function words, the app's generic
conversational words, contractions' fragments), fixed here so the dataset does
not change when the app's list does.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Iterable

_STOPWORD_TEXT = """a about above after again all am an and any are as at be been before being below between both but by
    can could did do does doing done down during each few for from had has have having he her here hers herself
    him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once
    only or other our ours out over own same she should so some such than that the their theirs them then there
    these they this those through to too under until up very was we were what when where which while who whom
    why will with would you your yours yourself tell remember know said say please thanks thank ok okay yes
    get got go going went like really also much many one two well still back even way thing things lot
    something anything ever new kind sort since ago last s t m d ll re ve don didn isn wasn won can couldn
    oh yeah wow haha lol hey hi gonna wanna kinda pretty bit quite us let"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_WORD = re.compile(r"\w+", re.UNICODE)


class Stemmer:
    """Porter stems from an in-memory FTS5 table, cached (one SQLite round trip per new word)."""

    def __init__(self) -> None:
        self._db = sqlite3.connect(":memory:")
        self._db.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='porter unicode61 remove_diacritics 2')")
        self._db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
        self._cache: dict[str, str] = {}

    def stem(self, word: str) -> str:
        if word not in self._cache:
            self._db.execute("DELETE FROM t")
            self._db.execute("INSERT INTO t(rowid, x) VALUES (1, ?)", (word,))
            row = self._db.execute("SELECT term FROM v LIMIT 1").fetchone()
            self._cache[word] = row[0] if row else word
        return self._cache[word]


_STEMMER = Stemmer()


def _fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def content_words(text: str, *, ignore: Iterable[str] = ()) -> set[str]:
    """The stems of ``text``'s words, less stopwords, digits and ``ignore`` (the speakers' names)."""
    skip = STOPWORDS | {w.lower() for w in ignore}
    words = {_fold(w) for w in _WORD.findall(text.lower())}
    return {_STEMMER.stem(w) for w in words if w not in skip and not w.isdigit()}


def disjoint(question: str, evidence: list[str], *, ignore: Iterable[str] = (), what: str = "") -> None:
    """Raise ``ValueError`` if an evidence turn shares a content word with ``question`` or another evidence turn."""
    names = list(ignore)
    asked = content_words(question, ignore=names)
    seen: list[set[str]] = []
    for text in evidence:
        words = content_words(text, ignore=names)
        shared = words & asked
        if shared:
            raise ValueError(f"{what}: evidence {text!r} shares {sorted(shared)} with the question {question!r}")
        for other, other_words in zip(evidence, seen, strict=False):
            if words & other_words:
                raise ValueError(f"{what}: evidence {text!r} and {other!r} share {sorted(words & other_words)}")
        seen.append(words)


def sharing(question: str, text: str, *, ignore: Iterable[str] = ()) -> set[str]:
    """The content words ``text`` shares with ``question``."""
    names = list(ignore)
    return content_words(question, ignore=names) & content_words(text, ignore=names)
