"""The line above an archived chat: it says so, and Restore brings the chat back to the list."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget


class ArchivedBar(QWidget):
    """Shown while the open chat is archived: opened from View ▸ Show archived chats, or a search hit."""

    restore = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel("This chat is archived: it is kept, but not listed with your chats.")
        self.label.setAccessibleName("Archived chat")
        self.label.setWordWrap(True)
        self.button = QPushButton("Restore")
        self.button.setAccessibleName("Restore this chat")
        self.button.setToolTip("Unarchive: list this chat with your chats again")
        self.button.clicked.connect(self.restore)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 2, 12, 2)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        self.hide()
