"""The first look: the reopened chat and a working composer before the core has loaded, then the real chat."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from desktop_chat.core.models import MessageStatus, Role
from desktop_chat.core.paths import window_settings_path
from desktop_chat.core.storage.store import Store
from desktop_chat.ui.app.launch import run_window
from desktop_chat.ui.window.main_window import MainWindow
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.waiting import run, until
from tests.helpers.window import data_dir
from tests.helpers.workspace import prepare_profile

ROOT = Path(__file__).resolve().parents[2]


def _two_chats(folder: Path) -> int:
    """An older chat the user had open last time, with a question and an answer, and a newer chat."""
    store = Store.open(folder)
    try:
        older = store.sessions.create("Garden plans")
        store.messages.append(older.id, Role.USER, "When do I plant tulips?")
        store.messages.append(older.id, Role.ASSISTANT, "In **autumn**, before the ground freezes.", model="fake-gpt")
        newer = store.sessions.create("Something else")
        store.messages.append(newer.id, Role.USER, "not this one")
    finally:
        store.close()
    QSettings(str(window_settings_path(folder)), QSettings.Format.IniFormat).setValue("last_session", older.id)
    return older.id


def test_the_first_look_shows_the_last_chat_and_a_message_sent_from_it_goes_once_the_workspace_is_there(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    folder = data_dir(tmp_path)
    prepare_profile(folder, fake_openai)
    older = _two_chats(folder)
    fake_openai.reply("Late March works too, in cold regions.")
    seen: dict[str, Any] = {}

    def first_look(window: MainWindow) -> None:  # painted, the workspace not there yet
        look = window.first_look
        assert look is not None and window.workspace is None
        seen["title"] = window.windowTitle()
        seen["focus"] = window.focusWidget() is window.composer.edit
        seen["rows"] = [(m.role, m.text) for m in look.glance.messages]
        seen["shown"] = look.chat.isVisible() and look.chat.rows.isVisible()
        seen["composer"] = window.composer
        QTest.keyClicks(window.composer.edit, "And crocuses?")
        QTest.keyClick(window.composer.edit, Qt.Key.Key_Return)  # before the workspace: sent once it is there
        seen["kept"] = window.composer.text()

    async def drive() -> int:
        task = asyncio.ensure_future(
            run_window(folder, on_painted=first_look, on_ready=lambda w: seen.setdefault("window", w))
        )
        await until(lambda: "window" in seen, seconds=30, what="the workspace")
        window: MainWindow = seen["window"]
        await until(
            lambda: len(window.chat.model.rows()) == 4, seconds=15, what="the reply to the first look's message"
        )
        await until(lambda: not window.composer.busy, seconds=15, what="the reply's end")
        seen["after"] = [r.text for r in window.chat.model.rows()]
        seen["same_composer"] = window.composer is seen["composer"]
        seen["look_gone"] = window.first_look is None and window.chat.isVisible()
        seen["current"] = window.current_id
        window.quit_action.trigger()
        code = await asyncio.wait_for(task, 10)
        window.deleteLater()
        return code

    assert run(qloop, drive(), timeout=60) == 0
    assert seen["title"].endswith("Garden plans")
    assert seen["focus"], "the composer has the keyboard focus in the first look"
    assert seen["rows"] == [
        ("user", "When do I plant tulips?"),
        ("assistant", "In **autumn**, before the ground freezes."),
    ]
    assert seen["shown"]
    assert seen["kept"] == "And crocuses?"  # nothing to send it with yet: kept, not lost
    assert seen["same_composer"] and seen["look_gone"] and seen["current"] == older
    assert seen["after"] == [
        "When do I plant tulips?",
        "In **autumn**, before the ground freezes.",
        "And crocuses?",
        "Late March works too, in cold regions.",
    ]
    assert len(fake_openai.chat_requests) == 1  # sent once


CHILD = r"""
import json, sys, threading
from pathlib import Path
import desktop_chat.ui.app.launch as launch
from desktop_chat.ui.window.main_window import MainWindow

seen = {"ticks": 0, "importers": {}}
show = launch.paint_first_look


class Importers:
    # Which thread imports each module (finds nothing itself: the usual finders do).

    def find_spec(self, name, path=None, target=None):
        seen["importers"].setdefault(name, threading.current_thread().name)
        return None


sys.meta_path.insert(0, Importers())
build_panes = MainWindow.build_panes


def counted_build_panes(window):
    seen.setdefault("ticks_before_panes", seen["ticks"])
    build_panes(window)


MainWindow.build_panes = counted_build_panes


def tick():
    seen["ticks"] += 1

def first_look(window, folder, **kwargs):
    show(window, folder, **kwargs)
    if sys.argv[2:] == ["close"]:  # the user closes the window at once
        window.close()
        return
    look = window.first_look
    seen["painted"] = look is not None and look.chat.rows.painted
    seen["title"] = window.windowTitle()
    seen["focus"] = window.focusWidget() is window.composer.edit
    watched = ("asyncio", "qasync", "markdown_it")
    seen["loaded"] = sorted(m for m in list(sys.modules) if m.startswith("desktop_chat") or m in watched)
    from PySide6.QtCore import QTimer

    timer = QTimer(window)  # the window answers while the core and the panes' modules load
    timer.setInterval(10)
    timer.timeout.connect(tick)
    timer.start()

def ready(window):
    seen["ready_title"] = window.windowTitle()
    seen["rows"] = [r.text for r in window.chat.model.rows()]
    from desktop_chat.ui.app.preload import PANE_MODULES
    watched = (*PANE_MODULES, "qasync", "desktop_chat.core.workspace")
    seen["off_the_gui_thread"] = {m: seen["importers"].get(m) for m in watched}
    # Workers still import while this runs (their finder writes to "importers"): report the rest.
    print(json.dumps({k: v for k, v in seen.items() if k != "importers"}), flush=True)
    if sys.argv[2:] != ["close"]:  # closing: only the user's close during the first look may end it
        window.close()

launch.paint_first_look = first_look
sys.exit(launch.run_gui(Path(sys.argv[1]), on_ready=ready))
"""

# What the first look does without: the core's models, events and workspace, the chat's own model and
# delegate, markdown-it, and the event loop.
NOT_IN_THE_FIRST_LOOK = (
    "asyncio",
    "qasync",
    "markdown_it",
    "desktop_chat.core.models",
    "desktop_chat.core.events",
    "desktop_chat.core.workspace",
    "desktop_chat.core.storage.store",
    "desktop_chat.ui.chat.chat_view",
    "desktop_chat.ui.chat.message_model",
    "desktop_chat.ui.sidebar.sidebar",
)


def test_the_first_look_is_painted_before_the_core_or_the_event_loop_loads(tmp_path: Path) -> None:
    """Its own process, started as the app starts: the test process has imported everything long ago."""
    folder = data_dir(tmp_path)
    _two_chats(folder)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder)], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["painted"], "the first look was painted"
    assert seen["title"].endswith("Garden plans") and seen["focus"]
    assert [m for m in NOT_IN_THE_FIRST_LOOK if m in seen["loaded"]] == []
    assert seen["ready_title"] == seen["title"]
    assert seen["rows"] == ["When do I plant tulips?", "In **autumn**, before the ground freezes."]
    # The event loop, the core and the panes' modules load on the preload thread while the GUI thread answers
    # (its timer ran); the GUI thread then only makes the widgets.
    assert set(seen["off_the_gui_thread"].values()) == {"preload"}, seen["off_the_gui_thread"]
    assert seen["ticks_before_panes"] > 0


def test_the_first_look_is_drawn_in_the_saved_theme_and_conversation_font_size(qtbot: Any, tmp_path: Path) -> None:
    from desktop_chat.ui.app.launch import paint_first_look
    from desktop_chat.ui.app.theme import apply_theme, is_dark

    folder = data_dir(tmp_path)
    _two_chats(folder)
    store = Store.open(folder)
    store.settings.set("theme", "dark")
    store.settings.set("conversation_font_size", 17)
    store.close()
    window = MainWindow(QSettings(str(window_settings_path(folder)), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    try:
        paint_first_look(window, folder)
        look = window.first_look
        assert look is not None and look.chat.rows.painted
        assert is_dark(look.chat.rows.palette()), "a dark theme from the first look on"
        assert look.chat.rows.font().pointSize() == 17
        assert window.windowTitle().endswith("Garden plans")
    finally:
        apply_theme("system")  # the palette is the application's: leave it as the other tests expect


def test_a_title_with_markup_is_shown_as_written(qtbot: Any, tmp_path: Path) -> None:
    """A title comes from a model, a first message or an import: markup in it is text (an image tag in it
    made Qt read that file before the window showed)."""
    from desktop_chat.ui.app.launch import paint_first_look

    folder = data_dir(tmp_path)
    store = Store.open(folder)
    title = "Why is <b>bold</b> deprecated? <img src='missing.png'>"
    store.messages.append(store.sessions.create(title).id, Role.USER, "hello")
    store.close()
    window = MainWindow(QSettings(str(window_settings_path(folder)), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    paint_first_look(window, folder)
    look = window.first_look
    assert look is not None and look.chat.rows.painted
    assert look.chat.title.text() == title
    assert look.chat.title.textFormat() == Qt.TextFormat.PlainText


def test_a_window_closed_during_the_first_look_closes(tmp_path: Path) -> None:
    folder = data_dir(tmp_path)
    _two_chats(folder)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder), "close"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,  # before, the close was lost and the window stayed
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]


REPLIES = [
    "Plain words, then *emphasis*, `code` and a [link](https://example.com).\n\nA second paragraph.",
    "Steps:\n\n1. dig\n2. plant\n3. water\n\nDone.",
    "- one\n- two with **bold**\n\nAfter the list.",
    "Use this:\n\n```python\nprint('hi')\nx = 1\n```\n\nThen run it.",
    "# A heading\n\nSome text.\n\n> a quote",
    "Raw <b>html</b> and <span style='font-size:200px'>big</span> stay text.",
    "x" * 1_000,
]


def test_the_chat_takes_the_first_looks_place_without_its_rows_changing_height(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    folder = data_dir(tmp_path)
    store = Store.open(folder)
    try:
        chat = store.sessions.create("Shapes of replies")
        for reply in REPLIES:
            store.messages.append(chat.id, Role.USER, f"Show me <i>{len(reply)}</i>\nplease")
            store.messages.append(chat.id, Role.ASSISTANT, reply, model="fake-gpt")
        failed = store.messages.append(chat.id, Role.ASSISTANT, "Half a rep", model="fake-gpt")
        store.messages.finish(failed.id, status=MessageStatus.FAILED, error="The server did not answer in 60 s.")
    finally:
        store.close()
    seen: dict[str, Any] = {}

    def first_look(window: MainWindow) -> None:
        window.resize(1280, 2400)  # tall: every row shows in both
        look = window.first_look
        assert look is not None
        QApplication.processEvents()
        seen["first"] = look.chat.rows.row_heights()

    async def drive() -> int:
        task = asyncio.ensure_future(
            run_window(folder, on_painted=first_look, on_ready=lambda w: seen.setdefault("window", w))
        )
        await until(lambda: "window" in seen, seconds=30, what="the workspace")
        window: MainWindow = seen["window"]
        await until(lambda: window.chat.model.rowCount() >= len(seen["first"]), seconds=10, what="the rows")
        view, model = window.chat.list, window.chat.model
        newest_first = range(model.rowCount() - 1, model.rowCount() - 1 - len(seen["first"]), -1)
        seen["chat"] = [view.visualRect(model.index(i)).height() for i in newest_first]
        window.quit_action.trigger()
        code = await asyncio.wait_for(task, 10)
        window.deleteLater()
        return code

    assert run(qloop, drive(), timeout=60) == 0
    assert len(seen["first"]) == 2 * len(REPLIES) + 1
    assert seen["first"] == seen["chat"], str((seen["first"], seen["chat"]))


STRAY_QOBJECTS = r"""
import gc, json, threading
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication

app = QApplication([])
from desktop_chat.ui.app.preload import import_core_modules

worker = threading.Thread(target=import_core_modules, name="preload")
worker.start()
worker.join()
strays = {type(o).__qualname__ for o in gc.get_objects() if isinstance(o, QObject) and o.thread() is not app.thread()}
print(json.dumps(sorted(strays)))
"""


def test_nothing_the_start_imports_on_its_worker_makes_a_qobject_there(tmp_path: Path) -> None:
    """A QObject made when its module is imported belongs to the importing thread; the start imports the core and
    the panes' modules on a worker, so such an object would be unusable by the window (the wheel guard was one)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", STRAY_QOBJECTS], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == []
