"""The chat's "< 1/2 >" on a regenerated reply: flipping shows the other version and the next request follows it."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from desktop_chat.core.models import MessageStatus
from desktop_chat.ui.chat.message_delegate import MessageDelegate
from desktop_chat.ui.chat.message_model import COPY_MESSAGE, Row
from desktop_chat.ui.chat.row_links import DELETE_VERSION, OLDER_VERSION
from tests.helpers.waiting import until
from tests.helpers.window import Harness


def _texts(h: Harness) -> list[str]:
    return [r.text for r in h.window.chat.model.rows() if r.message is not None]


def _last(h: Harness) -> Row:
    return h.window.chat.model.rows()[-1]


def click_link(h: Harness, row: int, action: str) -> None:
    """Click the row's link for ``action`` where it is drawn, as a user would."""
    view = h.window.chat.list
    index = h.window.chat.model.index(row)
    rect = view.visualRect(index)
    delegate = view.itemDelegate()
    assert isinstance(delegate, MessageDelegate)
    for y in range(rect.top() + 4, min(rect.bottom(), rect.top() + 60), 3):
        for x in range(rect.left(), rect.right(), 3):
            if f":{action}:" in delegate.anchor_at(index, QPointF(x, y), rect):
                QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, y))
                return
    raise AssertionError(f"no {action} link drawn on row {row}")


def _regenerated(h: Harness) -> None:
    """A question answered twice: "First answer" then "Second answer" (shown, 2/2)."""
    h.workspace.rename_session(h.chat_id, "Titled")  # no title request takes a queued reply
    h.server.reply("First answer")
    h.server.reply("Second answer")

    async def scenario() -> None:
        h.window.composer.set_text("Question")
        h.window.composer.edit.setFocus()
        QTest.keyClick(h.window.composer.edit, Qt.Key.Key_Return)
        await until(lambda: _texts(h)[-1:] == ["First answer"] and _last(h).status is MessageStatus.COMPLETE)
        await until(lambda: not h.window.composer.busy)
        h.window.regenerate_action.trigger()
        await until(lambda: _texts(h)[-1:] == ["Second answer"] and _last(h).status is MessageStatus.COMPLETE)
        await until(lambda: not h.window.composer.busy and _last(h).versions == (2, 2))

    h.run(scenario())


def test_the_arrows_flip_the_reply_and_the_next_request_follows(
    open_window: Callable[..., Harness], qtbot: QtBot
) -> None:
    h = open_window()
    _regenerated(h)
    h.server.reply("Booked.")

    click_link(h, len(h.window.chat.model.rows()) - 1, OLDER_VERSION)

    assert _texts(h) == ["Question", "First answer"]
    assert _last(h).versions == (1, 2)
    assert "version 1 of 2" in h.window.chat.model.data(
        h.window.chat.model.index(1), Qt.ItemDataRole.AccessibleTextRole
    )

    async def send_next() -> None:
        h.window.composer.set_text("Book it")
        h.window.composer.edit.setFocus()
        QTest.keyClick(h.window.composer.edit, Qt.Key.Key_Return)
        await until(lambda: _texts(h)[-1:] == ["Booked."] and not h.window.composer.busy)

    h.run(send_next())
    sent = [m["content"] for m in h.server.chat_requests[-1].body["messages"] if m["role"] != "system"]
    assert sent == ["Question", "First answer", "Book it"]


def test_deleting_a_version_asks_first(open_window: Callable[..., Harness], qtbot: QtBot) -> None:
    h = open_window()
    _regenerated(h)
    last = len(h.window.chat.model.rows()) - 1
    versions = h.window.replies.versions

    click_link(h, last, DELETE_VERSION)
    box = versions.confirm_box
    assert box is not None and box.isVisible() and "version 2 of 2" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert _last(h).versions == (2, 2) and _texts(h)[-1] == "Second answer"

    click_link(h, last, DELETE_VERSION)
    box = versions.confirm_box
    assert box is not None
    next(b for b in box.buttons() if b.text() == "Delete").click()

    assert _texts(h) == ["Question", "First answer"]
    assert _last(h).versions == (1, 1)
    reply = _last(h).message
    assert reply is not None and h.workspace.chats.versions(reply.id).count == 1


def test_copy_says_copied_for_a_moment(open_window: Callable[..., Harness], qtbot: QtBot) -> None:
    h = open_window()
    _regenerated(h)
    last = len(h.window.chat.model.rows()) - 1
    delegate = h.window.chat.delegate

    def head() -> str:
        doc, _ = delegate.document(_last(h), 600)
        return doc.toPlainText()

    assert "Copy" in head() and "Copied" not in head()
    click_link(h, last, COPY_MESSAGE)
    assert QGuiApplication.clipboard().text() == "Second answer"
    assert "Copied" in head()

    async def back() -> None:
        await until(lambda: "Copied" not in head(), seconds=5)

    h.run(back())


def test_the_chat_menu_flips_the_last_reply_from_the_keyboard(
    open_window: Callable[..., Harness], qtbot: QtBot
) -> None:
    h = open_window()
    _regenerated(h)
    assert h.window.older_version_action.shortcut().toString() == "Ctrl+["

    h.window.older_version_action.trigger()
    assert _texts(h)[-1] == "First answer" and _last(h).versions == (1, 2)
    h.window.older_version_action.trigger()  # nothing older: it stays
    assert _texts(h)[-1] == "First answer"
    h.window.newer_version_action.trigger()
    assert _texts(h)[-1] == "Second answer" and _last(h).versions == (2, 2)


def _click_row(h: Harness, row: int) -> None:
    view = h.window.chat.list
    index = h.window.chat.model.index(row)
    view.scrollTo(index)
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center())


def test_why_this_reply_follows_the_version_shown(open_window: Callable[..., Harness], qtbot: QtBot) -> None:
    h = open_window()
    h.workspace.rename_session(h.chat_id, "Titled")  # no title request takes a queued reply
    h.server.reply("First answer")
    h.server.reply("Second answer")
    why, aside = h.window.inspector.why, h.window.inspector.sections["why"].aside

    async def ask() -> None:
        h.window.composer.set_text("Question")
        h.window.composer.edit.setFocus()
        QTest.keyClick(h.window.composer.edit, Qt.Key.Key_Return)
        await until(lambda: _texts(h)[-1:] == ["First answer"] and _last(h).status is MessageStatus.COMPLETE)
        await until(lambda: not h.window.composer.busy)

    h.run(ask())
    first = _last(h).message
    assert first is not None
    _click_row(h, len(h.window.chat.model.rows()) - 1)
    assert why.message_id == first.id and aside.text() == f"reply #{first.id}"

    async def regenerate() -> None:
        h.window.regenerate_action.trigger()
        await until(lambda: _texts(h)[-1:] == ["Second answer"] and _last(h).status is MessageStatus.COMPLETE)
        await until(lambda: not h.window.composer.busy and _last(h).versions == (2, 2))

    h.run(regenerate())
    second = _last(h).message
    assert second is not None and second.id != first.id
    assert why.message_id == second.id and why.heading.text().startswith(f"Reply #{second.id}")
    assert aside.text() == f"reply #{second.id}"

    click_link(h, len(h.window.chat.model.rows()) - 1, OLDER_VERSION)  # back to 1/2
    assert why.message_id == first.id and why.heading.text().startswith(f"Reply #{first.id}")

    click_link(h, len(h.window.chat.model.rows()) - 1, DELETE_VERSION)  # version 1 goes; 2 takes its place
    box = h.window.replies.versions.confirm_box
    assert box is not None
    next(b for b in box.buttons() if b.text() == "Delete").click()
    assert _texts(h)[-1] == "Second answer"
    assert why.message_id == second.id and aside.text() == f"reply #{second.id}"
