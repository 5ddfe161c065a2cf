"""How a message row looks: its colours, its width, its header line and its document. Qt only, no core.

The chat's delegate (``message_delegate.py``) draws every row with these; the window's first look
(``ui/window/first_look.py``) draws the newest rows with them too, before the chat's own modules have loaded,
so the real chat takes its place at the same row heights.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRect, QRectF, QUrl
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPalette, QTextDocument

if TYPE_CHECKING:
    from desktop_chat.ui.chat.render import MarkdownRenderer

MAX_TEXT_WIDTH = 760  # a readable line length, as in a document
PAD = 12
ROLE_NAMES = {"user": "You", "assistant": "Assistant", "system": "System"}
PARAGRAPH_MARGIN = 4  # pixels above and below a paragraph
STYLE = f"pre {{ margin: 0; }} p {{ margin-top: {PARAGRAPH_MARGIN}px; margin-bottom: {PARAGRAPH_MARGIN}px; }}"


class Theme:
    """Colours derived from the palette: no fixed colours, so light and dark both read well."""

    def __init__(self, palette: QPalette) -> None:
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        highlight = palette.color(QPalette.ColorRole.Highlight)
        self.dark = base.lightnessF() < 0.5
        self.text = text
        self.dim = mix(text, base, 0.45)
        self.user_tint = mix(highlight, base, 0.9)
        self.code_background = mix(text, base, 0.93).name()
        self.error = mix(QColor.fromHsv(0, 200, 200), text, 0.3) if not self.dark else QColor.fromHsv(0, 120, 240)

    @cached_property
    def renderer(self) -> MarkdownRenderer:
        from desktop_chat.ui.chat.render import MarkdownRenderer  # markdown-it: only when a reply is drawn

        return MarkdownRenderer(dark=self.dark, code_background=self.code_background, rule=self.dim.name())


def mix(a: QColor, b: QColor, amount_b: float) -> QColor:
    """``a`` with ``amount_b`` of ``b`` mixed in (0: ``a``, 1: ``b``), channel by channel."""
    return QColor(
        round(a.red() * (1 - amount_b) + b.red() * amount_b),
        round(a.green() * (1 - amount_b) + b.green() * amount_b),
        round(a.blue() * (1 - amount_b) + b.blue() * amount_b),
    )


class RowDocument(QTextDocument):
    """A message's document: never loads a resource (no remote or local images, no stylesheets)."""

    def loadResource(self, kind: int, name: QUrl | str) -> Any:
        return None


def row_document(font: QFont) -> RowDocument:
    """An empty row document with the chat's font, margin and paragraph spacing."""
    doc = RowDocument()
    doc.setDefaultFont(font)
    doc.setDocumentMargin(PAD)
    doc.setDefaultStyleSheet(STYLE)
    return doc


def head_html(role: str, bits: Sequence[str], dim: str, links: Sequence[tuple[str, str]], versions: str = "") -> str:
    """A row's first line: the role in bold, then ``bits`` (already escaped) dimmed; at the right ``versions``
    and the row's actions, ``links`` of (href, label)."""
    actions = " &nbsp; ".join(f'<a href="{href}">{label}</a>' for href, label in links)
    return (
        '<table width="100%" cellspacing="0" cellpadding="0"><tr>'
        f"<td><b>{role}</b> &nbsp;<span style='color:{dim}'>{' · '.join(bits)}</span></td>"
        f"<td align='right'>{versions}<small>{actions}</small></td></tr></table>"
    )


def when(moment: datetime) -> str:
    """A message's time as the list shows it: the time today, the day this year, else the date."""
    local = moment.astimezone()
    now = datetime.now().astimezone()
    if local.date() == now.date():
        return local.strftime("%H:%M")
    if local.year == now.year:
        return local.strftime("%d %b %H:%M")
    return local.strftime("%d %b %Y %H:%M")


def text_width(full: int) -> int:
    """The width of a row's text in a list ``full`` pixels wide."""
    return max(200, min(full - 2 * PAD, MAX_TEXT_WIDTH))


def row_rect(option_rect: QRect) -> QRect:
    """Where a row's document and its tint go inside the list's rectangle for the row: centred, padded."""
    width = text_width(option_rect.width())
    left = option_rect.left() + max(PAD, (option_rect.width() - width) // 2)
    return QRect(left, option_rect.top() + 4, width, option_rect.height() - 8)


def paint_tint(painter: QPainter, rect: QRect, colour: QColor) -> None:
    """The rounded background of the user's own messages (a filled path: no pen, no Qt namespace to load)."""
    path = QPainterPath()
    path.addRoundedRect(QRectF(rect), 8, 8)
    painter.fillPath(path, colour)
