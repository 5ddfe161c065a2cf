"""Recall by meaning: the messages nearest to the question, and to each of its aspects, by local embeddings.

A question with several aspects ("What was Jolene doing with her partner in
Rio?") is searched as a whole and once per aspect (each searchable word: "rio",
"partner"), because a turn about the hike up Sugarloaf is near "Rio" but far
from the whole question, whose other words pull elsewhere. Each search is one
ranked list; ``recall_search`` fuses them with the BM25 list.

Nothing here loads the model: a plan runs on the GUI thread, so without an
embedder already loaded (by the indexer, in a worker) recall goes by words alone
and says so.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from desktop_chat.core.memory.assembly import Assembly

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from desktop_chat.core.semantic.model import Embedder

# Aspects searched on their own, besides the whole question: the first few searchable words.
MAX_ASPECTS = 4
# Nearer than this, or not a match at all: the nearest of unrelated small talk is still "nearest".
MIN_SIMILARITY = 0.15


# A question's vectors are remembered: the same draft is planned again and again (the preview after
# each pause in typing, the send, "why this reply"), and a vector costs ~8 ms on the GUI thread.
# The window embeds a draft's in a worker before it previews it (``embed_queries``): on the GUI thread the
# question and its aspects together took 50-90 ms, the first time.
_QUERY_CACHE_SIZE = 512
_query_cache: OrderedDict[str, NDArray[np.float32]] = OrderedDict()
_query_lock = threading.Lock()  # the cache is filled by the GUI thread's plans and by a worker's embed_queries


def query_texts(question: str, aspects: list[str]) -> list[str]:
    """What is embedded to search ``question``: the whole of it, then each of its first aspects."""
    return [question, *aspects[:MAX_ASPECTS]]


def missing_queries(texts: list[str]) -> list[str]:
    """Those of ``texts`` (without repeats) whose vector is not remembered yet."""
    with _query_lock:
        return [t for t in dict.fromkeys(texts) if t not in _query_cache]


def _remember(texts: list[str], vectors: NDArray[np.float32]) -> None:
    with _query_lock:
        for text, vector in zip(texts, vectors, strict=True):
            _query_cache[text] = vector
            _query_cache.move_to_end(text)
            if len(_query_cache) > _QUERY_CACHE_SIZE:
                _query_cache.popitem(last=False)


def embed_queries(texts: list[str]) -> None:
    """Embed and remember the query texts not remembered yet, with the loaded model (none loaded: nothing).

    Any thread: a worker calls it so that the GUI thread's next plan of the same draft finds the vectors.
    """
    from desktop_chat.core.semantic.model import loaded_embedder

    embedder = loaded_embedder()
    missing = missing_queries(texts)
    if embedder is not None and missing:
        _remember(missing, embedder.embed(missing))


def _query_vectors(embedder: Embedder, texts: list[str]) -> NDArray[np.float32]:
    import numpy as np

    missing = missing_queries(texts)
    if missing:
        _remember(missing, embedder.embed(missing))
    with _query_lock:
        for text in texts:
            _query_cache.move_to_end(text)
        return np.stack([_query_cache[t] for t in texts])


@dataclass(frozen=True, slots=True)
class Nearest:
    id: int
    session_id: int
    created_at: datetime
    similarity: float


@dataclass(frozen=True, slots=True)
class SemanticLists:
    whole: list[Nearest]
    aspects: list[list[Nearest]]


def semantic_lists(
    a: Assembly, question: str, aspects: list[str], window_start: int | None, limit: int, *, names: list[str]
) -> SemanticLists | str:
    """Nearest messages to the question and to each aspect; or why recall goes by words only here."""
    if a.session.temporary:
        return "a temporary chat is not indexed"
    from desktop_chat.core.semantic.model import MODEL_NAME, loaded_embedder, model_problem, want_embedder

    problem = model_problem()
    if problem is not None:
        return "the embedding model is not available"
    if not a.store.embeddings.available():
        return "messages not yet indexed for meaning"
    embedder = loaded_embedder()
    if embedder is None:
        want_embedder()  # loaded in the background only now that a plan wants it; this plan goes by words
        return "messages not yet indexed for meaning"
    from desktop_chat.core.semantic.index import for_store

    index = for_store(a.store)
    index.catch_up(a.store, wait=False)  # the window's worker keeps it caught up; a plan never waits for it
    if index.covers(None if a.options.recall_all_sessions else a.session_id) == 0:
        return "messages not yet indexed for meaning"
    vectors = _query_vectors(embedder, query_texts(question, aspects))
    found = index.search(
        vectors,
        session_id=a.session_id,
        all_sessions=a.options.recall_all_sessions,
        below=window_start,
        limit=limit + limit // 5,  # a few may have gone since they were indexed
        speakers=frozenset(index.speakers_named(names)),
    )
    near = [[s for s in lst if s.score >= MIN_SIMILARITY] for lst in found]
    wanted = list(dict.fromkeys(s.id for lst in near for s in lst))
    alive = a.store.embeddings.current(MODEL_NAME, wanted)
    index.forget([i for i in wanted if i not in alive])
    lists = [[Nearest(s.id, *alive[s.id], s.score) for s in lst if s.id in alive][:limit] for lst in near]
    return SemanticLists(lists[0], lists[1:])
