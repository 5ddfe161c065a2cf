"""Tools in the window (issue 24): a call asked about shows Approve / Deny and waits; the calls show in the reply,
collapsed to a line each and opened with their arguments and results; the Tools page lists and tests servers."""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from desktop_chat.core.models import MessageStatus, PartKind, ToolCallPart, ToolResultPart
from desktop_chat.ui.chat.message_delegate import MessageDelegate
from desktop_chat.ui.chat.tool_calls import WindowToolConsent
from tests.helpers.app import App
from tests.helpers.mcp_servers import SCRIPT, stdio_server
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
    # why this reply: the calls it made, and the tool definitions' tokens in its request
    assert h.window.inspector.show_reply(reply.key)
    why = h.window.inspector.why
    assert "Tool calls: calc__add (done)" in why.used.text()
    tools = next(p for p in why.plan.parts if p.kind is PartKind.TOOLS)
    assert tools.tokens > 20


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


# --- Settings → Tools ---------------------------------------------------------------------------


def test_the_tools_page_adds_tests_sets_a_policy_and_removes(open_app: Callable[..., App]) -> None:
    app = open_app()
    dialog = app.settings_dialog("tools")
    page = dialog.tools
    assert dialog.current_page() is page
    assert page.empty_hint.isVisible() and "mcp import FILE" in page.empty_hint.text()  # the empty list says how
    page.name.setText("calc")
    page.command.setText(shlex.join([sys.executable, SCRIPT]))
    page.env.setPlainText("MODE=test")
    page.secret_env.setPlainText("TOKEN=s3cret")
    QTest.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    app.run(until(lambda: "Added tool server 'calc'" in page.status.text(), what="the server added"))
    [server] = app.workspace.settings.mcp_servers
    assert dict(server.env) == {"MODE": "test"} and server.secret_env == ("TOKEN",)
    assert app.secrets.get("mcp:calc:TOKEN") == "s3cret"  # in the keyring, not the settings
    assert "s3cret" not in json.dumps(server.to_dict())
    assert page.servers.count() == 1 and not page.empty_hint.isVisible()
    page.servers.setCurrentRow(0)
    assert page.secret_env.toPlainText() == "TOKEN="  # a secret is never shown back
    QTest.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    app.run(until(lambda: page.tools.rowCount() == 4, seconds=30, what="the tools listed"), timeout=40)
    assert "calc: 4 tool(s)" in page.status.text()
    names = [page.tools.cellWidget(r, 0).accessibleName() for r in range(4)]
    assert names == ["add", "echo", "slow", "env"]
    policy = page.tools.cellWidget(0, 1)
    assert isinstance(policy, QComboBox) and policy.currentText() == "ask"
    policy.setCurrentText("always")
    assert app.workspace.settings.mcp_servers[0].policy("add") == "always"
    item = page.servers.item(0)
    item.setCheckState(Qt.CheckState.Unchecked)
    app.run(until(lambda: not app.workspace.settings.mcp_servers[0].enabled, what="switched off"))
    page.servers.setCurrentRow(0)
    QTest.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    app.run(until(lambda: "Removed 'calc'" in page.status.text(), what="removed"))
    assert not app.workspace.settings.mcp_servers and page.servers.count() == 0
    assert page.empty_hint.isVisible()
    assert app.secrets.get("mcp:calc:TOKEN") is None


def test_the_tools_page_says_why_a_server_cannot_start(open_app: Callable[..., App]) -> None:
    app = open_app()
    page = app.settings_dialog("tools").tools
    page.name.setText("broken")
    page.command.setText(shlex.join([sys.executable, SCRIPT, "--crash"]))
    QTest.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    app.run(until(lambda: page.servers.count() == 1, what="added"))
    page.servers.setCurrentRow(0)
    QTest.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    app.run(until(lambda: "not available" in page.status.text(), seconds=30, what="the failure"), timeout=40)
    assert "cannot open the database" in page.status.text()
