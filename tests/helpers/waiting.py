"""Letting the event loop (and so Qt) run: ``run`` a coroutine on a loop, wait ``until`` something holds.

A window fixture may register what to show when a wait times out (``explain_timeouts_with``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")

_STATE: list[Callable[[], str]] = []


def run(loop: asyncio.AbstractEventLoop, coro: Awaitable[T], timeout: float = 30.0) -> T:
    """``loop.run_until_complete``, minus qasync's extra pass: after its loop stops, qasync's version lets Qt
    process events "one last time" with no running loop, so an asyncio callback due just then (a task resuming
    after a thread) fails with "no running event loop" — something the app, run by ``qasync.run``, never does."""
    future = asyncio.ensure_future(asyncio.wait_for(coro, timeout), loop=loop)
    future.add_done_callback(lambda _: loop.stop())
    loop.run_forever()
    if not future.done():
        raise RuntimeError("the event loop stopped before the coroutine finished")
    return future.result()


def explain_timeouts_with(*shows: Callable[[], str]) -> None:
    """What ``until`` adds to its message when it times out (replaces what was registered before)."""
    _STATE[:] = shows


def state() -> str:
    return "".join(f"; {show()}" for show in _STATE)


async def until(predicate: Callable[[], Any], seconds: float = 5.0, what: str = "") -> None:
    """Let the loop (and so Qt) run until ``predicate()`` holds."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}{state()}")
        await asyncio.sleep(0.02)
