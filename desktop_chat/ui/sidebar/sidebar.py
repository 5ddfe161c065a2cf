"""The session sidebar: chats grouped by when they were last used, search, and each chat's actions."""

from __future__ import annotations

import contextlib
import logging
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPoint, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeyEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.core.errors import DesktopChatError
from desktop_chat.ui.accessibility import name_icon_action, name_line_edit
from desktop_chat.ui.app.icons import icon
from desktop_chat.ui.sidebar.menu import ChatMenu
from desktop_chat.ui.sidebar.sidebar_model import ID_ROLE, MESSAGE_ROLE, SidebarModel
from desktop_chat.ui.sidebar.sidebar_tree import ChatTree, SidebarRow
from desktop_chat.ui.signal_types import ID

log = logging.getLogger(__name__)

__all__ = ["ID_ROLE", "MESSAGE_ROLE", "Sidebar", "SidebarRow"]

SEARCH_DELAY_MS = 200


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
        self.confirm_box: QMessageBox | None = None
        self.error_box: QMessageBox | None = None  # an import's failures, shown where the user is looking
        self.file_dialog: QFileDialog | None = None

        self._build_buttons()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search chats")
        self.search.setClearButtonEnabled(True)
        name_icon_action(
            self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition),
            "Search",
            "Type to search chat titles and messages",
        )
        name_line_edit(self.search, "Search chats")
        self.search.setToolTip("Filter chat titles and search the text of every message (Ctrl+K; Esc clears)")
        self.search.installEventFilter(self)  # Esc clears it
        self.model = SidebarModel(self)
        self.model.set_workspace(workspace)
        self.model.renameRequested.connect(self._rename)
        self.model.notice.connect(self.notice)
        self.tree = ChatTree(self.model)
        self.tree.setAccessibleName("Chats")
        self.tree.setAccessibleDescription("Your chats by last activity; F2 renames, the context menu has more")
        self.tree.setToolTip("Your chats; F2 renames, the context menu has more")
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._menu)
        self.tree.clicked.connect(self._activated)
        self.tree.activated.connect(self._activated)
        self.model.set_look(self.tree.font(), self.palette())
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

        buttons = self.button_row = QHBoxLayout()  # the window adds "New chat with…" (assistants)
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

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Esc in the search box clears it (and the list shows every chat again)."""
        escape = (
            watched is self.search
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
            and bool(self.search.text())
        )
        if escape and event.type() == QEvent.Type.ShortcutOverride:
            event.accept()  # ours, before any window shortcut on Esc
            return True
        if escape and event.type() == QEvent.Type.KeyPress:
            self.search.clear()
            return True
        return super().eventFilter(watched, event)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange):
            self.model.set_look(self.tree.font(), self.palette())  # headings and strategies follow the palette

    def set_workspace(self, workspace: Any) -> None:
        self._workspace = workspace
        self.model.set_workspace(workspace)
        self.refresh()

    def connect_bridge(self, bridge: Any) -> None:
        """Follow the workspace's changes row by row: a chat's row is updated or moved, never the list rebuilt."""
        bridge.sessionChanged.connect(self.session_changed)
        bridge.sessionDeleted.connect(self.session_deleted)
        bridge.titleChanged.connect(self.title_changed)

    # --- listing -----------------------------------------------------------------------

    @property
    def show_archived(self) -> bool:
        return self.model.show_archived

    @show_archived.setter
    def show_archived(self, value: bool) -> None:
        self.model.show_archived = value

    def schedule_refresh(self) -> None:
        """Coalesce bursts of changes into one pass over the loaded rows on the next turn of the loop."""
        self._refresh_timer.start()

    def refresh(self) -> None:
        """Bring the loaded rows up to date (in place: rows that stay keep their indexes and selection)."""
        if self._workspace is None:
            return
        self._refresh_timer.stop()
        query = self.search.text().strip()
        self.model.needle = query.casefold()
        hits = self._search(query) if query else []
        self.model.resync(hits)
        if self.current_id is not None:
            index = self.model.chat_index(self.current_id)
            if index.isValid() and self.tree.currentIndex() != index:
                self.tree.setCurrentIndex(index)

    def session_changed(self, session: Any) -> None:
        self.model.upsert(session)

    def session_deleted(self, session_id: int) -> None:
        self.model.remove(session_id)

    def title_changed(self, session_id: int, _title: str) -> None:
        self.model.reload(session_id)

    def _search(self, query: str) -> list[Any]:
        try:
            return [h for h in self._workspace.search(query) if h.message_id is not None]
        except DesktopChatError as exc:
            self.notice.emit(str(exc))
            return []

    def item_for(self, session_id: int) -> SidebarRow | None:
        index = self.model.chat_index(session_id)
        return SidebarRow(index) if index.isValid() else None

    def rows(self) -> list[SidebarRow]:
        """Every listed row under a heading, in order: chats, then any search hits."""
        return [SidebarRow(index) for index in self.model.rows()]

    def hits(self) -> list[SidebarRow]:
        """The search's message hits, best first."""
        return [row for row in self.rows() if row.message_id() is not None]

    def headings(self) -> list[str]:
        """The group headings as listed (upper case, as shown)."""
        return [name.upper() for name in self.model.headings()]

    def titles(self) -> list[str]:
        """Chat titles as listed, group by group (for tests and accessibility checks)."""
        return [row.text(0) for row in self.rows() if row.message_id() is None]

    def select(self, session_id: int | None) -> None:
        self.current_id = session_id
        index = self.model.chat_index(session_id) if session_id is not None else QModelIndex()
        if not index.isValid() and session_id is not None and self._workspace is not None:
            with contextlib.suppress(DesktopChatError):
                self.model.load_until(self._workspace.session(session_id))  # an old chat opened: list it
                index = self.model.chat_index(session_id)
        if index.isValid():
            self.tree.setCurrentIndex(index)
            self.tree.scrollTo(index)
        else:
            self.tree.clearSelection()

    # --- actions -----------------------------------------------------------------------

    def _activated(self, index: QModelIndex) -> None:
        session_id = index.data(ID_ROLE)
        if session_id is None:
            return
        message_id = index.data(MESSAGE_ROLE)
        if message_id is not None:
            self.messageActivated.emit(int(session_id), int(message_id))
        else:
            self.sessionActivated.emit(int(session_id))

    def rename_current(self) -> None:
        if self.current_id is not None:
            self.rename(self.current_id)

    def rename(self, session_id: int) -> None:
        """Open the chat's title for editing in the list (F2); the model asks for the rename."""
        index = self.model.chat_index(session_id)
        if index.isValid():
            self.tree.setCurrentIndex(index)
            self.tree.edit(index)

    def _rename(self, session_id: int, typed: str) -> None:
        """The title typed in the list: saved when it says something new (the listing follows the event)."""
        if self._workspace is None:
            return
        title = typed.strip()
        try:
            current = self._workspace.session(session_id)
            if title and title != current.title and not (title == "New chat" and not current.title):
                self._workspace.rename_session(session_id, title)
        except DesktopChatError as exc:
            self.notice.emit(str(exc))

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
        """Ask the facade; the event it publishes updates or moves the row."""
        try:
            call(*args)
        except DesktopChatError as exc:
            self.notice.emit(str(exc))

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
        dialog.fileSelected.connect(partial(self._export_chosen, session_id, kind))
        self.file_dialog = dialog
        dialog.open()

    def _export_chosen(self, session_id: int, kind: str, path: str) -> None:
        self.write_export(session_id, kind, Path(path))

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
        dialog.filesSelected.connect(self._import_chosen)
        self.file_dialog = dialog
        dialog.open()

    @Slot(list)
    def _import_chosen(self, paths: list[str]) -> None:
        self.import_files([Path(p) for p in paths])

    def import_files(self, paths: list[Path]) -> int:
        """Import each file; returns how many chats arrived and opens the newest of them.

        Each outcome is a line in the status bar; failures are also shown in a message box, since the
        user who chose or dropped a file is looking at the window, not at its status bar.
        """
        arrived: list[int] = []
        failures: list[str] = []
        for path in paths:
            try:
                # Our exports, ChatGPT's and Claude's (zip or JSON): the core tells them apart.
                result = self._workspace.import_file(path, name=path.name)
            except DesktopChatError as exc:
                failures.append(str(exc))
                continue
            except OSError as exc:
                failures.append(f"Could not read {path.name}: {exc.strerror or exc}")
                continue
            arrived += result.session_ids
            skipped = f", {len(result.skipped)} skipped" if result.skipped else ""
            continued = f", {len(result.continued)} continued with newer messages" if result.continued else ""
            self.notice.emit(
                f"Imported {len(result.session_ids)} chat(s) from {path.name} ({result.source}){continued}{skipped}"
            )
        self.schedule_refresh()
        if arrived:
            self.sessionActivated.emit(self._newest(arrived))
        if failures:
            for line in failures:
                self.notice.emit(line)
            self._show_import_errors(failures)
        return len(arrived)

    def _newest(self, session_ids: list[int]) -> int:
        """The imported chat last active (where a user coming from another app left off)."""
        with contextlib.suppress(DesktopChatError):
            return max(session_ids, key=lambda i: self._workspace.session(i).updated_at)
        return session_ids[0]

    def _show_import_errors(self, failures: list[str]) -> None:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Import")
        box.setText("Nothing was imported from that file." if len(failures) == 1 else "Some files were not imported.")
        box.setInformativeText("\n".join(failures))
        box.setAccessibleName("Import failed")
        box.finished.connect(box.deleteLater)
        self.error_box = box
        box.open()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.import_files(paths)

    # --- context menu ----------------------------------------------------------------------

    @Slot(QPoint)
    def _menu(self, pos: QPoint) -> None:
        index = self.tree.indexAt(pos)
        if not index.isValid() or index.data(ID_ROLE) is None or index.data(MESSAGE_ROLE) is not None:
            return
        session = self._session(int(index.data(ID_ROLE)))
        if session is not None:
            ChatMenu(self, session).popup(self.tree.viewport().mapToGlobal(pos))
