"""Every control has an accessible name and a tooltip; colours come from the palette."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QTextEdit,
    QWidget,
)

from desktop_chat.ui.chat_view import Theme
from tests.helpers.window import Harness

CONTROLS = (QAbstractButton, QAbstractItemView, QLineEdit, QPlainTextEdit, QTextEdit, QProgressBar)


def test_every_control_has_an_accessible_name_and_a_tooltip(open_window: Callable[..., Harness]) -> None:
    h = open_window()
    missing = []
    checked = 0
    for widget in h.window.findChildren(QWidget):
        if (
            not isinstance(widget, CONTROLS)
            or isinstance(widget, QAbstractSlider | QHeaderView)  # parts of a view, named with it
            or not widget.isVisibleTo(h.window)
        ):
            continue
        if (
            type(widget).__name__ in ("QToolButton",)
            and widget.parent() is not None
            and (type(widget.parent()).__name__ in ("QLineEdit", "QTabBar", "QMenuBar"))
        ):
            continue  # Qt's own sub-buttons (clear, scroll arrows), named by Qt
        checked += 1
        if not widget.accessibleName() or not widget.toolTip():
            missing.append(f"{type(widget).__name__} {widget.objectName()!r} {widget.accessibleName()!r}")
    assert missing == []
    assert checked >= 8  # the sidebar's buttons, search and list; messages; composer; inspector
    unnamed_actions = [a.text() for a in h.window.actions() if not a.toolTip() or not a.text()]
    assert unnamed_actions == []


def test_colours_follow_a_dark_palette() -> None:
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Base, QColor(30, 30, 30))
    palette.setColor(QPalette.ColorRole.Text, QColor(230, 230, 230))
    palette.setColor(QPalette.ColorRole.Highlight, QColor(40, 90, 160))
    theme = Theme(palette)
    assert theme.dark
    assert QColor(theme.code_background).lightnessF() < 0.3
    assert theme.user_tint.lightnessF() < 0.3
    assert theme.renderer.render("```python\nx = 1\n```").html.count("<span style=") > 0
