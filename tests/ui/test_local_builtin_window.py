"""The window on the built-in profile: a real llama.cpp child started by the app, the starter model, no key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from desktop_chat.core.events import LocalModelChanged
from desktop_chat.core.models import MessageStatus, Strategy
from desktop_chat.core.settings import Settings
from tests.helpers.app import App
from tests.helpers.waiting import until

pytestmark = pytest.mark.llama

Opener = Callable[..., App]
REPLY_WITHIN_S = 90.0


def _rows(app: App) -> list[tuple[str, str, MessageStatus]]:
    return [(str(r.message.role), r.text, r.status) for r in app.window.chat.model.rows() if r.message is not None]


def _type_and_enter(app: App, text: str) -> None:
    edit = app.window.composer.edit
    edit.setFocus()
    QTest.keyClicks(edit, text)
    QTest.keyClick(edit, Qt.Key.Key_Return)


def _answered(app: App, turns: int) -> Callable[[], bool]:
    return lambda: len(_rows(app)) == 2 * turns and _rows(app)[-1][2] is MessageStatus.COMPLETE


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.slow
def test_a_multi_turn_chat_a_stop_and_quit_leave_no_server(open_app: Opener) -> None:
    settings = Settings(active_profile="Local (built-in)", default_strategy=Strategy.HYBRID)
    app = open_app(settings)
    app.settle(0.3)
    assert app.window.welcome is None  # the built-in profile needs no key

    async def scenario() -> None:
        for turn, text in enumerate(("Hello! My favourite colour is green.", "Which colour do I like?"), start=1):
            _type_and_enter(app, text)
            await until(_answered(app, turn), REPLY_WITHIN_S, what=f"reply {turn}")
            await until(lambda: not app.window.composer.busy, 10, what="idle")
        _type_and_enter(app, "Write a very long story about a lighthouse keeper and his cat.")
        await until(
            lambda: any(r[1] for r in _rows(app)[4:] if r[2] is MessageStatus.STREAMING), REPLY_WITHIN_S, "streaming"
        )
        QTest.keyClick(app.window.composer.edit, Qt.Key.Key_Escape)
        await until(lambda: not app.window.composer.busy, 10, what="stopped")

    app.run(scenario(), timeout=3 * REPLY_WITHIN_S)
    rows = _rows(app)
    assert [r[0] for r in rows] == ["user", "assistant"] * 3
    assert rows[1][1] and rows[3][1]
    assert rows[5][2] is MessageStatus.STOPPED and rows[5][1]
    states = [e.state for e in app.events if isinstance(e, LocalModelChanged)]
    assert states[:2] == ["starting", "ready"]  # started once, for all three replies
    chat = app.window.current_id
    assert chat is not None and app.workspace.upkeep_jobs(chat) == ()  # the starter model keeps no memory
    pid = app.workspace.local_model_pid
    assert pid is not None and _alive(pid)

    app.run(app.window.shutdown())
    assert not _alive(pid), "the built-in server outlived the window"
