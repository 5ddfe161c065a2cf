"""The inspector's "Summary" section (the "Strategy" section is in ``strategy.py``).

Summary: the running summary, what it covers, editable (kept as the user's and
folded into by later upkeep), Undo of its last change (from the stored history),
"Summarise now", the upkeep state with Retry.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.core.errors import DesktopChatError

log = logging.getLogger(__name__)


def button(text: str, tip: str, icon_name: str | None = None) -> QPushButton:
    button = QPushButton(text)
    button.setAccessibleName(text)
    button.setToolTip(tip)
    if icon_name:
        from desktop_chat.ui.app.icons import icon

        button.setIcon(icon(icon_name))
    return button


def _row(*widgets: QWidget | None) -> QHBoxLayout:
    """A row of buttons without margins; None stands for the stretch between them."""
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        if widget is None:
            row.addStretch(1)
        else:
            row.addWidget(widget)
    return row


class SummaryView(QWidget):
    notice = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._workspace: Any = None
        self.session_id: int | None = None
        self._stored = ""
        self._running = False
        self.tasks: set[asyncio.Future[Any]] = set()
        self.coverage = QLabel()
        self.coverage.setWordWrap(True)
        self.coverage.setAccessibleName("What the summary covers")
        self.coverage.setToolTip("The messages the running summary stands for in the next request")
        self.editor = QPlainTextEdit()
        self.editor.setAccessibleName("Summary text")
        self.editor.setToolTip("Edit the summary; your text is kept and later summaries build on it")
        self.editor.setPlaceholderText("No summary yet. It is written as the chat grows, or with Summarise now.")
        self.editor.setMinimumHeight(70)
        self.editor.setMaximumHeight(160)
        self.editor.textChanged.connect(self._text_changed)
        self.save_button = button("Save", "Keep this text as the summary (marked as yours)")
        self.revert_button = button("Revert", "Go back to the stored summary")
        self.undo_button = button(
            "Undo", "Bring back the summary as it was before its last change (yours or upkeep's)", "undo"
        )
        self.undo_button.setEnabled(False)
        self.now_button = button("Summarise now", "Fold the messages not yet summarised into the summary now")
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.revert)
        self.undo_button.clicked.connect(self.undo)
        self.now_button.clicked.connect(self.summarise_now)
        self.upkeep = QLabel()
        self.upkeep.setWordWrap(True)
        self.upkeep.setAccessibleName("Memory upkeep")
        self.upkeep.setToolTip("Background work that keeps the summary and the facts up to date")
        self.retry_button = button("Retry", "Run this chat's memory upkeep again")
        self.retry_button.clicked.connect(self.retry)
        self.retry_button.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.coverage)
        layout.addWidget(self.editor)
        layout.addLayout(_row(self.save_button, self.revert_button, self.undo_button, None))
        # Two short rows: the pane is narrow, and the upkeep line wraps above its actions.
        layout.addWidget(self.upkeep)
        layout.addLayout(_row(None, self.now_button, self.retry_button))
        self._text_changed()

    def set_workspace(self, workspace: Any) -> None:
        self._workspace = workspace

    def set_session(self, session_id: int | None) -> None:
        self.session_id = session_id
        self._running = False
        self.refresh(force=True)

    def refresh(self, *, force: bool = False) -> None:
        workspace, session_id = self._workspace, self.session_id
        if workspace is None or session_id is None:
            return
        try:
            summary = workspace.summary(session_id)
            coverage = workspace.summary_coverage(session_id)
            temporary = workspace.session(session_id).temporary
            # A temporary chat keeps no summary history (the workspace refuses to read one).
            undoable = not temporary and any(s.undoable for s in workspace.summary_history(session_id))
        except DesktopChatError as exc:
            self.notice.emit(str(exc))
            return
        text = summary.text if summary is not None else ""
        editing = self.editor.toPlainText() != self._stored
        self._stored = text
        if force or not editing:  # never throw away what the user is typing
            self.editor.setPlainText(text)
        if summary is None:
            self.coverage.setText("No summary yet.")
        else:
            span = f"messages {coverage[0]}\u2013{coverage[1]}" if coverage else "no message on this branch"
            mine = " · edited by you" if summary.edited_by_user else ""
            self.coverage.setText(f"Covers {span} (through #{summary.covers_through}){mine}")
        self.editor.setReadOnly(temporary)
        self.undo_button.setEnabled(undoable)
        self.now_button.setEnabled(not temporary and not self._running)
        self._text_changed()
        self.show_upkeep()

    @Slot()
    def _text_changed(self) -> None:
        changed = self.editor.toPlainText() != self._stored
        self.save_button.setEnabled(changed and bool(self.editor.toPlainText().strip()))
        self.revert_button.setEnabled(changed)

    @Slot()
    def save(self) -> None:
        if self._workspace is None or self.session_id is None:
            return
        try:
            self._workspace.edit_summary(self.session_id, self.editor.toPlainText())
        except DesktopChatError as exc:
            self.notice.emit(str(exc))
            return
        self.refresh(force=True)

    @Slot()
    def revert(self) -> None:
        self.editor.setPlainText(self._stored)

    @Slot()
    def undo(self) -> None:
        """Undo the stored summary's newest change (an edit, a fold, a rollback), from its history."""
        if self._workspace is None or self.session_id is None:
            return
        try:
            restored = self._workspace.undo_summary(self.session_id)
        except DesktopChatError as exc:
            self.notice.emit(str(exc))
            return
        self.notice.emit(
            "Summary restored to before its last change" if restored else "Summary undone: the chat had none before"
        )
        self.refresh(force=True)

    def set_running(self, running: bool) -> None:
        self._running = running
        self.now_button.setEnabled(not running)
        self.show_upkeep()

    def show_upkeep(self) -> None:
        workspace, session_id = self._workspace, self.session_id
        if workspace is None or session_id is None:
            return
        try:
            text, failed = workspace.upkeep_text(session_id, running=self._running)
        except DesktopChatError as exc:
            self.upkeep.setText(str(exc))
            return
        self.upkeep.setText(text)
        # A failure reads in the normal text colour (it needs attention); the rest is quiet.
        self.upkeep.setForegroundRole(QPalette.ColorRole.WindowText if failed else QPalette.ColorRole.PlaceholderText)
        self.retry_button.setVisible(failed)
        self.retry_button.setEnabled(not self._running)

    def _run(self, coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Future[Any]:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        self.set_running(True)

        def done(finished: asyncio.Future[Any]) -> None:
            self.tasks.discard(finished)
            self.set_running(False)
            if finished.cancelled():
                return
            error = finished.exception()
            if isinstance(error, DesktopChatError):
                self.notice.emit(str(error))
            elif error is not None:
                log.error("%s failed: %s", what, error)
                self.notice.emit(f"{what} failed unexpectedly; see the log.")
            self.refresh()

        task.add_done_callback(done)
        return task

    @Slot()
    def summarise_now(self) -> asyncio.Future[Any] | None:
        if self._workspace is None or self.session_id is None:
            return None
        return self._run(self._workspace.summarise_now(self.session_id), "Summarising")

    @Slot()
    def retry(self) -> asyncio.Future[Any] | None:
        if self._workspace is None or self.session_id is None:
            return None
        return self._run(self._workspace.retry_upkeep(self.session_id), "Memory upkeep")
