"""The composer: a growing multi-line editor, the draft's token count, and one Send/Stop button.

Attachments (``ui/chat/attachments.py`` fills them): the paperclip, a chip per file above the editor,
one line for a file that could not be read, and the next request's notices (a model that does not
read images). A drop or a paste of files or of an image reaches ``attachments`` by ``filesPasted`` /
``imagePasted``; pasted text stays text.

The count is the open chat's ``ChatState``'s (``show_count``): the composer never plans
on its own; the window hands its text to the state, which previews once typing pauses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QSize, Qt, Signal, Slot
from PySide6.QtGui import QImage, QKeyEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.ui.app.icons import icon
from desktop_chat.ui.chat.attachment_chips import ChipRow
from desktop_chat.ui.state.chat_state import DraftCount

if TYPE_CHECKING:
    from desktop_chat.ui.chat.attachments import ComposerAttachments

MIN_LINES = 2
MAX_LINES = 12


class ComposerEdit(QPlainTextEdit):
    """Enter sends, Shift+Enter breaks the line, Esc stops a reply (or leaves editing)."""

    submit = Signal()
    escape = Signal()
    filesPasted = Signal(list)  # paths of local files pasted or dropped into the editor
    imagePasted = Signal(QImage)  # image data pasted (a screenshot), with no text beside it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().contentsChanged.connect(self._grow)
        self._grow()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self.insertPlainText("\n")
            else:
                self.submit.emit()
            return
        if key == Qt.Key.Key_Escape:
            self.escape.emit()
            return
        super().keyPressEvent(event)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return source.hasImage() or source.hasUrls() or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        from desktop_chat.ui.chat.attachments import local_files

        files = local_files(source)
        if files:
            self.filesPasted.emit(files)
        elif source.hasImage() and not source.hasText():
            # Text wins when both come: an office suite copies cells as text and as a picture of them.
            self.imagePasted.emit(QImage(source.imageData()))
        else:
            super().insertFromMimeData(source)

    @Slot()
    def _grow(self) -> None:
        line = self.fontMetrics().lineSpacing()
        lines = max(MIN_LINES, min(MAX_LINES, int(self.document().size().height())))
        margins = self.contentsMargins()
        frame = int(self.document().documentMargin() * 2) + margins.top() + margins.bottom()
        self.setFixedHeight(lines * line + frame)

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        self._grow()

    def sizeHint(self) -> QSize:
        return QSize(400, self.height())


class Composer(QWidget):
    COUNT_TIP = (
        "Tokens of your draft, and how many more it may have before the request is too large "
        "(older messages and memory make room for it)"
    )

    send = Signal(str)
    stop = Signal()
    cancelEdit = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = ComposerEdit()
        self.edit.setPlaceholderText("Type a message…  (Enter sends, Shift+Enter adds a line)")
        self.edit.setAccessibleName("Message")
        self.edit.setToolTip("Your message: Enter sends, Shift+Enter starts a new line, Esc stops a reply")
        self.count = QLabel()
        self.count.setAccessibleName("Draft tokens")
        self.count.setToolTip(self.COUNT_TIP)
        self.count.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.button = QToolButton()
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.button.clicked.connect(self._clicked)
        self.editing_label = QLabel()
        self.editing_label.setAccessibleName("Editing a message")
        self.editing_label.setToolTip("Send replaces the message and everything after it; Esc cancels")
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setAccessibleName("Cancel editing")
        self.cancel_button.setToolTip("Leave editing; the conversation stays as it is (Esc)")
        self.cancel_button.clicked.connect(self.cancel_editing)
        self._build_attachments()
        self._busy = False
        self.editing: int | None = None  # the user message being edited and resent
        self._saved_draft = ""
        self.edit.submit.connect(self._submit)
        self.edit.escape.connect(self._escape)

        editing_row = QHBoxLayout()
        editing_row.addWidget(self.editing_label, 1)
        editing_row.addWidget(self.cancel_button)
        self._editing_box = QWidget()
        self._editing_box.setLayout(editing_row)
        editing_row.setContentsMargins(0, 0, 0, 0)
        self._editing_box.hide()
        bottom = QHBoxLayout()
        bottom.addWidget(self.attach_button)
        bottom.addWidget(self.notice, 1)
        bottom.addStretch(0)
        bottom.addWidget(self.count)
        bottom.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 10)
        layout.setSpacing(4)
        layout.addWidget(self._editing_box)
        layout.addWidget(self.chips)
        layout.addWidget(self.edit)
        layout.addWidget(self.problem)
        layout.addLayout(bottom)
        self.set_busy(False)
        self.setFocusProxy(self.edit)

    def _build_attachments(self) -> None:
        self.attach_button = QToolButton()
        self.attach_button.setIcon(icon("attach"))
        self.attach_button.setAccessibleName("Attach files")
        self.attach_button.setToolTip("Attach files to your message (Ctrl+U); you can also drop or paste them here")
        self.chips = ChipRow()
        self.problem = QLabel()
        self.problem.setAccessibleName("Attachment problem")
        self.problem.setWordWrap(True)
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.hide()
        self.notice = QLabel()
        self.notice.setAccessibleName("About the next request")
        self.notice.setWordWrap(True)
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.hide()
        self.attachments: ComposerAttachments | None = None  # set by ComposerAttachments once the window has one
        self._drop_highlight = False

    def text(self) -> str:
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)
        cursor = self.edit.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        self.edit.setTextCursor(cursor)

    def clear(self) -> None:
        self.edit.clear()

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        if busy:
            self.button.setText("Stop")
            self.button.setIcon(icon("stop"))
            self.button.setAccessibleName("Stop")
            self.button.setToolTip("Stop the reply; what has arrived is kept (Esc)")
        else:
            self.button.setText("Send")
            self.button.setIcon(icon("send"))
            self.button.setAccessibleName("Send")
            self.button.setToolTip("Send the message (Enter)")

    @property
    def busy(self) -> bool:
        return self._busy

    def set_count(self, draft_tokens: int | None, left: int | None, estimated: bool = True) -> None:
        if draft_tokens is None or left is None:
            self.count.setText("")
            return
        approx = "≈" if estimated else ""
        if left < 0:
            self.count.setText(f"{approx}{draft_tokens:,} tok · {-left:,} over the budget")
        else:
            self.count.setText(f"{approx}{draft_tokens:,} tok · {approx}{left:,} left")

    @Slot(DraftCount)
    def show_count(self, count: DraftCount) -> None:
        """The next request's count of the draft (``ChatState.countChanged``); a problem is said in the tooltip."""
        self.count.setToolTip(count.error or self.COUNT_TIP)
        if count.tokens is None or count.left is None:
            self.count.setText("≈? tok" if count.error and self.text().strip() else "")
            return
        self.set_count(count.tokens, count.left, count.estimated)

    # --- attachments ---------------------------------------------------------------------------

    def show_problem(self, text: str) -> None:
        """One line under the editor: why a file was not attached ("" hides it)."""
        self.problem.setText(text)
        self.problem.setVisible(bool(text))
        self.problem.setAccessibleDescription(text)
        if text:
            from desktop_chat.ui.accessibility import announce

            announce(self.problem, text, assertive=True)

    def show_notices(self, notices: Sequence[str]) -> None:
        """The next request's notices (the model does not read images, ...), beside the count."""
        text = " ".join(notices)
        if text != self.notice.text():
            self.notice.setText(text)
            self.notice.setToolTip(text)
            self.notice.setAccessibleDescription(text)
        self.notice.setVisible(bool(text))

    def set_drop_highlight(self, on: bool) -> None:
        """Files are dragged over the chat or the composer: say where they go."""
        if on != self._drop_highlight:
            self._drop_highlight = on
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self._drop_highlight:
            painter = QPainter(self)
            pen = painter.pen()
            pen.setColor(self.palette().color(QPalette.ColorRole.Highlight))
            pen.setWidth(2)
            painter.setPen(pen)
            painter.drawRoundedRect(self.rect().adjusted(2, 2, -3, -3), 6, 6)
            painter.end()

    def begin_editing(self, message_id: int, text: str) -> None:
        if self.editing is None:
            self._saved_draft = self.text()
        self.editing = message_id
        self.editing_label.setText("Editing your message: Send replaces it and the replies after it")
        self._editing_box.show()
        self.set_text(text)
        self.edit.setFocus()

    @Slot()
    def cancel_editing(self) -> None:
        if self.editing is None:
            return
        self.editing = None
        self._editing_box.hide()
        self.set_text(self._saved_draft)
        self.cancelEdit.emit()

    def finish_editing(self) -> None:
        self.editing = None
        self._editing_box.hide()

    def submit(self) -> None:
        """Send the draft, as Enter does."""
        self._submit()

    @Slot()
    def _submit(self) -> None:
        if self._busy:
            return  # Enter during a reply does not queue a second one
        attachments = self.attachments
        if attachments is not None and self.editing is None:
            reading = attachments.reading()
            if reading:
                self.show_problem(f"Still reading {', '.join(reading)}: send once its chip shows its size.")
                return
            if attachments.attached():
                self.send.emit(self.text())  # the files alone are a message
                return
        if self.text().strip():
            self.send.emit(self.text())

    @Slot()
    def _escape(self) -> None:
        if self._busy:
            self.stop.emit()
        elif self.editing is not None:
            self.cancel_editing()

    @Slot()
    def _clicked(self) -> None:
        if self._busy:
            self.stop.emit()
        else:
            self._submit()
