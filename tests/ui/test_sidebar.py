"""The session sidebar: new, rename, pin, archive, delete, search, export, import, groups."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from PySide6.QtCore import QMimeData, QPersistentModelIndex, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit, QMessageBox

from desktop_chat.core.models import Role
from desktop_chat.core.storage.store import Store
from desktop_chat.ui.sidebar.sidebar import SidebarRow
from desktop_chat.ui.sidebar.sidebar_groups import OLDER, PINNED, TODAY, WEEK, YESTERDAY, group_of
from desktop_chat.ui.sidebar.sidebar_model import HEADING_ROLE, ID_ROLE, PAGE
from tests.helpers.waiting import until
from tests.helpers.window import Harness, data_dir


def _chats(tmp_path: Path, *titles: str) -> list[int]:
    store = Store.open(data_dir(tmp_path))
    try:
        ids = []
        for title in titles:
            session = store.sessions.create(title)
            store.messages.append(session.id, Role.USER, f"hello from {title}")
            ids.append(session.id)
        return ids
    finally:
        store.close()


def test_headings_follow_last_activity() -> None:
    now = datetime(2026, 5, 20, 12, 0, tzinfo=UTC).astimezone()

    def at(days: float, **flags: bool) -> SimpleNamespace:
        base = {"temporary": False, "archived": False, "pinned": False}
        return SimpleNamespace(updated_at=now - timedelta(days=days), **{**base, **flags})

    assert group_of(at(0), now) == TODAY
    assert group_of(at(1), now) == YESTERDAY
    assert group_of(at(5), now) == WEEK
    assert group_of(at(30), now) == OLDER
    assert group_of(at(30, pinned=True), now) == PINNED


def test_new_chat_with_ctrl_n_and_a_temporary_chat_marked(open_window: Callable[..., Harness], tmp_path: Path) -> None:
    _chats(tmp_path, "First")
    h = open_window()
    QTest.keyClick(h.window.focusWidget(), Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    fresh = h.window.current_id
    assert fresh is not None and h.workspace.session(fresh).title == ""
    assert h.window.sidebar.titles() == ["New chat", "First"]
    assert h.window.focusWidget() is h.window.composer.edit

    h.window.sidebar.temporary_button.click()
    temporary = h.workspace.session(h.chat_id)
    assert temporary.temporary
    item = h.window.sidebar.item_for(temporary.id)
    assert item is not None and item.font(0).italic() and "temporary" in item.toolTip(0)
    assert h.window.sidebar.headings()[0] == "TEMPORARY"
    assert "(temporary)" in h.window.chat.title.text()


def test_rename_inline_with_f2(open_window: Callable[..., Harness], tmp_path: Path) -> None:
    (chat,) = _chats(tmp_path, "Old name")
    h = open_window()
    h.window.open_session(chat)
    QTest.keyClick(h.window.focusWidget(), Qt.Key.Key_F2)
    editor = h.window.sidebar.tree.findChild(QLineEdit)
    assert editor is not None and editor.isVisible()
    editor.selectAll()
    QTest.keyClicks(editor, "Bookstore API")
    QTest.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits on the next turn of the loop

    async def renamed() -> None:
        await until(lambda: h.workspace.session(chat).title == "Bookstore API")

    h.run(renamed())
    assert h.window.windowTitle() == "Desktop Chat — Bookstore API"


def test_pin_archive_and_show_archived(open_window: Callable[..., Harness], tmp_path: Path) -> None:
    a, b = _chats(tmp_path, "Alpha", "Beta")
    h = open_window()
    h.window.open_session(a)
    h.window.pin_action.trigger()

    async def refreshed(titles: list[str]) -> None:
        await until(lambda: h.window.sidebar.titles() == titles, what=f"titles {titles}")

    h.run(refreshed(["Alpha", "Beta"]))
    assert h.workspace.session(a).pinned
    assert h.window.sidebar.headings()[0] == "PINNED"

    h.window.open_session(b)
    h.window.archive_action.trigger()
    h.run(refreshed(["Alpha"]))
    assert h.workspace.session(b).archived
    h.window.archived_action.trigger()
    assert h.window.sidebar.titles() == ["Alpha", "Beta"]


def test_delete_asks_first_and_cancel_keeps_the_chat(open_window: Callable[..., Harness], tmp_path: Path) -> None:
    keep, doomed = _chats(tmp_path, "Keep", "Doomed")
    h = open_window()
    h.window.open_session(doomed)
    h.window.delete_action.trigger()
    box = h.window.sidebar.confirm_box
    assert box is not None and box.isVisible()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert h.workspace.session(doomed).title == "Doomed"

    h.window.delete_action.trigger()
    box = h.window.sidebar.confirm_box
    assert box is not None
    delete = next(b for b in box.buttons() if b.text() == "Delete")
    delete.click()

    async def gone() -> None:
        await until(lambda: h.window.sidebar.titles() == ["Keep"] and h.window.current_id == keep)

    h.run(gone())
    assert [s.id for s in h.workspace.sessions()] == [keep]


def test_search_filters_titles_and_jumps_to_a_message(open_window: Callable[..., Harness], tmp_path: Path) -> None:
    store = Store.open(data_dir(tmp_path))
    try:
        target = store.sessions.create("Holiday")
        for i in range(120):
            store.messages.append(target.id, Role.USER, "the lighthouse keeper" if i == 3 else f"filler {i}")
        store.sessions.create("Lighthouse notes")
        other = store.sessions.create("Other")
        store.messages.append(other.id, Role.USER, "nothing here")
    finally:
        store.close()
    h = open_window()
    h.window.open_session(other.id)
    QTest.keyClick(h.window.focusWidget(), Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert h.window.sidebar.search.hasFocus()
    QTest.keyClicks(h.window.sidebar.search, "lighthouse")

    async def found() -> None:
        await until(lambda: "Lighthouse notes" in h.window.sidebar.titles() and _hits(h))

    h.run(found())
    assert h.window.sidebar.titles() == ["Lighthouse notes"]
    hit = _hits(h)[0]
    assert "«lighthouse»" in hit.text(0)
    h.window.sidebar.tree.clicked.emit(hit.index)
    assert h.window.current_id == target.id
    index = h.window.chat.list.currentIndex()
    assert index.isValid() and "the lighthouse keeper" in index.data()
    assert h.window.chat.list.visualRect(index).intersects(h.window.chat.list.viewport().rect())


def _hits(h: Harness) -> list[SidebarRow]:
    return h.window.sidebar.hits()


def test_export_markdown_and_import_by_drop(open_window: Callable[..., Harness], tmp_path: Path) -> None:
    (chat,) = _chats(tmp_path, "Exported")
    h = open_window()
    target = tmp_path / "out.md"
    assert h.window.sidebar.write_export(chat, "markdown", target)
    assert "hello from Exported" in target.read_text()
    as_json = tmp_path / "out.json"
    assert h.window.sidebar.write_export(chat, "json", as_json)
    data = json.loads(as_json.read_text())
    h.workspace.delete_session(chat)

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(as_json))])
    drop = QDropEvent(
        QPoint(10, 10).toPointF(),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    h.window.sidebar.dropEvent(drop)

    async def arrived() -> None:
        await until(lambda: "Exported" in h.window.sidebar.titles())

    h.run(arrived())
    assert data["sessions"]


# --- model/view: updates in place, lazy pages ---------------------------------------------------


def _history(tmp_path: Path, count: int, hours: int = 3) -> list[int]:
    """``count`` chats ``hours`` apart, "Chat 0" the most recent, in one transaction."""
    store = Store.open(data_dir(tmp_path))
    try:
        ids = []
        now = datetime.now(UTC)
        with store.db.transaction():
            for i in range(count):
                session = store.sessions.create(f"Chat {i}")
                store.sessions.touch(session.id, now - timedelta(hours=hours * i))
                ids.append(session.id)
        return ids
    finally:
        store.close()


def test_a_change_to_one_chat_updates_its_row_without_resetting_the_model(
    open_window: Callable[..., Harness], tmp_path: Path
) -> None:
    ids = _history(tmp_path, 6)
    h = open_window()
    sidebar = h.window.sidebar
    h.window.open_session(ids[2])
    resets: list[int] = []
    sidebar.model.modelReset.connect(lambda: resets.append(1))
    others = {sid: QPersistentModelIndex(sidebar.model.chat_index(sid)) for sid in ids if sid != ids[4]}
    assert all(index.isValid() for index in others.values())

    h.workspace.rename_session(ids[4], "Renamed in place")  # published, the bridge tells the sidebar at once
    row = sidebar.item_for(ids[4])
    assert row is not None and row.text(0) == "Renamed in place"
    assert "Renamed in place" in row.accessibleText(0)
    assert not resets
    for sid, index in others.items():
        assert index.isValid() and index.data(ID_ROLE) == sid and index == sidebar.model.chat_index(sid)
    current = sidebar.tree.currentIndex()
    assert current.data(ID_ROLE) == ids[2] and sidebar.tree.selectionModel().isSelected(current)

    h.workspace.delete_session(ids[5])
    assert ids[5] not in [r.session_id() for r in sidebar.rows()] and not resets
    assert sidebar.tree.currentIndex().data(ID_ROLE) == ids[2]


def test_a_thousand_chats_load_a_page_at_start_and_more_as_the_list_scrolls(
    open_window: Callable[..., Harness], tmp_path: Path
) -> None:
    _history(tmp_path, 1000)
    h = open_window()
    sidebar = h.window.sidebar
    h.run(asyncio.sleep(0.2))  # let the view lay out (and fill its viewport, if it is tall)
    first = sidebar.model.loaded()
    assert PAGE <= first < 3 * PAGE, first
    assert sidebar.model.can_fetch_more()
    assert len(sidebar.titles()) == first

    scrollbar = sidebar.tree.verticalScrollBar()
    scrollbar.setValue(scrollbar.maximum())  # the user scrolls to the bottom: the next page arrives
    assert sidebar.model.loaded() == first + PAGE
    for _ in range(100):
        if not sidebar.model.can_fetch_more():
            break
        h.run(asyncio.sleep(0.01))  # the view lays out the new rows: the scroll bar grows
        scrollbar.setValue(scrollbar.maximum())
    assert sidebar.model.loaded() == 1000 and not sidebar.model.can_fetch_more()
    titles = sidebar.titles()
    assert len(set(titles)) == 1000 and titles[:2] == ["Chat 0", "Chat 1"] and titles[-1] == "Chat 999"


def test_pinning_and_activity_move_a_chat_between_groups_in_place(
    open_window: Callable[..., Harness], tmp_path: Path
) -> None:
    ids = _history(tmp_path, 30, hours=8)  # today, yesterday, previous 7 days, older
    h = open_window()
    sidebar = h.window.sidebar
    old = ids[-1]
    h.window.open_session(old)
    assert sidebar.headings()[-1] == OLDER.upper()
    resets: list[int] = []
    moves: list[int] = []
    sidebar.model.modelReset.connect(lambda: resets.append(1))
    sidebar.model.rowsMoved.connect(lambda *_: moves.append(1))
    tracked = QPersistentModelIndex(sidebar.model.chat_index(old))
    neighbour = QPersistentModelIndex(sidebar.model.chat_index(ids[-2]))

    h.window.pin_action.trigger()  # to the top, under PINNED
    assert sidebar.headings()[0] == PINNED.upper() and sidebar.titles()[0] == "Chat 29"
    assert tracked.isValid() and tracked.parent().data(HEADING_ROLE) == PINNED
    assert sidebar.tree.currentIndex() == tracked and neighbour.isValid()

    h.window.pin_action.trigger()  # back where its activity puts it
    assert PINNED.upper() not in sidebar.headings() and sidebar.titles()[-1] == "Chat 29"
    assert tracked.isValid() and tracked.parent().data(HEADING_ROLE) == OLDER

    h.server.reply(chunks=["Welcome back."])

    async def answered() -> None:  # new activity: the chat moves to the top of today
        edit = h.window.composer.edit
        edit.setFocus()
        QTest.keyClicks(edit, "Back to this one")
        QTest.keyClick(edit, Qt.Key.Key_Return)
        await until(lambda: h.window.composer.busy, what="busy")
        await until(lambda: not h.window.composer.busy, what="reply end")

    h.run(answered())
    assert sidebar.titles()[0] == "Chat 29" and tracked.parent().data(HEADING_ROLE) == TODAY
    assert tracked.isValid() and sidebar.tree.currentIndex() == tracked and neighbour.isValid()
    assert len(moves) >= 3 and not resets
