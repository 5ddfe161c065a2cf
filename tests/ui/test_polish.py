"""What a new user notices: Esc clears the search, a search hit is marked, an archived chat says so and can
come back, an import opens what it brought or says in a box why it could not, the strategy tag is small."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtTest import QTest

from desktop_chat.core.models import Role
from desktop_chat.core.storage.store import Store
from tests.helpers.waiting import until
from tests.helpers.window import Harness, data_dir


def _chats(tmp_path: Path) -> tuple[int, int]:
    store = Store.open(data_dir(tmp_path))
    try:
        holiday = store.sessions.create("Holiday")
        for i in range(40):
            store.messages.append(holiday.id, Role.USER, "the lighthouse keeper" if i == 3 else f"filler {i}")
        other = store.sessions.create("Other")
        store.messages.append(other.id, Role.USER, "nothing here")
        return holiday.id, other.id
    finally:
        store.close()


def test_esc_clears_the_search_box_and_every_chat_is_listed_again(
    open_window: Callable[..., Harness], tmp_path: Path
) -> None:
    _chats(tmp_path)
    h = open_window()
    search = h.window.sidebar.search
    search.setFocus()
    QTest.keyClicks(search, "lighthouse")
    h.run(until(lambda: h.window.sidebar.hits() != []))

    QTest.keyClick(search, Qt.Key.Key_Escape)

    assert search.text() == ""
    h.run(until(lambda: sorted(h.window.sidebar.titles()) == ["Holiday", "Other"] and not h.window.sidebar.hits()))


def test_opening_a_search_hit_marks_the_message(open_window: Callable[..., Harness], tmp_path: Path) -> None:
    holiday, other = _chats(tmp_path)
    h = open_window()
    h.window.open_session(other)
    QTest.keyClicks(h.window.sidebar.search, "lighthouse")
    h.run(until(lambda: h.window.sidebar.hits() != []))

    h.window.sidebar.tree.clicked.emit(h.window.sidebar.hits()[0].index)

    assert h.window.current_id == holiday
    marked = [r.text for r in h.window.chat.model.rows() if r.highlighted]
    assert marked == ["the lighthouse keeper"]


def test_an_archived_chat_says_so_and_restore_brings_it_back(
    open_window: Callable[..., Harness], tmp_path: Path
) -> None:
    holiday, other = _chats(tmp_path)
    h = open_window()
    h.workspace.set_archived(holiday, True)
    h.window.open_session(other)
    assert not h.window.chat.archived.isVisible()

    h.window.open_session(holiday)
    bar = h.window.chat.archived
    assert bar.isVisible() and "archived" in bar.label.text()

    QTest.mouseClick(bar.button, Qt.MouseButton.LeftButton)

    assert not h.workspace.session(holiday).archived
    h.run(until(lambda: not bar.isVisible() and "Holiday" in h.window.sidebar.titles()))


def test_a_successful_import_opens_the_imported_chat(open_window: Callable[..., Harness], tmp_path: Path) -> None:
    _chats(tmp_path)
    h = open_window()
    source = tmp_path / "trip.json"
    document = {"sessions": [{"title": "Imported trip", "messages": [{"role": "user", "content": "Hi from there"}]}]}
    source.write_text(json.dumps(document), encoding="utf-8")

    assert h.window.sidebar.import_files([source]) == 1

    assert h.workspace.session(h.chat_id).title == "Imported trip"
    assert [r.text for r in h.window.chat.model.rows()] == ["Hi from there"]


def test_an_import_that_fails_says_why_in_a_message_box(open_window: Callable[..., Harness], tmp_path: Path) -> None:
    h = open_window()
    opened = h.window.current_id
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json", encoding="utf-8")

    assert h.window.sidebar.import_files([broken]) == 0

    box = h.window.sidebar.error_box
    assert box is not None and box.isVisible()
    assert "broken.json" in box.informativeText() or "JSON" in box.informativeText()
    assert "\n" not in box.informativeText().strip()  # one file, one line
    assert h.window.current_id == opened
    box.close()


def test_the_strategy_tag_is_smaller_than_the_titles(open_window: Callable[..., Harness], tmp_path: Path) -> None:
    _chats(tmp_path)
    h = open_window()
    tree = h.window.sidebar.tree
    row = next(r for r in h.window.sidebar.rows() if r.text(0) == "Holiday")
    tag = row.text(1)
    assert tag  # e.g. "full"
    assert row.font(1).pointSizeF() < tree.font().pointSizeF()
    # The column is sized to its contents: the small text, so the title column keeps the rest.
    small = QFontMetrics(row.font(1)).horizontalAdvance(tag)
    assert small < QFontMetrics(tree.font()).horizontalAdvance(tag)
