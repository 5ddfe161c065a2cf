"""The window on a workspace as the app builds it: settings stored in the database, a client factory, a secret store.

Fixture ``open_app`` (registered by ``tests/ui/conftest.py``). The window tests' ``open_window`` fixes the
settings in memory; the settings dialog needs them stored, and a real client factory (keys from a secret
store, the profile's reply settings) instead of one prepared client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from desktop_chat.core.events import Event, SettingsChanged
from desktop_chat.core.providers.local.builtin import LocalModels
from desktop_chat.core.secrets import MemorySecretStore, SecretStore
from desktop_chat.core.services import SecretAccess, client_factory
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.store import Store
from desktop_chat.core.workspace import Workspace
from desktop_chat.ui.settings.dialog import SettingsDialog, open_settings
from desktop_chat.ui.window.main_window import MainWindow
from tests.helpers.controller import save_settings
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.waiting import run
from tests.helpers.window import data_dir, ui_settings

T = TypeVar("T")


@dataclass
class App:
    window: MainWindow
    workspace: Workspace
    store: Store
    loop: asyncio.AbstractEventLoop
    server: FakeOpenAIServer
    folder: Path
    secrets: SecretStore
    events: list[Event] = field(default_factory=list)

    def run(self, coro: Awaitable[T], timeout: float = 30.0) -> T:
        return run(self.loop, coro, timeout)

    def settle(self, seconds: float = 0.2) -> None:
        self.run(asyncio.sleep(seconds))

    def settings_dialog(self, page: str | None = None) -> SettingsDialog:
        dialog = open_settings(self.window, self.workspace, page)
        assert dialog is not None and dialog.isVisible()
        return dialog

    @property
    def settings_events(self) -> list[SettingsChanged]:
        return [e for e in self.events if isinstance(e, SettingsChanged)]

    def saved_settings(self) -> Settings:
        """What the database holds, read afresh."""
        return self.store.settings.load()


def store_settings(folder: Path, settings: Settings) -> None:
    store = Store.open(folder)
    try:
        save_settings(store, settings)
    finally:
        store.close()


@pytest.fixture
def open_app(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, tmp_path: Path, fake_openai: FakeOpenAIServer
) -> Iterator[Callable[..., App]]:
    """Open the window on tmp_path's data folder with ``settings`` stored there (default: the fake server's)."""
    opened: list[App] = []

    def open_(
        settings: Settings | None = None,
        *,
        secrets: SecretStore | None = None,
        show: bool = True,
        prepare: Callable[[Store], Any] | None = None,
        access: SecretAccess | None = None,
    ) -> App:
        folder = data_dir(tmp_path)
        store_settings(folder, settings or ui_settings(fake_openai))
        store = Store.open(folder)
        if prepare is not None:
            prepare(store)
        secret_store = secrets if secrets is not None else MemorySecretStore()
        access = access or SecretAccess(lambda: secret_store)  # given: the real keyring resolution, a key file
        local = LocalModels()  # the built-in profile works as in the app (started only when used)
        workspace = Workspace(store, client_factory(access, environ={}, local=local), secrets=access, local=local)
        window = MainWindow(QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat))
        if show:
            window.show()
            window.activateWindow()
            assert QTest.qWaitForWindowActive(window), "the window did not become active"
        app = App(window, workspace, store, qloop, fake_openai, folder, secret_store)
        workspace.subscribe(app.events.append)
        window.attach(workspace)
        opened.append(app)
        return app

    yield open_
    for app in opened:
        tasks: list[asyncio.Future[Any]] = [*app.window.tasks.pending()]
        for dialog in (app.window.settings_dialog, app.window.welcome):
            if dialog is not None:
                tasks.extend(dialog.pending())
                dialog.reject()
        if tasks:  # connection checks end on their own within seconds: let them, rather than cut them off
            run(qloop, asyncio.wait(tasks, timeout=10))
        if not app.window._may_close:
            run(qloop, app.window.shutdown())
        app.window.deleteLater()
        app.store.close()
    # Deleted now, before the theme's reset below, which they would restyle for (their cycles' Python side is
    # collected on this thread once the test ends: tests/helpers/qt_garbage.py).
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    opened.clear()
    QGuiApplication.styleHints().setColorScheme(Qt.ColorScheme.Unknown)  # a test's theme must not outlive it
