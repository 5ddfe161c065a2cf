"""Two views of one chat: a reply the window starts streams into a second view that never ran it.

The second view is a second ``WorkspaceBridge`` and ``MessageListModel`` on the same workspace,
wired as a view that follows the channel only: it reloads on ``messagesChanged``, takes the text
streamed so far for a row it meets mid-reply, and appends what each flush brings.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from desktop_chat.core.models import MessageStatus, Role
from desktop_chat.ui.bridge import WorkspaceBridge
from desktop_chat.ui.chat.message_model import MessageListModel
from tests.helpers.waiting import until
from tests.helpers.window import Harness

CHUNKS = ["One ", "two ", "three ", "four ", "five ", "six ", "seven ", "eight."]
FINAL = "".join(CHUNKS)


class SecondView:
    """A view of one chat that follows the channel: it starts no reply."""

    def __init__(self, h: Harness, session_id: int) -> None:
        self.bridge = WorkspaceBridge(h.workspace)
        self.model = MessageListModel(h.workspace)
        self.model.load(session_id)
        self.bridge.messagesChanged.connect(self._messages_changed)
        self.bridge.replyText.connect(self._reply_text)

    def _messages_changed(self, session_id: int) -> None:
        if session_id == self.model.session_id:
            self._reload()

    def _reload(self) -> None:
        self.model.reload()
        for row in self.model.rows():
            if row.message is not None and row.status is MessageStatus.STREAMING:
                text = self.bridge.text_so_far(row.message.id)
                if text is not None:
                    self.model.set_streamed(row.message.id, text)

    def _reply_text(self, session_id: int, message_id: int, text: str) -> None:
        if session_id != self.model.session_id:
            return
        if self.model.row_of(message_id) is None:
            self._reload()  # the reply's message is new to this view: all its text so far, from the bridge
        else:
            self.model.append_text(message_id, text)


def _reply(model: MessageListModel) -> tuple[str, MessageStatus] | None:
    rows = [r for r in model.rows() if r.message is not None and r.message.role is Role.ASSISTANT]
    return (rows[-1].text, rows[-1].status) if rows else None


def _send(h: Harness, text: str) -> None:
    edit = h.window.composer.edit
    edit.setFocus()
    QTest.keyClicks(edit, text)
    QTest.keyClick(edit, Qt.Key.Key_Return)


def test_a_reply_streams_into_a_second_view_that_did_not_start_it(
    open_window: Callable[..., Harness], qtbot: QtBot
) -> None:
    h = open_window()
    h.server.reply(chunks=CHUNKS, chunk_delay=0.08)
    second = SecondView(h, h.chat_id)
    seen: list[tuple[str, str]] = []  # (the window's reply text, the second view's) while streaming

    async def scenario() -> None:
        _send(h, "Count to eight")
        await until(lambda: h.window.composer.busy, what="busy")
        while h.window.composer.busy:
            first, other = _reply(h.window.chat.model), _reply(second.model)
            if first is not None and other is not None and other[1] is MessageStatus.STREAMING:
                seen.append((first[0], other[0]))
            assert not second.bridge.is_running(h.chat_id)  # the second view never runs the reply
            await asyncio.sleep(0.02)

    try:
        h.run(scenario())
        # The second view's text grows as the reply streams, as the window's does, and is never ahead of it.
        partial = [(a, b) for a, b in seen if 0 < len(b) < len(FINAL)]
        assert len({b for _, b in partial}) >= 2, f"the second view did not follow the stream: {seen}"
        assert len({a for a, _ in partial}) >= 2, f"the window did not follow the stream: {seen}"
        for a, b in seen:
            assert FINAL.startswith(a) and FINAL.startswith(b), (a, b)
        texts = [b for _, b in seen]
        assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(texts)), texts

        async def settled() -> None:
            await until(lambda: _reply(second.model) == (FINAL, MessageStatus.COMPLETE), what="the second view's end")

        h.run(settled())
        assert _reply(h.window.chat.model) == (FINAL, MessageStatus.COMPLETE)
        assert _reply(second.model) == _reply(h.window.chat.model)
        # The reply ended on the channel: the bridge that did not run it keeps none of its text.
        assert second.bridge.streamed == {}
        assert h.window.bridge is not None and h.window.bridge.streamed == {}
    finally:
        h.run(second.bridge.aclose())


def test_a_stopped_reply_leaves_no_text_in_a_bridge_that_did_not_start_it(
    open_window: Callable[..., Harness], qtbot: QtBot
) -> None:
    h = open_window()
    h.server.reply(chunks=CHUNKS * 20, chunk_delay=0.05)
    second = SecondView(h, h.chat_id)

    async def scenario() -> None:
        _send(h, "Count for a long time")
        await until(lambda: second.bridge.streamed, what="text in the second bridge")
        QTest.keyClick(h.window.composer.edit, Qt.Key.Key_Escape)
        await until(lambda: not h.window.composer.busy, what="the stop")
        await until(
            lambda: (r := _reply(second.model)) is not None and r[1] is MessageStatus.STOPPED, what="stopped there"
        )

    try:
        h.run(scenario())
        assert second.bridge.streamed == {}
        assert _reply(second.model) == _reply(h.window.chat.model)
    finally:
        h.run(second.bridge.aclose())
