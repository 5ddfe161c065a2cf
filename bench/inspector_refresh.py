"""The memory inspector while the user types, on a 10,000-message chat with the hybrid strategy.

Reuses bench/context_assembly.py's chat builder (40 facts, a summary; counts cached),
opens the real ``Workspace`` and ``InspectorPane`` (Qt offscreen unless a display is
given) and reports:

- time per refresh: ``InspectorPane.refresh_plan`` (``preview`` of the draft plus
  rebuilding the rows; since the window's ``ChatState`` owns the plan, the state's one
  preview and every subscriber's update) and the layout and paint that follow, once
  per keystroke of a sentence (the worst case: no debounce);
- the longest event-loop stall while a fast typist (one key every 60 ms) types the
  sentence through the debounced path: a 5 ms heartbeat timer records the longest gap.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/inspector_refresh.py [--messages N]

It runs against the pane before the state object (its own timer, ``set_plan``) and after
(``pane.state``), so one run per worktree compares them on the same machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any, cast

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from bench.context_assembly import MODEL, build
from desktop_chat.core.models import Strategy
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.store import Store
from desktop_chat.core.workspace import Workspace
from desktop_chat.ui.inspector.pane import InspectorPane

OUT = Path(__file__).parent / "out" / "inspector_refresh"
SENTENCE = "What did we decide about the budget for the trip to Lisbon, and which hotel did I like best?"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--window", type=int, default=8192)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    folder = OUT / f"m{args.messages}"
    session_id = build(folder, args.messages)

    app = cast(QApplication, QApplication.instance() or QApplication([]))
    store = Store.open(folder)
    store.sessions.update(session_id, strategy=Strategy.HYBRID)
    profile = ProviderProfile(
        "Local", base_url="http://127.0.0.1:1/v1", default_model=MODEL, context_window=args.window, needs_key=False
    )
    settings = Settings(  # no request cap: --window is what is planned
        active_profile="Local", profiles=(profile,), default_strategy=Strategy.HYBRID, max_request_tokens=None
    )
    workspace = Workspace(store, lambda *_: None, settings=settings)  # type: ignore[arg-type]
    pane = InspectorPane()
    pane.resize(300, 1000)
    pane.show()
    pane.attach(workspace)
    pane.set_session(session_id)
    if hasattr(pane, "state"):
        pane.state.refresh()  # the state object (ui/state/chat_state.py) plans for every view
    else:
        cast(Any, pane).set_plan(workspace.preview(session_id))  # before it: the window handed the plan over
    app.processEvents()

    samples = per_keystroke(app, pane)
    plan = pane.plan
    assert plan is not None
    refreshes, stall = while_typing(app, pane)

    print(f"chat: {args.messages:,} messages, hybrid, context window {args.window:,}; model {MODEL}")
    print(
        f"plan: {plan.total_tokens:,} / {plan.budget:,} tokens, {len(plan.parts)} parts, {len(plan.omitted)} left out"
    )
    print("| measure | value |")
    print("| --- | ---: |")
    print(f"| refresh per keystroke, median (ms) | {statistics.median(samples):.2f} |")
    print(f"| refresh per keystroke, p95 (ms) | {samples[int(len(samples) * 0.95) - 1]:.2f} |")
    print(f"| refresh per keystroke, max (ms) | {samples[-1]:.2f} |")
    print(f"| refreshes while typing {len(SENTENCE)} keys at 60 ms (debounced) | {refreshes} |")
    print(f"| longest event-loop stall while typing (ms) | {stall:.1f} |")
    store.close()


def per_keystroke(app: QApplication, pane: InspectorPane) -> list[float]:
    """Every keystroke refreshed at once (no debounce): the cost of one refresh, sorted."""
    samples = []
    for end in range(1, len(SENTENCE) + 1):
        set_draft_quietly(pane, SENTENCE[:end])
        began = time.perf_counter()
        pane.refresh_plan()
        app.processEvents()  # layout and paint of the rebuilt rows
        samples.append((time.perf_counter() - began) * 1000)
    return sorted(samples)


def set_draft_quietly(pane: InspectorPane, text: str) -> None:
    """The draft, without starting the debounce (the caller refreshes at once)."""
    owner: Any = getattr(pane, "state", pane)
    owner.draft = text


def while_typing(app: QApplication, pane: InspectorPane) -> tuple[int, float]:
    """Typing through the debounced path, with a heartbeat measuring the longest gap: (refreshes, stall ms)."""
    gaps: list[float] = []
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        last[0] = now

    heartbeat = QTimer()
    heartbeat.setInterval(5)
    heartbeat.timeout.connect(beat)
    typed = [0]
    refreshes_before = len(pane.refresh_ms)

    def key() -> None:
        typed[0] += 1
        pane.set_draft(SENTENCE[: typed[0]])

    keys = QTimer()
    keys.setInterval(60)
    keys.timeout.connect(key)
    heartbeat.start()
    keys.start()
    deadline = time.perf_counter() + len(SENTENCE) * 0.06 + 0.6
    while time.perf_counter() < deadline:
        if typed[0] >= len(SENTENCE):
            keys.stop()
        app.processEvents()
        time.sleep(0.001)
    heartbeat.stop()
    return len(pane.refresh_ms) - refreshes_before, max(gaps) - 5


if __name__ == "__main__":
    main()
