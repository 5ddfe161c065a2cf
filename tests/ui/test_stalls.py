"""Work that stalled the window's thread is done elsewhere, with the same outcome (bench/window_stalls.py
measures the stalls; nothing here times anything)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from desktop_chat.ui.settings.dialog import PAGE_MODULES
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.window import data_dir
from tests.helpers.workspace import prepare_profile

ROOT = Path(__file__).resolve().parents[2]

SETTINGS_CHILD = r"""
import json, sys, threading
from pathlib import Path
from PySide6.QtCore import QTimer
from desktop_chat.ui.app.launch import run_gui

PAGES = json.loads(sys.argv[2])
seen = {"imported_by": {}, "dialog_at_import": []}
state = {}

class Watch:  # notes which thread imports each page's module, and whether Settings was open then
    def find_spec(self, name, path=None, target=None):
        if name in PAGES:
            seen["imported_by"][name] = threading.current_thread().name
            window = state.get("window")
            seen["dialog_at_import"].append(getattr(window, "settings_dialog", None) is not None)
        return None

sys.meta_path.insert(0, Watch())

def ready(window):
    state["window"] = window
    wait(window, 0)

def wait(window, tries):
    if all(name in sys.modules for name in PAGES) or tries > 300:
        window.settings_action.trigger()
        QTimer.singleShot(200, lambda: opened(window))
        return
    QTimer.singleShot(20, lambda: wait(window, tries + 1))

def opened(window):
    dialog = window.settings_dialog
    seen["shown"] = dialog.isVisible()
    seen["page"] = type(dialog.current_page()).__name__
    seen["profiles"] = dialog.providers.list.count()
    dialog.reject()
    print(json.dumps(seen), flush=True)
    window.close()

sys.exit(run_gui(Path(sys.argv[1]), on_ready=ready))
"""


def test_the_settings_pages_are_imported_in_a_worker_once_the_window_is_ready_and_settings_opens_as_before(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    """Its own process: the test process imported the pages long ago."""
    folder = data_dir(tmp_path)
    prepare_profile(folder, fake_openai)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", SETTINGS_CHILD, str(folder), json.dumps(PAGE_MODULES)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert sorted(seen["imported_by"]) == sorted(PAGE_MODULES)
    assert "MainThread" not in seen["imported_by"].values(), seen
    assert seen["dialog_at_import"] == [False] * len(PAGE_MODULES)  # all before Settings opened
    assert seen["shown"] and seen["page"] == "ProvidersPage" and seen["profiles"] >= 1, seen
