"""The launcher: no display, the first paint before the workspace, Ctrl+Q during a reply."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from desktop_chat.core.models import MessageStatus, Role
from desktop_chat.core.storage.store import Store
from desktop_chat.ui.app.launch import NO_DISPLAY, display_available, run_window
from desktop_chat.ui.window.main_window import MainWindow
from tests.helpers.cli import command
from tests.helpers.fake_openai import FakeOpenAIServer, Fault
from tests.helpers.waiting import run, until
from tests.helpers.window import data_dir
from tests.helpers.workspace import prepare_profile


def test_without_a_display_one_line_and_exit_1(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(Path.cwd())
    done = subprocess.run(
        command(tmp_path / "d"),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == NO_DISPLAY
    assert done.stdout == ""


def test_display_detection() -> None:
    assert not display_available({})
    assert not display_available({"DISPLAY": ":987"})  # no such X server
    assert display_available({"QT_QPA_PLATFORM": "offscreen"})
    assert display_available({"WAYLAND_DISPLAY": "wayland-0"})


def test_ctrl_q_during_a_reply_saves_it_and_exits_0_with_no_task_left(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    folder = data_dir(tmp_path)
    prepare_profile(folder, fake_openai)
    fake_openai.fail(Fault.FOREVER, interval=0.05)
    seen: dict[str, Any] = {}

    async def drive() -> int:
        outer = asyncio.all_tasks()  # the test's own tasks
        window_task = asyncio.ensure_future(run_window(folder, on_ready=lambda w: seen.setdefault("window", w)))
        await until(lambda: "window" in seen, seconds=20, what="the workspace")
        window: MainWindow = seen["window"]
        assert window.focusWidget() is window.composer.edit
        QTest.keyClicks(window.composer.edit, "Talk forever")
        QTest.keyClick(window.composer.edit, Qt.Key.Key_Return)
        await until(lambda: any(r.text for r in window.chat.model.rows() if r.status is MessageStatus.STREAMING))
        QTest.keyClick(window.composer.edit, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
        code = await asyncio.wait_for(window_task, 10)
        seen["left"] = [t for t in asyncio.all_tasks() - outer if not t.done()]
        seen["visible"] = window.isVisible()
        window.deleteLater()
        return code

    assert run(qloop, drive()) == 0
    assert seen["left"] == []
    assert not seen["visible"]
    store = Store.open(folder)
    try:
        session = store.sessions.list_by_activity()[0]
        messages = store.messages.all(session.id)
    finally:
        store.close()
    assert [m.role for m in messages] == [Role.USER, Role.ASSISTANT]
    assert messages[1].status is MessageStatus.STOPPED
    assert messages[1].content.strip()
    assert fake_openai.disconnected.wait(5), "the HTTP stream was left open"


def test_a_read_only_data_folder_opens_its_chats_and_says_nothing_can_be_saved(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    from PySide6.QtWidgets import QLabel

    from tests.helpers.mounts import read_only_view

    folder = data_dir(tmp_path)
    store = Store.open(folder)
    try:
        store.messages.append(store.sessions.create("Kept chat").id, Role.USER, "readable still")
    finally:
        store.close()
    seen: dict[str, Any] = {}

    async def drive(view: Path) -> int:
        window_task = asyncio.ensure_future(run_window(view, on_ready=lambda w: seen.setdefault("window", w)))
        await until(lambda: "window" in seen, seconds=20, what="the workspace")
        window: MainWindow = seen["window"]
        notes = [w for w in window.statusBar().findChildren(QLabel) if w.accessibleName() == "Data folder notice"]
        seen["notes"] = [note.text() for note in notes]
        seen["titles"] = window.sidebar.titles()
        seen["shown"] = [r.text for r in window.chat.model.rows()]
        window.quit_action.trigger()  # not the shortcut: an earlier test's window may still be the active one
        code = await asyncio.wait_for(window_task, 10)
        window.deleteLater()
        return code

    with read_only_view(folder, tmp_path / "read-only") as view:
        assert run(qloop, drive(view)) == 0
    assert seen["notes"] == [
        f"The data folder {view} is read-only: chats can be read and exported, "
        "but nothing can be saved until it is writable again."
    ]
    assert seen["titles"] == ["Kept chat"]
    assert seen["shown"] == ["readable still"], "the last chat reopens and reads"
