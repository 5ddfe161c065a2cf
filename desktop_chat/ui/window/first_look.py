"""The window's first look: the chat it reopens, its newest messages and the composer, before the core loads.

The window is usable when the user's last chat shows and they can type. Building that from the workspace
means loading the core (~130 modules) and the panes' own modules first: ~0.3 s of CPU on a 2-core machine.
The first look needs none of it: ``core/facade/first_look.py`` reads the chat and its newest rows with one
read-only query (~5 ms), and they are drawn here with the chat's own look (``ui/chat/row_look.py``): the
same widths, header line, tint and fonts. The composer is the window's real one: what is typed stays.

When the workspace is attached and the real chat has opened (``MainWindow.attach``), ``retire`` puts the
chat in its place at the same row heights (the same widths, margins, header line and actions, error lines,
bottom first); rows gain what needs the core: costs, context marks, attachments, tool calls, working links.
Replies made of paragraphs (emphasis, inline code, links: most of them) are read by Qt's own Markdown reader,
raw HTML shown as text as the chat shows it; a reply with lists, code blocks, headings, quotes or tables is
rendered by the chat's renderer (markdown-it: ~40 ms to load the first time), its code plain until the
lexers are compiled. A message sent with Enter meanwhile is sent then, to the chat it was written in. No
file, an older or newer schema, or a file the read cannot open: no first look, and the window starts as
before; anything else going wrong in it is logged and the window starts without it.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, QSize, Qt, Slot
from PySide6.QtGui import QPainter, QPalette, QTextCursor, QTextDocument
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop_chat.core.facade.first_look import Glance, GlancedMessage, first_look
from desktop_chat.ui.chat.plain_text import breakable, plain
from desktop_chat.ui.chat.row_look import (
    PAD,
    PARAGRAPH_MARGIN,
    ROLE_NAMES,
    Theme,
    head_html,
    paint_tint,
    row_document,
    row_rect,
    when,
)
from desktop_chat.ui.chat.row_look import text_width as row_text_width

if TYPE_CHECKING:
    from pathlib import Path

    from PySide6.QtGui import QPaintEvent

    from desktop_chat.ui.chat.composer import Composer
    from desktop_chat.ui.window.main_window import MainWindow

INERT = "first-look:"  # the actions' links lead nowhere until the chat has opened
ROWS = 40  # read; only those that fill the pane are laid out, as the chat loads older rows until it is full


class FirstLookRows(QWidget):
    """The newest messages drawn from the bottom up, as the chat shows them scrolled to its end."""

    def __init__(self, messages: tuple[GlancedMessage, ...], scrollbar: int) -> None:
        super().__init__()
        self.setAccessibleName("Messages")
        self.setAccessibleDescription("The chat's newest messages; the whole chat opens in a moment")
        self._messages = messages
        replies = [m for m in messages if m.role == "assistant"]
        self._last_reply = replies[-1] if replies else None  # the chat's "last reply": the newest, Regenerate on it
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
            doc = self._document(message, width)
            height = int(doc.size().height()) + 8
            shown.append((doc, height, message.role == "user"))
            filled += height
        return shown

    def _document(self, message: GlancedMessage, width: int) -> QTextDocument:
        """The row as the chat draws it (``MessageDelegate._html``) from what the first look read."""
        theme, dim = self._theme, self._theme.dim.name()
        # A reply still streaming when the app last closed is recovered as stopped once the chat opens.
        status = "stopped" if message.status == "streaming" else message.status
        last_reply = message is self._last_reply
        bits = [html.escape(when(message.created_at))]
        if message.role == "assistant" and message.model:
            bits.append(html.escape(message.model))
        if status in ("stopped", "failed"):
            bits.append(f"<b>{status}</b>")
        # The chat's actions, shown as it shows them (they take their line's height); they work once it opens.
        links = [(INERT, "Copy")]
        if message.role == "user":
            links.append((INERT, "Edit"))
        elif last_reply and status in ("complete", "stopped"):
            links.append((INERT, "Regenerate"))
        doc = row_document(self.font())
        head = head_html(ROLE_NAMES.get(message.role, message.role), bits, dim, links)
        error = ""
        if message.error and status in ("stopped", "failed"):
            fixes = [f'<a href="{INERT}">Retry</a>'] if last_reply else []
            fixes.append(f'<a href="{INERT}">Open Settings</a>')
            colour = theme.error.name() if status == "failed" else dim
            error = f"<p style='color:{colour}'>{html.escape(message.error)} &nbsp; {' &nbsp; '.join(fixes)}</p>"
        if message.role != "assistant":
            doc.setHtml(head + plain(message.text) + error)
        elif _STRUCTURED.search(message.text):
            doc.setHtml(head + _chat_markdown(theme, message.text) + error)
        else:
            doc.setHtml(head)
            _insert_paragraphs(doc, message.text)
            if error:
                cursor = doc.rootFrame().lastCursorPosition()
                cursor.insertBlock()
                cursor.insertHtml(error)
        doc.setTextWidth(width)
        return doc

    def row_heights(self) -> list[int]:
        """The heights of the rows the pane shows now, newest first (what the chat's rows should keep)."""
        full = self.width() - self._scrollbar
        return [height for _, height, _ in self._newest_first(row_text_width(full), self.height())]

    def sizeHint(self) -> QSize:
        return QSize(300, 200)

    def paintEvent(self, event: QPaintEvent) -> None:
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


# Markdown that Qt's reader lays out at another height than the chat's (lists; code blocks in a padded table with
# their language and a copy link; headings, quotes, tables, rules): such a reply is rendered by the chat's own
# renderer. Paragraphs with emphasis, inline code and links, most replies, take Qt's reader and the same height.
_STRUCTURED = re.compile(r"^ {0,3}(```|~~~|#{1,6}\s|>|\||([-*_]\s*){3,}$|[-*+]\s|\d{1,9}[.)]\s)|^( {4}|\t)\S", re.M)


def _chat_markdown(theme: Theme, text: str) -> str:
    """``text`` as the chat renders it (markdown-it: ~40 ms to load the first time), code shown plain."""
    from desktop_chat.ui.chat import render

    render.defer_highlighting()  # a lexer compiles ~100 patterns: coloured once the start's worker has them
    return theme.renderer.render(text).html


def _insert_paragraphs(doc: QTextDocument, text: str) -> None:
    """``text`` (paragraphs, lists, emphasis, inline code) by Qt's own Markdown reader, raw HTML shown as text as
    the chat shows it, each paragraph spaced as the chat's stylesheet spaces it: the height the chat gives it."""
    features = QTextDocument.MarkdownFeature.MarkdownDialectGitHub | QTextDocument.MarkdownFeature.MarkdownNoHTML
    cursor = doc.rootFrame().lastCursorPosition()
    cursor.insertBlock()
    first = cursor.block()
    cursor.insertMarkdown(breakable(text), features)
    block = first
    while block.isValid():
        spaced = block.blockFormat()
        spaced.setTopMargin(PARAGRAPH_MARGIN)
        spaced.setBottomMargin(PARAGRAPH_MARGIN)
        QTextCursor(block).setBlockFormat(spaced)
        block = block.next()


class FirstLookChat(QWidget):
    """The chat pane of the first look: the title as the chat's header shows it, the rows below."""

    def __init__(self, glance: Glance, scrollbar: int) -> None:
        super().__init__()
        self.setAccessibleName("Chat (opening)")
        self.title = QLabel(glance.title or "New chat")
        self.title.setAccessibleName("Chat title")
        self.title.setTextFormat(Qt.TextFormat.PlainText)  # a title is the user's or a model's words, never markup
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)  # the chat header's title (ChatView)
        font.setBold(True)
        self.title.setFont(font)
        self.rows = FirstLookRows(glance.messages, scrollbar)
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

    def __init__(self, glance: Glance, composer: Composer, scrollbar: int) -> None:
        self.glance = glance
        self.chat = FirstLookChat(glance, scrollbar)
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
        # Sent where it was written, and only if it is still there: the chat opened may be another one (archived
        # or deleted by another program meanwhile), the window may be closing, the text may have changed.
        if (
            pending is not None
            and pending == self._composer.text()
            and window.current_id == self.glance.session_id
            and not window.close_requested
        ):
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
    look = FirstLook(glance, composer, QScrollBar().sizeHint().width())
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
