"""A minimal window that proves the GUI starts and reads the same store as the CLI."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QListWidget, QMainWindow, QSplitter, QVBoxLayout, QWidget

from desktop_chat.core.errors import DesktopChatError


class PlaceholderWindow(QMainWindow):
    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.setWindowTitle("Desktop Chat")
        self.resize(1100, 720)
        sessions = QListWidget()
        sessions.setAccessibleName("Chats")
        note = QLabel()
        note.setWordWrap(True)
        note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        try:
            from desktop_chat.core.bootstrap import open_workspace

            workspace = open_workspace(folder)
        except DesktopChatError as exc:
            note.setText(str(exc))
        else:
            try:
                for session in workspace.sessions():
                    sessions.addItem(f"{'★ ' if session.pinned else ''}{session.title or 'Untitled chat'}")
            finally:
                workspace.close()
            note.setText(
                "The chat window is coming in the next release.\n"
                f"Your chats are stored in {folder}.\n"
                "Until then, use the command line: desktop-chat --help"
            )
        pane = QWidget()
        layout = QVBoxLayout(pane)
        layout.addWidget(note)
        splitter = QSplitter()
        splitter.addWidget(sessions)
        splitter.addWidget(pane)
        splitter.setSizes([280, 820])
        self.setCentralWidget(splitter)
