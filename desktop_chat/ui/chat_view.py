"""The conversation: a lazily loaded model of messages and a delegate that draws each as a document.

Newest messages load first; older ones load when the list is scrolled near its top.
Each row is rendered once into a cached QTextDocument (Markdown for replies, plain
text for the user's words); streamed text updates only the streaming row. Clicking
a message opens a read-only browser over it so its text can be selected; links with
the ``dc-`` scheme are the row's actions, other links open in the system browser.
"""

from __future__ import annotations

import html
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPointF,
    QRect,
    QSize,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QGuiApplication,
    QMouseEvent,
    QPainter,
    QPalette,
    QResizeEvent,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.core.models import ContextPlan, Message, MessageStatus, PartKind, Role
from desktop_chat.ui.render import COPY_CODE, MarkdownRenderer, plain

PAGE = 30  # messages per lazy page: more than a tall window shows; each costs ~1 ms to render
MAX_TEXT_WIDTH = 760  # a readable line length, as in a document
PAD = 12
ROW_ROLE = Qt.ItemDataRole.UserRole + 1

# Links inside a message: dc-action:<name>:<message id>; code copy links come from render.py.
ACTION = "dc-action"
COPY_MESSAGE = "copy"
EDIT = "edit"
REGENERATE = "regenerate"
RETRY = "retry"
SETTINGS = "settings"

# Context marks: where a message stands for the next request.
IN_CONTEXT = ""
SUMMARISED = "summarised"
OUT_OF_CONTEXT = "not in context"

_SETTINGS_ERRORS = ("AuthError", "MissingApiKey", "ModelNotFound", "SettingsError", "SecretStoreUnavailable")


@dataclass
class Row:
    """One line of the list: a stored message, or the inline error of a reply that never started."""

    message: Message | None
    text: str
    status: MessageStatus = MessageStatus.COMPLETE
    context: str = IN_CONTEXT
    error: str | None = None
    retry: bool = False
    settings: bool = False
    version: int = 0
    last_reply: bool = False
    code_blocks: tuple[str, ...] = field(default=())

    @property
    def key(self) -> int:
        return self.message.id if self.message is not None else -1


def _fixes(error_class: str) -> tuple[bool, bool]:
    """Which inline fixes a failure offers: (Retry, Open Settings).

    Retry is always there: after fixing a key or a model in Settings, it is the next step.
    """
    return True, error_class in _SETTINGS_ERRORS


class MessageListModel(QAbstractListModel):
    """The active branch of one chat, newest page first, older pages on demand."""

    loadedOlder = Signal(int)  # rows inserted at the top

    def __init__(self, workspace: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self._rows: list[Row] = []
        self.session_id: int | None = None
        self._total = 0
        self._plan: ContextPlan | None = None
        self._failures: dict[int, tuple[bool, bool]] = {}  # assistant id -> fixes, from live Failed events

    # --- Qt model ------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == ROW_ROLE:
            return row
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            who = _role_name(row)
            mark = f" ({row.context})" if row.context else ""
            return f"{who}{mark}: {row.text or row.error or ''}"
        return None

    # --- loading -------------------------------------------------------------------------

    def load(self, session_id: int | None, plan: ContextPlan | None = None) -> None:
        self.beginResetModel()
        self.session_id = session_id
        self._plan = plan
        self._failures.clear()
        self._rows = []
        self._total = 0
        if session_id is not None:
            self._total = self._workspace.message_count(session_id)
            self._rows = [self._row(m) for m in self._workspace.messages(session_id, limit=PAGE)]
        self._mark()
        self.endResetModel()

    def reload(self) -> None:
        """Read the loaded span again (after an edit, regenerate, stop, or another process)."""
        if self.session_id is None:
            return
        error_rows = [r for r in self._rows if r.message is None]
        keep = max(PAGE, len(self._rows) - len(error_rows))
        self.beginResetModel()
        self._total = self._workspace.message_count(self.session_id)
        self._rows = [self._row(m) for m in self._workspace.messages(self.session_id, limit=keep)]
        last = self._rows[-1].message if self._rows else None
        # An error row stays while its user message is still the last one.
        if error_rows and last is not None and last.role is Role.USER:
            self._rows.append(error_rows[-1])
        self._mark()
        self.endResetModel()

    def can_load_older(self) -> bool:
        stored = sum(1 for r in self._rows if r.message is not None)
        return self.session_id is not None and stored < self._total

    def load_older(self, count: int = PAGE) -> int:
        if not self.can_load_older() or self.session_id is None:
            return 0
        first = next((r.message.id for r in self._rows if r.message is not None), None)
        older = self._workspace.messages(self.session_id, before=first, limit=count)
        if not older:
            self._total = sum(1 for r in self._rows if r.message is not None)
            return 0
        self.beginInsertRows(QModelIndex(), 0, len(older) - 1)
        self._rows[0:0] = [self._row(m) for m in older]
        self.endInsertRows()
        self._mark(self._rows[: len(older)], notify=False)
        self.loadedOlder.emit(len(older))
        return len(older)

    def _row(self, message: Message) -> Row:
        retry, settings = self._failures.get(message.id, (True, True))
        return Row(
            message=message,
            text=message.content,
            status=message.status,
            error=message.error if message.status in (MessageStatus.FAILED, MessageStatus.STOPPED) else None,
            retry=retry,
            settings=settings and message.status is MessageStatus.FAILED,
        )

    # --- streaming -----------------------------------------------------------------------

    def row_of(self, message_id: int) -> int | None:
        for i in range(len(self._rows) - 1, -1, -1):
            if self._rows[i].key == message_id:
                return i
        return None

    def rows(self) -> list[Row]:
        return list(self._rows)

    def set_streamed(self, message_id: int, text: str) -> None:
        """The whole text streamed so far, for a row loaded from the database mid-reply."""
        i = self.row_of(message_id)
        if i is None or self._rows[i].status is not MessageStatus.STREAMING:
            return
        self._rows[i].text = text
        index = self.index(i)
        self.dataChanged.emit(index, index, [ROW_ROLE])

    def append_text(self, message_id: int, text: str) -> None:
        i = self.row_of(message_id)
        if i is None:
            return
        row = self._rows[i]
        row.text += text
        row.version += 1
        index = self.index(i)
        self.dataChanged.emit(index, index, [ROW_ROLE])

    def note_failure(self, assistant_id: int | None, error_class: str, message: str) -> None:
        """A reply failed: its fixes are remembered for the stored row, or shown on an error row."""
        fixes = _fixes(error_class)
        if assistant_id is not None:
            self._failures[assistant_id] = fixes
            return
        self.show_error(message, retry=fixes[0], settings=fixes[1])

    def show_error(self, message: str, *, retry: bool, settings: bool) -> None:
        self.clear_error()
        row = Row(message=None, text="", status=MessageStatus.FAILED, error=message, retry=retry, settings=settings)
        self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
        self._rows.append(row)
        self.endInsertRows()

    def clear_error(self) -> None:
        for i in range(len(self._rows) - 1, -1, -1):
            if self._rows[i].message is None:
                self.beginRemoveRows(QModelIndex(), i, i)
                del self._rows[i]
                self.endRemoveRows()

    # --- context marks -------------------------------------------------------------------

    def set_plan(self, plan: ContextPlan | None) -> None:
        self._plan = plan
        self._mark()

    @property
    def summary_through(self) -> int | None:
        if self._plan is None:
            return None
        through = [p.summary_through for p in self._plan.parts if p.summary_through is not None]
        return max(through) if through else None

    def summarised_count(self) -> int | None:
        """How many messages reach the model only through the summary; None when the loaded span cannot tell."""
        through = self.summary_through
        if through is None:
            return None
        stored = [r for r in self._rows if r.message is not None]
        if not stored:
            return None
        unloaded = self._total - len(stored)
        if unloaded and stored[0].key > through:
            return None  # the summary ends somewhere in the part not loaded yet
        # Every message older than the loaded span is older than the summary's end.
        return unloaded + sum(1 for r in stored if r.context == SUMMARISED)

    def _mark(self, rows: Iterable[Row] | None = None, *, notify: bool = True) -> None:
        plan = self._plan
        included: set[int] = set()
        through = self.summary_through
        if plan is not None:
            for part in plan.parts:
                if part.kind in (PartKind.RECENT, PartKind.RECALLED):
                    included.update(part.message_ids)
        last_assistant = next(
            (r.key for r in reversed(self._rows) if r.message is not None and r.message.role is Role.ASSISTANT), None
        )
        # The plan answers the newest user message; replies after it are the conversation the
        # next message continues, never "left out".
        anchor = next((r.key for r in reversed(self._rows) if r.message is not None and r.message.role is Role.USER), 0)
        changed = False
        for row in self._rows if rows is None else rows:
            row.last_reply = row.key == last_assistant
            message = row.message
            settled = message is not None and row.status is not MessageStatus.STREAMING
            if plan is None or message is None or not settled or message.id > anchor or message.id in included:
                mark = IN_CONTEXT
            elif through is not None and message.id <= through:
                mark = SUMMARISED
            else:
                mark = OUT_OF_CONTEXT
            if mark != row.context:
                row.context = mark
                row.version += 1
                changed = True
        if notify and changed and self._rows:
            self.dataChanged.emit(self.index(0), self.index(len(self._rows) - 1), [ROW_ROLE])


def _role_name(row: Row) -> str:
    if row.message is None:
        return "Error"
    return {Role.USER: "You", Role.ASSISTANT: "Assistant", Role.SYSTEM: "System"}[row.message.role]


def _when(moment: datetime) -> str:
    local = moment.astimezone()
    now = datetime.now().astimezone()
    if local.date() == now.date():
        return local.strftime("%H:%M")
    if local.year == now.year:
        return local.strftime("%d %b %H:%M")
    return local.strftime("%d %b %Y %H:%M")


class Theme:
    """Colours derived from the palette: no fixed colours, so light and dark both read well."""

    def __init__(self, palette: QPalette) -> None:
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        highlight = palette.color(QPalette.ColorRole.Highlight)
        self.dark = base.lightnessF() < 0.5
        self.text = text
        self.dim = _mix(text, base, 0.45)
        self.user_tint = _mix(highlight, base, 0.9)
        self.code_background = _mix(text, base, 0.93).name()
        self.error = _mix(QColor.fromHsv(0, 200, 200), text, 0.3) if not self.dark else QColor.fromHsv(0, 120, 240)

    @cached_property
    def renderer(self) -> MarkdownRenderer:
        return MarkdownRenderer(dark=self.dark, code_background=self.code_background)


def _mix(a: QColor, b: QColor, amount_b: float) -> QColor:
    return QColor(
        round(a.red() * (1 - amount_b) + b.red() * amount_b),
        round(a.green() * (1 - amount_b) + b.green() * amount_b),
        round(a.blue() * (1 - amount_b) + b.blue() * amount_b),
    )


class _Document(QTextDocument):
    """A message's document: never loads a resource (no remote or local images, no stylesheets)."""

    def loadResource(self, kind: int, name: QUrl | str) -> Any:
        return None


class MessageDelegate(QStyledItemDelegate):
    """Draws a row from a cached document; clicks on links become actions."""

    linkActivated = Signal(str, object)  # href, Row

    def __init__(self, view: ChatListView) -> None:
        super().__init__(view)
        self._view = view
        self._theme = Theme(view.palette())
        self._docs: OrderedDict[int, tuple[tuple[Any, ...], QTextDocument, tuple[str, ...]]] = OrderedDict()
        self._heights: dict[int, int] = {}  # id(document) -> row height

    def set_palette(self, palette: QPalette) -> None:
        self._theme = Theme(palette)
        self._docs.clear()
        self._heights.clear()

    # --- documents -----------------------------------------------------------------------

    def _head(self, row: Row) -> str:
        """Role, time, model, status and context mark on the left; the row's actions on the right."""
        message = row.message
        dim = self._theme.dim.name()
        bits: list[str] = []
        if message is not None:
            bits.append(html.escape(_when(message.created_at)))
            if message.role is Role.ASSISTANT and message.model:
                bits.append(html.escape(message.model))
        status = {
            MessageStatus.STREAMING: "streaming…",
            MessageStatus.STOPPED: "stopped",
            MessageStatus.FAILED: "failed",
        }.get(row.status)
        if status and message is not None:
            bits.append(f"<b>{status}</b>")
        if row.context:
            bits.append(f"<i>{row.context}</i>")
        actions: list[str] = []
        if message is not None and row.status is not MessageStatus.STREAMING:
            mid = message.id
            actions.append(f'<a href="{ACTION}:{COPY_MESSAGE}:{mid}">Copy</a>')
            if message.role is Role.USER:
                actions.append(f'<a href="{ACTION}:{EDIT}:{mid}">Edit</a>')
            elif row.last_reply and row.status is MessageStatus.COMPLETE:
                actions.append(f'<a href="{ACTION}:{REGENERATE}:{mid}">Regenerate</a>')
        return (
            '<table width="100%" cellspacing="0" cellpadding="0"><tr>'
            f"<td><b>{_role_name(row)}</b> &nbsp;<span style='color:{dim}'>{' · '.join(bits)}</span></td>"
            f"<td align='right'><small>{' &nbsp; '.join(actions)}</small></td></tr></table>"
        )

    def _html(self, row: Row) -> tuple[str, tuple[str, ...]]:
        theme = self._theme
        message = row.message
        dim = theme.dim.name()
        head = self._head(row)
        code: tuple[str, ...] = ()
        if message is None:
            body = ""
        elif message.role is Role.ASSISTANT:
            rendered = theme.renderer.render(row.text)
            body, code = rendered.html, rendered.code_blocks
        else:
            body = plain(row.text)
        if row.error:
            fixes = []
            if row.retry and (row.message is None or row.last_reply):
                fixes.append(f'<a href="{ACTION}:{RETRY}:{row.key}">Retry</a>')
            if row.settings:
                fixes.append(f'<a href="{ACTION}:{SETTINGS}:{row.key}">Open Settings</a>')
            colour = theme.error.name() if row.status is MessageStatus.FAILED else dim
            body += (
                f"<p style='color:{colour}'>{html.escape(row.error)}"
                + (" &nbsp; " + " &nbsp; ".join(fixes) if fixes else "")
                + "</p>"
            )
        return head + body, code

    def document(self, row: Row, width: int) -> tuple[QTextDocument, tuple[str, ...]]:
        # Everything the HTML depends on: a reloaded row with the same content hits the cache.
        key = (width, row.text, row.status, row.context, row.error, row.retry, row.settings, row.last_reply)
        cached = self._docs.get(row.key)
        if cached is not None and cached[0] == key:
            self._docs.move_to_end(row.key)
            row.code_blocks = cached[2]
            return cached[1], cached[2]
        text, code = self._html(row)
        doc = _Document()
        doc.setDefaultFont(self._view.font())
        doc.setDocumentMargin(PAD)
        doc.setDefaultStyleSheet("pre { margin: 0; } p { margin-top: 4px; margin-bottom: 4px; }")
        doc.setHtml(text)
        doc.setTextWidth(width)
        row.code_blocks = code
        old = self._docs.get(row.key)
        if old is not None:
            self._heights.pop(id(old[1]), None)
        self._docs[row.key] = (key, doc, code)
        if len(self._docs) > 400:
            _, (_, dropped, _) = self._docs.popitem(last=False)
            self._heights.pop(id(dropped), None)
        return doc, code

    def text_width(self, full: int) -> int:
        return max(200, min(full - 2 * PAD, MAX_TEXT_WIDTH))

    def _rect(self, option_rect: QRect) -> QRect:
        width = self.text_width(option_rect.width())
        left = option_rect.left() + max(PAD, (option_rect.width() - width) // 2)
        return QRect(left, option_rect.top() + 4, width, option_rect.height() - 8)

    # --- painting ------------------------------------------------------------------------

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        row: Row = index.data(ROW_ROLE)
        width = self.text_width(self._view.viewport().width())
        doc, _ = self.document(row, width)
        height = self._heights.get(id(doc))
        if height is None:
            # The list asks for every row's size on each layout; measuring a document is the
            # expensive part, so it is done once per rendered document.
            height = int(doc.size().height()) + 8
            self._heights[id(doc)] = height
        return QSize(width, height)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        row: Row = index.data(ROW_ROLE)
        rect = self._rect(option.rect)
        doc, _ = self.document(row, rect.width())
        painter.save()
        if row.context:
            painter.setOpacity(0.5)  # dimmed: the next request leaves it out
        if row.message is not None and row.message.role is Role.USER:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self._theme.user_tint)
            painter.drawRoundedRect(rect, 8, 8)
        if option.state & QStyle.StateFlag.State_HasFocus and self._view.hasFocus():
            painter.setPen(self._theme.dim)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(0, 0, -1, -1), 8, 8)
        painter.translate(rect.topLeft())
        doc.drawContents(painter)
        painter.restore()

    def anchor_at(self, index: QModelIndex | QPersistentModelIndex, pos: QPointF, option_rect: QRect) -> str:
        row: Row = index.data(ROW_ROLE)
        rect = self._rect(option_rect)
        doc, _ = self.document(row, rect.width())
        return str(doc.documentLayout().anchorAt(pos - QPointF(rect.topLeft())))

    def editorEvent(
        self,
        event: QEvent,
        model: Any,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        if isinstance(event, QMouseEvent) and event.button() == Qt.MouseButton.LeftButton:
            anchor = self.anchor_at(index, event.position(), option.rect)
            if anchor:
                if event.type() == QEvent.Type.MouseButtonRelease:
                    self.linkActivated.emit(anchor, index.data(ROW_ROLE))
                return True
            if event.type() == QEvent.Type.MouseButtonRelease:
                self._view.open_selectable(index)
        return super().editorEvent(event, model, option, index)

    # --- selectable text: a read-only browser over the clicked row -------------------------

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QWidget:
        row: Row = index.data(ROW_ROLE)
        browser = QTextBrowser(parent)
        browser.setAccessibleName("Message text")
        browser.setToolTip("Select text to copy it")
        browser.setOpenLinks(False)
        browser.setOpenExternalLinks(False)
        browser.setFrameShape(QTextBrowser.Shape.NoFrame)
        browser.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        browser.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        browser.viewport().setAutoFillBackground(False)
        browser.setAutoFillBackground(False)
        rect = self._rect(option.rect)
        doc, _ = self.document(row, rect.width())
        clone = doc.clone(browser)
        browser.setDocument(clone)
        browser.anchorClicked.connect(lambda url, r=row: self.linkActivated.emit(url.toString(), r))
        return browser

    def updateEditorGeometry(
        self, editor: QWidget, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        editor.setGeometry(self._rect(option.rect))

    def setModelData(self, editor: QWidget, model: Any, index: QModelIndex | QPersistentModelIndex) -> None:
        return  # read-only


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

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != self._width:
            self._width = event.size().width()
            self.close_selectable()
            self.doItemsLayout()

    def at_bottom(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 8

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


class ChatView(QWidget):
    """Chat pane: a header with the title, model and strategy, the summary banner, the message list."""

    action = Signal(str, int)  # copy/edit/regenerate/retry/settings, message id (-1: the error row)
    summaryClicked = Signal()

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
        self.details = QLabel()
        self.details.setAccessibleName("Model and memory strategy")
        self.details.setToolTip("The model and the memory strategy of this chat")
        self.details.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.banner = QPushButton()
        self.banner.setFlat(True)
        self.banner.setAccessibleName("Summarised messages")
        self.banner.setToolTip("Earlier messages reach the model as a summary; show it in the memory inspector")
        self.banner.clicked.connect(self.summaryClicked)
        self.banner.hide()
        self.list = ChatListView()
        self.list.setAccessibleName("Messages")
        self.list.setToolTip("The conversation; click a message to select its text")
        self.model = MessageListModel(workspace, self)
        self.delegate = MessageDelegate(self.list)
        self.list.setItemDelegate(self.delegate)
        self.list.setModel(self.model)
        self.delegate.linkActivated.connect(self._on_link)
        self._stick = True
        self._loading_older = False
        self.list.verticalScrollBar().valueChanged.connect(self._on_scroll)
        self.list.verticalScrollBar().rangeChanged.connect(self._on_range)
        self.model.modelAboutToBeReset.connect(self.list.close_selectable)
        self.model.rowsAboutToBeInserted.connect(self._remember_bottom)
        self.model.rowsInserted.connect(self._after_insert)
        self._fill_timer = QTimer(self)
        self._fill_timer.setSingleShot(True)
        self._fill_timer.setInterval(0)
        self._fill_timer.timeout.connect(self._fill_viewport)

        head = QHBoxLayout()
        head.setContentsMargins(PAD, 8, PAD, 4)
        head.addWidget(self.title, 1)
        head.addWidget(self.details)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(head)
        layout.addWidget(self.banner)
        layout.addWidget(self.list, 1)

    def set_workspace(self, workspace: Any) -> None:
        self._workspace = workspace
        self.model._workspace = workspace

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.delegate.set_palette(self.palette())
            self.list.viewport().update()
        super().changeEvent(event)

    # --- loading and context -------------------------------------------------------------

    def show_session(self, session: Any | None, details: str = "", plan: ContextPlan | None = None) -> None:
        self.title.setText(session.title or "New chat" if session is not None else "")
        self.details.setText(details)
        self._stick = True
        self.model.load(session.id if session is not None else None, plan)
        self._show_banner()
        self.scroll_to_bottom()
        self._fill_timer.start()

    def reload(self) -> None:
        stick = self.list.at_bottom()
        self.model.reload()
        if stick:
            self.scroll_to_bottom()

    def set_plan(self, plan: ContextPlan | None) -> None:
        self.model.set_plan(plan)
        self._show_banner()

    def _show_banner(self) -> None:
        through = self.model.summary_through
        if through is None:
            self.banner.hide()
            return
        count = self.model.summarised_count()
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

    # --- streaming -----------------------------------------------------------------------

    def append_text(self, message_id: int, text: str) -> None:
        self.model.append_text(message_id, text)

    # --- scrolling -----------------------------------------------------------------------

    def _remember_bottom(self) -> None:
        self._stick = self.list.at_bottom()

    def _after_insert(self, parent: QModelIndex, first: int, last: int) -> None:
        if first > 0 and self._stick:
            self.scroll_to_bottom()

    def _on_range(self, low: int, high: int) -> None:
        # A growing (streaming) row changes the range: follow it when the reader was at the bottom.
        if self._stick and not self._loading_older:
            self.list.verticalScrollBar().setValue(high)

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

    def _fill_viewport(self) -> None:
        # A short first page may not fill a tall window; then nothing can scroll to load more.
        bar = self.list.verticalScrollBar()
        if bar.maximum() == 0 and self.model.can_load_older():
            self._load_older()
            self.scroll_to_bottom()

    # --- actions -------------------------------------------------------------------------

    def _on_link(self, href: str, row: Row) -> None:
        if href.startswith(COPY_CODE + ":"):
            index = int(href.split(":", 1)[1])
            if 0 <= index < len(row.code_blocks):
                QGuiApplication.clipboard().setText(row.code_blocks[index])
            return
        if href.startswith(ACTION + ":"):
            _, name, key = href.split(":", 2)
            if name == COPY_MESSAGE:
                QGuiApplication.clipboard().setText(row.text)
                return
            self.action.emit(name, int(key))
            return
        url = QUrl(href)
        if url.scheme() in ("http", "https", "mailto"):
            QDesktopServices.openUrl(url)

    def copy_last_reply(self) -> bool:
        for row in reversed(self.model.rows()):
            if row.message is not None and row.message.role is Role.ASSISTANT:
                QGuiApplication.clipboard().setText(row.text)
                return True
        return False
