"""A titled block of the inspector that folds away (each of its sections)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget


class Section(QWidget):
    """A titled block that folds away; the title is what UI.md calls it."""

    def __init__(self, title: str, body: QWidget, tip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.body = body
        self.toggle = QToolButton()
        self.toggle.setText(title)
        self.toggle.setCheckable(True)
        self.toggle.setChecked(True)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setAutoRaise(True)
        self.toggle.setAccessibleName(title)
        self.toggle.setToolTip(f"{tip} (click to fold)")
        font = QFont(self.toggle.font())
        font.setBold(True)
        self.toggle.setFont(font)
        self.toggle.toggled.connect(self.set_open)
        self.aside = QLabel()
        self.aside.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.aside.setAccessibleName(f"{title}: summary")
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.toggle)
        head.addStretch(1)
        head.addWidget(self.aside)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.setSpacing(2)
        layout.addLayout(head)
        layout.addWidget(body)
        body.setAccessibleName(body.accessibleName() or title)

    @property
    def title(self) -> str:
        return self.toggle.text()

    @Slot(bool)
    def set_open(self, open_: bool) -> None:
        self.toggle.setChecked(open_)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if open_ else Qt.ArrowType.RightArrow)
        self.body.setVisible(open_)
