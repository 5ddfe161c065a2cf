"""One way to run background work from the window: a strong reference to each task, failures reported alike.

The loop keeps only a weak reference to a task, so a task nobody holds may vanish
mid-way; and a failure nobody awaits is only logged by asyncio at garbage
collection. ``TaskRunner.run(coro, what=...)`` holds the task until it ends and then
reports how it ended, one way everywhere:

- cancelled: nothing to say;
- a ``DesktopChatError``: its own one line (it is written for the user), in the status bar;
- anything else: logged with its traceback, and the one line the window's error hooks
  use ("... failed unexpectedly; see the log").

Replies are not background work: the bridge owns their tasks (Stop cancels them).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Signal

from desktop_chat.core.errors import DesktopChatError

if TYPE_CHECKING:
    import asyncio  # imported when the first task starts: the window is built (and painted) before asyncio loads

log = logging.getLogger(__name__)

T = TypeVar("T")

UNEXPECTED = "{what} failed unexpectedly; the details are in the log."


class TaskRunner(QObject):
    """Runs coroutines as tasks it holds until they end; ``failed`` carries the one line to show."""

    failed = Signal(str)

    def __init__(self, parent: QObject | None = None, *, notify: Callable[[str], None] | None = None) -> None:
        super().__init__(parent)
        self._tasks: set[asyncio.Task[Any]] = set()
        if notify is not None:
            self.failed.connect(notify)

    def run(
        self,
        coro: Coroutine[Any, Any, T],
        *,
        what: str,
        done: Callable[[asyncio.Task[T]], None] | None = None,
    ) -> asyncio.Task[T]:
        """Start ``coro`` on the running loop; ``what`` names it in a failure ("Checking the keyring").

        ``done(task)`` runs after the task ended however it ended (after the failure is reported).
        """
        import asyncio

        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def finished(ended: asyncio.Task[T]) -> None:
            self._tasks.discard(ended)
            self._report(ended, what)
            if done is not None:
                done(ended)

        task.add_done_callback(finished)
        return task

    def _report(self, task: asyncio.Task[Any], what: str) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is None:
            return
        if isinstance(error, DesktopChatError):
            log.info("%s: %s", what, error)
            self.failed.emit(str(error))
            return
        log.error("%s failed", what, exc_info=(type(error), error, error.__traceback__))
        self.failed.emit(UNEXPECTED.format(what=what))

    def pending(self) -> list[asyncio.Task[Any]]:
        """The tasks not ended yet (shutdown and tests wait for them)."""
        return list(self._tasks)

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
