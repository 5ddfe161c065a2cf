"""Nothing ends the window silently: ids are 64-bit in every signal; unexpected errors are logged and shown."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import logging
import pkgutil
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMetaMethod, QObject, QTimer

import desktop_chat.ui
from desktop_chat.core.paths import log_path
from desktop_chat.ui.app.launch import run_window
from desktop_chat.ui.window.main_window import MainWindow
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.waiting import run, until
from tests.helpers.window import data_dir
from tests.helpers.workspace import prepare_profile

# The only int argument that is not an id: a row count.
NOT_IDS = {
    ("MessageListModel", "loadedOlder", 0),
    # counts of messages indexed for recall (done, total), not ids
    ("WorkspaceBridge", "indexingProgress", 0),
    ("WorkspaceBridge", "indexingProgress", 1),
}


def _window_signals() -> list[tuple[str, str, list[str]]]:
    found = []
    for info in pkgutil.walk_packages(desktop_chat.ui.__path__, "desktop_chat.ui."):
        module = importlib.import_module(info.name)
        for cls in vars(module).values():
            if not (inspect.isclass(cls) and issubclass(cls, QObject) and cls.__module__ == module.__name__):
                continue
            meta = cls.staticMetaObject  # type: ignore[attr-defined]
            for i in range(meta.methodOffset(), meta.methodCount()):
                method = meta.method(i)
                if method.methodType() == QMetaMethod.MethodType.Signal:
                    types = [bytes(t.data()).decode() for t in method.parameterTypes()]
                    found.append((cls.__name__, bytes(method.name().data()).decode(), types))
    return found


def test_every_id_a_signal_carries_is_64_bit() -> None:
    signals = _window_signals()
    assert any(name == "busyChanged" for _, name, _ in signals)  # the scan sees the bridge
    narrow = [
        (cls, name, i)
        for cls, name, types in signals
        for i, kind in enumerate(types)
        if kind == "int" and (cls, name, i) not in NOT_IDS
    ]
    assert narrow == []


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_or_a_loop_callback_is_logged_and_shown_in_one_line(
    qloop: asyncio.AbstractEventLoop, tmp_path: Path, fake_openai: FakeOpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    folder = data_dir(tmp_path)
    prepare_profile(folder, fake_openai)
    seen: dict[str, Any] = {}

    def broken_slot() -> None:
        raise ValueError("a bug in a slot")

    def broken_callback() -> None:
        raise KeyError("a bug in a loop callback")

    async def drive() -> int:
        task = asyncio.ensure_future(run_window(folder, on_ready=lambda w: seen.setdefault("window", w)))
        await until(lambda: "window" in seen, seconds=20, what="the workspace")
        window: MainWindow = seen["window"]
        status = window.statusBar()
        QTimer.singleShot(0, broken_slot)
        await until(lambda: "ValueError" in status.currentMessage(), what="the slot's notice")
        seen["slot"] = status.currentMessage()
        asyncio.get_running_loop().call_soon(broken_callback)  # only the loop's exception handler sees it
        await until(lambda: "KeyError" in status.currentMessage(), what="the callback's notice")
        seen["alive"] = window.isVisible()
        window.close()
        code = await asyncio.wait_for(task, 10)
        window.deleteLater()
        return code

    with caplog.at_level(logging.ERROR):
        assert run(qloop, drive()) == 0
    assert seen["alive"]
    notice = seen["slot"]
    assert "\n" not in notice and "Traceback" not in notice
    assert str(log_path(folder)) in notice
    logged = [r for r in caplog.records if r.exc_info is not None]
    assert [r.exc_info[0] for r in logged if r.exc_info] == [ValueError, KeyError]
    assert "broken_slot" in caplog.text and "broken_callback" in caplog.text
