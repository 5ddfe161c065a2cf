"""Start to first paint and to ready, and idle memory, against a bare PySide6 window started in the same run.

    .venv/bin/python -m bench.window_startup [--runs 9] [--chats 1000] [--messages 100] [--long 10000]
        [--platform offscreen|xcb|both] [--memory-runs 3] [--app-root DIR ...] [--folder DIR]

Each run starts a fresh Python process; the two programs take turns (app, bare,
app, bare, ...) so drift on a shared machine hits both alike. A child prints the
wall-clock time of its marks; the parent subtracts the moment it started the
process, so interpreter start-up and imports are included. The app's child is the
real start-up path (``run_gui``):

- ``painted``: its first paint (the frame, before the workspace exists);
- ``ready``: what the user waits for: the newest chat (the long one) is open, its
  title is in the window's title and the composer has the keyboard focus. A 2 ms
  timer watches for it from outside the window's own code;
- ``opened``: the chat's own view shows, the workspace attached (the same moment as ready without a first
  look; with one, the moment the chat takes the first look's place);
- ``settled``: the app's own ``on_ready`` (everything started, the first preview made).

Each child also prints its CPU time (every thread, ``os.times``) at the first paint and at
ready: unlike the wall-clock marks, a machine busy with other jobs hardly changes it
(``os.times`` counts in 10 ms ticks).

The database has ``chats`` x ``messages`` plus a newest chat of ``long`` messages.
Memory: the resident set (``VmRSS``) of each program idle for 3 s after it settled,
the long chat open. ``xcb`` runs on a fresh Xvfb with openbox (tests/helpers/x11.py),
the platform users run; ``offscreen`` is Qt's own. ``--app-root`` (repeatable) times
other checkouts as the app, in turn within each round: before/after figures from one run
(``--app-root /work/main --app-root .``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LONG_TITLE = "The long chat"
IDLE_S = 3.0


def prepare(folder: Path, chats: int, messages: int, long: int) -> None:
    """A database of ``chats`` x ``messages`` and a newest chat of ``long`` (kept between runs)."""
    from desktop_chat.core.models import Role
    from desktop_chat.core.storage.db import utcnow
    from desktop_chat.core.storage.store import Store

    marker = folder / f"prepared-{chats}x{messages}+{long}-indexed"
    if marker.exists():
        return
    store = Store.open(folder)
    try:
        now = utcnow()
        with store.db.transaction():
            for c in range(chats):
                session = store.sessions.create(f"Chat number {c} about topic {c % 37}")
                at = now - timedelta(hours=c + 1)
                for m in range(messages):
                    role = Role.USER if m % 2 == 0 else Role.ASSISTANT
                    store.messages.append(
                        session.id, role, f"Message {m} of chat {c}: some words to index and show.", created_at=at
                    )
                store.sessions.touch(session.id, at)
            if long:
                session = store.sessions.create(LONG_TITLE)
                for m in range(long):
                    role = Role.USER if m % 2 == 0 else Role.ASSISTANT
                    text = (
                        f"Question {m} about the bookstore API?"
                        if role is Role.USER
                        else f"Answer {m}, with **Markdown** and code:\n\n```python\nprint({m})\n```\n\n- one\n- two"
                    )
                    store.messages.append(session.id, role, text, created_at=now)
                store.sessions.touch(session.id, now)
        index_everything(store)
    finally:
        store.close()
    marker.touch()


def index_everything(store: object) -> None:
    """Give every message a stored vector, as a history the window has indexed once looks.

    Random unit-ish int8 rows, not the model's: embedding 110,000 messages takes ~40 min of CPU, and
    start-up reads the table the same whatever the vectors say.
    """
    import numpy as np

    from desktop_chat.core.semantic.model import DIMENSIONS, MODEL_NAME

    rng = np.random.default_rng(7)
    after = 0
    while True:
        rows = store.embeddings.pending(MODEL_NAME, after_id=after, limit=5000)  # type: ignore[attr-defined]
        if not rows:
            return
        vectors = rng.integers(-40, 40, size=(len(rows), DIMENSIONS), dtype=np.int8)
        store.embeddings.put(  # type: ignore[attr-defined]
            MODEL_NAME, [(i, text, vectors[n].tobytes()) for n, (i, text) in enumerate(rows)]
        )
        after = rows[-1][0]


def cpu_s() -> float:
    """CPU time of this process so far, every thread (user + system): what a busy machine does not inflate."""
    times = os.times()
    return times.user + times.system


def mark(*names: str) -> None:
    """Print each mark's wall-clock time for the parent (with the CPU so far for the first paint and ready)."""
    for name in names:
        print(f"{name} {time.time():.6f}", flush=True)
        if name in ("painted", "ready"):
            print(f"cpu_{name} {cpu_s():.3f}", flush=True)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child_app(folder: Path, idle: float) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop_chat.ui.app.launch import run_gui

    state: dict[str, object] = {}

    def look(window: object) -> None:
        # Ready as the user sees it: the long chat's title in the window title, the composer focused.
        if "ready" not in state:
            title = window.windowTitle()  # type: ignore[attr-defined]
            composer = getattr(window, "composer", None)
            focused = composer is not None and QApplication.focusWidget() is composer.edit
            if LONG_TITLE in title and focused:
                mark("ready")
                state["ready"] = True
        # Opened: the workspace attached and the chat's own view showing (the first look, if any, gone).
        opened = getattr(window, "workspace", None) is not None and getattr(window, "first_look", None) is None
        if "ready" in state and opened:
            mark("opened")
            timer = state.pop("timer")
            timer.stop()  # type: ignore[attr-defined]
            if not idle:
                window.close()  # type: ignore[attr-defined]

    def painted(window: object) -> None:
        mark("painted")
        timer = QTimer()
        timer.setInterval(2)
        timer.timeout.connect(lambda: look(window))
        timer.start()
        state["timer"] = timer

    def settled(window: object) -> None:
        mark("settled")
        if idle:

            def report() -> None:
                print(f"rss {rss_mb():.1f}", flush=True)
                window.close()  # type: ignore[attr-defined]

            QTimer.singleShot(int(idle * 1000), report)

    return run_gui(folder, on_painted=painted, on_ready=settled)


def child_bare(idle: float) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QPaintEvent
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication(sys.argv[:1])

    def report() -> None:
        print(f"rss {rss_mb():.1f}", flush=True)
        app.quit()

    class Bare(QMainWindow):
        done = False

        def paintEvent(self, event: QPaintEvent) -> None:
            super().paintEvent(event)
            if not self.done:
                self.done = True
                mark("painted")
                if idle:
                    QTimer.singleShot(int(idle * 1000), report)
                else:
                    QTimer.singleShot(0, app.quit)

    window = Bare()
    window.setWindowTitle("Bare")
    window.resize(1280, 800)
    window.show()
    return int(app.exec())


def timed(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    started = time.time()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=180, check=False)
    ended = time.time()
    if done.returncode != 0:
        raise SystemExit(f"{argv} failed ({done.returncode}): {done.stderr[-2000:]}")
    marks = {"exit": ended - started}
    for line in done.stdout.splitlines():
        name, _, value = line.partition(" ")
        if name in ("painted", "ready", "opened", "settled"):
            marks[name] = float(value) - started
        elif name in ("rss", "cpu_painted", "cpu_ready"):
            marks[name] = float(value)
    return marks


@contextlib.contextmanager
def platform_env(platform: str, base: dict[str, str]) -> Iterator[dict[str, str]]:
    if platform == "offscreen":
        yield {**base, "QT_QPA_PLATFORM": "offscreen"}
        return
    sys.path.insert(0, str(ROOT))
    from tests.helpers.x11 import x_server

    with x_server() as env:
        yield {**env, "PYTHONPATH": base["PYTHONPATH"]}


def row(name: str, values: list[float], unit: str = "ms") -> str:
    if unit == "ms":
        low, mid, high = (v * 1000 for v in (min(values), statistics.median(values), max(values)))
        return f"| {name} | {low:,.0f} | {mid:,.0f} | {high:,.0f} |"
    fmt = ".2f" if unit == "x" else ".0f"
    return f"| {name} | {min(values):{fmt}} | {statistics.median(values):{fmt}} | {max(values):{fmt}} |"


def run_platform(platform: str, args: argparse.Namespace, base: dict[str, str]) -> None:
    """Each round: every app checkout in turn, then the bare window; the ratios pair each app with that bare run."""
    roots = [root.resolve() for root in (args.app_root or [ROOT])]
    script = str(ROOT / "bench" / "window_startup.py")
    app_cmd = [sys.executable, script, "--child", "app", "--folder", str(args.folder)]
    bare_cmd = [sys.executable, script, "--child", "bare"]
    apps: dict[Path, list[dict[str, float]]] = {root: [] for root in roots}
    rss: dict[Path, list[float]] = {root: [] for root in roots}
    bares: list[dict[str, float]] = []
    floors: list[dict[str, float]] = []
    floor_cmd = [sys.executable, "-m", "bench.window_startup", "--child", "floor", "--folder", str(args.folder)]
    bare_rss: list[float] = []
    with platform_env(platform, base) as env:
        # A provider is set up, as for anyone with a history (else the welcome opens and checks it).
        provider = {"OPENAI_API_KEY": "sk-bench-never-sent", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
        paths: dict[Path, Path] = args.paths
        envs = {root: {**env, **provider, "PYTHONPATH": str(paths[root])} for root in roots}
        for root in roots:
            timed(app_cmd, envs[root])  # warm-up: the OS file cache, Python's bytecode cache
        timed(bare_cmd, env)
        for _ in range(args.runs):
            for root in roots:
                apps[root].append(timed(app_cmd, envs[root]))
            bares.append(timed(bare_cmd, env))
            if args.floor:
                floors.append(timed(floor_cmd, {**env, "PYTHONPATH": str(ROOT)}))
        for _ in range(args.memory_runs):
            for root in roots:
                rss[root].append(timed([*app_cmd, "--idle", str(IDLE_S)], envs[root])["rss"])
            bare_rss.append(timed([*bare_cmd, "--idle", str(IDLE_S)], env)["rss"])
    print(f"\nplatform: {platform}, {args.runs} runs each, alternating")
    print("| figure | min | median | max |")
    print("| --- | ---: | ---: | ---: |")
    print(row("bare PySide6 window: start to first paint (ms)", [b["painted"] for b in bares]))
    print(row("bare PySide6 window: CPU to first paint (ms)", [b["cpu_painted"] for b in bares]))
    if bare_rss:
        print(row(f"bare PySide6 window idle: resident memory (MB, {len(bare_rss)} runs)", bare_rss, "MB"))
    if floors:
        print(row("least chat window (bench/window_floor.py): start to ready (ms)", [f["ready"] for f in floors]))
        ratios = [f["ready"] / b["painted"] for f, b in zip(floors, bares, strict=True)]
        print(row("least chat window: ready / bare's first paint, pair by pair", ratios, "x"))
        print(row("least chat window: CPU to ready (ms)", [f["cpu_ready"] for f in floors]))
    for root in roots:
        runs = apps[root]
        pairs = list(zip(runs, bares, strict=True))
        name = f"Desktop Chat ({root.name})"
        print(row(f"{name}: start to first paint (ms)", [a["painted"] for a in runs]))
        print(row(f"{name}: first paint / bare's, pair by pair", [a["painted"] / b["painted"] for a, b in pairs], "x"))
        print(row(f"{name}: start to ready: last chat open, composer focused (ms)", [a["ready"] for a in runs]))
        ready = [a["ready"] / b["painted"] for a, b in pairs]
        print(row(f"{name}: ready / bare's first paint, pair by pair", ready, "x"))
        print(
            row(
                f"{name}: start to opened: the chat's own view, the workspace attached (ms)",
                [a["opened"] for a in runs],
            )
        )
        print(row(f"{name}: start to settled: first preview made (ms)", [a["settled"] for a in runs]))
        print(row(f"{name}: CPU to first paint, every thread (ms)", [a["cpu_painted"] for a in runs]))
        print(row(f"{name}: CPU to ready, every thread (ms)", [a["cpu_ready"] for a in runs]))
        if rss[root]:
            print(row(f"{name} idle, long chat open: resident memory (MB, {len(rss[root])} runs)", rss[root], "MB"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--memory-runs", type=int, default=3)
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--long", type=int, default=10000)
    parser.add_argument("--platform", choices=["offscreen", "xcb", "both"], default="both")
    parser.add_argument("--app-root", type=Path, action="append", help="a checkout to time (repeat: main and a branch)")
    parser.add_argument("--from-source", action="store_true", help="time checkouts as they are (bench/installed.py)")
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "desktop-chat-bench-startup")
    parser.add_argument("--floor", action="store_true", help="also time bench/window_floor.py's least chat window")
    parser.add_argument("--child", choices=["app", "bare", "floor"])
    parser.add_argument("--idle", type=float, default=0.0)
    args = parser.parse_args()
    if args.child == "app":
        sys.exit(child_app(args.folder, args.idle))
    if args.child == "bare":
        sys.exit(child_bare(args.idle))
    if args.child == "floor":
        from bench.window_floor import child_floor

        sys.exit(child_floor(args.folder))

    began = time.perf_counter()
    prepare(args.folder, args.chats, args.messages, args.long)
    print(
        f"database: {args.chats} chats x {args.messages} messages + one of {args.long} "
        f"({time.perf_counter() - began:.1f} s to prepare)"
    )
    base = {**os.environ, "PYTHONPATH": str(ROOT)}
    roots = [root.resolve() for root in (args.app_root or [ROOT])]
    sys.path.insert(0, str(ROOT))
    from bench.installed import compiled_copies

    # Copied once, so every platform times the same code even if a checkout changes meanwhile.
    args.paths = {root: root for root in roots} if args.from_source else compiled_copies(roots)
    for platform in ("xcb", "offscreen") if args.platform == "both" else (args.platform,):
        run_platform(platform, args, base)


if __name__ == "__main__":
    main()
