"""A chat's context menu in the sidebar: rename, pin, archive, export, delete.

Each entry is a typed slot of the menu, which knows its chat; the work itself is the sidebar's
(``Sidebar.toggle_pin`` and the rest), which the window's menus and shortcuts call as well.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMenu

from desktop_chat.ui.app.icons import icon

if TYPE_CHECKING:
    from desktop_chat.ui.sidebar.sidebar import Sidebar


class ChatMenu(QMenu):
    """The actions for one chat (a temporary chat can only be renamed or deleted)."""

    def __init__(self, sidebar: Sidebar, session: Any) -> None:
        super().__init__(sidebar)
        self._sidebar = sidebar
        self.session_id: int = session.id
        rename = self.addAction(icon("rename"), "Rename")
        rename.setShortcut(QKeySequence(Qt.Key.Key_F2))
        rename.triggered.connect(self._rename)
        if not session.temporary:
            self.addAction(icon("pin"), "Unpin" if session.pinned else "Pin").triggered.connect(self._pin)
            self.addAction(icon("archive"), "Restore" if session.archived else "Archive").triggered.connect(
                self._archive
            )
            self.addSeparator()
            self.addAction(icon("export"), "Export as Markdown…").triggered.connect(self._export_markdown)
            self.addAction(icon("export"), "Export as JSON…").triggered.connect(self._export_json)
        self.addSeparator()
        self.addAction(icon("delete"), "Delete…").triggered.connect(self._delete)

    @Slot()
    def _rename(self) -> None:
        self._sidebar.rename(self.session_id)

    @Slot()
    def _pin(self) -> None:
        self._sidebar.toggle_pin(self.session_id)

    @Slot()
    def _archive(self) -> None:
        self._sidebar.toggle_archive(self.session_id)

    @Slot()
    def _export_markdown(self) -> None:
        self._sidebar.export(self.session_id, "markdown")

    @Slot()
    def _export_json(self) -> None:
        self._sidebar.export(self.session_id, "json")

    @Slot()
    def _delete(self) -> None:
        self._sidebar.confirm_delete(self.session_id)
