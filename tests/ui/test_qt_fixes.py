"""The binding bug work-around: emitting signals must not use up references to True."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

import desktop_chat.ui  # noqa: F401  (installs the fix)
from desktop_chat.ui import qt_fixes


class _Emitter(QObject):
    flag = Signal(int)
    bare = Signal()


def test_emitting_keeps_references_to_true() -> None:
    emitter = _Emitter()
    seen: list[int] = []
    emitter.flag.connect(seen.append)
    emitter.bare.connect(lambda: None)
    before = sys.getrefcount(True)
    for _ in range(500):
        emitter.flag.emit(1)
        emitter.bare.emit()
    assert sys.getrefcount(True) >= before
    assert len(seen) == 500
    assert not qt_fixes.emit_loses_true()
