"""Bring a database's message vectors up to date: the messages that have none get one, a batch at a time.

Run by the window in a worker thread on a connection of its own (``index_folder``),
so the GUI thread never waits for it; by the command line before it plans
(``index_store``), where a chat just imported is embedded in a fraction of a
second. Both stop between batches when asked and report progress.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from desktop_chat.core.semantic.index import encode
from desktop_chat.core.semantic.model import MODEL_NAME, Embedder, shared_embedder
from desktop_chat.core.storage.store import Store

BATCH = 256


@dataclass(frozen=True, slots=True)
class IndexProgress:
    done: int
    total: int


def index_store(
    store: Store,
    embedder: Embedder | None = None,
    *,
    batch: int = BATCH,
    progress: Callable[[IndexProgress], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> int:
    """Embed every sendable message that has no vector yet; returns how many were stored."""
    if store.read_only or not store.embeddings.available():
        return 0
    total = store.embeddings.pending_count(MODEL_NAME)
    if total == 0:
        return 0
    model = embedder or shared_embedder()
    done = stored = 0
    after = 0
    while not (stop and stop()):
        rows = store.embeddings.pending(MODEL_NAME, after_id=after, limit=batch)
        if not rows:
            break
        vectors = model.embed([text for _, text in rows])
        stored += store.embeddings.put(MODEL_NAME, [(i, text, encode(vectors[n])) for n, (i, text) in enumerate(rows)])
        after = rows[-1][0]
        done += len(rows)
        if progress is not None:
            progress(IndexProgress(min(done, total), total))
    return stored


def index_folder(
    folder: Path,
    *,
    progress: Callable[[IndexProgress], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> int:
    """``index_store`` on a connection of its own to the database in ``folder`` (for a worker thread)."""
    store = Store.open(folder)
    try:
        return index_store(store, progress=progress, stop=stop)
    finally:
        store.close()
