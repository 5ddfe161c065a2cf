"""The sidebar's chats as a Qt tree model: group headings, the chats under them, search hits last.

Fed by the facade a page at a time (``Workspace.sessions_page``, keyset paging in
``listing_key`` order), so 1,000 chats cost one screenful at start and the rest
arrive as the view scrolls (``canFetchMore``/``fetchMore``). The rows loaded are
always every chat up to the last one fetched, in order: a changed chat is placed
by its ``listing_key`` (moved, inserted or, past the loaded part, dropped until
scrolled to), so an event never rebuilds the tree and persistent indexes
(selection, current row, the editor) follow their chat.
"""

from __future__ import annotations

import contextlib
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont, QPalette

from desktop_chat.core.errors import DesktopChatError
from desktop_chat.ui.sidebar.sidebar_cells import (
    ANSWERED,
    HEADING_ROLE,
    ID_ROLE,
    MESSAGE_ROLE,
    Group,
    Key,
    Look,
    Row,
    chat_data,
    heading_data,
    hit_data,
)
from desktop_chat.ui.sidebar.sidebar_groups import (
    ARCHIVED,
    FOUND,
    OLDER,
    PINNED,
    TEMPORARY,
    TODAY,
    WEEK,
    YESTERDAY,
    group_of,
)
from desktop_chat.ui.signal_types import ID

__all__ = ["HEADING_ROLE", "ID_ROLE", "MESSAGE_ROLE", "ORDER", "PAGE", "SidebarModel"]

_HEADING_FLAGS = Qt.ItemFlag.ItemIsEnabled
_ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_TITLE_FLAGS = _ROW_FLAGS | Qt.ItemFlag.ItemIsEditable

ORDER = (TEMPORARY, PINNED, TODAY, YESTERDAY, WEEK, OLDER, ARCHIVED, FOUND)
_GROUP_ID = {name: number for number, name in enumerate(ORDER, start=1)}  # a row's internal id: its group
PAGE = 60  # chats per fetch: a tall sidebar's screenful and some
AnyIndex = QModelIndex | QPersistentModelIndex


class SidebarModel(QAbstractItemModel):
    """Two columns (title, effective strategy); editing a title asks, through ``renameRequested``."""

    renameRequested = Signal(ID, str)  # session id, the title typed
    notice = Signal(str)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._workspace: Any = None
        self._groups: list[Group] = []
        self._by_name: dict[str, Group] = {}
        self._rows: dict[Key, tuple[Group, Row]] = {}
        self._last: Any = None  # the last session fetched: every chat up to it is loaded
        self._more = False
        self._changing = False  # rows being changed: no fetching from inside (a heading's expansion asks)
        self._tail_in_view = False
        self._settings: Any = None
        self._look = Look()
        self.show_archived = False
        self.needle = ""  # a search: only titles containing it, archived too, every match loaded
        self.page_size = PAGE
        self.fetches = 0  # pages fetched after the first (for tests and the benchmark)

    # --- what is listed ------------------------------------------------------------------

    def set_workspace(self, workspace: Any) -> None:
        self._workspace = workspace

    def set_look(self, font: QFont, palette: QPalette) -> None:
        heading = QFont(font)
        heading.setBold(True)
        heading.setPointSizeF(font.pointSizeF() * 0.85)
        italic = QFont(font)
        italic.setItalic(True)
        self._look = Look(heading, italic, palette.brush(QPalette.ColorRole.PlaceholderText))
        self._changed_all()

    def resync(self, hits: Sequence[Any] = ()) -> None:
        """Bring every loaded row up to date with the facade (at least one page), in place: rows
        that stay keep their indexes. ``hits``: a search's message hits, listed last."""
        if self._workspace is None:
            return
        try:  # read once for every row's strategy label
            self._settings = self._workspace.settings
        except DesktopChatError:
            self._settings = None  # unreadable: each label reads them itself (and shows none if that fails)
        target: list[tuple[str, Key, Any]] = []
        if self.needle:
            sessions = [s for s in self._workspace.sessions(include_archived=True) if self._listed(s)]
            sessions.sort(key=self._workspace.listing_key)
            self._last, self._more = None, False
        else:
            loaded = sum(1 for key in self._rows if key[0] == "chat" and not self._rows[key][1].item.temporary)
            limit = max(loaded, self.page_size)
            sessions = self._workspace.sessions_page(limit=limit, include_archived=self.show_archived)
            saved = [s for s in sessions if not s.temporary]
            self._last = sessions[-1] if sessions else None
            self._more = len(saved) >= limit
        today = datetime.now().astimezone()
        target += [(group_of(s, today), ("chat", s.id), s) for s in sessions]
        target += [(FOUND, ("hit", h.message_id), h) for h in hits]
        self._apply(target)

    def _listed(self, session: Any) -> bool:
        if self.needle:
            return self.needle in (session.title or "New chat").casefold()
        return self.show_archived or not session.archived

    @contextlib.contextmanager
    def _change(self) -> Iterator[None]:
        was, self._changing = self._changing, True
        try:
            yield
        finally:
            self._changing = was

    def _apply(self, target: list[tuple[str, Key, Any]]) -> None:
        with self._change():
            if self._groups:
                self._apply_rows(target)
            else:
                self._fill(target)

    def _fill(self, target: list[tuple[str, Key, Any]]) -> None:
        """An empty list filled in one go: one reset (nothing is selected or held yet), one layout."""
        self.beginResetModel()
        for name, key, item in target:
            group = self._by_name.get(name)
            if group is None:
                group = self._by_name[name] = Group(name)
                self._groups.append(group)  # ``target`` comes in ``ORDER``
            row = Row(key, item, self._workspace.listing_key(item) if key[0] == "chat" else ())
            group.rows.append(row)
            self._rows[key] = (group, row)
        self.endResetModel()

    def _apply_rows(self, target: list[tuple[str, Key, Any]]) -> None:
        wanted = {key for _, key, _ in target}
        for key in [key for key in self._rows if key not in wanted]:
            self._remove(key)
        position: dict[str, int] = {}
        for name, key, item in target:
            group = self._group(name)
            at = position.get(name, 0)
            position[name] = at + 1
            self._put(group, at, key, item)
        self._drop_empty_groups()

    # --- events --------------------------------------------------------------------------

    def upsert(self, session: Any) -> None:
        """A chat was created or changed: update its row where it stays, move it where it now belongs."""
        key: Key = ("chat", session.id)
        order = self._workspace.listing_key(session) if self._workspace is not None else ()
        beyond = self._more and self._last is not None and order > self._workspace.listing_key(self._last)
        if not self._listed(session) or beyond:
            self.remove(session.id)  # it comes back with the page that holds it
            return
        with self._change():
            group = self._group(group_of(session, datetime.now().astimezone()))
            others = [row.order for row in group.rows if row.key != key]
            self._put(group, bisect_left(others, order), key, session)
            self._drop_empty_groups()

    def remove(self, session_id: int) -> None:
        if ("chat", session_id) in self._rows:
            with self._change():
                self._remove(("chat", session_id))
                self._drop_empty_groups()

    def reload(self, session_id: int) -> None:
        """A chat changed and only its id is known (a title made in the background)."""
        if self._workspace is None:
            return
        try:
            self.upsert(self._workspace.session(session_id))
        except DesktopChatError:
            self.remove(session_id)

    def load_until(self, session: Any) -> None:
        """Fetch pages until ``session``'s place in the listing is loaded (it is being opened)."""
        if self._workspace is None or not self._listed(session):
            return
        order = self._workspace.listing_key(session)
        while self._more and self._last is not None and order > self._workspace.listing_key(self._last):
            self.fetch_more()

    # --- lazy loading ----------------------------------------------------------------------

    def canFetchMore(self, parent: AnyIndex) -> bool:
        """More chats wait past the last one listed and the view has the end of the list in sight.

        Asked of the last heading (a tree view asks the parents of its last row when scrolled
        to the bottom) and of an empty root. Qt's views also ask while laying out, and would
        fetch until the last *heading* leaves the viewport (all 1,000 chats when most sit
        under "Older"): so the answer waits for the view's word (``set_tail_in_view``), and
        one page is fetched per word."""
        if not self._more or self._changing or not self._tail_in_view:
            return False
        if not parent.isValid():
            return not self._groups
        return parent.internalId() == 0 and parent.row() == len(self._groups) - 1

    def fetchMore(self, parent: AnyIndex) -> None:
        if self.canFetchMore(parent):
            self._fetch_page()

    def set_tail_in_view(self, visible: bool) -> None:
        """The view says whether its last loaded row is in sight (so the next page is wanted)."""
        self._tail_in_view = visible

    def can_fetch_more(self) -> bool:
        return self._more

    def fetch_more(self) -> None:
        """Fetch the next page now, wherever the view is (a test, a benchmark, ``load_until``)."""
        if self._more and not self._changing:
            self._fetch_page()

    def _fetch_page(self) -> None:
        self._changing = True
        self._tail_in_view = False  # until the view looks again: the page may have filled it
        try:
            page = self._workspace.sessions_page(
                after=self._last, limit=self.page_size, include_archived=self.show_archived
            )
            self.fetches += 1
            self._more = len(page) >= self.page_size
            if page:
                self._last = page[-1]
            today = datetime.now().astimezone()
            run: list[Any] = []
            for session in page:
                if ("chat", session.id) in self._rows:
                    continue  # placed by an event meanwhile
                if run and group_of(session, today) != group_of(run[0], today):
                    self._append(run, today)
                    run = []
                run.append(session)
            if run:
                self._append(run, today)
        except DesktopChatError as exc:
            self._more = False
            self.notice.emit(str(exc))
        finally:
            self._changing = False

    def _append(self, sessions: list[Any], today: datetime) -> None:
        """Chats past every loaded one, all of one group: one insertion at its end."""
        group = self._group(group_of(sessions[0], today))
        parent = self._heading_index(group)
        first = len(group.rows)
        self.beginInsertRows(parent, first, first + len(sessions) - 1)
        for session in sessions:
            row = Row(("chat", session.id), session, self._workspace.listing_key(session))
            group.rows.append(row)
            self._rows[row.key] = (group, row)
        self.endInsertRows()

    # --- rows in place ----------------------------------------------------------------------

    def _group(self, name: str) -> Group:
        """The group's heading, inserted where ``ORDER`` puts it when missing."""
        at = len(self._groups)
        for number, group in enumerate(self._groups):
            if group.name == name:
                return group
            if ORDER.index(group.name) > ORDER.index(name):
                at = number
                break
        group = Group(name)
        self.beginInsertRows(QModelIndex(), at, at)
        self._groups.insert(at, group)
        self._by_name[name] = group
        self.endInsertRows()
        return group

    def _drop_empty_groups(self) -> None:
        for at in range(len(self._groups) - 1, -1, -1):
            if not self._groups[at].rows:
                self.beginRemoveRows(QModelIndex(), at, at)
                del self._by_name[self._groups[at].name]
                del self._groups[at]
                self.endRemoveRows()

    def _put(self, group: Group, at: int, key: Key, item: Any) -> None:
        """Make row ``at`` of ``group`` show ``item``: moved there if listed elsewhere, else inserted."""
        order = self._workspace.listing_key(item) if key[0] == "chat" else ()
        found = self._rows.get(key)
        if found is None:
            row = Row(key, item, order)
            self.beginInsertRows(self._heading_index(group), at, at)
            group.rows.insert(at, row)
            self._rows[key] = (group, row)
            self.endInsertRows()
            return
        source, row = found
        changed = row.item != item
        row.item, row.order = item, order
        if changed:
            row.strategy = None
        here = at if source is group and at < len(group.rows) and group.rows[at] is row else source.rows.index(row)
        if source is not group or here != at:
            dest = at + 1 if source is group and here < at else at
            self.beginMoveRows(self._heading_index(source), here, here, self._heading_index(group), dest)
            del source.rows[here]
            group.rows.insert(at, row)
            self._rows[key] = (group, row)
            self.endMoveRows()
        if changed:
            self.dataChanged.emit(self._index(group, at, 0), self._index(group, at, 1))

    def _remove(self, key: Key) -> None:
        group, row = self._rows.pop(key)
        at = group.rows.index(row)
        self.beginRemoveRows(self._heading_index(group), at, at)
        del group.rows[at]
        self.endRemoveRows()

    def _changed_all(self) -> None:
        if not self._groups:
            return
        self.dataChanged.emit(self.index(0, 0), self.index(len(self._groups) - 1, 1))
        for group in self._groups:
            if group.rows:
                self.dataChanged.emit(self._index(group, 0, 0), self._index(group, len(group.rows) - 1, 1))

    # --- reading -------------------------------------------------------------------------

    def loaded(self) -> int:
        """How many chats are loaded (rows under the headings, search hits not counted)."""
        return sum(1 for key in self._rows if key[0] == "chat")

    def headings(self) -> list[str]:
        return [group.name for group in self._groups]

    def chat_index(self, session_id: int, column: int = 0) -> QModelIndex:
        found = self._rows.get(("chat", session_id))
        if found is None:
            return QModelIndex()
        group, row = found
        return self._index(group, group.rows.index(row), column)

    def rows(self) -> list[QModelIndex]:
        """Every row under a heading, in order (chats and hits), column 0."""
        return [self._index(group, at, 0) for group in self._groups for at in range(len(group.rows))]

    def session_at(self, index: AnyIndex) -> Any | None:
        row = self._row(index)
        return row.item if row is not None and row.key[0] == "chat" else None

    # --- QAbstractItemModel -------------------------------------------------------------

    def _heading_index(self, group: Group) -> QModelIndex:
        return self.createIndex(self._groups.index(group), 0, 0)

    def _index(self, group: Group, at: int, column: int) -> QModelIndex:
        return self.createIndex(at, column, _GROUP_ID[group.name])

    def _group_of(self, index: AnyIndex) -> Group | None:
        """The group a row belongs to (None for a heading)."""
        number = index.internalId()
        if not number:
            return None
        return self._by_name.get(ORDER[number - 1])

    def _row(self, index: AnyIndex) -> Row | None:
        if not index.isValid():
            return None
        group = self._group_of(index)
        if group is None or not 0 <= index.row() < len(group.rows):
            return None
        return group.rows[index.row()]

    def index(self, row: int, column: int, parent: AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008 - Qt's default
        if column not in (0, 1) or row < 0:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0) if row < len(self._groups) else QModelIndex()
        if parent.internalId() != 0 or not 0 <= parent.row() < len(self._groups):
            return QModelIndex()
        group = self._groups[parent.row()]
        return self._index(group, row, column) if row < len(group.rows) else QModelIndex()

    def parent(self, index: AnyIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        group = self._group_of(index)
        return self._heading_index(group) if group is not None else QModelIndex()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's default
        if not parent.isValid():
            return len(self._groups)
        if parent.internalId() != 0 or parent.column() != 0 or not 0 <= parent.row() < len(self._groups):
            return 0
        return len(self._groups[parent.row()].rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's default
        return 2

    def hasChildren(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008 - Qt's default
        return self.rowCount(parent) > 0 or (not parent.isValid() and self.canFetchMore(parent))

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        row = self._row(index)
        if row is None:
            return _HEADING_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags
        return _TITLE_FLAGS if row.key[0] == "chat" and index.column() == 0 else _ROW_FLAGS

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in ANSWERED or not index.isValid():
            return None
        row = self._row(index)
        if row is None:
            if index.internalId() != 0 or not 0 <= index.row() < len(self._groups):
                return None
            return heading_data(self._groups[index.row()], index.column(), role, self._look)
        if row.key[0] == "hit":
            return hit_data(row.item, index.column(), role)
        return chat_data(row, index.column(), role, self._look, self._strategy)

    def _strategy(self, row: Row) -> tuple[str, str]:
        """The strategy the chat's requests really use, short for the column and in full for its tooltip."""
        if row.strategy is None:
            row.strategy = ("", "")  # no workspace, or the chat's strategy unreadable: no label
            if self._workspace is None:
                return row.strategy
            with contextlib.suppress(DesktopChatError):  # a failed read must not break the list
                choice = self._workspace.strategy_choice(row.item, self._settings)
                row.strategy = (str(choice.effective), choice.label)
        return row.strategy

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        session = self.session_at(index)
        if session is None or index.column() != 0 or role != Qt.ItemDataRole.EditRole:
            return False
        self.renameRequested.emit(session.id, str(value))
        return True
