"""The chat pane: a header with the title, model and strategy, the summary banner, and the message list.

The list (``message_model``) loads the newest page first and older ones when
scrolled near its top; the delegate (``message_delegate``) draws each row from
a cached document, and streamed text updates only the streaming row. Links
with the app's own schemes (``render.internal_scheme``: a per-process token that
message content cannot forge) are the row's actions; other links open in the
system browser, and only when clicked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QSize, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication, QMouseEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.core.errors import DesktopChatError
from desktop_chat.core.models import ContextPlan, MessageStatus, Role
from desktop_chat.ui.chat.archived_bar import ArchivedBar
from desktop_chat.ui.chat.attachment_view import parse_open, stored_url
from desktop_chat.ui.chat.message_delegate import MessageDelegate
from desktop_chat.ui.chat.message_model import (
    ACTION,
    CONTEXT,
    COPY_MESSAGE,
    EDIT,
    FIRST_PAGE,
    IN_CONTEXT,
    MORE,
    OUT_OF_CONTEXT,
    PAGE,
    REGENERATE,
    RETRY,
    ROW_ROLE,
    SETTINGS,
    SUMMARISED,
    TOOLS,
    MessageListModel,
    Row,
)
from desktop_chat.ui.chat.render import OPENABLE_SCHEMES, parse_internal
from desktop_chat.ui.chat.row_links import VERSION_ACTIONS
from desktop_chat.ui.chat.row_look import PAD, Theme
from desktop_chat.ui.signal_types import ID

__all__ = [
    "ACTION",
    "CONTEXT",
    "EDIT",
    "FIRST_PAGE",
    "IN_CONTEXT",
    "OUT_OF_CONTEXT",
    "PAGE",
    "REGENERATE",
    "RETRY",
    "SETTINGS",
    "SUMMARISED",
    "ChatListView",
    "ChatView",
    "MessageDelegate",
    "MessageListModel",
    "Row",
    "Theme",
]


COPIED_MS = 1500  # how long a message's copy link says "Copied"


class ChatListView(QListView):
    """The list: pixel scrolling, re-layout when the width changes, stays at the bottom while streaming."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        # Always there: a scroll bar that appears would narrow the rows and re-render them all.
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setUniformItemSizes(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setFrameShape(QListView.Shape.NoFrame)
        self.setMouseTracking(True)
        self.verticalScrollBar().setSingleStep(24)
        self._width = 0
        self._editing: QPersistentModelIndex | None = None

    def use_delegate(self, delegate: MessageDelegate) -> None:
        """Draw rows with ``delegate``; a click on a row's text opens it for selection."""
        self.setItemDelegate(delegate)
        delegate.selectRequested.connect(self.open_selectable)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != self._width:
            self._width = event.size().width()
            self.close_selectable()
            self.doItemsLayout()

    def at_bottom(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 8

    @Slot(QPersistentModelIndex)
    def open_selectable(self, index: QModelIndex | QPersistentModelIndex) -> None:
        if self._editing is not None and self._editing == QPersistentModelIndex(index):
            return
        self.close_selectable()
        row: Row | None = index.data(ROW_ROLE)
        if row is None or row.message is None or row.status is MessageStatus.STREAMING:
            return
        self._editing = QPersistentModelIndex(index)
        self.openPersistentEditor(index)
        editor = self.indexWidget(index)
        if editor is not None:
            editor.setFocus()

    def close_selectable(self) -> None:
        if self._editing is not None:
            if self._editing.isValid():
                self.closePersistentEditor(self._editing)
            self._editing = None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        index = self.indexAt(event.position().toPoint())
        delegate = self.itemDelegate()
        pointing = False
        if index.isValid() and isinstance(delegate, MessageDelegate):
            pointing = bool(delegate.anchor_at(index, event.position(), self.visualRect(index)))
        self.viewport().setCursor(Qt.CursorShape.PointingHandCursor if pointing else Qt.CursorShape.IBeamCursor)
        super().mouseMoveEvent(event)


class HeaderDetails(QLabel):
    """The header's model and strategy: wraps on a narrow chat, but asks for its whole line up to ``WIDEST``.

    A word-wrapped label alone is laid out at a narrow width of Qt's choosing, so a short line
    ("gpt-4o · Hybrid memory") broke into three beside an empty header.
    """

    WIDEST = 360

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        line = self.fontMetrics().horizontalAdvance(self.text()) + 2 * self.margin() + 4
        return QSize(max(hint.width(), min(line, self.WIDEST)), hint.height())


class ChatView(QWidget):
    """Chat pane: a header with the title, model and strategy, the summary banner, the message list."""

    action = Signal(str, ID)  # edit/regenerate/retry/settings/versions, message id (-1: the error row)
    summaryClicked = Signal()
    contextClicked = Signal(ID)  # a message's "not in context" / "summarised" marker: explain it
    messageClicked = Signal(ID)  # a message was clicked (the inspector shows why a reply said what it did)
    restoreRequested = Signal(ID)  # the archived chat's Restore
    notice = Signal(str)  # one line for the status bar (an attachment's stored copy is gone)

    def __init__(self, workspace: Any | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self.title = QLabel()
        self.title.setAccessibleName("Chat title")
        self.title.setToolTip("The open chat")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.details = HeaderDetails()
        self.details.setAccessibleName("Model and memory strategy")
        self.details.setToolTip("The model and the memory strategy of this chat")
        self.details.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._build_banners()
        self.list = ChatListView()
        self.list.setAccessibleName("Messages")
        self.list.setToolTip("The conversation; click a message to select its text")
        self.model = MessageListModel(workspace, self)
        self.delegate = MessageDelegate(self.list)
        self.list.use_delegate(self.delegate)
        self.list.setModel(self.model)
        self.delegate.linkActivated.connect(self._on_link)
        self.delegate.thumbnails.ready.connect(self.model.thumbnail_ready)
        self.list.clicked.connect(self._clicked)
        self._stick = True
        self._loading_older = False
        self.list.verticalScrollBar().valueChanged.connect(self._on_scroll)
        self.list.verticalScrollBar().rangeChanged.connect(self._on_range)
        self.model.modelAboutToBeReset.connect(self.list.close_selectable)
        self.model.rowsAboutToBeInserted.connect(self._remember_bottom)
        self.model.rowsInserted.connect(self._after_insert)
        self._fill_timer = _single_shot(self, 0, self._fill_viewport)
        self._copied: int | None = None  # the message whose copy link says "Copied"
        # A child of the view: it dies with it, never firing into a deleted model.
        self._copied_timer = _single_shot(self, COPIED_MS, self._copy_shown)

        head = self.head = QHBoxLayout()  # the window adds the chat's Model and Instructions buttons
        head.setContentsMargins(PAD, 8, PAD, 4)
        head.addWidget(self.title, 1)
        head.addWidget(self.details)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(head)
        layout.addWidget(self.archived)
        layout.addWidget(self.banner)
        layout.addWidget(self.list, 1)

    def _build_banners(self) -> None:
        self.banner = QPushButton()
        self.banner.setFlat(True)
        self.banner.setAccessibleName("Summarised messages")
        self.banner.setToolTip("Earlier messages reach the model as a summary; show it in the memory inspector")
        self.banner.clicked.connect(self.summaryClicked)
        self.banner.hide()
        self.archived = ArchivedBar()
        self.archived.restore.connect(self._restore)

    def set_workspace(self, workspace: Any) -> None:
        self._workspace = workspace
        self.model._workspace = workspace
        self.delegate.thumbnails.path_of = workspace.attachments.path

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.delegate.set_palette(self.palette())
            self.list.viewport().update()
        super().changeEvent(event)

    # --- loading and context -------------------------------------------------------------

    def show_session(self, session: Any | None, details: str = "", plan: ContextPlan | None = None) -> None:
        self.title.setText(session.title or "New chat" if session is not None else "")
        self.details.setText(details)
        self.show_archived(session is not None and session.archived)
        self._stick = True
        self.model.load(session.id if session is not None else None, plan)
        self._show_banner()
        self.scroll_to_bottom()
        self._fill_timer.start()

    def show_archived(self, archived: bool) -> None:
        self.archived.setVisible(archived)

    @Slot()
    def _restore(self) -> None:
        if self.model.session_id is not None:
            self.restoreRequested.emit(self.model.session_id)

    def reload(self) -> None:
        stick = self.list.at_bottom()
        self.model.reload()
        if stick:
            self.scroll_to_bottom()

    def set_plan(self, plan: ContextPlan | None) -> None:
        self.model.set_plan(plan)
        self._show_banner()

    def _show_banner(self) -> None:
        count = self.model.summarised_count()
        # No summary, or every message it covers is in the request anyway (kept or recalled): nothing to say.
        if self.model.summary_through is None or count == 0:
            self.banner.hide()
            return
        words = f"{count:,} earlier messages summarised" if count is not None else "Earlier messages summarised"
        self.banner.setText(f"⋮ {words}  ▸")
        self.banner.show()

    def scroll_to_bottom(self) -> None:
        self.list.scrollToBottom()
        QTimer.singleShot(0, self.list.scrollToBottom)

    def show_message(self, message_id: int) -> bool:
        """Scroll to a message, loading older pages until it is there."""
        row = self.model.row_of(message_id)
        while row is None and self.model.can_load_older():
            self.model.load_older(PAGE * 4)
            row = self.model.row_of(message_id)
        if row is None:
            return False
        self._stick = False
        index = self.model.index(row)
        self.list.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtTop)
        self.list.setCurrentIndex(index)
        return True

    def select_messages(self, ids: Iterable[int]) -> bool:
        """Mark these messages as selected and scroll to the first; False when none is on the branch."""
        wanted = sorted(set(ids))
        self.model.set_highlight(wanted)
        return bool(wanted) and self.show_message(wanted[0])

    @Slot(QModelIndex)
    def _clicked(self, index: QModelIndex) -> None:
        row: Row | None = index.data(ROW_ROLE)
        if row is not None and row.message is not None:
            self.messageClicked.emit(row.message.id)

    # --- streaming -----------------------------------------------------------------------

    def append_text(self, message_id: int, text: str) -> None:
        self.model.append_text(message_id, text)

    # --- scrolling -----------------------------------------------------------------------

    @Slot()
    def _remember_bottom(self) -> None:
        self._stick = self.list.at_bottom()

    @Slot(QModelIndex, int, int)
    def _after_insert(self, parent: QModelIndex, first: int, last: int) -> None:
        if first > 0 and self._stick:
            self.scroll_to_bottom()

    @Slot(int, int)
    def _on_range(self, low: int, high: int) -> None:
        # A growing (streaming) row changes the range: follow it when the reader was at the bottom.
        if self._stick and not self._loading_older:
            self.list.verticalScrollBar().setValue(high)

    @Slot(int)
    def _on_scroll(self, value: int) -> None:
        bar = self.list.verticalScrollBar()
        if not self._loading_older:
            self._stick = value >= bar.maximum() - 8
        if value < 200 and self.model.can_load_older() and not self._loading_older:
            self._load_older()

    def _load_older(self) -> None:
        bar = self.list.verticalScrollBar()
        self._loading_older = True
        try:
            before_max, before_value = bar.maximum(), bar.value()
            if self.model.load_older() == 0:
                return
            self.list.doItemsLayout()
            bar.setValue(before_value + (bar.maximum() - before_max))
        finally:
            self._loading_older = False

    @Slot()
    def _fill_viewport(self) -> None:
        # A short first page may not fill a tall window; then nothing can scroll to load more.
        bar = self.list.verticalScrollBar()
        if bar.maximum() == 0 and self.model.can_load_older():
            self._load_older()
            self.scroll_to_bottom()

    # --- actions -------------------------------------------------------------------------

    @Slot(str, object)
    def _on_link(self, href: str, row: Row) -> None:
        code = parse_internal(href, "copy-code")
        if code is not None:
            index = _number(code[0]) if len(code) == 1 else None
            if index is not None and 0 <= index < len(row.code_blocks):
                QGuiApplication.clipboard().setText(row.code_blocks[index])
            return
        attachment = parse_open(href)
        if attachment is not None:
            if attachment[0] == row.key:  # built by the delegate for this row
                self._open_attachment(row, attachment[1])
            return
        action = parse_internal(href, "action")
        if action is not None:
            self._on_action(action, row)
            return
        url = QUrl(href)
        if url.scheme().lower() in OPENABLE_SCHEMES:
            QDesktopServices.openUrl(url)

    def _on_action(self, args: list[str], row: Row) -> None:
        # Built by the delegate, so a bad one is a bug of ours, never a user's doing: ignore it.
        key = _number(args[1]) if len(args) == 2 else None
        if key is None or key != row.key:
            return
        name = args[0]
        if name == COPY_MESSAGE:
            QGuiApplication.clipboard().setText(row.text)
            # The link says "Copied" for a moment: a copy changes nothing else on screen.
            if self._copied is not None:
                self.model.set_copied(self._copied, False)
            self._copied = key
            self.model.set_copied(key, True)
            self._copied_timer.start()
        elif name == CONTEXT:
            self.contextClicked.emit(key)
        elif name == MORE:
            self.list.close_selectable()
            self.model.show_more(key)
        elif name == TOOLS:
            self.model.toggle_tools(key)
        elif name in (EDIT, REGENERATE, RETRY, SETTINGS, *VERSION_ACTIONS):
            self.action.emit(name, key)

    def _open_attachment(self, row: Row, index: int) -> None:
        """Open the stored copy of the row's ``index``-th file in the desktop's application for it."""
        if not 0 <= index < len(row.attachments) or self._workspace is None:
            return
        try:
            url = stored_url(self._workspace, row.attachments[index])
        except DesktopChatError as exc:
            self.notice.emit(str(exc))
            return
        if not QDesktopServices.openUrl(url):
            self.notice.emit(f"No application opens {row.attachments[index].name} on this desktop.")

    @Slot()
    def _copy_shown(self) -> None:
        if self._copied is not None:
            self.model.set_copied(self._copied, False)
            self._copied = None

    def copy_last_reply(self) -> bool:
        for row in reversed(self.model.rows()):
            if row.message is not None and row.message.role is Role.ASSISTANT:
                QGuiApplication.clipboard().setText(row.text)
                return True
        return False


def _single_shot(parent: QWidget, ms: int, slot: Any) -> QTimer:
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(ms)
    timer.timeout.connect(slot)
    return timer


def _number(text: str) -> int | None:
    return int(text) if text.lstrip("-").isdigit() and len(text) < 20 else None
