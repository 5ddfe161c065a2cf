"""Building blocks of the settings pages: a field with its one-line explanation and its in-place error.

A field's value is parsed and checked by the settings' own rules (``core/settings.py``),
so the message next to a field is the same one the command line would print.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.core.errors import SettingsError
from desktop_chat.core.settings import HybridSplit, parse_text, to_json, validate
from desktop_chat.ui.accessibility import name_line_edit

# The one semantic accent of these pages (UI.md: colours only for meaning).
ERROR_STYLE = "color: #c0392b;"


def explanation(text: str) -> QLabel:
    """A one-line, dimmed explanation under a field."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setAccessibleName("Explanation")
    label.setToolTip(text)
    font = label.font()
    font.setPointSizeF(max(font.pointSizeF() * 0.9, 7.0))
    label.setFont(font)
    label.setEnabled(False)  # the palette's disabled text: dimmed in light and dark themes alike
    return label


def error_label(name: str) -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(ERROR_STYLE)
    label.setAccessibleName(f"Problem with {name}")
    label.setToolTip(f"Why the value of {name} cannot be saved")
    label.hide()
    return label


class Field:
    """One control, its explanation and its error, placed in a form layout as one row."""

    def __init__(
        self,
        form: QFormLayout,
        label: str,
        widget: QWidget,
        *,
        tip: str,
        explain: str = "",
        key: str | None = None,
        parse: Callable[[], Any] | None = None,
        container: QWidget | None = None,
    ) -> None:
        self.key = key
        self.widget = widget
        # A check box carries its own words; an unlabelled row takes them as its name.
        self.label = label.rstrip(":") or str(getattr(widget, "text", lambda: "")())
        widget.setAccessibleName(self.label)
        if isinstance(widget, QLineEdit | QComboBox):
            name_line_edit(widget, self.label)  # its clear button, an editable combo's line edit
        widget.setToolTip(tip)
        self.error = error_label(self.label)
        self._parse = parse
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(container or widget)  # the container holds the control and its buttons
        if explain:
            column.addWidget(explanation(explain))
        column.addWidget(self.error)
        self.row = box  # what the form's row holds: for showing and hiding the row
        form.addRow(label, box)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def clear_error(self) -> None:
        self.show_error("")

    @property
    def has_error(self) -> bool:
        return bool(self.error.text())

    def value(self) -> Any:
        """The checked value; shows and re-raises ``SettingsError`` next to the field."""
        try:
            value = self._parse() if self._parse is not None else self._default_parse()
        except SettingsError as exc:
            self.show_error(str(exc))
            raise
        self.clear_error()
        return value

    def _default_parse(self) -> Any:
        assert self.key is not None
        widget = self.widget
        if isinstance(widget, QCheckBox):
            return parse_text(self.key, "true" if widget.isChecked() else "false")
        if isinstance(widget, QComboBox):
            return parse_text(self.key, str(widget.currentData() or widget.currentText()))
        if isinstance(widget, QLineEdit):
            return parse_text(self.key, widget.text())
        raise TypeError(type(widget).__name__)

    def load(self, value: Any) -> None:
        """Show ``value`` (a setting's value) in the control."""
        self.clear_error()
        widget = self.widget
        if isinstance(widget, QCheckBox):
            widget.setChecked(bool(value))
        elif isinstance(widget, QComboBox):
            index = widget.findData(str(value))
            widget.setCurrentIndex(index if index >= 0 else 0)
        elif isinstance(widget, QLineEdit):
            widget.setText(text_of(value))


def text_of(value: Any) -> str:
    """A setting's value as the text a user would type for it ("" for none)."""
    if value is None:
        return ""
    as_text = getattr(value, "as_text", None)
    if callable(as_text):
        return str(as_text())
    json_value = to_json(value)
    if isinstance(json_value, float):
        return f"{json_value:g}"
    return str(json_value)


def line_edit(placeholder: str = "") -> QLineEdit:
    edit = QLineEdit()
    edit.setPlaceholderText(placeholder)
    edit.setClearButtonEnabled(bool(placeholder))
    return edit


def combo(choices: list[tuple[str, str]]) -> QComboBox:
    """A combo box of (label, value) pairs."""
    box = QComboBox()
    for label, value in choices:
        box.addItem(label, value)
    return box


class SplitEditor(QWidget):
    """The hybrid split as three percentages (facts, summary, recall); the recent messages get the rest.

    ``value()`` is checked by the settings' own rule, so a sum over the limit is refused
    with the sentence the command line prints.
    """

    changed = Signal()
    PARTS = (("facts", "Facts"), ("summary", "Summary"), ("recall", "Recall"))

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spins: dict[str, QSpinBox] = {}
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for name, label in self.PARTS:
            spin = QSpinBox()
            spin.setRange(0, 100)
            spin.setSingleStep(5)
            spin.setSuffix(" %")
            spin.setAccessibleName(f"{label} share")
            spin.setToolTip(f"The share of the memory budget {label.lower()} may use in hybrid")
            spin.valueChanged.connect(self._changed)
            caption = QLabel(label)
            caption.setBuddy(spin)
            row.addWidget(caption)
            row.addWidget(spin)
            self.spins[name] = spin
        self.rest = QLabel()
        self.rest.setAccessibleName("Recent messages' share")
        self.rest.setToolTip("What the recent messages get: the rest of the memory budget")
        row.addWidget(self.rest, 1)
        self._changed()

    @Slot()
    def _changed(self, *_: object) -> None:
        rest = 100 - sum(spin.value() for spin in self.spins.values())
        self.rest.setText(f"recent: {rest} %" if rest >= 0 else "over 100 %")
        self.changed.emit()

    def load(self, split: HybridSplit) -> None:
        for name, spin in self.spins.items():
            spin.blockSignals(True)
            spin.setValue(round(getattr(split, name) * 100))
            spin.blockSignals(False)
        self._changed()

    def value(self) -> HybridSplit:
        shares = {name: spin.value() / 100 for name, spin in self.spins.items()}
        split: HybridSplit = validate("hybrid_split", shares)
        return split


KEY_FILE_CHOICE = "Keep the key in a file instead: not encrypted, readable only by you"


def key_file_box() -> QCheckBox:
    """The explicit choice of the 0600 key file in the data folder (never the default: it is not encrypted)."""
    box = QCheckBox(KEY_FILE_CHOICE)
    box.setAccessibleName("Keep the key in a file")
    box.setToolTip("Saved in api-keys.json in the data folder (mode 0600); anyone with your account can read it")
    return box


def keyring_note() -> QLabel:
    """Where a key typed without an OS keyring goes; wraps, so the whole line shows however narrow."""
    label = QLabel()
    label.setWordWrap(True)
    label.setAccessibleName("Where keys are kept")
    label.setToolTip("Without an OS keyring a key is kept until you quit, unless you choose the file")
    label.hide()
    return label


def grow_to_fit(window: QWidget) -> None:
    """Make a shown window tall enough for its wrapped lines at its width (a line shown after it opened
    would otherwise be squeezed, its text clipped); call it on each of the window's layout requests."""
    layout = window.layout()
    if layout is None or not window.isVisible():
        return
    if layout.hasHeightForWidth():
        needed = layout.totalHeightForWidth(window.width())
    else:
        needed = layout.totalSizeHint().height()
    if needed > window.height():
        window.resize(window.width(), needed)


def json_save_dialog(parent: QWidget, title: str, file_name: str, chosen: Callable[[str], None]) -> QFileDialog:
    """A window-modal "save as JSON" dialog, opened at ``~/file_name``; ``chosen`` gets the path picked."""
    dialog = QFileDialog(parent, title, str(Path.home() / file_name))
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setNameFilter("JSON (*.json)")
    dialog.setDefaultSuffix("json")
    dialog.fileSelected.connect(chosen)
    dialog.open()
    return dialog
