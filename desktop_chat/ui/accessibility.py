"""What a screen reader needs that Qt does not give by itself.

- ``name_line_edit(edit)``: the buttons Qt puts inside a line edit (the clear
  button, an icon added with ``addAction``) take their accessible name from
  their action's text, which Qt leaves empty; an editable combo box's line edit
  has no name of its own.
- ``announce(widget, text)``: say ``text`` without moving the focus (a reply
  finished, stopped or failed), with Qt's announcement event (Qt 6.8).
"""

from __future__ import annotations

from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent, QAction
from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

CLEAR_ACTION = "_q_qlineeditclearaction"  # the object name Qt gives a line edit's clear action
ANNOUNCED_WORDS = 12  # a finished reply is announced with its first words, not read out whole


def name_line_edit(edit: QLineEdit | QComboBox, name: str = "") -> None:
    """Name ``edit`` (when ``name`` is given) and the buttons Qt draws inside it."""
    if isinstance(edit, QComboBox):
        inner = edit.lineEdit()
        if inner is None:  # not editable: the combo box is the one control
            if name:
                edit.setAccessibleName(name)
            return
        if name:
            edit.setAccessibleName(name)
        inner.setAccessibleName(name or edit.accessibleName())
        edit = inner
    elif name:
        edit.setAccessibleName(name)
    clear = edit.findChild(QAction, CLEAR_ACTION)
    if clear is not None and not clear.text():
        clear.setText("Clear")
        clear.setToolTip("Clear the text")


def name_icon_action(action: QAction, name: str, tip: str = "") -> QAction:
    """An icon added to a line edit (``QLineEdit.addAction``) is a button: its action's text is its name."""
    action.setText(name)
    action.setToolTip(tip or name)
    return action


def first_words(text: str, count: int = ANNOUNCED_WORDS) -> str:
    words = text.split()
    return " ".join(words[:count]) + ("…" if len(words) > count else "")


def one_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def announce(widget: QWidget, text: str, *, assertive: bool = False) -> QAccessibleAnnouncementEvent:
    """Have screen readers say ``text`` (politely: after what they are reading, unless ``assertive``)."""
    event = QAccessibleAnnouncementEvent(widget, text)
    event.setPoliteness(
        QAccessible.AnnouncementPoliteness.Assertive if assertive else QAccessible.AnnouncementPoliteness.Polite
    )
    send_accessibility_event(event)
    return event


def send_accessibility_event(event: QAccessibleAnnouncementEvent) -> None:
    """The one call to ``QAccessible.updateAccessibility`` (PySide6 has no update handler to observe it)."""
    QAccessible.updateAccessibility(event)
