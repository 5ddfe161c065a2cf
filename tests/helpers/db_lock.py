"""Another program holding the database's write lock, and a meter of how long the event loop stalls.

The lock is held by a separate process (``BEGIN IMMEDIATE`` in Python's sqlite3), as the
CLI importing or a ``sqlite3`` shell would hold it, until ``release()`` or its time is up.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import threading
import time
from pathlib import Path

_HOLDER = """
import select, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
select.select([sys.stdin], [], [], float(sys.argv[2]))
conn.execute("COMMIT")
conn.close()
"""


class LockHolder:
    """A process holding the write lock of the database at ``path`` for at most ``seconds``."""

    def __init__(self, path: Path, seconds: float = 30.0) -> None:
        self.path = path
        self.seconds = seconds
        self._process: subprocess.Popen[str] | None = None
        self._releasing = threading.Lock()

    def hold(self) -> LockHolder:
        """Start the process and return once it holds the lock (blocks: call it off the loop's thread)."""
        process = subprocess.Popen(
            [sys.executable, "-c", _HOLDER, str(self.path), str(self.seconds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._process = process
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "locked", "the lock holder did not take the lock"
        return self

    def release(self) -> None:
        """Let go of the lock and wait for the process to end (once: a timer and the test may both call it)."""
        with self._releasing:
            process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        assert process.stdin is not None and process.stdout is not None
        with contextlib.suppress(BrokenPipeError):  # its time was up: it let go already
            process.stdin.write("\n")
            process.stdin.close()
        process.wait(10)
        process.stdout.close()

    def release_after(self, seconds: float) -> threading.Timer:
        timer = threading.Timer(seconds, self.release)
        timer.daemon = True
        timer.start()
        return timer

    def __enter__(self) -> LockHolder:
        return self if self._process is not None else self.hold()

    def __exit__(self, *exc: object) -> None:
        self.release()


class StallMeter:
    """Ticks every 10 ms on the running loop; ``worst`` is the longest gap between two ticks, in seconds."""

    TICK = 0.01

    def __init__(self) -> None:
        self.worst = 0.0
        self.ticks = 0
        self._last = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> StallMeter:
        # Counted from now, not from the task's first run: a stall right after start() counts.
        self._last = time.monotonic()
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.TICK)
            self._tick()

    def _tick(self) -> None:
        now = time.monotonic()
        self.worst = max(self.worst, now - self._last)
        self.ticks += 1
        self._last = now

    async def stop(self) -> float:
        """The longest gap, the one still open included (a stall the ticker had no turn to see)."""
        self._tick()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        return self.worst
