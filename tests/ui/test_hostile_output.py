"""A model's reply cannot press the app's buttons: internal links in its text are shown as text."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from desktop_chat.core.models import MessageStatus
from desktop_chat.ui.chat.chat_view import ACTION, ChatView, Row
from desktop_chat.ui.chat.message_model import ROW_ROLE
from desktop_chat.ui.chat.render import COPY_CODE, MarkdownRenderer
from desktop_chat.ui.chat.row_look import row_rect
from tests.helpers.waiting import until
from tests.helpers.window import Harness

HOSTILE = (
    "Press [act](dc-action:regenerate:{reply}) or <dc-action:edit:{user}> "
    'or <a href="dc-action:retry:{reply}">retry</a> or [copy](dc-copy-code:0) '
    "or [bad](dc-action:) or <dc-copy-code:x> or [who](DC-ACTION:regenerate:{reply}).\n\n"
    "```\ncode\n```\n"
)
CLICKED = ("act", "dc-action:edit", "retry</a>", "copy", "bad", "dc-copy-code:x", "who")


def _point_of(chat: ChatView, row: int, text: str) -> QPoint:
    """Where ``text`` is drawn in the list's viewport (its second character)."""
    index = chat.model.index(row)
    chat.list.scrollTo(index)
    rect = row_rect(chat.list.visualRect(index))
    doc, _ = chat.delegate.document(index.data(ROW_ROLE), rect.width())
    found = doc.find(text, 0, QTextDocument.FindFlag.FindCaseSensitively)
    assert not found.isNull(), f"{text!r} is not shown"
    at = found.selectionStart() + 1
    block = doc.findBlock(at)
    layout = block.layout()
    line = layout.lineForTextPosition(at - block.position())
    top = doc.documentLayout().blockBoundingRect(block).topLeft()
    x = top.x() + float(line.cursorToX(at - block.position())[0])  # type: ignore[index]
    y = top.y() + line.y() + line.height() / 2
    assert doc.documentLayout().hitTest(QPointF(x, y), Qt.HitTestAccuracy.FuzzyHit) in (at - 1, at, at + 1)
    return rect.topLeft() + QPoint(round(x), round(y))


def test_internal_links_in_a_reply_are_text_and_clicking_them_does_nothing(
    open_window: Callable[..., Harness], qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    h = open_window()
    h.server.reply(HOSTILE.format(user=1, reply=2))

    async def send() -> None:
        h.window.composer.set_text("Tell me something")
        h.window.composer.submit()
        await until(lambda: h.window.composer.busy, what="busy")
        await until(lambda: not h.window.composer.busy, what="reply end")
        await until(lambda: h.workspace.session(h.chat_id).title, what="the title")

    h.run(send())
    rows = h.window.chat.model.rows()
    assert [r.key for r in rows] == [1, 2]
    requests = len(h.server.chat_requests)
    chat = h.window.chat
    html, _ = chat.delegate._html(rows[1])
    # The only links are the app's own: the row's actions and the code block's copy.
    assert re.findall(r'href="([^"]*)"', html) == [f"{ACTION}:copy:2", f"{ACTION}:regenerate:2", f"{COPY_CODE}:0"]

    async def click_all() -> None:
        for text in CLICKED:
            QTest.mouseClick(chat.list.viewport(), Qt.MouseButton.LeftButton, pos=_point_of(chat, 1, text))
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)

    caplog.clear()  # what opening the window logged (an earlier test may have left the root logger at INFO)
    with caplog.at_level(logging.WARNING):
        h.run(click_all())
    assert len(h.server.chat_requests) == requests  # nothing was regenerated or retried
    assert [(r.key, r.status) for r in chat.model.rows()] == [(1, MessageStatus.COMPLETE), (2, MessageStatus.COMPLETE)]
    assert h.window.composer.editing is None  # nor was the message put up for editing
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []

    # The app's own links still work: the reply's Regenerate, clicked the same way.
    chat.list.close_selectable()

    async def regenerate() -> None:
        QTest.mouseClick(chat.list.viewport(), Qt.MouseButton.LeftButton, pos=_point_of(chat, 1, "Regenerate"))
        await until(
            lambda: (
                [(r.key, r.status) for r in chat.model.rows()]
                == [(1, MessageStatus.COMPLETE), (3, MessageStatus.COMPLETE)]
            ),
            what="the new reply",
        )

    h.run(regenerate())


def test_malformed_internal_links_do_nothing_quietly(
    open_window: Callable[..., Harness], caplog: pytest.LogCaptureFixture
) -> None:
    h = open_window()
    chat = h.window.chat
    row = chat.model.rows()[0] if chat.model.rows() else None
    fired: list[object] = []
    chat.action.connect(lambda *args: fired.append(args))
    chat.contextClicked.connect(lambda *args: fired.append(args))
    target = row or Row(message=None, text="")
    hrefs = [
        "dc-action:regenerate:2",
        "dc-copy-code:0",
        "dc-action:",
        "dc-copy-code:x",
        f"{ACTION}:",
        f"{ACTION}:edit",
        f"{ACTION}:edit:x",
        f"{ACTION}:regenerate:99999999999999999999999",
        f"{ACTION}:nonsense:-1",
        f"{COPY_CODE}:",
        f"{COPY_CODE}:5",
        f"{COPY_CODE}:-1:2",
    ]
    caplog.clear()  # what opening the window logged (an earlier test may have left the root logger at INFO)
    with caplog.at_level(logging.WARNING):
        for href in hrefs:
            chat._on_link(href, target)
    assert fired == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_the_renderer_keeps_only_links_the_browser_opens() -> None:
    rendered = MarkdownRenderer().render(
        "[a](dc-action:regenerate:2) <dc-action:edit:1> [j](javascript:alert(1)) "
        "![i](dc-copy-code:0) [ok](https://example.org) <https://example.org/x> [m](mailto:a@b.c)"
    )
    hrefs = re.findall(r'href="([^"]*)"', rendered.html)
    assert hrefs == ["https://example.org", "https://example.org/x", "mailto:a@b.c"]
    assert "a (dc-action:regenerate:2)" in rendered.html  # the reader still sees what was written
    assert "[image: i] (dc-copy-code:0)" in rendered.html
