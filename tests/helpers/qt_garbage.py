"""A Qt test's garbage is collected on the GUI thread as the test ends, never by a later test's worker thread.

Hook ``pytest_runtest_protocol`` (registered by ``tests/conftest.py``); it imports no Qt until a test uses it.

A window test leaves cycles that hold QObjects. Its qasync loop (``qloop``) is one: the loop, its
``_SimpleTimer`` (a QObject with a Qt timer for every ``call_later`` not yet due, such as a ``wait_for``'s
timeout: qasync kills them only as they fire; 2 to 69 were still registered as a conversation test ended) and its thread
pool. Pytest holds the fixtures' values until the test's teardown is over, so no collection inside the test can
free them: they waited for the next collection, and Python's automatic collection runs in whichever thread
allocates. A later core test's worker thread (the MCP host's, an ``asyncio.to_thread``) freed the loop; Qt
cannot unregister timers from another thread ("QObject::~QObject: Timers cannot be stopped from another
thread"), and when one came due the GUI thread's event dispatch called the destroyed object: a segfault in
``QTimerInfoList::activateTimers``. The app is not exposed: its loop lives as long as the process, and it
collects on the GUI thread only (``desktop_chat/ui/app/main_thread_gc.py``).

So a test that uses Qt (the ``qapp`` fixture, which ``qtbot`` and ``qloop`` use) runs with automatic collection
off, from its set-up to the end of its teardown; once pytest has let go of its fixtures, this thread (the GUI
thread) collects, deletes what ``deleteLater`` left, and collects what that freed. Automatic collection is then
as before: what the test made is gone, and the tests without Qt make no QObjects.
"""

from __future__ import annotations

import gc
from collections.abc import Generator

import pytest


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, object, object]:
    if "qapp" not in getattr(item, "fixturenames", ()):
        return (yield)
    automatic = gc.isenabled()
    gc.disable()
    try:
        return (yield)  # set-up, call, teardown; then pytest drops the test's fixture values
    finally:
        collect_on_this_thread()
        if automatic:
            gc.enable()


def collect_on_this_thread() -> None:
    """Free the cycles, and the QObjects ``deleteLater`` left, here: on the GUI thread."""
    from PySide6.QtCore import QCoreApplication, QEvent

    gc.collect()
    if QCoreApplication.instance() is not None:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        gc.collect()
