"""The least a chat window in this stack costs: what 'ready' could be at best, beside the bare window.

    .venv/bin/python -m bench.window_startup --floor ...   (run as one more program in turn)

A child that does only what the first screen shows, with none of Desktop Chat's modules: PySide6,
sqlite3 and markdown-it; a sidebar of the 40 newest chats' titles, the newest chat's last 30
messages rendered from Markdown into rich text in a list view (a delegate laying out one
``QTextDocument`` per visible row, as the app's chat does), a composer with the focus, the chat's
title in the window's title. Ready is its first paint. It reads the benchmark's database with plain
SQL and keeps nothing: a floor to measure against, not a second app.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from bench.window_startup import mark


def child_floor(folder: Path) -> int:
    from markdown_it import MarkdownIt
    from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize
    from PySide6.QtGui import QPainter, QPaintEvent, QTextDocument
    from PySide6.QtWidgets import (
        QApplication,
        QListView,
        QListWidget,
        QMainWindow,
        QPlainTextEdit,
        QSplitter,
        QStyledItemDelegate,
        QStyleOptionViewItem,
        QVBoxLayout,
        QWidget,
    )

    app = QApplication(sys.argv[:1])
    db = sqlite3.connect(f"file:{folder / 'desktop-chat.sqlite3'}?mode=ro", uri=True)
    chats = db.execute("SELECT id, title FROM sessions ORDER BY updated_at DESC, id DESC LIMIT 40").fetchall()
    newest, title = chats[0]
    rows = db.execute(
        "SELECT role, content FROM messages WHERE session_id = ? ORDER BY id DESC LIMIT 30", (newest,)
    ).fetchall()[::-1]
    markdown = MarkdownIt("commonmark")
    html = [markdown.render(content) for _, content in rows]

    class Messages(QAbstractListModel):
        def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
            return len(html)

        def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> object:
            return html[index.row()] if role == 0 else None

    class Delegate(QStyledItemDelegate):
        def _document(self, index: QModelIndex | QPersistentModelIndex, width: int) -> QTextDocument:
            document = QTextDocument()
            document.setHtml(str(index.data()))
            document.setTextWidth(width)
            return document

        def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
            return self._document(index, max(option.rect.width(), 600)).size().toSize()

        def paint(
            self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
        ) -> None:
            document = self._document(index, option.rect.width())
            painter.save()
            painter.translate(option.rect.topLeft())
            document.drawContents(painter)
            painter.restore()

    class Floor(QMainWindow):
        done = False

        def paintEvent(self, event: QPaintEvent) -> None:
            super().paintEvent(event)
            if not self.done:
                self.done = True
                mark("painted", "ready", "settled")
                app.quit()

    window = Floor()
    window.setWindowTitle(f"Floor — {title}")
    sidebar = QListWidget()
    sidebar.addItems([t for _, t in chats])
    chat = QListView()
    chat.setModel(Messages(chat))
    chat.setItemDelegate(Delegate(chat))
    composer = QPlainTextEdit()
    centre = QWidget()
    column = QVBoxLayout(centre)
    column.addWidget(chat, 1)
    column.addWidget(composer)
    splitter = QSplitter()
    splitter.addWidget(sidebar)
    splitter.addWidget(centre)
    window.setCentralWidget(splitter)
    window.resize(1280, 800)
    window.show()
    chat.scrollToBottom()
    composer.setFocus()
    return int(app.exec())
