"""The first paint waits for nothing it does not show: the panes' modules load after it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers.window import data_dir

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, sys
from pathlib import Path
from desktop_chat.ui.app.launch import run_gui

seen = {"source_reads": 0}

def painted(window):
    seen["painted"] = sorted(m for m in list(sys.modules) if m.startswith("desktop_chat") or m in WATCHED)
    import inspect

    read = inspect.getsource

    def counted(obj):  # PySide6 reads every imported module's source unless told not to
        if sys._getframe(1).f_code.co_name == "_mod_uses_pyside":  # its scan (other readers: pydantic...)
            seen["source_reads"] += 1
        return read(obj)

    inspect.getsource = counted

def ready(window):
    # list(sys.modules) in one step: worker threads are importing while this runs.
    seen["ready"] = sorted(m for m in list(sys.modules) if m.startswith("desktop_chat") or m in WATCHED)
    seen["icon"] = not window.windowIcon().isNull()  # set after the first paint, there once ready
    seen["menu_icon"] = not window.new_action.icon().isNull()  # drawn once the last chat shows
    print(json.dumps(seen), flush=True)
    window.close()

WATCHED = ("asyncio", "qasync", "markdown_it", "openai")
sys.exit(run_gui(Path(sys.argv[1]), on_painted=painted, on_ready=ready))
"""

# What the frame needs: the window, its menus and actions, the empty panes. The chat's model,
# delegate and Markdown, the core's models and events and the event loop come after the first paint
# (core.models alone is ~17 ms of dataclasses and enums).
NOT_BEFORE_PAINT = (
    "asyncio",
    "qasync",
    "markdown_it",
    "openai",
    "desktop_chat.core.events",
    "desktop_chat.core.models",
    "desktop_chat.core.settings",
    "desktop_chat.core.workspace",
    "desktop_chat.ui.chat.message_model",
    "desktop_chat.ui.chat.chat_view",
    "desktop_chat.ui.inspector.pane",
    "desktop_chat.ui.sidebar.sidebar",
    "desktop_chat.ui.settings.dialog",
)


def test_the_first_paint_loads_no_pane_module_and_no_event_loop(tmp_path: Path) -> None:
    """Its own process: the test process has imported everything long ago."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(data_dir(tmp_path))],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert [m for m in NOT_BEFORE_PAINT if m in seen["painted"]] == []
    assert "desktop_chat.ui.window.main_window" in seen["painted"]
    # Once ready the panes' modules are there (the list names modules that exist); openai may wait longer.
    assert [m for m in NOT_BEFORE_PAINT if m != "openai" and m not in seen["ready"]] == []
    assert seen["icon"], "the window has the app's icon"
    assert seen["menu_icon"], "the menus have their icons"
    # ~300 modules were imported between the paint and ready without one source file read for PySide6's scan.
    assert seen["source_reads"] == 0
