"""The binding bug work-around: Qt calls that leak references to None and True must not abort the app."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# Enough leaking calls to use up the references None and True have at start-up.
LEAKY = """
import sys
{setup}
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QTreeWidgetItem

app = QApplication([])

class Emitter(QObject):
    ping = Signal()

emitter = Emitter()
emitter.ping.connect(lambda: None)
item = QTreeWidgetItem(["x"])
for _ in range(200_000):
    emitter.ping.emit()
    item.setData(0, Qt.ItemDataRole.UserRole, None)
    item.data(0, Qt.ItemDataRole.UserRole)
print("survived")
"""


def _run(setup: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", LEAKY.format(setup=setup)],
        env={"QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(Path.cwd())},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_leaking_qt_calls_do_not_abort_with_the_ui_package_imported() -> None:
    done = _run("import desktop_chat.ui")
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip() == "survived"


def _churn(kept: list[list[None]]) -> None:
    # Enough live container allocations to cross the collector's first threshold.
    kept.extend([] for _ in range(5_000))


def test_cycles_holding_qobjects_are_collected_on_the_gui_thread(qapp: object) -> None:
    import threading
    import weakref

    from PySide6.QtCore import QTimer

    from desktop_chat.ui.qt_fixes import MainThreadGarbageCollector

    class Holder:
        pass

    collector = MainThreadGarbageCollector()
    try:
        holder = Holder()
        holder.timer = QTimer()  # type: ignore[attr-defined]
        holder.timer.start(60_000)  # type: ignore[attr-defined]
        holder.cycle = holder  # type: ignore[attr-defined]
        alive = weakref.ref(holder)
        del holder
        kept: list[list[None]] = []
        worker = threading.Thread(target=_churn, args=(kept,))
        worker.start()
        worker.join()
        # A worker thread's allocations did not collect the cycle (Qt would warn "Timers
        # cannot be stopped from another thread", which fails the test); the GUI thread does.
        assert alive() is not None
        collector.check()
        assert alive() is None
    finally:
        collector.stop()
