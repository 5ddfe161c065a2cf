"""Start the window: check for a display, paint first, then build the workspace; close cleanly.

Order matters for start-up time: Qt and the window come first (a bare window
paints in ~0.15 s); the workspace (SQLite, tiktoken, and later openai and the
keyring) is built after the first paint, with the heavy imports on a worker
thread so the window stays responsive.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_chat.core.logs import setup_logging
from desktop_chat.core.paths import log_path

if TYPE_CHECKING:
    from desktop_chat.core.workspace import Workspace

NO_DISPLAY = "Desktop Chat needs a display (set DISPLAY or use the command line: desktop-chat --help)"


def display_available(environ: dict[str, str] | None = None) -> bool:
    """Whether Qt can open a window; Qt itself aborts the process when it cannot."""
    env = os.environ if environ is None else environ
    platform = env.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith(("xcb", "wayland")):
        return True  # offscreen, minimal, vnc, eglfs...: Qt needs no display server for these
    if sys.platform in ("win32", "darwin"):
        return True
    if env.get("WAYLAND_DISPLAY") and not platform.startswith("xcb"):
        return True
    return _x11_reachable(env.get("DISPLAY", ""))


def _x11_reachable(display: str) -> bool:  # noqa: PLR0911 - one answer per way of reaching X
    if not display:
        return False
    host, _, rest = display.rpartition(":")
    number = rest.split(".", 1)[0]
    if not number.isdigit():
        return False
    if host in ("", "unix"):
        if Path(f"/tmp/.X11-unix/X{number}").exists():  # noqa: S108 - X11's fixed socket path, only read
            return True
        # Abstract sockets (no file) are still reachable: try to connect.
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(0.5)
            try:
                sock.connect(f"\0/tmp/.X11-unix/X{number}")
            except OSError:
                return False
            return True
    try:
        with socket.create_connection((host, 6000 + int(number)), timeout=0.5):
            return True
    except OSError:
        return False


def _import_heavy() -> None:
    # Imported on a worker thread while the window is already painted: bootstrap pulls in
    # openai, keyring and tiktoken (about half a second).
    import desktop_chat.core.bootstrap  # noqa: F401


async def _build_workspace(folder: Path) -> Workspace:
    await asyncio.to_thread(_import_heavy)
    from desktop_chat.core.bootstrap import open_workspace

    # Built on the loop's thread: the database connection belongs to it.
    return open_workspace(folder)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def run_window(folder: Path, *, on_ready: Any = None) -> int:
    """The whole life of the window inside a running qasync loop; returns the exit code."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication, QMessageBox

    from desktop_chat.core.errors import DesktopChatError
    from desktop_chat.ui.main_window import MainWindow

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)  # the coroutine decides when the loop ends, after cleanup
    loop = asyncio.get_running_loop()
    painted: asyncio.Future[None] = loop.create_future()
    closing: asyncio.Future[None] = loop.create_future()
    window = MainWindow(QSettings(str(folder / "window.ini"), QSettings.Format.IniFormat))
    window.firstPainted.connect(lambda: _resolve(painted))
    window.closeRequested.connect(lambda: _resolve(closing))
    window.show()
    window.activateWindow()
    await painted
    try:
        workspace = await _build_workspace(folder)
    except DesktopChatError as exc:
        box = QMessageBox(QMessageBox.Icon.Critical, "Desktop Chat", str(exc), parent=window)
        box.finished.connect(lambda _result: _resolve(closing))
        box.open()
        await closing
        window._may_close = True
        window.close()
        return 1
    window.attach(workspace, plan=False)
    # The encodings load in a worker thread; the first "next request" summary follows.
    with contextlib.suppress(DesktopChatError):
        await workspace.warm_up()
    window.refresh_plan()
    if on_ready is not None:
        on_ready(window)
    await closing
    await window.shutdown()
    return 0


def run_gui(folder: Path) -> int:
    if not display_available():
        print(NO_DISPLAY, file=sys.stderr)
        return 1
    setup_logging(log_path(folder))
    import qasync
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Desktop Chat")
    QGuiApplication.setDesktopFileName("desktop-chat")
    try:
        return int(qasync.run(run_window(folder)))
    except KeyboardInterrupt:
        return 130
