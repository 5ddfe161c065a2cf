"""Bring a database's message vectors up to date: the messages that have none get one, a batch at a time.

Run by the window in a worker thread on a connection of its own (``BackgroundIndexer``),
so the GUI thread never waits for it; by the command line for the one chat it is
about to plan (``index_store(session_id=...)``): ~45 messages a second on one core,
so a chat of 600 turns just imported takes about fifteen seconds once. Both stop
between batches when asked and report progress.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from desktop_chat.core.semantic.model import MODEL_NAME, shared_embedder
from desktop_chat.core.storage.store import Store

BATCH = 256


@dataclass(frozen=True, slots=True)
class IndexProgress:
    done: int
    total: int


def index_store(
    store: Store,
    *,
    batch: int = BATCH,
    progress: Callable[[IndexProgress], None] | None = None,
    stop: Callable[[], bool] | None = None,
    session_id: int | None = None,
    write: Callable[[list[tuple[int, str, bytes]]], int] | None = None,
) -> int:
    """Embed every sendable message (of one chat, or all) that has no vector yet; returns how many were stored.

    ``write``: stores a batch of (message id, text, vector) and says how many it stored (default: in
    ``store``); the window's worker hands its batches to the window's own connection this way.
    """
    if store.read_only or not store.embeddings.available():
        return 0
    total = store.embeddings.pending_count(MODEL_NAME, session_id=session_id)
    if total == 0:
        return 0
    from desktop_chat.core.semantic.index import encode  # numpy: imported where the work is

    model = shared_embedder()
    done = stored = 0
    after = 0
    while not (stop and stop()):
        rows = store.embeddings.pending(MODEL_NAME, after_id=after, limit=batch, session_id=session_id)
        if not rows:
            break
        vectors = model.embed([text for _, text in rows])
        made = [(i, text, encode(vectors[n])) for n, (i, text) in enumerate(rows)]
        stored += write(made) if write is not None else store.embeddings.put(MODEL_NAME, made)
        after = rows[-1][0]
        done += len(rows)
        if progress is not None:
            progress(IndexProgress(min(done, total), total))
    return stored
