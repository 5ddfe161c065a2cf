"""Start to first painted window, against a bare PySide6 window started in the same run.

    .venv/bin/python -m bench.window_startup [--runs 9] [--chats 1000] [--messages 100] [--folder DIR]

Each run starts a fresh Python process; the two programs take turns (app, bare,
app, bare, ...) so drift on a shared machine hits both alike. A child prints the
wall-clock time of its first paint; the parent subtracts the moment it started the
process, so interpreter start-up and imports are included. The app's child is the
real start-up path (``run_gui``); it also reports when the workspace was attached
(the chat list filled), then closes itself through Ctrl+Q's path.
Both run on Qt's offscreen platform unless QT_QPA_PLATFORM says otherwise.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def prepare(folder: Path, chats: int, messages: int) -> None:
    """A database of ``chats`` x ``messages`` (kept between runs: building it takes a while)."""
    from desktop_chat.core.models import Role
    from desktop_chat.core.storage.db import utcnow
    from desktop_chat.core.storage.store import Store

    marker = folder / f"prepared-{chats}x{messages}"
    if marker.exists():
        return
    store = Store.open(folder)
    try:
        now = utcnow()
        with store.db.transaction():
            for c in range(chats):
                session = store.sessions.create(f"Chat number {c} about topic {c % 37}")
                at = now - timedelta(hours=c)
                for m in range(messages):
                    role = Role.USER if m % 2 == 0 else Role.ASSISTANT
                    store.messages.append(
                        session.id, role, f"Message {m} of chat {c}: some words to index and show.", created_at=at
                    )
                store.sessions.touch(session.id, at)
    finally:
        store.close()
    marker.touch()


def child_app(folder: Path) -> int:
    from desktop_chat.ui.app.launch import run_gui

    def painted(window: object) -> None:
        print(f"painted {time.time():.6f}", flush=True)

    def ready(window: object) -> None:
        print(f"ready {time.time():.6f}", flush=True)
        window.close()  # type: ignore[attr-defined]

    return run_gui(folder, on_painted=painted, on_ready=ready)


def child_bare() -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QPaintEvent
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication(sys.argv[:1])

    class Bare(QMainWindow):
        done = False

        def paintEvent(self, event: QPaintEvent) -> None:
            super().paintEvent(event)
            if not self.done:
                self.done = True
                print(f"painted {time.time():.6f}", flush=True)
                QTimer.singleShot(0, app.quit)

    window = Bare()
    window.setWindowTitle("Bare")
    window.resize(1280, 800)
    window.show()
    return int(app.exec())


def timed(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    started = time.time()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)
    ended = time.time()
    if done.returncode != 0:
        raise SystemExit(f"{argv} failed ({done.returncode}): {done.stderr[-2000:]}")
    marks = {"exit": ended - started}
    for line in done.stdout.splitlines():
        name, _, value = line.partition(" ")
        if name in ("painted", "ready"):
            marks[name] = float(value) - started
    return marks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "desktop-chat-bench-startup")
    parser.add_argument("--child", choices=["app", "bare"])
    args = parser.parse_args()
    if args.child == "app":
        sys.exit(child_app(args.folder))
    if args.child == "bare":
        sys.exit(child_bare())

    began = time.perf_counter()
    prepare(args.folder, args.chats, args.messages)
    print(f"database: {args.chats} chats x {args.messages} messages ({time.perf_counter() - began:.1f} s to prepare)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    app_cmd = [sys.executable, "-m", "bench.window_startup", "--child", "app", "--folder", str(args.folder)]
    bare_cmd = [sys.executable, "-m", "bench.window_startup", "--child", "bare"]
    timed(app_cmd, env)  # warm-up: the OS file cache, Python's bytecode cache
    timed(bare_cmd, env)
    apps, bares = [], []
    for _ in range(args.runs):
        apps.append(timed(app_cmd, env))
        bares.append(timed(bare_cmd, env))
    ratios = [a["painted"] / b["painted"] for a, b in zip(apps, bares, strict=True)]

    def row(name: str, values: list[float], unit: str = "ms") -> str:
        scale = 1000 if unit == "ms" else 1
        low, mid, high = min(values) * scale, statistics.median(values) * scale, max(values) * scale
        return (
            f"| {name} | {low:.0f} | {mid:.0f} | {high:.0f} |"
            if unit == "ms"
            else f"| {name} | {low:.2f} | {mid:.2f} | {high:.2f} |"
        )

    print(f"platform: {env['QT_QPA_PLATFORM']}, {args.runs} runs each, alternating")
    print("| figure | min | median | max |")
    print("| --- | ---: | ---: | ---: |")
    print(row("bare PySide6 window: start to first paint (ms)", [b["painted"] for b in bares]))
    print(row("Desktop Chat: start to first paint (ms)", [a["painted"] for a in apps]))
    print(row("ratio app / bare, pair by pair", ratios, unit="x"))
    print(row("Desktop Chat: start to chats listed, last chat open (ms)", [a["ready"] for a in apps]))
    print(row("Desktop Chat: start to clean exit after that (ms)", [a["exit"] for a in apps]))


if __name__ == "__main__":
    main()
