"""Work-arounds for bugs in the Qt binding, applied once when the UI package is imported.

PySide6 6.12 on Python 3.11 drops references it does not own to ``None``, ``True``
and ``False``: ``SignalInstance.emit()`` returns ``True`` without a new reference,
and a ``None`` passing through a ``QVariant`` (``setData(role, None)``, ``data()``
of an unset role) loses one too. Every emit and every such call leaks a decrement;
after some thousands the interpreter aborts ("bool_dealloc" / "none_dealloc"), at
a random place, often at exit. Python 3.12 made these objects immortal, which
hides the bug; here they are made effectively immortal the same way, by giving
them a reference count no leak can use up. They are never freed in any case.
"""

from __future__ import annotations

import ctypes
import sys

SINGLETONS = (None, True, False)
# ob_refcnt is the first field of every CPython object; 2**40 decrements take days at any rate.
_HEADROOM = 1 << 40


def needed() -> bool:
    """Whether the singletons can be freed at all (CPython before 3.12)."""
    return sys.implementation.name == "cpython" and sys.version_info < (3, 12)


def install() -> bool:
    """Give None, True and False a reference count no leak can exhaust; True when it was needed."""
    if not needed() or sys.getrefcount(None) > _HEADROOM:
        return False
    for obj in SINGLETONS:
        ctypes.c_ssize_t.from_address(id(obj)).value += _HEADROOM
    return True


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

    def __init__(self) -> None:
        import gc

        from PySide6.QtCore import QTimer

        self._gc = gc
        self._threshold = gc.get_threshold()
        gc.disable()
        self.timer = QTimer()
        self.timer.setInterval(self.INTERVAL_MS)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def check(self) -> None:
        counts = self._gc.get_count()
        if counts[0] <= self._threshold[0]:
            return
        generation = 0
        if counts[1] > self._threshold[1]:
            generation = 2 if counts[2] > self._threshold[2] else 1
        self._gc.collect(generation)

    def stop(self) -> None:
        self.timer.stop()
        self._gc.enable()
