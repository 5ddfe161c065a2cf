"""How a message looks: each row rendered once into a cached document, drawn by a delegate.

Markdown for replies, plain text for the user's words, role, time, status and
context mark above, the row's actions as ``dc-`` links. Colours come from the
palette. Clicking a message opens a read-only browser over it, so that its
text can be selected.
"""

from __future__ import annotations

import html
from collections import OrderedDict
from functools import partial
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QPointF, QRect, QRectF, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QMouseEvent, QPainter, QPalette, QTextDocument
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTextBrowser,
    QWidget,
)

from desktop_chat.core.models import MessageStatus, Role
from desktop_chat.ui.chat import render
from desktop_chat.ui.chat.attachment_view import Thumbnails, add_resources, attachments_html
from desktop_chat.ui.chat.message_model import (
    ACTION,
    CONTEXT,
    COPY_MESSAGE,
    EDIT,
    MORE,
    REGENERATE,
    RETRY,
    ROW_ROLE,
    SETTINGS,
    TOOLS,
    Row,
    role_name,
)
from desktop_chat.ui.chat.plain_text import plain
from desktop_chat.ui.chat.row_links import DELETE_VERSION, NEWER_VERSION, OLDER_VERSION
from desktop_chat.ui.chat.row_look import (
    Theme,
    head_html,
    paint_tint,
    row_document,
    row_rect,
    text_width,
    when,
)
from desktop_chat.ui.chat.tool_calls import block_html, calls_of

OLDER, NEWER = "\u2039", "\u203a"  # the arrows of "< 2/3 >" on a message with versions (single angle quotes)


class MessageDelegate(QStyledItemDelegate):
    """Draws a row from a cached document; clicks on links become actions."""

    linkActivated = Signal(str, object)  # href, Row
    selectRequested = Signal(QPersistentModelIndex)  # a click on a row's text: the view opens it for selection

    def __init__(self, view: QAbstractItemView) -> None:
        super().__init__(view)
        self._view = view
        self._theme = Theme(view.palette())
        self._docs: OrderedDict[int, tuple[tuple[Any, ...], QTextDocument, tuple[str, ...]]] = OrderedDict()
        self._heights: dict[int, int] = {}  # id(document) -> row height
        self.thumbnails = Thumbnails(self)  # the chat view gives it the workspace's stored copies
        self._uncoloured: set[int] = set()  # rows whose code was shown plain while the window started

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
            bits.append(html.escape(when(message.created_at)))
            if message.role is Role.ASSISTANT and message.model:
                bits.append(html.escape(message.model))
        status = {
            MessageStatus.STREAMING: "streaming…",
            MessageStatus.STOPPED: "stopped",
            MessageStatus.FAILED: "failed",
        }.get(row.status)
        if status and message is not None:
            bits.append(f"<b>{status}</b>")
        if row.context and message is not None:
            bits.append(f'<i><a href="{ACTION}:{CONTEXT}:{message.id}">{row.context}</a></i>')
        if row.cost and row.status is not MessageStatus.STREAMING:
            bits.append(html.escape(row.cost))
        actions: list[tuple[str, str]] = []
        if message is not None and row.status is not MessageStatus.STREAMING:
            mid = message.id
            if row.versions[1] > 1:
                actions.append((f"{ACTION}:{DELETE_VERSION}:{mid}", "Delete version"))
            copy = "Copied ✓" if row.copied else "Copy"
            actions.append((f"{ACTION}:{COPY_MESSAGE}:{mid}", copy))
            if message.role is Role.USER:
                actions.append((f"{ACTION}:{EDIT}:{mid}", "Edit"))
            elif row.last_reply and row.status in (MessageStatus.COMPLETE, MessageStatus.STOPPED):
                actions.append((f"{ACTION}:{REGENERATE}:{mid}", "Regenerate"))
        return head_html(role_name(row), bits, dim, actions, self._versions(row))

    def _versions(self, row: Row) -> str:
        """ "< 2/3 >" to flip between the message's versions ("" for one): full size, the arrows' links padded
        with spaces so they are easy to hit; an arrow with nothing beyond it is dimmed."""
        position, count = row.versions
        if count < 2 or row.message is None:
            return ""
        mid, dim = row.message.id, self._theme.dim.name()

        def arrow(name: str, glyph: str, live: bool) -> str:
            if not live:
                return f"<span style='color:{dim}'>&nbsp;{glyph}&nbsp;</span>"
            return f'<a href="{ACTION}:{name}:{mid}" style="text-decoration: none"><b>&nbsp;{glyph}&nbsp;</b></a>'

        older = arrow(OLDER_VERSION, OLDER, position > 1)
        newer = arrow(NEWER_VERSION, NEWER, position < count)
        return f"{older}{position}/{count}{newer} &nbsp; "

    def _html(self, row: Row) -> tuple[str, tuple[str, ...]]:
        theme = self._theme
        message = row.message
        dim = theme.dim.name()
        head = self._head(row)
        code: tuple[str, ...] = ()
        if message is None:
            body = ""
        elif message.role is Role.ASSISTANT:
            rendered = theme.renderer.render(row.visible_text)
            body, code = rendered.html, rendered.code_blocks
        else:
            body = plain(row.visible_text)
        if message is not None and message.role is Role.ASSISTANT:  # tool calls (issue 24), before the text
            toggle = f"{ACTION}:{TOOLS}:{message.id}"
            body = block_html(calls_of(message, row.tool_live), row.tools_open, toggle, dim) + body
        if message is not None and row.attachments:  # under the text, as a mail client shows them
            body += attachments_html(message.id, row.attachments, dim)
        if message is not None and len(row.text) > row.shown:
            body += (
                f"<p style='color:{dim}'>Showing the first {row.shown:,} of {len(row.text):,} characters. &nbsp;"
                f'<a href="{ACTION}:{MORE}:{message.id}">Show more</a> &nbsp; '
                f'<a href="{ACTION}:{COPY_MESSAGE}:{message.id}">Copy the whole message</a></p>'
            )
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
        flags = (row.retry, row.settings, row.last_reply, row.copied)
        key = (
            width,
            row.shown,
            row.text,
            row.status,
            row.context,
            row.error,
            flags,
            row.cost,
            row.versions,
            row.tools_open,
            row.tool_live,
            row.attachments,
            self.thumbnails.state(row.attachments),
        )
        cached = self._docs.get(row.key)
        stale = row.key in self._uncoloured and not render.deferring()  # its code can be coloured now
        if cached is not None and cached[0] == key and not stale:
            self._docs.move_to_end(row.key)
            row.code_blocks = cached[2]
            return cached[1], cached[2]
        plain_before = render.deferred_blocks()
        text, code = self._html(row)
        if render.deferred_blocks() != plain_before:
            self._uncoloured.add(row.key)
        else:
            self._uncoloured.discard(row.key)
        doc = row_document(self._view.font())
        if row.attachments:
            add_resources(doc, row.attachments, self.thumbnails, self._theme.user_tint.darker(110))
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

    # --- painting ------------------------------------------------------------------------

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        row: Row = index.data(ROW_ROLE)
        width = text_width(self._view.viewport().width())
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
        rect = row_rect(option.rect)
        doc, _ = self.document(row, rect.width())
        painter.save()
        if row.context:
            painter.setOpacity(0.5)  # dimmed: the next request leaves it out
        if row.message is not None and row.message.role is Role.USER:
            paint_tint(painter, rect, self._theme.user_tint)
        if row.highlighted:
            painter.setOpacity(1.0)
            painter.setPen(self._view.palette().color(QPalette.ColorRole.Highlight))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(1, 1, -2, -2), 8, 8)
        if option.state & QStyle.StateFlag.State_HasFocus and self._view.hasFocus():
            painter.setPen(self._theme.dim)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(0, 0, -1, -1), 8, 8)
        painter.translate(rect.topLeft())
        # Only what the view shows: a long reply is one tall document (a streamed one grows past the view),
        # and drawing all of it took ~15 ms per frame at 19,000 characters, against ~1 ms for a screenful.
        shown = painter.clipBoundingRect() if painter.hasClipping() else QRectF()
        doc.drawContents(painter, shown)
        painter.restore()

    def anchor_at(self, index: QModelIndex | QPersistentModelIndex, pos: QPointF, option_rect: QRect) -> str:
        row: Row = index.data(ROW_ROLE)
        rect = row_rect(option_rect)
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
                self.selectRequested.emit(QPersistentModelIndex(index))
        return super().editorEvent(event, model, option, index)

    # --- selectable text: a read-only browser over the clicked row -------------------------

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QWidget:
        row: Row = index.data(ROW_ROLE)
        browser = QTextBrowser(parent)
        browser.setAccessibleName("Message text")
        browser.setAccessibleDescription(str(index.data(Qt.ItemDataRole.AccessibleTextRole) or ""))
        browser.setToolTip("Select text to copy it")
        browser.setOpenLinks(False)
        browser.setOpenExternalLinks(False)
        browser.setFrameShape(QTextBrowser.Shape.NoFrame)
        browser.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        browser.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        browser.viewport().setAutoFillBackground(False)
        browser.setAutoFillBackground(False)
        rect = row_rect(option.rect)
        doc, _ = self.document(row, rect.width())
        clone = doc.clone(browser)
        browser.setDocument(clone)
        browser.anchorClicked.connect(partial(self._anchor_clicked, row))
        return browser

    def _anchor_clicked(self, row: Row, url: QUrl) -> None:
        self.linkActivated.emit(url.toString(), row)

    def updateEditorGeometry(
        self, editor: QWidget, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        editor.setGeometry(row_rect(option.rect))

    def setModelData(self, editor: QWidget, model: Any, index: QModelIndex | QPersistentModelIndex) -> None:
        return  # read-only
