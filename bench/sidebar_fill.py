"""Time to fill the sidebar with a long history, and to follow a change to one chat: old against new.

    .venv/bin/python -m bench.sidebar_fill [--runs 7] [--chats 1000] [--old /work/main]

Each run is a fresh Python process on Qt's offscreen platform (unless QT_QPA_PLATFORM
says otherwise); the old sidebar (a QTreeWidget rebuilt whole, imported from the tree
given by ``--old``) and this tree's (a lazily filled model/view) take turns, on one
database. A child builds the real ``Workspace`` and ``Sidebar`` (280x800, shown),
connects them as the window does, then times:

* fill: ``set_workspace`` (the listing) until the sidebar has painted;
* one change: a chat renamed through the facade, until the sidebar shows it
  (the old one rebuilds on the event, the new one updates the row);
* new only: fetching every remaining page, as scrolling to the very end would.
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

ROOT = Path(__file__).resolve().parents[1]


def child(tree: Path, folder: Path) -> None:
    sys.path.insert(0, str(tree))
    from PySide6.QtWidgets import QApplication

    from desktop_chat.core.storage.store import Store
    from desktop_chat.core.workspace import Workspace
    from desktop_chat.ui.bridge import WorkspaceBridge
    from desktop_chat.ui.sidebar.sidebar import Sidebar

    app = QApplication.instance() or QApplication(sys.argv[:1])
    store = Store.open(folder)
    workspace = Workspace(store, lambda *_: None)  # type: ignore[arg-type]  # no replies: the client is never made
    bridge = WorkspaceBridge(workspace)
    sidebar = Sidebar()
    lazy = hasattr(sidebar, "connect_bridge")
    if lazy:
        sidebar.connect_bridge(bridge)
    else:
        bridge.sessionsChanged.connect(sidebar.schedule_refresh)
    sidebar.resize(280, 800)
    sidebar.show()
    app.processEvents()
    victim = workspace.sessions()[5].id

    began = time.perf_counter()
    sidebar.set_workspace(workspace)
    sidebar.repaint()
    app.processEvents()
    fill = time.perf_counter() - began
    rows = len(sidebar.titles())

    began = time.perf_counter()
    workspace.rename_session(victim, "Renamed for the benchmark")
    while "Renamed for the benchmark" not in sidebar.titles():
        app.processEvents()
    sidebar.repaint()
    change = time.perf_counter() - began

    rest = 0.0
    if lazy:
        began = time.perf_counter()
        while sidebar.model.can_fetch_more():
            sidebar.model.fetch_more()
        sidebar.repaint()
        app.processEvents()
        rest = time.perf_counter() - began
    workspace.rename_session(victim, "Chat renamed back")
    print(json.dumps({"fill": fill, "rows": rows, "change": change, "rest": rest, "all": len(sidebar.titles())}))
    store.close()


def prepare(folder: Path, chats: int) -> None:
    from bench.window_startup import prepare as build

    build(folder, chats, 2, 0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--old", type=Path, default=Path("/work/main"))
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "desktop-chat-bench-sidebar")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.folder)
        return
    prepare(args.folder, args.chats)
    env = {**os.environ}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.pop("PYTHONPATH", None)  # each child puts its own tree first

    def run(tree: Path) -> dict[str, float]:
        argv = [sys.executable, str(Path(__file__).resolve()), "--child", str(tree), "--folder", str(args.folder)]
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, check=False, cwd=ROOT)
        if done.returncode != 0:
            raise SystemExit(f"{tree}: {done.stderr[-2000:]}")
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))

    run(args.old)  # warm-up: the OS file cache, bytecode
    run(ROOT)
    old, new = [], []
    for _ in range(args.runs):
        old.append(run(args.old))
        new.append(run(ROOT))

    def ms(values: list[dict[str, float]], key: str) -> str:
        numbers = [v[key] * 1000 for v in values]
        return f"{statistics.median(numbers):,.1f} ({min(numbers):,.1f} to {max(numbers):,.1f})"

    print(f"{args.chats:,} chats, {args.runs} runs each, alternating; platform {env['QT_QPA_PLATFORM']}")
    print("| figure | old: QTreeWidget rebuilt | new: model/view, lazy |")
    print("| --- | ---: | ---: |")
    print(f"| fill the sidebar until painted, ms | {ms(old, 'fill')} | {ms(new, 'fill')} |")
    print(f"| chats loaded by the fill | {int(old[0]['rows']):,} | {int(new[0]['rows']):,} |")
    print(f"| one chat renamed, until shown, ms | {ms(old, 'change')} | {ms(new, 'change')} |")
    print(f"| every remaining page fetched (scrolled to the end), ms | n/a | {ms(new, 'rest')} |")
    print(f"| chats listed in the end | {int(old[0]['all']):,} | {int(new[0]['all']):,} |")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
