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
    # Objects made and still alive since the last check past which they are frozen, not walked. So many in
    # half a second is a worker's import (the SDK, made by the core's first client: ~110,000), which
    # lives as long as the process: collected, it would stall the window once per generation it passes
    # through (~75, ~60 and ~40 ms). The window's own bursts (a chat opened, a reply) make a few thousand.
    BULK = 50_000

    def __init__(self) -> None:
        self._threshold = gc.get_threshold()
        gc.disable()
        self.timer = QTimer()
        self.timer.setInterval(self.INTERVAL_MS)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def check(self) -> None:
        counts = gc.get_count()
        if counts[0] <= self._threshold[0]:
            return
        if counts[0] > self.BULK:
            self.freeze()  # as the launcher does after its own imports; the few cycles among them stay
            return
        generation = 0
        if counts[1] > self._threshold[1]:
            generation = 2 if counts[2] > self._threshold[2] else 1
        gc.collect(generation)

    def freeze(self) -> None:
        """Leave what exists now out of every later collection (``gc.freeze``): the window, the core, imported modules.

        A full collection walks every tracked object: with the window up, ~70,000 of them and
        90-140 ms on the GUI thread, a stall every few seconds of use. What exists once the
        window is ready (or a library is imported) lives as long as the process; frozen, it is
        no longer walked, and a full collection takes a few ms. Reference counting still frees
        frozen objects; only a cycle among them would stay.
        """
        gc.freeze()

    def stop(self) -> None:
        self.timer.stop()
        gc.enable()
