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

from desktop_chat.ui.chat.chat_view import Theme
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


# Named slots, not lambdas, in these packages: a slot has a name in a traceback and types Qt checks.
NAMED_SLOTS_IN = ("inspector", "settings", "chat")
LAMBDAS_LEFT: dict[str, int] = {}


def test_connections_are_named_slots_and_no_attribute_error_is_hidden() -> None:
    import re
    from pathlib import Path

    import desktop_chat.ui

    ui = Path(desktop_chat.ui.__file__).parent
    found: dict[str, int] = {}
    hidden = []
    for package in NAMED_SLOTS_IN:
        for path in sorted((ui / package).glob("*.py")):
            text = path.read_text(encoding="utf-8")
            count = len(re.findall(r"\.connect\(\s*lambda|singleShot\([^)]*lambda", text))
            if count:
                found[path.relative_to(ui).as_posix()] = count
            if re.search(r"suppress\([^)]*AttributeError", text):
                hidden.append(path.name)
    assert found == LAMBDAS_LEFT, "connect a named slot or functools.partial, not a lambda"
    assert hidden == []


def test_methods_connected_to_signals_are_typed_slots() -> None:
    import re
    from pathlib import Path

    import desktop_chat.ui

    ui = Path(desktop_chat.ui.__file__).parent
    untyped = []
    for package in NAMED_SLOTS_IN:
        for path in sorted((ui / package).glob("*.py")):
            text = path.read_text(encoding="utf-8")
            for name in sorted(set(re.findall(r"\.connect\(self\.(\w+)\)", text))):
                match = re.search(rf"\n(.*)\n    def {name}\(", text)
                if match is not None and not match.group(1).strip().startswith("@Slot("):
                    untyped.append(f"{path.relative_to(ui).as_posix()}: {name}")
    # The inspector's plan timer is the next-request preview's, reworked elsewhere.
    assert untyped == []
