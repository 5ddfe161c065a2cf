"""The window starts offscreen and shows the chats the CLI stored."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QLabel, QListWidget
from pytestqt.qtbot import QtBot

from desktop_chat.core.models import Role
from desktop_chat.core.storage.store import Store
from desktop_chat.ui.placeholder_window import PlaceholderWindow


def test_window_lists_stored_chats(qtbot: QtBot, tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    first = store.sessions.create("Trip to Lisbon")
    store.messages.append(first.id, Role.USER, "hello")
    pinned = store.sessions.create("Bookstore API")
    store.sessions.update(pinned.id, pinned=True)
    store.close()

    window = PlaceholderWindow(tmp_path)
    qtbot.addWidget(window)
    window.show()
    sessions = window.findChild(QListWidget)
    assert sessions is not None
    assert [sessions.item(i).text() for i in range(sessions.count())] == ["★ Bookstore API", "Trip to Lisbon"]


def test_window_explains_an_unreadable_database(qtbot: QtBot, tmp_path: Path) -> None:
    (tmp_path / "desktop-chat.sqlite3").write_bytes(b"definitely not sqlite" * 10)
    window = PlaceholderWindow(tmp_path)
    qtbot.addWidget(window)
    texts = [label.text() for label in window.findChildren(QLabel)]
    assert any("not an SQLite database" in text for text in texts)
