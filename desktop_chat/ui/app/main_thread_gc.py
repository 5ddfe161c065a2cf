"""Python's garbage collector, run from the GUI thread only."""

from __future__ import annotations

import gc

from PySide6.QtCore import QTimer


class MainThreadGarbageCollector:
    """Python's garbage collector, run from the GUI thread only.

    Automatic collection runs in whichever thread happens to allocate, and the
    worker threads (``asyncio.to_thread``: imports, the keyring, encodings)
    allocate a lot. Collecting a cycle that holds a QObject there destroys it
    from the wrong thread ("Timers cannot be stopped from another thread"), and
    can crash. So automatic collection is turned off and a timer on the GUI
    thread collects each generation when its threshold is reached, as the
    interpreter would.
    """

    INTERVAL_MS = 500
    # Young objects (made since the last collection of the middle generation, and alive) past which they
    # are frozen rather than walked. So many within seconds is a worker's import (the SDK, which the core's
    # first client imports: ~110,000), which lives as long as the process: collected, it stalled the window
    # once per generation it passed through (~75, ~60 and ~40 ms). The window's own bursts (a chat opened,
    # a reply) leave a few thousand.
    BULK = 50_000

    def __init__(self, *, from_first_freeze: bool = False) -> None:
        """``from_first_freeze``: collect nothing until ``freeze()`` is first called (the window's start).

        Half a second into the start a full pass walked the ~60,000 objects the imports had made, ~80 ms
        on the GUI thread before the last chat showed; what the start makes lives on anyway and is frozen
        at its end, so the passes begin then.
        """
        self._threshold = gc.get_threshold()
        self._young = 0  # survivors of the youngest generation's collections, in the middle one since
        self._automatic = gc.isenabled()  # what stop() puts back: a test may already have turned it off
        gc.disable()
        self.timer = QTimer()
        self.timer.setInterval(self.INTERVAL_MS)
        self.timer.timeout.connect(self.check)
        if not from_first_freeze:
            self.timer.start()

    def check(self) -> None:
        counts = gc.get_count()
        if counts[0] <= self._threshold[0]:
            return
        generation = 0
        if counts[1] > self._threshold[1]:
            generation = 2 if counts[2] > self._threshold[2] else 1
        young = counts[0] + (self._young if generation else 0)  # what the collection would walk besides the old
        if young > self.BULK:
            self.freeze()  # as the launcher does after its own imports; the few cycles among them stay
            return
        found = gc.collect(generation)
        self._young = self._young + max(0, counts[0] - found) if generation == 0 else 0

    def freeze(self) -> None:
        """Leave what exists now out of every later collection (``gc.freeze``): the window, the core, imported modules.

        A full collection walks every tracked object: with the window up, ~70,000 of them and
        90-140 ms on the GUI thread, a stall every few seconds of use. What exists once the
        window is ready (or a library is imported) lives as long as the process; frozen, it is
        no longer walked, and a full collection takes a few ms. Reference counting still frees
        frozen objects; only a cycle among them would stay.
        """
        gc.freeze()
        self._young = 0
        if not self.timer.isActive():
            self.timer.start()

    def stop(self) -> None:
        """Stop collecting; automatic collection as it was before (the tests turn it off around a Qt test)."""
        self.timer.stop()
        if self._automatic:
            gc.enable()
