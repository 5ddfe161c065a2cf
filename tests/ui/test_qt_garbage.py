"""A window test's event loop, Qt timers still pending, is freed on the GUI thread before the next test starts.

Left to Python's automatic collection it was freed by whichever thread allocated next: a later core test's
worker thread, where Qt cannot stop timers ("Timers cannot be stopped from another thread"); the timers stayed
registered for an object that no longer existed, and the process crashed when one came due
(tests/helpers/qt_garbage.py). Run in a pytest of its own: what is checked happens between two tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CONFTEST = """
from tests.helpers.window import qloop  # the suite's own fixture

pytest_plugins = ["tests.helpers.qt_garbage"]
"""

TESTS = """
import gc
import threading
import weakref

FREED_ON: list[str] = []


def test_a_window_test_ends_with_its_loops_qt_timers_pending(qloop):
    qloop.call_later(3600, lambda: None)  # a Qt timer of the loop's, due long after the test
    weakref.finalize(qloop, lambda: FREED_ON.append(threading.current_thread().name))


def test_the_next_test_finds_the_loop_freed_on_the_gui_thread():
    assert FREED_ON == [threading.main_thread().name]
    worker = threading.Thread(target=gc.collect)  # as a worker thread's allocations would collect
    worker.start()
    worker.join()
"""


def test_a_window_tests_event_loop_is_freed_on_the_gui_thread_before_the_next_test(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_two.py").write_text(TESTS)
    options = ["-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-W", "error", "-o", "qt_api=pyside6"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *options, "-o", "qt_log_level_fail=WARNING", "test_two.py"],
        cwd=tmp_path,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-1000:]
    assert "2 passed" in done.stdout
