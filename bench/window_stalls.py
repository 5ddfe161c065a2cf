"""The GUI thread's longest stall during the actions a user starts first, in the real program.

    .venv/bin/python -m bench.window_stalls [--runs 3] [--app-root DIR ...]

Each run is a fresh process started through the real launcher (``run_gui``) on a data folder
with a small chat and a chat of 10,000 messages (every message with a stored vector, as an
indexed history has), recall by words and meaning (the default strategy), and the project's
fake OpenAI server (in this, the parent process) behind the real openai SDK. Offscreen unless
QT_QPA_PLATFORM says otherwise. Three seconds after the window is ready, in turn:

- the first model-list fetch of the process (``Workspace.list_models``: the SDK, its first request);
- opening Settings (File ▸ Settings), until its dialog has been shown for 0.3 s;
- switching chats: the long chat and the small one, three times each;
- the first reply of the process, streamed: 2,500 deltas at 500 a second, with a draft typed first.

A 5 ms QTimer on the GUI thread records the gaps between its ticks; the longest gap during an
action is the longest time the window could not answer. ``--app-root`` (repeatable) times other
checkouts in turn within each round (``--app-root /work/main --app-root .``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ACTIONS = ("first model-list fetch", "opening Settings", "switching chats", "first reply, streamed")
DELTAS, RATE = 2500, 500


def prepare(folder: Path, server: Any) -> None:
    from desktop_chat.core.bootstrap import open_workspace
    from desktop_chat.core.models import Role
    from tests.helpers.workspace import prepare_profile

    marker = folder / "prepared-stalls"
    if marker.exists():
        return
    prepare_profile(folder, server)
    workspace = open_workspace(folder)
    try:
        workspace.set_setting("default_strategy", "hybrid")
    finally:
        workspace.close()
    from bench.window_startup import index_everything
    from desktop_chat.core.storage.store import Store

    store = Store.open(folder)
    try:
        store.messages.append(store.sessions.create("Small chat").id, Role.USER, "hello")
        long = store.sessions.create("The long chat")
        with store.db.transaction():
            for i in range(10_000):
                role = Role.USER if i % 2 == 0 else Role.ASSISTANT
                answer = f"Answer {i}, with **Markdown**:\n\n```python\nprint({i})\n```"
                text = f"Question {i}?" if role is Role.USER else answer
                store.messages.append(long.id, role, text)
        index_everything(store)
    finally:
        store.close()
    marker.touch()


def child(folder: Path) -> int:  # noqa: PLR0915 - one scenario, its steps side by side
    import asyncio

    from PySide6.QtCore import QTimer

    from desktop_chat.ui.app.launch import run_gui

    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        last[0] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    worst: dict[str, float] = {}

    async def measure(name: str, action: Any) -> None:
        gaps.clear()
        last[0] = time.perf_counter()
        timer.start()
        await action()
        timer.stop()
        tick()
        worst[name] = max(gaps)

    async def until(predicate: Any, seconds: float = 60.0) -> None:
        deadline = time.monotonic() + seconds
        while not predicate():
            if time.monotonic() > deadline:
                raise SystemExit("timed out")
            await asyncio.sleep(0.01)

    async def drive(window: Any) -> None:
        await asyncio.sleep(3.0)
        workspace = window.workspace
        sessions = {s.title: s.id for s in workspace.sessions()}
        small, long = sessions["Small chat"], sessions["The long chat"]

        async def models() -> None:
            await workspace.list_models()

        async def settings() -> None:
            window.settings_action.trigger()
            await until(lambda: getattr(window, "settings_dialog", None) is not None)
            await until(window.settings_dialog.isVisible)
            await asyncio.sleep(0.3)
            window.settings_dialog.reject()
            await asyncio.sleep(0.1)

        async def switch() -> None:
            for _ in range(3):
                for chat in (small, long):
                    window.open_session(chat)
                    await asyncio.sleep(0.2)

        async def reply() -> None:
            window.composer.edit.setPlainText("Stream a long answer about the lighthouse, please.")
            await asyncio.sleep(0.5)  # the draft's preview, as typing would make
            window.replies.send(window.composer.text())
            await until(lambda: window.bridge.is_running(long))
            await until(lambda: not window.bridge.is_running(long))
            await asyncio.sleep(0.3)

        for name, action in zip(ACTIONS, (models, settings, switch, reply), strict=True):
            await measure(name, action)
        print(json.dumps(worst), flush=True)
        window.close()

    running: list[asyncio.Future[None]] = []

    def ready(window: Any) -> None:
        running.append(asyncio.ensure_future(drive(window)))

    return run_gui(folder, on_ready=ready)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--app-root", type=Path, action="append")
    parser.add_argument("--from-source", action="store_true", help="time checkouts as they are (bench/installed.py)")
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "desktop-chat-bench-stalls")
    parser.add_argument("--child", type=Path)
    args = parser.parse_args()
    if args.child is not None:
        sys.exit(child(args.child))
    sys.path.insert(0, str(ROOT))
    from tests.helpers.fake_openai import FakeOpenAIServer

    server = FakeOpenAIServer().start()
    import shutil

    shutil.rmtree(args.folder, ignore_errors=True)  # the profile names this run's server port
    prepare(args.folder, server)
    roots = [root.resolve() for root in (args.app_root or [ROOT])]
    script = str(ROOT / "bench" / "window_stalls.py")
    results: dict[Path, list[dict[str, float]]] = {root: [] for root in roots}
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from bench.installed import compiled_copies

    paths = {root: root for root in roots} if args.from_source else compiled_copies(roots)
    base = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    base.setdefault("QT_QPA_PLATFORM", "offscreen")
    for _ in range(args.runs):
        for root in roots:
            server.reply(chunks=[f"tok{i} " for i in range(DELTAS)], chunk_delay=1.0 / RATE)
            env = {**base, "PYTHONPATH": str(paths[root])}
            done = subprocess.run(
                [sys.executable, script, "--child", str(args.folder)],
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            if done.returncode != 0 or not lines:
                raise SystemExit(f"{root} failed: {done.stderr[-2000:]}")
            results[root].append(json.loads(lines[-1]))
    server.close()
    print(f"platform: {base['QT_QPA_PLATFORM']}, {args.runs} runs each (median of the runs' longest stall, min to max)")
    print("| action | " + " | ".join(root.name for root in roots) + " |")
    print("| --- | " + " | ".join("---:" for _ in roots) + " |")
    for action in ACTIONS:
        cells = []
        for root in roots:
            values = [r[action] for r in results[root]]
            cells.append(f"{statistics.median(values):.0f} ({min(values):.0f} to {max(values):.0f})")
        print(f"| {action}: longest GUI stall (ms) | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
