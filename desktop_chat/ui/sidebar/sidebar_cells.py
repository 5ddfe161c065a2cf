"""What a sidebar cell shows, role by role: a group heading, a chat's two columns, a search hit.

The rows themselves (``Row`` under a ``Group``) are placed by ``SidebarModel``; this module only
answers ``data()`` for one of them, so the model's paging and row moves stay apart from the text,
tooltips, fonts and icons the view paints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont

from desktop_chat.ui.app.icons import icon
from desktop_chat.ui.sidebar.sidebar_groups import snippet

ID_ROLE = Qt.ItemDataRole.UserRole + 1
MESSAGE_ROLE = Qt.ItemDataRole.UserRole + 2
HEADING_ROLE = Qt.ItemDataRole.UserRole + 3  # the group's name on a heading, None on a row

# Roles as plain ints: the view asks for a dozen roles per cell per paint, and PySide6's enum
# attributes are slow to look up.
DISPLAY = Qt.ItemDataRole.DisplayRole.value
EDIT = Qt.ItemDataRole.EditRole.value
TOOLTIP = Qt.ItemDataRole.ToolTipRole.value
ACCESSIBLE = Qt.ItemDataRole.AccessibleTextRole.value
FONT = Qt.ItemDataRole.FontRole.value
FOREGROUND = Qt.ItemDataRole.ForegroundRole.value
DECORATION = Qt.ItemDataRole.DecorationRole.value
ANSWERED = frozenset(
    (DISPLAY, EDIT, TOOLTIP, ACCESSIBLE, FONT, FOREGROUND, DECORATION, ID_ROLE, MESSAGE_ROLE, HEADING_ROLE)
)

Key = tuple[str, int]  # ("chat", session id) or ("hit", message id)


@dataclass(eq=False, slots=True)
class Row:
    key: Key
    item: Any  # a Session, or a SearchHit under FOUND
    order: tuple[Any, ...] = ()  # listing_key for a chat
    strategy: tuple[str, str] | None = None  # (short, label), computed when first shown


@dataclass(eq=False, slots=True)
class Group:
    name: str
    rows: list[Row] = field(default_factory=list)


TAG_SCALE = 0.8  # the strategy tag beside a title: smaller, so the title keeps the width


@dataclass(slots=True)
class Look:
    heading_font: QFont = field(default_factory=QFont)
    italic_font: QFont = field(default_factory=QFont)
    dim: Any = None  # the palette's placeholder brush
    tag_font: QFont = field(default_factory=QFont)  # made from the list's font (``italic_font``, upright)

    def __post_init__(self) -> None:
        # At the list's size the tag ("summary", "hybrid") took a quarter of the sidebar and cut titles short.
        self.tag_font = QFont(self.italic_font)
        self.tag_font.setItalic(False)
        self.tag_font.setPointSizeF(self.italic_font.pointSizeF() * TAG_SCALE)


def heading_data(group: Group, column: int, role: int, look: Look) -> Any:
    name = group.name
    if role == DISPLAY:
        return name.upper() if column == 0 else ""
    if role == ACCESSIBLE:
        return f"{name}, {len(group.rows):,} listed" if column == 0 else ""
    if role == FONT and column == 0:
        return look.heading_font
    if role == FOREGROUND and column == 0:
        return look.dim
    if role == HEADING_ROLE:
        return name
    return None


def hit_data(hit: Any, column: int, role: int) -> Any:  # noqa: PLR0911 - one answer per role
    title = hit.session_title or "New chat"
    text = snippet(hit.snippet)
    if role == ID_ROLE:
        return hit.session_id
    if role == MESSAGE_ROLE:
        return hit.message_id
    if column != 0:
        return "" if role == DISPLAY else None
    if role == DISPLAY:
        return f"{text}\n    in {title}"
    if role == TOOLTIP:
        return f"{title}: {text}"
    if role == ACCESSIBLE:
        return f"Found in {title}: {text.replace('«', '').replace('»', '')}"
    return None


def chat_data(  # noqa: PLR0911 - one answer per role
    row: Row, column: int, role: int, look: Look, strategy: Callable[[Row], tuple[str, str]]
) -> Any:
    """``strategy``: the chat's effective memory strategy (short, label), asked only when shown."""
    session = row.item
    title = session.title or "New chat"
    if role == ID_ROLE:
        return session.id
    if role in (DISPLAY, EDIT):
        return title if column == 0 else strategy(row)[0]
    if role == TOOLTIP:
        label = strategy(row)[1]
        if column == 1:
            return f"Memory strategy: {label}"
        marks = _marks(session)
        extra = f" ({'; '.join(marks)})" if marks else ""
        model = f"Model: {session.model or 'the profile default'} · profile {session.profile or '(the active one)'}"
        return f"{title}{extra}\n{model}\nMemory: {label} · {session.message_count:,} messages"
    if role == ACCESSIBLE:
        if column == 1:
            return f"Memory: {strategy(row)[1]}"
        return ", ".join([title, *_marks(session), f"{session.message_count:,} messages"])
    if column == 1:
        return look.dim if role == FOREGROUND else look.tag_font if role == FONT else None
    if role == DECORATION:
        name = "archive" if session.archived else "temporary" if session.temporary else "pin" if session.pinned else ""
        return icon(name) if name else None
    if role == FONT and session.temporary:
        return look.italic_font
    return None


def _marks(session: Any) -> list[str]:
    marks = []
    if session.pinned:
        marks.append("pinned")
    if session.temporary:
        marks.append("temporary: not saved, forgotten when the app closes")
    if session.archived:
        marks.append("archived")
    return marks
