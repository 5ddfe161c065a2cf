"""The main window on a real store, with the fake server behind the workspace; a qasync loop (pytest-qt has none).

Fixtures ``qloop`` and ``open_window`` (registered by ``tests/ui/conftest.py``).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop_chat.core.models import Strategy
from desktop_chat.core.services import ClientFactory
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.store import Store
from desktop_chat.core.workspace import Workspace
from desktop_chat.ui.window.main_window import MainWindow
from tests.helpers.controller import make_factory, save_settings, settings_for
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.waiting import explain_timeouts_with, run

T = TypeVar("T")


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    """An asyncio loop running on Qt's event loop, as the app runs (qasync)."""
    import qasync

    from desktop_chat.ui.app.main_thread_gc import MainThreadGarbageCollector

    qapp.setQuitOnLastWindowClosed(False)  # as the app: closing the window must not stop the loop
    collector = MainThreadGarbageCollector()  # as the app: no collection on worker threads
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        collector.stop()  # automatic collection stays off: tests/helpers/qt_garbage.py collects once pytest lets go
        gc.collect()  # the test's garbage while the loop is still open, for finalizers that use it
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        asyncio.set_event_loop(None)


def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def ui_settings(server: FakeOpenAIServer, **overrides: Any) -> Settings:
    return settings_for(server, **{"default_strategy": Strategy.FULL, **overrides})


def make_workspace(store: Store, settings: Settings, factory: ClientFactory | None = None) -> Workspace:
    """A workspace reading ``settings`` from the database, as the app's does (stored here first)."""
    save_settings(store, settings)
    return Workspace(store, factory or make_factory())


@dataclass
class Harness:
    window: MainWindow
    workspace: Workspace
    store: Store
    loop: asyncio.AbstractEventLoop
    server: FakeOpenAIServer
    folder: Path

    @property
    def chat_id(self) -> int:
        """The open chat's id (the window always has one once attached)."""
        assert self.window.current_id is not None
        return self.window.current_id

    def run(self, coro: Awaitable[T], timeout: float = 30.0) -> T:
        return run(self.loop, coro, timeout)


@pytest.fixture
def open_window(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, tmp_path: Path, fake_openai: FakeOpenAIServer
) -> Iterator[Callable[..., Harness]]:
    """Open the window on the data folder in tmp_path (prepare it first with ``store``)."""
    opened: list[Harness] = []

    def open_(settings: Settings | None = None, *, show: bool = True, factory: ClientFactory | None = None) -> Harness:
        store = Store.open(data_dir(tmp_path))
        workspace = make_workspace(store, settings or ui_settings(fake_openai), factory)
        window = MainWindow(QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat))
        # Not qtbot.addWidget: pytest-qt would delete the window before it has shut down.
        if show:
            window.show()
            window.activateWindow()
            assert QTest.qWaitForWindowActive(window), "the window did not become active"
        window.attach(workspace)
        harness = Harness(window, workspace, store, qloop, fake_openai, data_dir(tmp_path))
        opened.append(harness)
        explain_timeouts_with(
            lambda: f"rows: {[(r.key, r.text, str(r.status), r.error) for r in window.chat.model.rows()]}"
        )
        return harness

    yield open_
    for harness in opened:
        if not harness.window._may_close:
            run(qloop, harness.window.shutdown())
        harness.window.deleteLater()
        harness.store.close()
    explain_timeouts_with()  # its lambda held the window (and its unparented QObjects) past the test
