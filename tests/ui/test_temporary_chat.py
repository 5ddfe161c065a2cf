"""A temporary chat (ids from 10^12) through the real window: signals carry 64-bit ids."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from desktop_chat.core.controller import TEMPORARY_ID_BASE
from desktop_chat.core.models import MessageStatus
from tests.helpers.waiting import until
from tests.helpers.window import Harness


def test_a_temporary_chat_sends_and_the_reply_arrives(open_window: Callable[..., Harness], qtbot: QtBot) -> None:
    h = open_window()
    h.server.reply(chunks=["Kept ", "nowhere."], chunk_delay=0.02)
    h.window.temporary_action.trigger()
    assert h.chat_id > TEMPORARY_ID_BASE
    assert h.workspace.session(h.chat_id).temporary

    async def scenario() -> None:
        edit = h.window.composer.edit
        edit.setFocus()
        QTest.keyClicks(edit, "Secret question")
        QTest.keyClick(edit, Qt.Key.Key_Return)
        await until(lambda: h.window.composer.busy, what="busy")
        await until(lambda: not h.window.composer.busy, what="reply end")
        # The title is asked for after the reply; let it finish before the window closes.
        await until(lambda: h.workspace.session(h.chat_id).title, what="the title")

    h.run(scenario())
    rows = [(r.text, r.status) for r in h.window.chat.model.rows()]
    assert rows == [("Secret question", MessageStatus.COMPLETE), ("Kept nowhere.", MessageStatus.COMPLETE)]
    assert h.server.chat_requests[0].body["messages"][-1]["content"] == "Secret question"
