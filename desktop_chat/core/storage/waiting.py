"""Waiting for the database without stalling an event loop.

Another process (the CLI importing, a ``sqlite3`` shell, another window) may
hold SQLite's one write lock for seconds. SQLite waits for it by sleeping in
the calling thread, which is fine for the command line and fatal for the
window: its event loop is that thread. So the connection sleeps only briefly
when the thread runs an event loop (``Database`` switches the busy timeout),
and the writes a loop must not lose wait here instead: ``when_free`` retries
a write, yielding to the loop between tries, until the lock frees or its
patience runs out. See docs/storage.md, "Waiting for the database".
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from desktop_chat.core.errors import DatabaseBusy

if TYPE_CHECKING:
    from desktop_chat.core.storage.db import Database

T = TypeVar("T")

LOOP_BUSY_TIMEOUT_MS = 20  # SQLite's own wait on a loop's thread: well under a frame's worth of stall
PATIENCE = 30.0  # seconds a user's action waits for another program's lock before saying so
FIRST_PAUSE = 0.02  # seconds between tries, doubling up to LONGEST_PAUSE
LONGEST_PAUSE = 0.25  # a freed lock is noticed within this long


def loop_running() -> bool:
    """Whether this thread runs an event loop right now (the window's thread, or an ``asyncio.run``)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def when_free(db: Database, write: Callable[[], T], *, forever: bool = False, giving_up: str = "") -> T:
    """``write()``, tried again whenever another program holds the lock, with the loop free in between.

    ``write`` must be all-or-nothing (one transaction or one statement), so a try
    that met the lock changed nothing. ``forever`` waits as long as it takes (a
    reply's text kept in memory); else, past ``PATIENCE``, ``DatabaseBusy`` says
    what happened, ending with ``giving_up`` (what became of the user's action).
    """
    patience = PATIENCE  # read now: tests shorten it
    deadline = None if forever else time.monotonic() + patience
    pause = FIRST_PAUSE
    while True:
        try:
            return write()
        except DatabaseBusy:
            if deadline is not None and time.monotonic() + pause > deadline:
                raise DatabaseBusy(held_too_long(db, patience, giving_up)) from None
        await asyncio.sleep(pause)
        pause = min(pause * 2, LONGEST_PAUSE)


def held_too_long(db: Database, seconds: float, giving_up: str) -> str:
    where = str(db.path) if db.path is not None else "in memory"
    line = f"Another program has kept the chat database {where} locked for {seconds:.0f} s"
    return f"{line}; {giving_up}" if giving_up else f"{line}; close it or wait for it to finish, then try again."
