"""What recall searches for and how the hits are scored: BM25, borrowed words, and dates.

* The query's words, less stopwords and words so common that ranking them
  costs more than it tells, are searched in the stemmed FTS index (an OR query,
  so BM25 ranks partial matches).
* Pseudo-relevance feedback: the words the best hits share (and the query
  lacks) are searched too, at a lower weight, which reaches turns that say the
  same thing in other words. No model and nothing downloaded.
* A date in the query ("on 27 March 2022", "last week") is taken out of the
  words; hits written in that time score ``DATE_BOOST`` times higher, and the
  search is repeated within that time so they are not cut by the hit limit.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from desktop_chat.core.memory.assembly import Assembly
from desktop_chat.core.memory.recall_dates import DateRange, find_date, without_date
from desktop_chat.core.memory.recall_semantic import query_texts, semantic_lists
from desktop_chat.core.storage.messages import fts_any_query
from desktop_chat.core.storage.store import Store

# Words that match nearly every message; left in, they drown the words that matter in BM25's OR query.
_STOPWORD_TEXT = """a about above after again all am an and any are as at be been before being below between both but by
    can could did do does doing done down during each few for from had has have having he her here hers
    him his how i if in into is it its just me more most my no nor not now of off on once only or other our
    out over own same she should so some such than that the their them then there these they this those
    through to too under until up very was we were what when where which while who whom why will with would
    you your yours yourself tell remember know said say again please thanks thank ok okay yes
    get got go going went like really also much many one two well still back even way thing things lot
    something anything ever new kind sort since ago last"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

# A word in more than 1/50 of all messages (and more than 1,000 of them) is not searched for: cost.
COMMON_WORD_FRACTION = 50
COMMON_WORD_MIN = 1000
# Nor, searching one chat, a word in more than 1/4 of its messages (and 40 of them): the speakers'
# names of an imported chat ("John: ..."), which tell nothing about the topic.
CHAT_WORD_FRACTION = 4
CHAT_WORD_MIN = 40
# Borrowed words count this much of a query word, and come from this many of the best hits.
EXPANSION_WEIGHT = 0.35
EXPANSION_SOURCES = 6
DATE_BOOST = 3.0
# Reciprocal rank fusion: a list's rank r adds weight / (RRF_K + r) (Cormack et al. 2009 use 60). The
# constant and the weights were chosen on bench/recall_eval.py's dev split, checked on its held-out split
# (docs/memory.md): meaning counts twice what words do; each aspect a quarter.
RRF_K = 30
SEMANTIC_WEIGHT = 2.0
ASPECT_WEIGHT = 0.25

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Hit:
    id: int
    session_id: int
    created_at: datetime
    score: float


def query_words(text: str) -> list[str]:
    """The distinct searchable words of ``text``, in order."""
    return [w for w in dict.fromkeys(_WORD.findall(text.lower())) if w not in STOPWORDS and not w.isdigit()]


@dataclass(frozen=True, slots=True)
class Found:
    hits: list[Hit]
    words_only: str | None = None  # why meaning was not searched (None: it was)


def search(a: Assembly, window_start: int | None, *, now: datetime) -> Found:
    """The hits for the assembly's query, best first, at most ``recall_max_messages`` of them.

    Several ranked lists are fused by reciprocal rank (each list adds ``weight / (RRF_K + rank)``):
    BM25 over the words, and by meaning the whole question and each of its aspects.
    """
    opts = a.options
    words, date = search_words(a.store, a.session_id, a.query, all_sessions=opts.recall_all_sessions, now=now)
    if not words:
        return Found([])
    limit = opts.recall_max_messages
    lexical = _lexical(a, words, window_start, date, limit)
    names = query_words(a.query)  # a speaker's name is too common to search, but says whose turns matter
    semantic = semantic_lists(a, " ".join(words), _aspects(words), window_start, limit, names=names)
    lists: list[tuple[float, list[Hit]]] = [(1.0, lexical)]
    if not isinstance(semantic, str):
        lists.append((SEMANTIC_WEIGHT, [Hit(n.id, n.session_id, n.created_at, n.similarity) for n in semantic.whole]))
        for aspect in semantic.aspects:
            lists.append((ASPECT_WEIGHT, [Hit(n.id, n.session_id, n.created_at, n.similarity) for n in aspect]))
    scores: dict[int, float] = {}
    found: dict[int, Hit] = {}
    for weight, ranked in lists:
        for rank, hit in enumerate(ranked):
            found.setdefault(hit.id, hit)
            scores[hit.id] = scores.get(hit.id, 0.0) + weight / (RRF_K + rank + 1)
    if date is not None:
        for hit_id, hit in found.items():
            if date.since <= hit.created_at < date.until:
                scores[hit_id] *= DATE_BOOST
    ranked = sorted(found.values(), key=lambda h: (-scores[h.id], h.id))[:limit]
    ranked_hits = [Hit(h.id, h.session_id, h.created_at, scores[h.id]) for h in ranked]
    return Found(ranked_hits, semantic if isinstance(semantic, str) else None)


def search_words(
    store: Store, session_id: int, query: str, *, all_sessions: bool, now: datetime
) -> tuple[list[str], DateRange | None]:
    """The words recall searches for ``query`` (less a date it names, and words too common to rank), and the date."""
    date = find_date(query, now)
    words = query_words(without_date(query, date))
    common = _too_common(store, session_id, all_sessions, " ".join(words))
    return [w for w in words if w not in common], date


def _aspects(words: list[str]) -> list[str]:
    return words if len(words) > 1 else []


def meaning_queries(store: Store, session_id: int, query: str, *, all_sessions: bool, now: datetime) -> list[str]:
    """The texts recall by meaning embeds for ``query`` (the question, then its aspects), as ``search`` would."""
    words, _ = search_words(store, session_id, query, all_sessions=all_sessions, now=now)
    return query_texts(" ".join(words), _aspects(words)) if words else []


def _lexical(a: Assembly, words: list[str], window_start: int | None, date: DateRange | None, limit: int) -> list[Hit]:
    """BM25 over the words (and borrowed words), best first; hits of a named date weigh more."""
    opts = a.options
    scores: dict[int, float] = {}
    found: dict[int, Hit] = {}

    def run(fts: str | None, weight: float, when: DateRange | None = None, *, only_new: bool = False) -> list[Hit]:
        if fts is None:
            return []
        rows = a.store.messages.recall_hits(
            fts,
            session_id=a.session_id,
            all_sessions=opts.recall_all_sessions,
            window_start_id=window_start,
            since=when.since if when else None,
            until=when.until if when else None,
            limit=limit,
        )
        hits = [Hit(*row) for row in rows if not (only_new and row[0] in found)]
        for hit in hits:
            found[hit.id] = hit
            scores[hit.id] = scores.get(hit.id, 0.0) + weight * hit.score
        return hits

    query = fts_any_query(" ".join(words))
    best = run(query, 1.0)
    if date is not None:
        # The same words within the named time, so the hits of that day are weighed even if older ones rank higher.
        run(query, 1.0, date, only_new=True)
    if opts.recall_expansion and best:
        borrowed = _borrowed_words(a, best[:EXPANSION_SOURCES], set(words), opts.recall_expansion)
        if borrowed:
            run(fts_any_query(" ".join(borrowed)), EXPANSION_WEIGHT)
    if date is not None:
        for hit_id, hit in found.items():
            if date.since <= hit.created_at < date.until:
                scores[hit_id] = (scores[hit_id] + 0.1) * DATE_BOOST
    ranked = sorted(found.values(), key=lambda h: (-scores[h.id], h.id))[:limit]
    return [Hit(h.id, h.session_id, h.created_at, scores[h.id]) for h in ranked]


def _borrowed_words(a: Assembly, top: list[Hit], query: set[str], count: int) -> list[str]:
    """Words that several of the best hits share and the query lacks: the topic, in the chat's own words."""
    contents = a.history.contents([h.id for h in top])
    in_hits: Counter[str] = Counter()
    for text in (contents[h.id] for h in top if h.id in contents):
        # dict.fromkeys, not a set: ties in most_common() keep text order, so plans do not vary run to run.
        in_hits.update(list(dict.fromkeys(w for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in STOPWORDS)))
    candidates = [w for w, n in in_hits.most_common() if n >= 2 and w not in query and not w.isdigit()]
    chosen: list[str] = []
    for word in candidates:  # probed one by one: most are taken, and each probe costs a little
        if len(chosen) >= count:
            break
        if not _too_common(a.store, a.session_id, a.options.recall_all_sessions, word):
            chosen.append(word)
    return chosen


def _too_common(store: Store, session_id: int, all_sessions: bool, text: str) -> frozenset[str]:
    """Words of ``text`` in so many messages that ranking them would cost more than it tells.

    BM25 scores every message an OR query matches, so one word found in half of
    a 100,000-message chat costs a hundred milliseconds; its weight (IDF) is near
    zero anyway. Probing a word stops after the threshold, so this costs well
    under a millisecond. Speaker names ("John: ...") in every turn end up here.
    """
    scan = store.scan
    # The probe counts matches in every chat (BM25 scores them all before the chat filter), so the
    # threshold is of every chat too: a word common in other chats must not vanish from this one's search.
    searched = scan.active_count(None)
    threshold = max(COMMON_WORD_MIN, searched // COMMON_WORD_FRACTION)
    in_chat = None
    if not all_sessions:
        in_chat = max(CHAT_WORD_MIN, scan.active_count(session_id) // CHAT_WORD_FRACTION)
    common = set()
    for word in dict.fromkeys(_WORD.findall(text.lower())):
        if word in STOPWORDS:
            continue
        everywhere = scan.word_frequency(word, threshold + 1)
        if everywhere > threshold or (
            in_chat is not None
            and everywhere > in_chat  # only then can it be common in this chat: at most ``threshold`` reads
            and scan.word_frequency_in(word, session_id, in_chat + 1) > in_chat
        ):
            common.add(word)
    return frozenset(common)
