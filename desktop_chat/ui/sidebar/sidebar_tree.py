"""The sidebar's list: a tree of chats under their headings, its title editor, and one row read back."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QWidget,
)

from desktop_chat.ui.sidebar.sidebar_groups import FOUND
from desktop_chat.ui.sidebar.sidebar_model import HEADING_ROLE, ID_ROLE, MESSAGE_ROLE, SidebarModel


class _TitleDelegate(QStyledItemDelegate):
    """Draws rows as Qt does; its title editor (F2) says what it edits."""

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QWidget:
        editor = super().createEditor(parent, option, index)
        editor.setAccessibleName("Chat title")
        editor.setToolTip("The chat's new title: Enter saves it, Esc leaves it as it was")
        return editor


class ChatTree(QTreeView):
    """The chats under their headings: every heading open, headings and hits across both columns."""

    def __init__(self, model: SidebarModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setItemDelegate(_TitleDelegate(self))
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setItemsExpandable(False)
        self.setExpandsOnDoubleClick(False)
        self.setUniformRowHeights(False)  # search hits take two lines: the snippet, then the chat
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setIndentation(8)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        model.rowsInserted.connect(self._inserted)
        model.rowsMoved.connect(self._moved)
        model.modelReset.connect(self._open_all)
        self.verticalScrollBar().valueChanged.connect(self._fill)
        # Filling the viewport: when the last loaded row is in view and more wait, fetch a page.
        self._fill_timer = QTimer(self)
        self._fill_timer.setSingleShot(True)
        self._fill_timer.setInterval(0)
        self._fill_timer.timeout.connect(self._fill)

    def _inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        model = self.model()
        if not parent.isValid():
            for row in range(first, last + 1):
                self.setFirstColumnSpanned(row, parent, True)
                self.expand(model.index(row, 0))
        elif parent.data(HEADING_ROLE) == FOUND:
            for row in range(first, last + 1):
                self.setFirstColumnSpanned(row, parent, True)
        self._fill_timer.start()

    def _moved(self, *_: object) -> None:
        self._fill_timer.start()

    def _open_all(self) -> None:
        model = self.model()
        for row in range(model.rowCount()):
            self.setFirstColumnSpanned(row, QModelIndex(), True)
        self.expandAll()  # one layout for every heading

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._fill_timer.start()

    def _fill(self) -> None:
        """Tell the model whether the last loaded row is in sight; when it is, fetch the next page
        through Qt's ``fetchMore`` (scrolled to the end, or a window taller than the first page)."""
        model = self.model()
        if not isinstance(model, SidebarModel) or not model.can_fetch_more():
            return
        last = self._last_row()
        in_view = self.isVisible() and last.isValid() and self.visualRect(last).top() < self.viewport().height()
        model.set_tail_in_view(in_view)
        if in_view:
            heads = model.rowCount()
            model.fetchMore(model.index(heads - 1, 0) if heads else QModelIndex())
            self._fill_timer.start()  # look again once the new rows are laid out

    def _last_row(self) -> QModelIndex:
        model = self.model()
        heads = model.rowCount()
        if not heads:
            return QModelIndex()
        head = model.index(heads - 1, 0)
        count = model.rowCount(head)
        return model.index(count - 1, 0, head) if count else head


class SidebarRow:
    """One listed row, read through the model (what tests and accessibility checks look at)."""

    def __init__(self, index: QModelIndex) -> None:
        self.index = QPersistentModelIndex(index)

    def _at(self, column: int) -> QModelIndex:
        return self.index.sibling(self.index.row(), column) if self.index.isValid() else QModelIndex()

    def text(self, column: int = 0) -> str:
        return str(self._at(column).data(Qt.ItemDataRole.DisplayRole) or "")

    def toolTip(self, column: int = 0) -> str:
        return str(self._at(column).data(Qt.ItemDataRole.ToolTipRole) or "")

    def accessibleText(self, column: int = 0) -> str:
        return str(self._at(column).data(Qt.ItemDataRole.AccessibleTextRole) or "")

    def font(self, column: int = 0) -> QFont:
        font = self._at(column).data(Qt.ItemDataRole.FontRole)
        return font if isinstance(font, QFont) else QFont()

    def icon(self, column: int = 0) -> QIcon:
        found = self._at(column).data(Qt.ItemDataRole.DecorationRole)
        return found if isinstance(found, QIcon) else QIcon()

    def session_id(self) -> int | None:
        value = self.index.data(ID_ROLE)
        return int(value) if value is not None else None

    def message_id(self) -> int | None:
        value = self.index.data(MESSAGE_ROLE)
        return int(value) if value is not None else None
