"""The window's first look: the chat it reopens, its newest messages and the composer, before the core loads.

The window is usable when the user's last chat shows and they can type. Building that from the workspace
means loading the core (~130 modules) and the panes' own modules first: ~0.3 s of CPU on a 2-core machine.
The first look needs none of it: ``core/facade/first_look.py`` reads the chat and its newest rows with one
read-only query (~5 ms), and they are drawn here with the chat's own look (``ui/chat/row_look.py``): the
same widths, header line, tint and fonts. The composer is the window's real one: what is typed stays.

When the workspace is attached and the real chat has opened (``MainWindow.attach``), ``retire`` puts the
chat in its place. The rows keep their places (the same widths, margins, header line and actions, bottom
first); they gain what needs the core: costs, context marks, attachments, tool calls, working links. Replies
are read here by Qt's own Markdown reader (markdown-it takes ~40 ms to load and set up; the chat's renderer
then replaces it): paragraphs and lists take the same height, a code block or a heading a few pixels less.
A message sent with Enter before then is sent at that moment, not lost. No file, an older or newer schema,
or a file the read cannot open: no first look, and the window starts as before.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, QSize, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop_chat.core.facade.first_look import Glance, GlancedMessage, first_look
from desktop_chat.ui.chat.row_look import (
    PAD,
    PARAGRAPH_MARGIN,
    ROLE_NAMES,
    Theme,
    head_html,
    paint_tint,
    plain,
    row_document,
    row_rect,
    when,
)
from desktop_chat.ui.chat.row_look import text_width as row_text_width

if TYPE_CHECKING:
    from pathlib import Path

    from PySide6.QtGui import QPaintEvent, QTextDocument

    from desktop_chat.ui.chat.composer import Composer
    from desktop_chat.ui.window.main_window import MainWindow

INERT = "first-look:"  # the actions' links lead nowhere until the chat has opened
ROWS = 40  # read; only those that fill the pane are laid out, as the chat loads older rows until it is full


class GlanceRows(QWidget):
    """The newest messages drawn from the bottom up, as the chat shows them scrolled to its end."""

    def __init__(self, messages: tuple[GlancedMessage, ...], scrollbar: int) -> None:
        super().__init__()
        self.setAccessibleName("Messages")
        self.setAccessibleDescription("The chat's newest messages; the whole chat opens in a moment")
        self._messages = messages
        self._scrollbar = scrollbar  # the chat's list keeps room for its scroll bar: the rows are as wide
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.Base)  # the list's background
        self._theme = Theme(self.palette())
        self._width = -1
        self._documents: list[tuple[QTextDocument, int, bool]] = []  # newest first, with their heights
        self.painted = False

    def _newest_first(self, width: int, room: int) -> list[tuple[QTextDocument, int, bool]]:
        """Documents of the newest messages, newest first, laid out ``width`` wide until ``room`` is filled."""
        if width != self._width:
            self._width = width
            self._documents = []
        shown, filled = self._documents, sum(height for _, height, _ in self._documents)
        for message in reversed(self._messages[: len(self._messages) - len(shown)]):
            if filled >= room:
                break
            doc = self._document(message, width, last=not shown)
            height = int(doc.size().height()) + 8
            shown.append((doc, height, message.role == "user"))
            filled += height
        return shown

    def _document(self, message: GlancedMessage, width: int, *, last: bool) -> QTextDocument:
        bits = [html.escape(when(message.created_at))]
        if message.role == "assistant" and message.model:
            bits.append(html.escape(message.model))
        if message.status in ("stopped", "failed"):
            bits.append(f"<b>{message.status}</b>")
        # The chat's actions, shown as it shows them (they take their line's height); they work once it opens.
        links = [(INERT, "Copy")]
        if message.role == "user":
            links.append((INERT, "Edit"))
        elif last and message.role == "assistant" and message.status in ("complete", "stopped"):
            links.append((INERT, "Regenerate"))
        doc = row_document(self.font())
        head = head_html(ROLE_NAMES.get(message.role, message.role), bits, self._theme.dim.name(), links)
        if message.role == "assistant":
            doc.setHtml(head)
            _insert_markdown(doc, message.text)
        else:
            doc.setHtml(head + plain(message.text))
        doc.setTextWidth(width)
        return doc

    def sizeHint(self) -> QSize:
        return QSize(300, 200)

    def paintEvent(self, event: QPaintEvent) -> None:
        from PySide6.QtGui import QPainter

        self.painted = True
        full = self.width() - self._scrollbar
        painter = QPainter(self)
        rows = self._newest_first(row_text_width(full), self.height())
        # Scrolled to its end, as the chat opens; a chat shorter than the pane starts at the top, as a list does.
        bottom = min(self.height(), sum(height for _, height, _ in rows))
        for doc, height, mine in rows:
            rect = row_rect(QRect(0, bottom - height, full, height))
            if mine:
                paint_tint(painter, rect, self._theme.user_tint)
            painter.save()
            painter.translate(rect.topLeft())
            doc.drawContents(painter)
            painter.restore()
            bottom -= height
            if bottom <= 0:
                break
        painter.end()


def _insert_markdown(doc: QTextDocument, text: str) -> None:
    """``text`` as Markdown by Qt's own reader (markdown-it, ~40 ms to load and set up, comes with the chat),
    its paragraphs spaced as the chat's stylesheet spaces them, so a reply takes the height it will keep."""
    from PySide6.QtGui import QTextCursor

    cursor = doc.rootFrame().lastCursorPosition()
    cursor.insertBlock()
    first = cursor.block()
    cursor.insertMarkdown(text)
    block = first
    while block.isValid():
        spaced = block.blockFormat()
        spaced.setTopMargin(max(spaced.topMargin(), PARAGRAPH_MARGIN))
        spaced.setBottomMargin(max(spaced.bottomMargin(), PARAGRAPH_MARGIN))
        QTextCursor(block).setBlockFormat(spaced)
        block = block.next()


class GlanceChat(QWidget):
    """The chat pane of the first look: the title as the chat's header shows it, the rows below."""

    def __init__(self, glance: Glance, scrollbar: int) -> None:
        super().__init__()
        self.setAccessibleName("Chat (opening)")
        self.title = QLabel(glance.title or "New chat")
        self.title.setAccessibleName("Chat title")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)  # the chat header's title (ChatView)
        font.setBold(True)
        self.title.setFont(font)
        self.rows = GlanceRows(glance.messages, scrollbar)
        if glance.font_size is not None:  # the conversation's size (Settings), as the chat's list has it
            rows_font = self.rows.font()
            rows_font.setPointSize(glance.font_size)
            self.rows.setFont(rows_font)
        layout = QVBoxLayout(self)
        layout.setSpacing(0)
        layout.setContentsMargins(0, 8, 0, 0)
        self.title.setContentsMargins(PAD, 0, PAD, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.rows, 1)


class FirstLook:
    """The first look in the window's centre pane, until ``retire`` hands it to the real chat."""

    def __init__(self, window: MainWindow, glance: Glance, composer: Composer, scrollbar: int) -> None:
        self.glance = glance
        self.chat = GlanceChat(glance, scrollbar)
        self.centre = QWidget()
        self.centre.setAccessibleName("Chat")
        self.column = QVBoxLayout(self.centre)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.column.setSpacing(0)
        self.column.addWidget(self.chat, 1)
        self.column.addWidget(composer)
        self.pending: str | None = None  # a message sent before the workspace was there
        self._composer = composer
        composer.send.connect(self._sent)

    @Slot(str)
    def _sent(self, text: str) -> None:
        self.pending = text

    def retire(self, window: MainWindow) -> None:
        """The real chat is open: it takes the first look's place; a message sent meanwhile goes now."""
        self._composer.send.disconnect(self._sent)
        self.chat.hide()
        self.column.removeWidget(self.chat)
        self.chat.deleteLater()
        window.chat.show()
        pending, self.pending = self.pending, None
        if pending is not None and pending == self._composer.text():
            window.replies.send(pending)


def show_first_look(window: MainWindow, data_dir: Path) -> FirstLook | None:
    """Show the chat the window will reopen, read straight from the database; None when there is nothing to show."""
    glance = first_look(data_dir, window.last_session(), ROWS)
    if glance is None:
        return None
    from PySide6.QtWidgets import QScrollBar

    from desktop_chat.ui.chat.composer import Composer

    if glance.theme != "system":  # drawn as the chat will be: a dark theme from the start, not a flash of light
        from desktop_chat.ui.app.theme import apply_theme

        apply_theme(glance.theme)

    composer = Composer()
    look = FirstLook(window, glance, composer, QScrollBar().sizeHint().width())
    window.composer = composer
    window.first_look = look
    sizes = window.splitter.sizes()  # the remembered widths, which the real panes keep too
    placeholder = window.splitter.widget(1)
    window.splitter.insertWidget(1, look.centre)
    if placeholder is not None:
        placeholder.hide()
        placeholder.setParent(None)
        placeholder.deleteLater()
    window.splitter.setSizes(sizes)
    from desktop_chat.ui.window.main_window import window_title

    window.setWindowTitle(window_title(glance.title or "New chat"))
    composer.edit.setFocus()
    return look
