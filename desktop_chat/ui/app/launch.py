"""Start the window: check for a display, paint first, then build the workspace; close cleanly.

Order matters for start-up time: Qt and the window come first (a bare window
paints in ~0.15 s); the workspace (SQLite, tiktoken, and later openai and the
keyring) is built after the first paint, with the heavy imports on a worker
thread so the window stays responsive.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

    from PySide6.QtWidgets import QWidget

    from desktop_chat.core.workspace import Workspace
    from desktop_chat.ui.app.preload import Preload
    from desktop_chat.ui.window.main_window import MainWindow

NO_DISPLAY = "Desktop Chat needs a display (set DISPLAY or use the command line: desktop-chat --help)"
UNEXPECTED = (
    "Something went wrong inside Desktop Chat ({kind}); your chats are saved. "
    "Details are in {log}; if the window misbehaves, restart it."
)

log = logging.getLogger(__name__)
# The first indexing pass waits this long after the window is ready: its queries and, when there is
# something to embed, the model's load (~1 s of CPU) would compete with the user's first moves.
INDEXING_DELAY_S = 3.0
GUI_SWITCH_INTERVAL_S = 0.001  # see run_gui


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
        import socket  # here: ~4 ms the first paint does not wait for when the socket file is there

        # Abstract sockets (no file) are still reachable: try to connect.
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(0.5)
            try:
                sock.connect(f"\0/tmp/.X11-unix/X{number}")
            except OSError:
                return False
            return True
    import socket

    try:
        with socket.create_connection((host, 6000 + int(number)), timeout=0.5):
            return True
    except OSError:
        return False


def install_error_hooks(
    notify: Callable[[str], None], log_file: Path, loop: asyncio.AbstractEventLoop
) -> Callable[[], None]:
    """Log every exception nothing caught (slots, callbacks, tasks) and tell the user in one line.

    PySide6 hands an exception raised in a slot to ``sys.excepthook``; asyncio hands one
    from a callback or a forgotten task to the loop's exception handler. Both used to
    end up only on stderr, which a desktop user never sees. Returns a function that
    puts the previous hooks back.
    """
    previous_hook = sys.excepthook
    reporting = False

    def report(exc: BaseException, what: str) -> None:
        nonlocal reporting
        log.error("%s", what, exc_info=(type(exc), exc, exc.__traceback__))
        if reporting:
            return  # the notice itself failed: the log has it, do not loop
        reporting = True
        try:
            notify(UNEXPECTED.format(kind=type(exc).__name__, log=log_file))
        except Exception:  # a window half torn down must not turn one error into two
            log.exception("Could not show the error notice")
        finally:
            reporting = False

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            previous_hook(kind, value, tb)
            return
        if value.__traceback__ is None:
            value = value.with_traceback(tb)
        report(value, "Unexpected error in the window")

    def loop_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if not isinstance(exc, Exception):
            log.warning("asyncio: %s", context.get("message", context))
            return
        report(exc, f"Unexpected error in a task: {context.get('message', '')}")

    previous_handler = loop.get_exception_handler()
    sys.excepthook = hook
    loop.set_exception_handler(loop_handler)

    def restore() -> None:
        if sys.excepthook is hook:
            sys.excepthook = previous_hook
        loop.set_exception_handler(previous_handler)

    return restore


async def _build_workspace(folder: Path, preload: Preload, window: MainWindow) -> Workspace:
    await preload.wait()
    from desktop_chat.core.bootstrap import open_workspace, pending_migrations

    steps = pending_migrations(folder)
    if steps:  # an update of the schema can take a while on a big history: shown, not a frozen window
        from desktop_chat.ui.app.migration import migrate_with_progress

        await migrate_with_progress(window, folder, steps)

    # Built on the loop's thread: the database connection belongs to it.
    return open_workspace(folder)


async def _painted(widget: QWidget) -> None:
    """Return once ``widget`` has painted (or after half a second: a hidden window paints nothing)."""
    import asyncio

    from PySide6.QtCore import QEvent, QObject

    done = asyncio.get_running_loop().create_future()

    class Watch(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                _resolve(done)
            return False

    watch = Watch()
    widget.installEventFilter(watch)
    widget.update()
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done, 0.5)
    finally:
        widget.removeEventFilter(watch)


def _show_storage_notice(window: MainWindow, text: str) -> None:
    from PySide6.QtWidgets import QLabel

    notice = QLabel(text)
    notice.setAccessibleName("Data folder notice")
    notice.setWordWrap(True)
    window.statusBar().addPermanentWidget(notice, 1)


def _resolve(future: asyncio.Future[None], *_signal_args: object) -> None:
    """Settle ``future`` once (connected through ``partial``: a signal's own arguments are ignored)."""
    if not future.done():
        future.set_result(None)


def show_window(folder: Path) -> MainWindow:
    """The main window, shown at once and empty; the workspace fills it later."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from desktop_chat.core.paths import window_settings_path
    from desktop_chat.ui.window.main_window import MainWindow

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)  # the coroutine decides when the loop ends, after cleanup
    # Made 0600 before Qt writes it: Qt keeps the mode of the file it replaces.
    window = MainWindow(QSettings(str(window_settings_path(folder)), QSettings.Format.IniFormat))
    window.show()
    window.activateWindow()
    return window


def paint_now(painted: Callable[[], bool], seconds: float = 2.0) -> None:
    """Run Qt's events until ``painted()``, before asyncio and qasync are even imported."""
    import time

    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + seconds
    while not painted() and time.monotonic() < deadline:
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def answer_until(done: Callable[[], bool], seconds: float) -> None:
    """Run Qt's events until ``done()`` (or ``seconds``) while a worker thread works: a nested ``QEventLoop``
    that asks every 5 ms. Waiting for events there lets the worker have Python's lock; a loop of
    ``processEvents`` with a timeout (``paint_now``, when no worker runs) made the preload's imports ~10-80%
    slower."""
    import time

    from PySide6.QtCore import QEventLoop, QTimer

    if done():
        return
    deadline = time.monotonic() + seconds
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(5)

    def ask() -> None:
        if done() or time.monotonic() > deadline:
            loop.quit()

    timer.timeout.connect(ask)
    timer.start()
    loop.exec()
    timer.stop()


def paint_first_look(window: MainWindow, folder: Path, *, paint: bool = True) -> None:
    """The chat the window reopens, read straight from the database (and painted), before the core loads.

    Only a look: whatever goes wrong in it is logged and the window starts without it.
    """
    from desktop_chat.ui.window.first_look import show_first_look

    try:
        look = show_first_look(window, folder)
    except Exception:
        log.exception("The first look failed; the window starts without it")
        return
    if look is not None and paint:
        rows = look.chat.rows
        # A minimised window paints nothing: the start does not wait for it.
        paint_now(lambda: rows.painted or window.isMinimized() or not window.isVisible())


async def run_window(
    folder: Path,
    *,
    window: MainWindow | None = None,
    on_painted: Any = None,
    on_ready: Any = None,
    preload: Preload | None = None,
    long_lived: Callable[[], None] | None = None,
) -> int:
    """The whole life of the window inside a running qasync loop; returns the exit code.

    ``window``: one already shown by ``show_window`` (else it is made here); ``preload``: the core's
    imports, already under way (else started here). ``long_lived()`` is called once the window is
    ready and after each big import: what exists then lives as long as the process (the launcher
    freezes it out of the garbage collector's full passes).
    ``on_painted(window)`` runs after the first paint, ``on_ready(window)`` once the
    workspace is attached (benchmarks and tests hook in here).
    """
    import asyncio

    from desktop_chat.core.paths import log_path

    if window is None:
        window = show_window(folder)
        paint_first_look(window, folder, paint=False)  # the loop paints it
    restore_hooks = install_error_hooks(window.notify, log_path(folder), asyncio.get_running_loop())
    try:
        if preload is None:
            from desktop_chat.ui.app.preload import Preload

            preload = Preload()
        return await _live(folder, window, on_painted, on_ready, preload, long_lived=long_lived)
    finally:
        restore_hooks()


async def _live(
    folder: Path,
    window: MainWindow,
    on_painted: Any,
    on_ready: Any,
    preload: Preload,
    *,
    long_lived: Callable[[], None] | None = None,
) -> int:
    import asyncio

    from PySide6.QtWidgets import QMessageBox

    from desktop_chat.core.errors import DesktopChatError

    loop = asyncio.get_running_loop()
    painted: asyncio.Future[None] = loop.create_future()
    closing: asyncio.Future[None] = loop.create_future()
    window.closeRequested.connect(partial(_resolve, closing))
    if window.close_requested:  # closed while the first look showed: start, then close at once
        _resolve(closing)
    if window.painted:
        _resolve(painted)
    else:
        window.firstPainted.connect(partial(_resolve, painted))
    await painted
    if on_painted is not None:
        on_painted(window)
    window.build_panes()
    try:
        workspace = await _build_workspace(folder, preload, window)
    except DesktopChatError as exc:
        box = QMessageBox(QMessageBox.Icon.Critical, "Desktop Chat", str(exc), parent=window)
        box.finished.connect(partial(_resolve, closing))  # finished(int): the result is ignored
        box.open()
        await closing
        window.allow_close()
        return 1
    from desktop_chat.ui.chat import render

    render.defer_highlighting()  # the last chat shows first, its code coloured once the lexers are compiled
    window.attach(workspace, plan=False)
    if workspace.storage_notice:  # opened read-only (a read-only folder, a full disk): say why saving fails
        _show_storage_notice(window, workspace.storage_notice)
    # The last chat shows. What the first preview needs loads now, off the GUI thread: the code
    # lexers, then the encodings; the first "next request" summary follows. openai waits for a
    # key typed in the composer (or the core's first client, which it builds in a worker thread).
    from desktop_chat.ui.app.preload import import_lexers, load_sdk_when_typing

    load_sdk_when_typing(window, long_lived)
    # Nothing competes with the chat's own first paint: a worker thread holds Python's lock in turns with it.
    await _painted(window.chat.list.viewport())
    from desktop_chat.ui.app.app_identity import apply_window_icon

    apply_window_icon()  # on X11 Qt decodes every size of it at once (~10 ms): after the chat shows
    await asyncio.to_thread(import_lexers)
    window.chat.list.viewport().update()  # code shown plain while the lexers compiled is drawn coloured
    # The inspector's sections, which the first preview (below) fills, then the menus' icons: ~40-50 ms each,
    # the window answering in between (the user may be typing in it since the first look).
    window.inspector.build()
    await asyncio.sleep(0)
    window.complete()
    with contextlib.suppress(DesktopChatError):
        await workspace.warm_up()
    window.state.start()
    # Recall by meaning: new and imported messages get vectors in a worker, at a lower priority, a few
    # seconds from now; the model loads only when there is something to embed or a plan asks for it.
    workspace.memory.index_in_background(delay=INDEXING_DELAY_S)
    if long_lived is not None:
        long_lived()
    if on_ready is not None:
        on_ready(window)
    await closing
    await window.shutdown()
    return 0


def run_gui(folder: Path, *, on_painted: Any = None, on_ready: Any = None) -> int:
    if not display_available():
        print(NO_DISPLAY, file=sys.stderr)
        return 1
    # Worker threads (the core's imports, the lexers, openai's import) share Python's lock with the GUI
    # thread. At the default 5 ms switch interval each time the GUI thread comes back from Qt it may wait
    # up to 5 ms for the lock, many times per event: the window froze while a worker ran (the last chat was
    # painted, yet took 50-150 ms more to answer). At 1 ms it waits a fifth of that; the switches cost little.
    sys.setswitchinterval(GUI_SWITCH_INTERVAL_S)
    from PySide6.QtWidgets import QApplication

    from desktop_chat.ui.app.pyside_imports import skip_feature_scan

    skip_feature_scan()  # every import after this one: ~50 ms of the start
    from desktop_chat.ui.app.app_identity import apply_identity

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    apply_identity(app, icon=False)  # the icon is set once the last chat shows (_live)
    window = show_window(folder)
    paint_now(lambda: window.painted)
    if on_painted is not None:
        on_painted(window)
    paint_first_look(window, folder)  # the last chat and the composer, while nothing else runs yet
    from desktop_chat.ui.app.main_thread_gc import MainThreadGarbageCollector

    collector = MainThreadGarbageCollector(from_first_freeze=True)  # before any worker thread starts
    from desktop_chat.ui.app.preload import Preload

    preload = Preload()  # asyncio, qasync, the core and the panes' modules (~0.25 s of imports)
    answer_until(preload.done, seconds=30)  # meanwhile the window answers: the first look, typing, a close
    from desktop_chat.core.logs import setup_logging
    from desktop_chat.core.paths import log_path

    setup_logging(log_path(folder))
    import qasync

    try:
        return int(
            qasync.run(
                run_window(folder, window=window, on_ready=on_ready, preload=preload, long_lived=collector.freeze)
            )
        )
    except KeyboardInterrupt:
        return 130
    finally:
        collector.stop()
