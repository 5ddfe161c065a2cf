"""The session sidebar: chats grouped by when they were last used, search, and each chat's actions."""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QFont, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMenu,
    QMessageBox,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.core.errors import DesktopChatError
from desktop_chat.ui.app.icons import icon
from desktop_chat.ui.sidebar.sidebar_groups import (
    ARCHIVED,
    FOUND,
    OLDER,
    PINNED,
    TEMPORARY,
    TODAY,
    WEEK,
    YESTERDAY,
    group_of,
    snippet,
)
from desktop_chat.ui.signal_types import ID

log = logging.getLogger(__name__)

ID_ROLE = Qt.ItemDataRole.UserRole + 1
MESSAGE_ROLE = Qt.ItemDataRole.UserRole + 2
SEARCH_DELAY_MS = 200


class _Tree(QTreeWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(2)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setItemsExpandable(False)
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


class Sidebar(QWidget):
    sessionActivated = Signal(ID)
    messageActivated = Signal(ID, ID)  # session id, message id
    newChat = Signal()
    newTemporaryChat = Signal()
    notice = Signal(str)  # one line for the status bar

    def __init__(self, workspace: Any | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._workspace: Any = workspace
        self.current_id: int | None = None
        self.show_archived = False
        self._refreshing = False
        self.confirm_box: QMessageBox | None = None
        self.file_dialog: QFileDialog | None = None

        self._build_buttons()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search chats")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setAccessibleName("Search chats")
        self.search.setToolTip("Filter chat titles and search the text of every message (Ctrl+K)")
        self.tree = _Tree()
        self.tree.setAccessibleName("Chats")
        self.tree.setToolTip("Your chats; F2 renames, the context menu has more")
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._menu)
        self.tree.itemClicked.connect(self._clicked)
        self.tree.itemActivated.connect(self._clicked)
        self.tree.itemChanged.connect(self._renamed)
        self.setAcceptDrops(True)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(self._search_timer.start)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self.refresh)

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.temporary_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 0, 8)
        layout.addLayout(buttons)
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 1)

    def _build_buttons(self) -> None:
        self.new_button = QToolButton()
        self.new_button.setText("New chat")
        self.new_button.setIcon(icon("new"))
        self.new_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.new_button.setAccessibleName("New chat")
        self.new_button.setToolTip("Start a new chat (Ctrl+N)")
        self.new_button.clicked.connect(self.newChat)
        self.temporary_button = QToolButton()
        self.temporary_button.setText("Temporary")
        self.temporary_button.setIcon(icon("temporary"))
        self.temporary_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.temporary_button.setAccessibleName("New temporary chat")
        self.temporary_button.setToolTip("Start a temporary chat: never saved, no facts remembered (Ctrl+Shift+N)")
        self.temporary_button.clicked.connect(self.newTemporaryChat)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.schedule_refresh()  # headings and strategies are coloured from the palette when listed

    def set_workspace(self, workspace: Any) -> None:
        self._workspace = workspace
        self.refresh()

    # --- listing -----------------------------------------------------------------------

    def schedule_refresh(self) -> None:
        """Coalesce bursts of changes into one rebuild on the next turn of the loop."""
        self._refresh_timer.start()

    def refresh(self) -> None:
        if self._workspace is None:
            return
        query = self.search.text().strip()
        sessions = self._workspace.sessions(include_archived=self.show_archived or bool(query))
        settings = self._settings()
        today = datetime.now().astimezone()
        order = [TEMPORARY, PINNED, TODAY, YESTERDAY, WEEK, OLDER, ARCHIVED]
        groups: dict[str, list[Any]] = {name: [] for name in order}
        needle = query.casefold()
        for session in sessions:
            if needle and needle not in (session.title or "New chat").casefold():
                continue
            groups[group_of(session, today)].append(session)
        hits = self._search(query) if query else []
        self._refreshing = True
        self.tree.setUpdatesEnabled(False)
        try:
            self.tree.clear()
            selected: QTreeWidgetItem | None = None
            for name in order:
                if not groups[name]:
                    continue
                head = self._heading(name)
                for session in groups[name]:
                    item = self._item(session, settings)
                    head.addChild(item)
                    if session.id == self.current_id:
                        selected = item
            if hits:
                head = self._heading(FOUND)
                for hit in hits:
                    title = hit.session_title or "New chat"
                    item = QTreeWidgetItem([f"{snippet(hit.snippet)}\n    in {title}", ""])
                    item.setData(0, ID_ROLE, hit.session_id)
                    item.setData(0, MESSAGE_ROLE, hit.message_id)
                    item.setToolTip(0, f"{title}: {snippet(hit.snippet)}")
                    head.addChild(item)
                    item.setFirstColumnSpanned(True)
            self.tree.expandAll()
            if selected is not None:
                self.tree.setCurrentItem(selected)
        finally:
            self.tree.setUpdatesEnabled(True)
            self._refreshing = False

    def _search(self, query: str) -> list[Any]:
        try:
            return [h for h in self._workspace.search(query) if h.message_id is not None]
        except DesktopChatError as exc:
            self.notice.emit(str(exc))
            return []

    def _settings(self) -> Any:
        with contextlib.suppress(AttributeError, DesktopChatError):
            return self._workspace.settings
        return None

    def _strategy(self, session: Any, settings: Any) -> tuple[str, str]:
        """The strategy the chat's requests really use, short for the column and in full for its tooltip."""
        with contextlib.suppress(AttributeError, DesktopChatError):
            choice = self._workspace.strategy_choice(session, settings)
            return str(choice.effective), choice.label
        return "", ""

    def _heading(self, name: str) -> QTreeWidgetItem:
        head = QTreeWidgetItem([name.upper(), ""])
        head.setFlags(Qt.ItemFlag.ItemIsEnabled)
        font = QFont(self.tree.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 0.85)
        head.setFont(0, font)
        head.setForeground(0, self.palette().brush(QPalette.ColorRole.PlaceholderText))
        self.tree.addTopLevelItem(head)
        head.setFirstColumnSpanned(True)
        return head

    def _item(self, session: Any, settings: Any) -> QTreeWidgetItem:
        title = session.title or "New chat"
        strategy, label = self._strategy(session, settings)
        item = QTreeWidgetItem([title, strategy])
        item.setData(0, ID_ROLE, session.id)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable)
        marks = []
        if session.pinned:
            item.setIcon(0, icon("pin"))
            marks.append("pinned")
        if session.temporary:
            item.setIcon(0, icon("temporary"))
            font = QFont(self.tree.font())
            font.setItalic(True)
            item.setFont(0, font)
            marks.append("temporary: not saved, forgotten when the app closes")
        if session.archived:
            item.setIcon(0, icon("archive"))
            marks.append("archived")
        item.setForeground(1, self.palette().brush(QPalette.ColorRole.PlaceholderText))
        extra = f" ({'; '.join(marks)})" if marks else ""
        item.setToolTip(0, f"{title}{extra}\nMemory: {label} · {session.message_count:,} messages")
        item.setToolTip(1, f"Memory strategy: {label}")
        return item

    def item_for(self, session_id: int) -> QTreeWidgetItem | None:
        for child in self._children():
            if child.data(0, ID_ROLE) == session_id and child.data(0, MESSAGE_ROLE) is None:
                return child
        return None

    def titles(self) -> list[str]:
        """Chat titles as listed, group by group (for tests and accessibility checks)."""
        return [child.text(0) for child in self._children() if child.data(0, MESSAGE_ROLE) is None]

    def select(self, session_id: int | None) -> None:
        self.current_id = session_id
        item = self.item_for(session_id) if session_id is not None else None
        self._refreshing = True
        try:
            if item is not None:
                self.tree.setCurrentItem(item)
            else:
                self.tree.clearSelection()
        finally:
            self._refreshing = False

    # --- actions -----------------------------------------------------------------------

    def _clicked(self, item: QTreeWidgetItem) -> None:
        session_id = item.data(0, ID_ROLE)
        if session_id is None:
            return
        message_id = item.data(0, MESSAGE_ROLE)
        if message_id is not None:
            self.messageActivated.emit(int(session_id), int(message_id))
        else:
            self.sessionActivated.emit(int(session_id))

    def rename_current(self) -> None:
        item = self.item_for(self.current_id) if self.current_id is not None else None
        if item is not None:
            self.tree.setCurrentItem(item)
            self.tree.editItem(item, 0)

    def _edit(self, item: QTreeWidgetItem) -> None:
        self.tree.setCurrentItem(item)
        self.tree.editItem(item, 0)

    def _children(self) -> list[QTreeWidgetItem]:
        """Every item under a heading, in order."""
        out = []
        for i in range(self.tree.topLevelItemCount()):
            head = self.tree.topLevelItem(i)
            if head is None:
                continue
            for j in range(head.childCount()):
                child = head.child(j)
                if child is not None:
                    out.append(child)
        return out

    def _renamed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._refreshing or column != 0 or self._workspace is None:
            return
        session_id = item.data(0, ID_ROLE)
        if session_id is None or item.data(0, MESSAGE_ROLE) is not None:
            return
        title = item.text(0).strip()
        try:
            current = self._workspace.session(int(session_id))
            if title and title != current.title and not (title == "New chat" and not current.title):
                self._workspace.rename_session(int(session_id), title)
        except DesktopChatError as exc:
            self.notice.emit(str(exc))
        self.schedule_refresh()

    def _session(self, session_id: int) -> Any | None:
        try:
            return self._workspace.session(session_id)
        except DesktopChatError as exc:
            self.notice.emit(str(exc))
            return None

    def toggle_pin(self, session_id: int) -> None:
        session = self._session(session_id)
        if session is not None:
            self._apply(self._workspace.set_pinned, session_id, not session.pinned)

    def toggle_archive(self, session_id: int) -> None:
        session = self._session(session_id)
        if session is not None:
            self._apply(self._workspace.set_archived, session_id, not session.archived)
            self.notice.emit(
                f"Archived “{session.title or 'New chat'}”; View ▸ Show archived chats lists it"
                if not session.archived
                else f"Restored “{session.title or 'New chat'}”"
            )

    def _apply(self, call: Any, *args: Any) -> None:
        try:
            call(*args)
        except DesktopChatError as exc:
            self.notice.emit(str(exc))
        self.schedule_refresh()

    def confirm_delete(self, session_id: int) -> None:
        """Ask first (non-blocking: never exec() under the event loop); Delete deletes."""
        session = self._session(session_id)
        if session is None:
            return
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Delete chat")
        box.setText(f"Delete “{session.title or 'New chat'}”?")
        box.setInformativeText(
            f"Its {session.message_count:,} messages and its summary are deleted; this cannot be undone. "
            "Archive keeps a chat out of the list instead."
        )
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAccessibleName("Confirm deleting a chat")

        def done() -> None:
            self.confirm_box = None
            if box.clickedButton() is delete:
                self._apply(self._workspace.delete_session, session_id)
                self.notice.emit(f"Deleted “{session.title or 'New chat'}”")
            box.deleteLater()

        box.finished.connect(done)
        self.confirm_box = box
        box.open()

    # --- export and import ---------------------------------------------------------------

    def export(self, session_id: int, kind: str) -> None:
        """Ask where to save (Markdown or JSON), then write the export."""
        session = self._session(session_id)
        if session is None:
            return
        suffix = "md" if kind == "markdown" else "json"
        name = "".join(c if c.isalnum() or c in " -_" else "_" for c in (session.title or "chat")).strip() or "chat"
        dialog = QFileDialog(self, "Export chat", str(Path.home() / f"{name}.{suffix}"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("Markdown (*.md)" if kind == "markdown" else "JSON (*.json)")
        dialog.setDefaultSuffix(suffix)
        dialog.fileSelected.connect(lambda path: self.write_export(session_id, kind, Path(path)))
        self.file_dialog = dialog
        dialog.open()

    def write_export(self, session_id: int, kind: str, path: Path) -> bool:
        import json

        try:
            if kind == "markdown":
                text = self._workspace.export_markdown(session_id)
            else:
                text = json.dumps(self._workspace.export_json([session_id]), ensure_ascii=False, indent=2)
            path.write_text(text, encoding="utf-8")
        except DesktopChatError as exc:
            self.notice.emit(str(exc))
            return False
        except OSError as exc:
            self.notice.emit(f"Could not write {path}: {exc.strerror or exc}")
            return False
        self.notice.emit(f"Exported to {path}")
        return True

    def ask_import(self) -> None:
        dialog = QFileDialog(self, "Import chats", str(Path.home()))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilter("Chat exports (*.json *.zip);;All files (*)")
        dialog.filesSelected.connect(lambda paths: self.import_files([Path(p) for p in paths]))
        self.file_dialog = dialog
        dialog.open()

    def import_files(self, paths: list[Path]) -> int:
        """Import each file; returns how many chats arrived. Errors are one line each in the status bar."""
        count = 0
        for path in paths:
            try:
                # Our exports, ChatGPT's and Claude's (zip or JSON): the core tells them apart.
                result = self._workspace.import_file(path, name=path.name)
            except DesktopChatError as exc:
                self.notice.emit(str(exc))
                continue
            except OSError as exc:
                self.notice.emit(f"Could not read {path.name}: {exc.strerror or exc}")
                continue
            count += len(result.session_ids)
            skipped = f", {len(result.skipped)} skipped" if result.skipped else ""
            continued = f", {len(result.continued)} continued with newer messages" if result.continued else ""
            self.notice.emit(
                f"Imported {len(result.session_ids)} chat(s) from {path.name} ({result.source}){continued}{skipped}"
            )
        self.schedule_refresh()
        return count

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.import_files(paths)

    # --- context menu ----------------------------------------------------------------------

    def _menu(self, pos: QPoint) -> None:
        item = self.tree.itemAt(pos)
        if item is None or item.data(0, ID_ROLE) is None or item.data(0, MESSAGE_ROLE) is not None:
            return
        session_id = int(item.data(0, ID_ROLE))
        session = self._session(session_id)
        if session is None:
            return
        menu = QMenu(self)
        rename = menu.addAction(icon("rename"), "Rename")
        rename.setShortcut(QKeySequence(Qt.Key.Key_F2))
        rename.triggered.connect(lambda: self._edit(item))
        if not session.temporary:
            menu.addAction(icon("pin"), "Unpin" if session.pinned else "Pin").triggered.connect(
                lambda: self.toggle_pin(session_id)
            )
            menu.addAction(icon("archive"), "Restore" if session.archived else "Archive").triggered.connect(
                lambda: self.toggle_archive(session_id)
            )
            menu.addSeparator()
            menu.addAction(icon("export"), "Export as Markdown…").triggered.connect(
                lambda: self.export(session_id, "markdown")
            )
            menu.addAction(icon("export"), "Export as JSON…").triggered.connect(lambda: self.export(session_id, "json"))
        menu.addSeparator()
        menu.addAction(icon("delete"), "Delete…").triggered.connect(lambda: self.confirm_delete(session_id))
        menu.popup(self.tree.viewport().mapToGlobal(pos))
