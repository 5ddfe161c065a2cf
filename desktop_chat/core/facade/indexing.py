"""The window's semantic indexing: new and imported messages get their vectors in a worker thread.

The worker has a database connection of its own (SQLite's WAL lets it write while
the window reads), loads the model there (~0.2 s), and fills the window's
in-memory index from its own connection too, so the GUI thread neither embeds
nor reads thousands of vectors. Progress is published as ``IndexingProgress``
from the loop's thread. Requests while it runs coalesce into one more pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from desktop_chat.core.errors import DesktopChatError
from desktop_chat.core.events import EventChannel, IndexingProgress
from desktop_chat.core.semantic.index import for_store
from desktop_chat.core.semantic.indexer import IndexProgress, index_store
from desktop_chat.core.semantic.model import shared_embedder
from desktop_chat.core.storage.db import Database
from desktop_chat.core.storage.store import Store

log = logging.getLogger(__name__)


class BackgroundIndexer:
    def __init__(self, store: Store, channel: EventChannel) -> None:
        self._store = store
        self._channel = channel
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._stopping = threading.Event()
        self.problem: str | None = None  # one line when the model could not be loaded
        # One thread of its own, at a lower priority: embedding a big import takes minutes of CPU, and
        # the window (and the user's other programs) come first.
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="semantic-indexing", initializer=_lower_priority)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def request(self) -> None:
        """Index what is new, now or right after the pass that is running."""
        path = self._store.db.path
        if path is None or self._store.read_only or self._stopping.is_set() or self.problem is not None:
            return  # an in-memory store cannot be shared with a worker; a read-only one cannot be written
        if self.running:
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._run(), name="semantic indexing")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()

        def report(progress: IndexProgress) -> None:
            loop.call_soon_threadsafe(self._channel.publish, IndexingProgress(progress.done, progress.total))

        while True:
            self._again = False
            try:
                stored = await loop.run_in_executor(self._worker, self._pass, report)
            except DesktopChatError as exc:
                self.problem = str(exc)
                log.warning("semantic indexing stopped: %s", exc)
                return
            if stored:
                self._channel.publish(IndexingProgress(stored, stored, finished=True))
            if not self._again or self._stopping.is_set():
                return

    def _pass(self, report: Callable[[IndexProgress], None]) -> int:
        path = self._store.db.path
        assert path is not None
        shared_embedder()
        worker = Store(Database.open(path))
        try:
            stored = index_store(worker, progress=report, stop=self._stopping.is_set)
            for_store(self._store).catch_up(worker)
            return stored
        finally:
            worker.close()

    async def aclose(self) -> None:
        self._stopping.set()
        task = self._task
        if task is not None and not task.done():
            await asyncio.wait([task])
        self._worker.shutdown(wait=False)


def _lower_priority() -> None:
    """Nice 10 for the calling thread (Linux schedules threads on their own; elsewhere nothing changes)."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
