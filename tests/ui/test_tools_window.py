"""Tools in the window (issue 24): a call asked about shows Approve / Deny and waits; the calls show in the reply,
collapsed to a line each and opened with their arguments and results; the Tools page lists and tests servers."""

from __future__ import annotations

import json
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from desktop_chat.core.models import MessageStatus, ToolCallPart, ToolResultPart
from desktop_chat.ui.chat.message_delegate import MessageDelegate
from desktop_chat.ui.chat.tool_calls import WindowToolConsent
from tests.helpers.mcp_servers import stdio_server
from tests.helpers.waiting import until
from tests.helpers.window import Harness


def _send(h: Harness, text: str) -> None:
    edit = h.window.composer.edit
    edit.setFocus()
    QTest.keyClicks(edit, text)
    QTest.keyClick(edit, Qt.Key.Key_Return)


def _add_calc(h: Harness) -> None:
    h.run(h.workspace.tools.add(stdio_server("calc")))


def test_the_window_asks_and_an_approved_call_runs(open_window: Callable[..., Harness], qtbot: QtBot) -> None:
    h = open_window()
    _add_calc(h)
    h.server.reply("Adding. ", tool_calls=[("c1", "calc__add", ['{"a": 40, "b": 2}'])])
    h.server.reply("It is 42.")

    async def scenario() -> None:
        _send(h, "What is 40 + 2?")
        await until(lambda: _consent(h).dialog is not None, seconds=30, what="the question")
        dialog = _consent(h).dialog
        assert dialog is not None and dialog.isVisible()
        assert "add" in dialog.question.text() and "calc" in dialog.question.text()
        assert json.loads(dialog.arguments.toPlainText()) == {"a": 40, "b": 2}
        # while it waits, the reply shows the call as waiting for the answer
        await until(lambda: "waiting for your answer" in _reply_html(h), what="the call shown waiting")
        QTest.mouseClick(dialog.approve_button, Qt.MouseButton.LeftButton)
        await until(lambda: not h.window.composer.busy, seconds=30, what="reply end")

    h.run(scenario(), timeout=60)
    reply = h.window.chat.model.rows()[-1]
    assert reply.message is not None and reply.message.status is MessageStatus.COMPLETE
    assert reply.text == "Adding. It is 42."
    assert ToolCallPart("c1", "calc__add", '{"a": 40, "b": 2}') in reply.message.parts
    result = next(p for p in reply.message.parts if isinstance(p, ToolResultPart))
    assert result.content == "42" and result.seconds is not None
    html = _reply_html(h)
    assert "calc__add · done in" in html and "Show the calls" in html and "&quot;a&quot;" not in html
    h.window.chat.model.toggle_tools(reply.key)
    opened = _reply_html(h)
    assert "Hide the calls" in opened and "&quot;a&quot;: 40" in opened and "→ 42" in opened


def test_a_denied_call_is_reported_to_the_model(open_window: Callable[..., Harness], qtbot: QtBot) -> None:
    h = open_window()
    _add_calc(h)
    h.server.reply("", tool_calls=[("c1", "calc__echo", ['{"text": "x"}'])])
    h.server.reply("Understood.")

    async def scenario() -> None:
        _send(h, "echo x")
        await until(lambda: _consent(h).dialog is not None, seconds=30, what="the question")
        dialog = _consent(h).dialog
        assert dialog is not None
        QTest.mouseClick(dialog.deny_button, Qt.MouseButton.LeftButton)
        await until(lambda: not h.window.composer.busy, seconds=30, what="reply end")

    h.run(scenario(), timeout=60)
    sent = h.server.chat_requests[1].body["messages"][-1]
    assert sent == {"role": "tool", "tool_call_id": "c1", "content": "Denied by the user."}
    assert "calc__echo · denied" in _reply_html(h)


def _consent(h: Harness) -> WindowToolConsent:
    found = h.window.findChild(WindowToolConsent)
    assert found is not None
    return found


def _reply_html(h: Harness) -> str:
    row = h.window.chat.model.rows()[-1]
    delegate = h.window.chat.list.itemDelegate()
    assert isinstance(delegate, MessageDelegate)
    text, _ = delegate._html(row)
    return text
