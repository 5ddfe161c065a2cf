"""The self-test's window check: the real start-up path, offscreen, on a temporary data folder."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from desktop_chat.core.install.self_test import CheckResult, Outcome


def check_window(folder: Path) -> CheckResult:
    """Open the main window as ``desktop-chat`` does, let it load the workspace, close it, and see it exit 0."""
    name = "window"
    # Offscreen: the self-test must work over SSH and in CI, and must not flash a window at the user.
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QMessageLogContext, QTimer, QtMsgType, qInstallMessageHandler

    from desktop_chat.ui.app.launch import run_gui

    def quiet(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        # The offscreen platform warns that it cannot size real window frames: true, and beside the point.
        if "does not support propagateSizeHints" not in message:
            print(message, file=sys.stderr)

    seen: dict[str, Any] = {}
    started = time.monotonic()

    def on_ready(window: Any) -> None:
        seen["ready_s"] = time.monotonic() - started
        seen["painted"] = window.painted
        seen["composer"] = window.composer.isEnabled()
        seen["chats"] = len(window.sidebar.titles())
        seen["icon"] = not window.windowIcon().isNull()
        QTimer.singleShot(0, window.close)

    previous = qInstallMessageHandler(quiet)
    try:
        code = run_gui(folder, on_ready=on_ready)
    finally:
        qInstallMessageHandler(previous)
    if "ready_s" not in seen:
        return CheckResult(name, Outcome.FAIL, f"the window never finished loading (exit code {code})")
    if code != 0:
        return CheckResult(name, Outcome.FAIL, f"the window closed with exit code {code}")
    if not (seen["painted"] and seen["composer"] and seen["chats"]):
        return CheckResult(name, Outcome.FAIL, "the window did not paint, list the new chat or enable typing")
    if not seen["icon"]:
        return CheckResult(name, Outcome.FAIL, "the window has no icon (resources/icons/app is missing or unreadable)")
    return CheckResult(
        name, Outcome.OK, f"opened offscreen, loaded a new data folder in {seen['ready_s']:.1f} s, closed cleanly"
    )
