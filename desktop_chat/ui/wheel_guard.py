"""Scrolling a pane must scroll the pane: a combo or spin box under the pointer takes the wheel only once focused.

Qt hands the wheel to whatever control is under the pointer, so scrolling the
inspector past the Strategy list changed the chat's strategy. Guarded controls
take focus by click or Tab only (not by the wheel) and hand an unfocused wheel
to the scroll area around them, which scrolls.
"""

from __future__ import annotations

import functools

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QComboBox, QWidget


class WheelGuard(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.Wheel or not isinstance(watched, QWidget) or watched.hasFocus():
            return False
        # Qt does not pass on a wheel event a filter swallowed: give it to the enclosing scroll area.
        area = watched.parentWidget()
        while area is not None and not isinstance(area, QAbstractScrollArea):
            area = area.parentWidget()
        if area is not None:
            QCoreApplication.sendEvent(area.viewport(), event)
        return True


@functools.cache
def _guard() -> WheelGuard:
    """The one guard, made by the first call: on the GUI thread, as the widgets it watches are. A QObject made
    when the module is imported would belong to whichever thread imported it (the start imports the panes'
    modules on a worker), and Qt refuses to filter another thread's objects."""
    return WheelGuard()


def guard_wheel(root: QWidget) -> None:
    """Guard every combo and spin box in ``root`` (and ``root`` itself)."""
    found: list[QWidget] = [root, *root.findChildren(QComboBox), *root.findChildren(QAbstractSpinBox)]
    for widget in found:
        if isinstance(widget, QComboBox | QAbstractSpinBox):
            widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            widget.installEventFilter(_guard())
