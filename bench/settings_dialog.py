"""The settings dialog: time to open it, and the longest GUI stall while the model list is fetched.

    .venv/bin/python -m bench.settings_dialog [--runs 20]

A real window on a temporary data folder (a chat of 200 messages, so the Memory
page's preview has work to do) and the project's fake OpenAI server. "Open" is
building the dialog, ``open()`` and the first paint of its page (a ``grab``);
"reopen" shows the kept dialog again. The stall is the longest gap between
ticks of a 5 ms timer on the GUI thread while "Fetch list" asks the server for
its models. Qt's offscreen platform unless QT_QPA_PLATFORM says otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any


class StallMeter:
    """The longest gap between ticks of a 5 ms timer on the GUI thread, from now until ``stop()``."""

    def __init__(self, timer_class: Any) -> None:
        self.gaps: list[float] = []
        self.last = time.perf_counter()
        self.timer = timer_class()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    def tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self.last) * 1000)
        self.last = now

    def stop(self) -> float:
        self.timer.stop()
        return max(self.gaps, default=0.0)


def main() -> None:  # noqa: PLR0915 - one linear script: set up, measure, print
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    import qasync
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from desktop_chat.core.models import Role
    from desktop_chat.core.secrets import MemorySecretStore
    from desktop_chat.core.services import SecretAccess, client_factory
    from desktop_chat.core.storage.store import Store
    from desktop_chat.core.workspace import Workspace
    from desktop_chat.ui.settings.dialog import open_settings
    from desktop_chat.ui.window.main_window import MainWindow
    from tests.helpers.controller import settings_for
    from tests.helpers.fake_openai import FakeOpenAIServer

    app = QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    server = FakeOpenAIServer().start()
    folder = Path(tempfile.mkdtemp(prefix="bench-settings-"))
    store = Store.open(folder / "data")
    settings = settings_for(server)
    store.settings.set("profiles", settings.profiles)
    store.settings.save(settings)
    chat = store.sessions.create("Long chat")
    for i in range(200):
        store.messages.append(chat.id, Role.USER if i % 2 == 0 else Role.ASSISTANT, f"Message {i} " * 20)
    access = SecretAccess(MemorySecretStore)
    workspace = Workspace(store, client_factory(access, environ={}), secrets=access)
    window = MainWindow(QSettings(str(folder / "window.ini"), QSettings.Format.IniFormat))
    window.show()
    window.attach(workspace)

    async def measure() -> dict[str, list[float]]:
        await asyncio.sleep(0.5)
        figures: dict[str, list[float]] = {"open": [], "reopen": [], "stall": [], "fetch": []}
        for _ in range(args.runs):
            window.settings_dialog = None
            began = time.perf_counter()
            dialog: Any = open_settings(window, workspace, "memory")
            dialog.grab()
            figures["open"].append((time.perf_counter() - began) * 1000)
            dialog.reject()
            began = time.perf_counter()
            open_settings(window, workspace, "memory")
            dialog.grab()
            figures["reopen"].append((time.perf_counter() - began) * 1000)
            dialog.show_page("providers")
            await asyncio.sleep(0.05)
            meter = StallMeter(QTimer)
            began = time.perf_counter()
            await dialog.providers.test_connection(fill_only=True)
            figures["fetch"].append((time.perf_counter() - began) * 1000)
            figures["stall"].append(meter.stop())
            dialog.reject()
            await asyncio.sleep(0.05)
        await window.shutdown()
        return figures

    figures = loop.run_until_complete(measure())
    server.close()
    store.close()
    for name, label in (
        ("open", "open (build + first paint), ms"),
        ("reopen", "reopen, ms"),
        ("fetch", "model list fetch, ms"),
        ("stall", "longest GUI stall during the fetch, ms"),
    ):
        values = figures[name]
        later = values[1:] or values
        print(
            f"{label:42} first {values[0]:7.1f}   median {statistics.median(values):7.1f}   "
            f"max after the first {max(later):7.1f}"
        )


if __name__ == "__main__":
    main()
