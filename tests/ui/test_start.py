"""Start-up: the last chat reopens, an empty folder opens, a database being updated shows its progress,
and what the first screen does not need (openai, the embedding model) waits until something needs it."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSettings, Qt
from PySide6.QtWidgets import QLabel

from desktop_chat.core.models import Role
from desktop_chat.core.paths import database_path, window_settings_path
from desktop_chat.core.storage.migrations import MIGRATIONS
from desktop_chat.core.storage.store import Store
from desktop_chat.ui.app.launch import run_window
from desktop_chat.ui.window.main_window import MainWindow
from tests.helpers.db_lock import LockHolder, StallMeter
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.waiting import run, until
from tests.helpers.window import data_dir
from tests.helpers.workspace import prepare_profile

ROOT = Path(__file__).resolve().parents[2]
# Seconds. A migration on the GUI thread would freeze it for the whole 1.5 s the lock is held; the 50 ms aim
# is a figure for bench/window_stalls.py (a loaded machine misses it for want of CPU alone).
STALL = 0.25


async def _open(folder: Path, seen: dict[str, Any]) -> tuple[asyncio.Future[int], MainWindow]:
    task = asyncio.ensure_future(run_window(folder, on_ready=lambda w: seen.setdefault("window", w)))
    await until(lambda: "window" in seen, seconds=30, what="the workspace")
    return task, seen["window"]


async def _quit(task: asyncio.Future[int], window: MainWindow) -> int:
    window.quit_action.trigger()
    code = await asyncio.wait_for(task, 10)
    window.deleteLater()
    return code


def test_the_last_chat_reopens_with_the_composer_focused(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    folder = data_dir(tmp_path)
    prepare_profile(folder, fake_openai)
    store = Store.open(folder)
    try:
        older = store.sessions.create("An older chat")
        store.messages.append(older.id, Role.USER, "from before")
        store.sessions.create("The newest chat")
    finally:
        store.close()
    # The user had the older chat open last time.
    QSettings(str(window_settings_path(folder)), QSettings.Format.IniFormat).setValue("last_session", older.id)
    seen: dict[str, Any] = {}

    async def drive() -> int:
        task, window = await _open(folder, seen)
        seen["title"] = window.windowTitle()
        seen["focus"] = window.focusWidget() is window.composer.edit
        seen["shown"] = [r.text for r in window.chat.model.rows()]
        return await _quit(task, window)

    assert run(qloop, drive()) == 0
    assert seen["title"].endswith("An older chat")
    assert seen["focus"], "the composer has the keyboard focus"
    assert seen["shown"] == ["from before"]


def test_an_empty_data_folder_opens_on_a_new_chat(qloop: asyncio.AbstractEventLoop, tmp_path: Path) -> None:
    folder = tmp_path / "never-used"
    seen: dict[str, Any] = {}

    async def drive() -> int:
        task, window = await _open(folder, seen)
        seen["focus"] = window.focusWidget() is window.composer.edit
        seen["rows"] = window.chat.model.rowCount()
        return await _quit(task, window)

    assert run(qloop, drive()) == 0
    assert seen["focus"]
    assert seen["rows"] == 0
    assert database_path(folder).exists()


def _before_the_last_migration(folder: Path) -> None:
    """A database as the release before the last migration (017) left it: its tables gone, the schema one lower."""
    store = Store.open(folder)
    try:
        chat = store.sessions.create("Kept through the update")
        store.messages.append(chat.id, Role.USER, "still here after the update")
    finally:
        store.close()
    conn = sqlite3.connect(database_path(folder), isolation_level=None)
    try:
        conn.executescript(
            "DROP TABLE attachment_chunks_fts; DROP TABLE attachment_chunks;"
            "DELETE FROM schema_migrations WHERE name = '017_attachment_chunks';"
            f"PRAGMA user_version = {len(MIGRATIONS) - 1};"
        )
    finally:
        conn.close()


def test_a_database_being_updated_shows_its_progress_and_the_window_stays_responsive(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    folder = data_dir(tmp_path)
    _before_the_last_migration(folder)
    # Another program holds the write lock for a while: the update waits for it, as a long one would run.
    holder = LockHolder(database_path(folder)).hold()
    holder.release_after(1.5)
    seen: dict[str, Any] = {"lines": []}

    class Hidden(QObject):
        """The moment the update's line goes, the meter's reading: the stalls while the update ran."""

        def __init__(self, meter: StallMeter) -> None:
            super().__init__()
            self.meter = meter

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Hide and "worst" not in seen:
                self.meter._tick()  # the gap still open counts too
                seen["worst"] = self.meter.worst
            return False

    async def drive() -> int:
        watcher: Hidden | None = None
        task = asyncio.ensure_future(run_window(folder, on_ready=lambda w: seen.setdefault("window", w)))
        while "window" not in seen and not task.done():
            shown = [w for w in _status_labels() if w.accessibleName() == "Database update"]
            if shown and watcher is None:
                watcher = Hidden(StallMeter().start())  # the update is under way: the loop must keep turning
                shown[0].installEventFilter(watcher)
            seen["lines"] += [w.text() for w in shown if w.text() not in seen["lines"]]
            await asyncio.sleep(0.01)
        assert watcher is not None, "the update's progress was never shown"
        await watcher.meter.stop()
        window: MainWindow = seen["window"]
        seen["left"] = [w.accessibleName() for w in window.statusBar().findChildren(QLabel) if w.isVisible()]
        seen["title"] = window.windowTitle()
        seen["shown"] = [r.text for r in window.chat.model.rows()]
        return await _quit(task, window)

    try:
        assert run(qloop, drive(), timeout=60) == 0
    finally:
        holder.release()
    assert "Updating your chats for this version: step 1 of 1 (attachment chunks)…" in seen["lines"]
    assert seen["worst"] < STALL, f"the window froze {seen['worst'] * 1000:.0f} ms during the update"
    assert "Database update" not in seen["left"], "the progress goes once the update is done"
    assert seen["title"].endswith("Kept through the update")
    assert seen["shown"] == ["still here after the update"]
    conn = sqlite3.connect(database_path(folder))
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    finally:
        conn.close()
    assert list(folder.glob("*.backup.*")) or list(folder.glob("*backup*")), "the file was copied aside first"


def _status_labels() -> list[QLabel]:
    from PySide6.QtWidgets import QApplication

    return [w for w in QApplication.allWidgets() if isinstance(w, QLabel) and w.isVisible()]


CHILD = r"""
import json, sys
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtTest import QTest
from desktop_chat.ui.app.launch import run_gui
from desktop_chat.core.semantic.model import loaded_embedder

seen = {}

def loaded(*names):
    return sorted(n for n in names if n in sys.modules)

def ready(window):
    seen["ready"] = loaded("openai", "numpy")
    QTimer.singleShot(4000, lambda: idle(window))  # past the indexer's delayed first pass

def idle(window):
    seen["idle"] = loaded("openai", "numpy")
    seen["idle_model"] = loaded_embedder() is not None
    QTest.keyClicks(window.composer.edit, "What did we say about the lighthouse keeper?")
    wait(window, 0)

def wait(window, tries):
    if ("openai" in sys.modules and loaded_embedder() is not None) or tries > 300:
        seen["typed"] = loaded("openai", "numpy")
        seen["typed_model"] = loaded_embedder() is not None
        print(json.dumps(seen), flush=True)
        window.close()
        return
    QTimer.singleShot(50, lambda: wait(window, tries + 1))

sys.exit(run_gui(Path(sys.argv[1]), on_ready=ready))
"""


def test_an_idle_window_loads_neither_openai_nor_the_embedding_model_until_a_message_is_typed(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    """Its own process: the test process has loaded both long ago."""
    from desktop_chat.core.bootstrap import open_workspace
    from desktop_chat.core.semantic.model import DIMENSIONS, MODEL_NAME

    folder = data_dir(tmp_path)
    prepare_profile(folder, fake_openai)
    workspace = open_workspace(folder)
    try:  # recall by words and meaning, and a cap small enough that the next request recalls
        workspace.set_setting("default_strategy", "hybrid")
        workspace.set_setting("max_request_tokens", 300)
    finally:
        workspace.close()
    store = Store.open(folder)
    try:
        chat = store.sessions.create("Lighthouse notes")
        for i in range(40):
            text = "The lighthouse keeper retired in May." if i == 3 else f"Note {i} about the harbour."
            store.messages.append(chat.id, Role.USER if i % 2 == 0 else Role.ASSISTANT, text)
        # Every message already has its vector (an indexed history): nothing for the indexer to embed.
        rows = store.embeddings.pending(MODEL_NAME, after_id=0, limit=100)
        store.embeddings.put(MODEL_NAME, [(i, text, bytes(DIMENSIONS)) for i, text in rows])
    finally:
        store.close()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder)], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["ready"] == [] and seen["idle"] == [] and not seen["idle_model"], seen
    assert seen["typed"] == ["numpy", "openai"] and seen["typed_model"], "typing loads both, in the background"


def test_the_last_chats_code_shows_at_once_and_is_coloured_once_the_lexers_are_compiled(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """Compiling a lexer's patterns (Python's: ~50 ms) no longer holds the last chat back: its code shows plain
    while the window starts, and coloured once the start's worker has compiled the lexers."""
    from desktop_chat.ui.chat import render

    folder = data_dir(tmp_path)
    store = Store.open(folder)
    try:
        chat = store.sessions.create("Code")
        store.messages.append(chat.id, Role.USER, "a loop?")
        # Erlang: a lexer no other test colours first and the start's warm-up does not compile.
        store.messages.append(chat.id, Role.ASSISTANT, '```erlang\nloop(N) -> io:format("~p~n", [N]).\n```')
    finally:
        store.close()
    plain_before = render.deferred_blocks()
    seen: dict[str, Any] = {}

    async def drive() -> int:
        task, window = await _open(folder, seen)
        view = window.chat
        reply = view.model.rows()[-1]
        seen["plain"] = render.deferred_blocks() - plain_before
        seen["deferring"] = render.deferring()
        doc, _ = view.delegate.document(reply, 600)
        seen["html"] = doc.toHtml()
        return await _quit(task, window)

    assert run(qloop, drive()) == 0
    assert seen["plain"] >= 1, "the reply's code block was first shown without colours (once per width laid out)"
    assert not seen["deferring"], "the deferral ends with the start's warm-up"
    assert "#19177c" in seen["html"].lower(), "drawn again, coloured (pygments' colour for Erlang's variables)"


def test_the_inspectors_sections_are_made_after_the_chat_and_show_what_came_before(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """The launcher builds the inspector's sections once the last chat shows (``attach(plan=False)``); what
    reached the pane before (the workspace, the open chat) is shown when they are made."""
    from desktop_chat.core.bootstrap import open_workspace
    from desktop_chat.core.models import FactOrigin
    from desktop_chat.ui.inspector.pane import InspectorPane
    from desktop_chat.ui.inspector.section import Section

    folder = data_dir(tmp_path)
    store = Store.open(folder)
    try:
        chat = store.sessions.create("Facts")
        store.messages.append(chat.id, Role.USER, "I live in Lisbon")
        store.facts.add("city", "Lisbon", scope=chat.id, origin=FactOrigin.USER, actor="user")
    finally:
        store.close()
    workspace = open_workspace(folder)
    pane = InspectorPane()
    try:
        pane.attach(workspace)
        pane.set_session(chat.id)
        assert pane.findChildren(Section) == [] and not pane.built, "nothing made before build()"
        pane.build()
        assert [s.title for s in pane.findChildren(Section)] == [
            "Next request", "Costs", "Why this reply", "Facts", "Summary", "Strategy",
        ]  # fmt: skip
        table = pane.facts.table
        assert table.findItems("Lisbon", Qt.MatchFlag.MatchExactly), "the open chat's facts, given before"
    finally:
        pane.deleteLater()
        run(qloop, workspace.aclose())
        workspace.close()
