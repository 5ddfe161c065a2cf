"""Work-arounds for bugs in the Qt binding, applied once when the UI package is imported.

PySide6 6.12 on Python 3.11: ``SignalInstance.emit()`` returns ``True`` without a
new reference, so every emit from Python (ours, and qasync's on each hand-over
from a worker thread) drops one reference to ``True``; after a few thousand the
interpreter aborts with "bool_dealloc: deallocating True or False". Python 3.12
made ``True`` immortal, which hides it. The fix is detected, not assumed: it is
applied only when an emit is seen to lose a reference.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance

_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None


class _Probe(QObject):
    ping = Signal()


def emit_loses_true() -> bool:
    """Whether this binding's emit() drops a reference to True."""
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(8):
        probe.ping.emit()
    lost = before - sys.getrefcount(True)
    if lost > 0:
        for _ in range(lost):
            _incref(True)  # give back what the probe took
    return lost >= 8


def install() -> bool:
    """Patch emit() to give back the reference it takes; True when the patch was needed."""
    if getattr(SignalInstance.emit, "_desktop_chat_fixed", False) or not emit_loses_true():
        return False
    original = SignalInstance.emit

    def emit(self: Any, *args: Any) -> Any:
        result = original(self, *args)
        if result is True:
            _incref(result)
        return result

    emit._desktop_chat_fixed = True  # type: ignore[attr-defined]
    SignalInstance.emit = emit  # type: ignore[method-assign]
    return True
