"""The window's semantic indexing: new and imported messages get their vectors in a worker thread.

The worker has a database connection of its own (SQLite's WAL lets it write while
the window reads), loads the model there (~1 s of CPU, ~80 MB), and fills the window's
in-memory index from its own connection too, so the GUI thread neither embeds
nor reads thousands of vectors. Progress is published as ``IndexingProgress``
from the loop's thread. Requests while it runs coalesce into one more pass.

The model and the index load only when needed: when there are messages without a
vector, or when a plan wanted to search by meaning (``want_embedder``). A window
whose history is indexed and whose open chat has no draft never loads them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from desktop_chat.core.events import EventChannel, IndexingProgress
from desktop_chat.core.semantic.indexer import IndexProgress
from desktop_chat.core.semantic.model import (
    MODEL_NAME,
    EmbeddingsUnavailable,
    loaded_embedder,
    model_problem,
    on_embedder_wanted,
)
from desktop_chat.core.storage.db import Database
from desktop_chat.core.storage.store import Store

log = logging.getLogger(__name__)
# Messages embedded between two looks at "stop" (closing the window waits for one batch: ~0.7 s).
WORKER_BATCH = 32
WRITE_WAIT_S = 10.0


class _Stopped(Exception):
    """The window is closing: the pass ends where it is."""


class BackgroundIndexer:
    def __init__(self, store: Store, channel: EventChannel) -> None:
        self._store = store
        self._channel = channel
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._stopping = threading.Event()
        # One thread of its own, at a lower priority: embedding a big import takes minutes of CPU, and
        # the window (and the user's other programs) come first.
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="semantic-indexing", initializer=_lower_priority)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._delayed: asyncio.TimerHandle | None = None
        self._model_wanted = False
        self._stop_listening = on_embedder_wanted(self._wanted)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def request_later(self, delay: float) -> None:
        """``request`` in ``delay`` seconds (the window's start: the first screen comes first)."""
        if self._delayed is None and not self._stopping.is_set():
            self._delayed = asyncio.get_running_loop().call_later(delay, self._delay_over)

    def _delay_over(self) -> None:
        self._delayed = None
        self.request()

    def _wanted(self) -> None:
        """A plan wanted the model (on the loop's thread, inside the plan): load it in the next pass."""
        if self._model_wanted:
            return
        self._model_wanted = True
        loop = self._loop or _running_loop()
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.request)  # after the plan, not inside it

    def request(self) -> None:
        """Index what is new, now or right after the pass that is running."""
        path = self._store.db.path
        if path is None or self._store.read_only or self._stopping.is_set() or model_problem() is not None:
            return  # an in-memory store cannot be shared with a worker; a read-only one cannot be written
        if self._delayed is not None:
            return  # the pass the window's start put off comes soon and will see this change too
        if self.running:
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._run(), name="semantic indexing")

    async def _run(self) -> None:
        loop = self._loop = asyncio.get_running_loop()

        def report(progress: IndexProgress) -> None:
            loop.call_soon_threadsafe(self._channel.publish, IndexingProgress(progress.done, progress.total))

        while True:
            self._again = False
            stored: int | None = 0
            try:
                stored = await loop.run_in_executor(self._worker, self._pass, report)
            except EmbeddingsUnavailable as exc:
                log.warning("recall by meaning is off: %s", exc)  # model_problem() says it in every plan
            except _Stopped:
                return
            except Exception:  # a busy database, a full disk: the next message tries again
                log.exception("semantic indexing failed; the next change tries again")
            # Every pass that did something ends with this, indexed or not: the first one loads the model,
            # so a plan made before it (by words only) is made again; and the progress label goes.
            if stored is not None:
                self._channel.publish(IndexingProgress(stored, stored, finished=True))
            if not self._again or self._stopping.is_set():
                return

    def _pass(self, report: Callable[[IndexProgress], None]) -> int | None:
        """Embed what has no vector; None when there was nothing to do and nothing asked for the model."""
        path = self._store.db.path
        assert path is not None
        worker = Store(Database.open(path))
        try:
            wanted = self._model_wanted or loaded_embedder() is not None
            if not wanted and not (worker.embeddings.available() and worker.embeddings.pending_count(MODEL_NAME)):
                return None  # nothing to embed, no plan searching by meaning: the model stays unloaded
            # Imported here, in the worker: numpy and the model's code stay off the GUI thread.
            from desktop_chat.core.semantic.index import for_store
            from desktop_chat.core.semantic.indexer import index_store
            from desktop_chat.core.semantic.model import shared_embedder

            shared_embedder()
            index = for_store(self._store)
            index.catch_up(worker)  # what earlier runs indexed: the window's plans never read it themselves

            def progress(done: IndexProgress) -> None:
                index.catch_up(worker)
                report(done)

            stored = index_store(
                worker, progress=progress, stop=self._stopping.is_set, batch=WORKER_BATCH, write=self._write_in_window
            )
            if not self._stopping.is_set():
                index.catch_up(worker)
            return stored
        finally:
            worker.close()

    def _write_in_window(self, vectors: list[tuple[int, str, bytes]]) -> int:
        """Store a batch through the window's own connection, on the loop's thread, and wait for it.

        Written from the worker's connection, every batch would look like another program's change
        (SQLite's data_version) and make the window reload everything it shows, a few times a second.
        A batch is one short transaction (~2 ms).
        """
        from desktop_chat.core.semantic.model import MODEL_NAME

        done: Future[int] = Future()

        def write() -> None:
            try:
                done.set_result(self._store.embeddings.put(MODEL_NAME, vectors))
            except BaseException as exc:  # handed to the worker, which reports it
                done.set_exception(exc)

        loop = self._loop
        if loop is None or loop.is_closed() or self._stopping.is_set():
            raise _Stopped
        loop.call_soon_threadsafe(write)
        # Bounded: a loop that stopped without closing the indexer must not keep the process alive.
        return done.result(timeout=WRITE_WAIT_S)

    async def aclose(self) -> None:
        self._stopping.set()
        self._stop_listening()
        if self._delayed is not None:
            self._delayed.cancel()
            self._delayed = None
        task = self._task
        if task is not None and not task.done():
            await asyncio.wait([task])
        self._worker.shutdown(wait=False)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _lower_priority() -> None:
    """Nice 10 for the calling thread (Linux schedules threads on their own; elsewhere nothing changes)."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
