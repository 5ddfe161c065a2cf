"""The chat pane under load: opening a 10,000-message chat, streaming 500 deltas a second, idle memory.

    .venv/bin/python -m bench.window_chat [--messages 10000] [--rate 500] [--seconds 5] [--runs 5]

One process: the real window and workspace on a database in a temporary folder,
the project's fake OpenAI server (in-process, on a loopback port) behind the
real openai SDK, Qt's offscreen platform unless QT_QPA_PLATFORM says otherwise.

- Open: from ``open_session`` of the long chat to its list painted (a synchronous
  repaint of the viewport), switching away and back between runs. Memory: the
  process's resident set before and after, and its peak (``ru_maxrss``).
- Stream: the server sends ``rate`` chunks a second for ``seconds``. A 5 ms
  QTimer on the GUI thread records the longest gap between its ticks (the longest
  time the loop could not run anything else); CPU is the GUI thread's own
  (``time.thread_time``; the server's threads are not counted) per wall second.
- Idle: resident memory with the long chat open, after the loop has idled 3 s.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare(folder: Path, count: int) -> tuple[int, int]:
    from desktop_chat.core.models import Role
    from desktop_chat.core.storage.store import Store

    store = Store.open(folder)
    try:
        small = store.sessions.create("Small chat")
        store.messages.append(small.id, Role.USER, "hello")
        long = store.sessions.create("Ten thousand messages")
        with store.db.transaction():
            for i in range(count):
                role = Role.USER if i % 2 == 0 else Role.ASSISTANT
                text = (
                    f"Message {i}: a question about the bookstore API?"
                    if role is Role.USER
                    else f"Answer {i}, with **Markdown** and code:\n\n```python\nprint({i})\n```\n\n- one\n- two"
                )
                store.messages.append(long.id, role, text)
        return small.id, long.id
    finally:
        store.close()


async def until(predicate: Callable[[], Any], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        await asyncio.sleep(0.01)


class LoopWatch:
    """A 5 ms QTimer on the GUI thread; the longest gap between its ticks is the longest stall."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setInterval(5)
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1000)
        self._last = now

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()


def open_and_paint(window: Any, session_id: int) -> float:
    """Milliseconds from open_session to the end of the message list's next paint (layout included)."""
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    painted: list[float] = []

    class Watch(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                painted.append(1.0)  # processEvents returns once this paint is done
            return False

    viewport = window.chat.list.viewport()
    watch = Watch()
    viewport.installEventFilter(watch)
    started = time.perf_counter()
    window.open_session(session_id)
    while not painted:
        QApplication.processEvents()
    elapsed = (time.perf_counter() - started) * 1000
    viewport.removeEventFilter(watch)
    return elapsed


async def measure_open(window: Any, small: int, long: int, runs: int, count: int) -> list[str]:
    from PySide6.QtWidgets import QApplication

    gc.collect()
    before_rss, before_peak = rss_mb(), peak_mb()
    opens = []
    for run in range(runs):
        if run:
            window.open_session(small)
            QApplication.processEvents()
            await asyncio.sleep(0.2)
        opens.append(open_and_paint(window, long))
        await asyncio.sleep(0.2)
    after_rss, after_peak = rss_mb(), peak_mb()
    again = opens[1:] or opens
    return [
        f"| open a {count:,}-message chat to its first paint, first time (ms) | {opens[0]:.0f} |",
        f"| open it again: median of {len(again)} (ms; min {min(again):.0f}, max {max(again):.0f}) "
        f"| {statistics.median(again):.0f} |",
        f"| resident memory before / after opening it (MB) | {before_rss:.0f} / {after_rss:.0f} |",
        f"| peak resident memory of the process before / after (MB) | {before_peak:.0f} / {after_peak:.0f} |",
    ]


def measure_idle(folder: Path, long: int) -> list[str]:
    """The real program (``run_gui``) in its own process, reopening the long chat, idle for 3 s."""
    import subprocess

    from PySide6.QtCore import QSettings

    settings = QSettings(str(folder / "window.ini"), QSettings.Format.IniFormat)
    settings.setValue("last_session", long)
    settings.sync()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bench.window_chat", "--idle-child", str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    figures = dict(line.split(" ", 1) for line in done.stdout.splitlines() if line.startswith(("rss", "cpu", "rows")))
    if done.returncode != 0 or "rss" not in figures:
        raise SystemExit(f"the idle child failed: {done.stderr[-1500:]}")
    return [
        f"| the program idle with that chat open ({figures['rows']} rows loaded): resident memory (MB) "
        f"| {float(figures['rss']):.0f} |",
        f"| the program idle: CPU (% of one core, the 1 s change poll included) | {float(figures['cpu']):.1f} |",
    ]


def idle_child(folder: Path) -> int:
    from PySide6.QtCore import QTimer

    from desktop_chat.ui.app.launch import run_gui

    def ready(window: Any) -> None:
        marks: dict[str, float] = {}

        def start() -> None:
            marks["cpu"], marks["wall"] = time.process_time(), time.perf_counter()

        def report() -> None:
            share = (time.process_time() - marks["cpu"]) / (time.perf_counter() - marks["wall"]) * 100
            print(f"rss {rss_mb():.1f}", flush=True)
            print(f"cpu {share:.2f}", flush=True)
            print(f"rows {window.chat.model.rowCount()}", flush=True)
            window.close()

        QTimer.singleShot(3000, start)
        QTimer.singleShot(6000, report)

    return run_gui(folder, on_ready=ready)


async def measure_first_reply(window: Any, server: Any, long: int) -> list[str]:
    watch = LoopWatch()
    server.reply("A short first answer.")
    watch.start()
    window.replies.send("First message of the session.")
    await until(lambda: not window.bridge.is_running(long))
    await asyncio.sleep(0.3)
    watch.stop()
    return [
        f"| first reply of the process: longest loop stall (ms; TLS context, SDK first use) | {max(watch.gaps):.0f} |"
    ]


async def measure_stream(
    window: Any, workspace: Any, server: Any, long: int, *, rate: int, seconds: float
) -> list[str]:
    total = int(rate * seconds)
    server.reply(chunks=[f"tok{i} " for i in range(total)], chunk_delay=1.0 / rate)
    flushes = [0]

    def flushed(*_: object) -> None:
        flushes[0] += 1

    window.bridge.replyText.connect(flushed)
    watch = LoopWatch()
    cpu, wall = time.thread_time(), time.perf_counter()
    watch.start()
    window.replies.send("Stream a long answer, please.")
    await until(lambda: not window.bridge.is_running(long))
    watch.stop()
    wall = time.perf_counter() - wall
    cpu = time.thread_time() - cpu
    reply = workspace.messages(long, limit=1)[-1]
    if reply.content.count("tok") != total:
        raise SystemExit("the whole reply did not arrive")
    gaps = sorted(watch.gaps)
    return [
        f"| stream {total:,} deltas at {rate}/s: longest loop stall (ms) | {gaps[-1]:.0f} |",
        f"| stream: 99th percentile of the 5 ms timer's gaps (ms) | {gaps[int(len(gaps) * 0.99)]:.0f} |",
        f"| stream: GUI thread CPU, SDK and core included (% of one core over {wall:.1f} s) | {cpu / wall * 100:.0f} |",
        f"| stream: view updates for {total:,} deltas | {flushes[0]:,} |",
        f"| stream: longest single flush into the view (ms) | {window.bridge.longest_flush_ms:.1f} |",
    ]


async def bench(args: argparse.Namespace, folder: Path) -> list[str]:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from desktop_chat.core.models import Strategy
    from desktop_chat.core.storage.store import Store
    from desktop_chat.core.workspace import Workspace
    from desktop_chat.ui.app.preload import import_heavy_modules
    from desktop_chat.ui.window.main_window import MainWindow
    from tests.helpers.controller import make_factory
    from tests.helpers.fake_openai import FakeOpenAIServer
    from tests.helpers.window import ui_settings

    small, long = prepare(folder, args.messages)
    server = FakeOpenAIServer().start()
    store = Store.open(folder)
    workspace = Workspace(
        store, make_factory(), settings=replace(ui_settings(server), default_strategy=Strategy.WINDOW)
    )
    state = QSettings(str(folder / "window.ini"), QSettings.Format.IniFormat)
    state.setValue("last_session", small)  # the long chat is opened first by the measurement
    window = MainWindow(state)
    window.show()
    await asyncio.to_thread(import_heavy_modules)  # as the launcher does after the first paint
    window.attach(workspace)
    await workspace.warm_up()
    window.open_session(small)
    await asyncio.sleep(0.5)
    QApplication.processEvents()
    lines = await measure_open(window, small, long, args.runs, args.messages)
    lines += await measure_first_reply(window, server, long)
    lines += await measure_stream(window, workspace, server, long, rate=args.rate, seconds=args.seconds)
    await window.shutdown()
    server.close()
    return [*lines, *measure_idle(folder, long)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle-child", type=Path)
    args = parser.parse_args()
    if args.idle_child is not None:
        sys.exit(idle_child(args.idle_child))

    import qasync
    from PySide6.QtWidgets import QApplication

    import desktop_chat.ui  # noqa: F401  (binding work-arounds)

    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    with tempfile.TemporaryDirectory() as tmp:
        lines = qasync.run(bench(args, Path(tmp) / "data"))
    print(f"platform: {os.environ['QT_QPA_PLATFORM']}")
    print("| figure | value |")
    print("| --- | ---: |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
