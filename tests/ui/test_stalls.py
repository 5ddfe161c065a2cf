"""Work that stalled the window's thread is done elsewhere, with the same outcome (bench/window_stalls.py
measures the stalls; nothing here times anything)."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from PySide6.QtCore import QPoint, QRect, Qt, QTimer
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QStyleOptionViewItem

from desktop_chat.core.memory import recall_semantic
from desktop_chat.core.models import PartKind, Role, Strategy
from desktop_chat.core.semantic.model import Embedder
from desktop_chat.core.storage.store import Store
from desktop_chat.ui.app.main_thread_gc import MainThreadGarbageCollector
from desktop_chat.ui.settings.dialog import PAGE_MODULES
from tests.helpers.chats import PUPPY, long_history
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.waiting import until
from tests.helpers.window import Harness, data_dir, ui_settings
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


def test_a_drafts_recall_queries_are_embedded_in_a_worker_and_its_preview_recalls_by_meaning_as_before(
    open_window: Callable[..., Harness], tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    long_history(data_dir(tmp_path))
    # A small cap: the recent window cannot hold the whole chat, so the next request recalls.
    h = open_window(ui_settings(fake_openai, default_strategy=Strategy.HYBRID, max_request_tokens=600))
    state = h.window.state
    draft = "Which pet did I get? And is the printer fixed?"
    embedded_here: list[int] = []

    def watch(frame: FrameType, event: str, _arg: object) -> None:  # the calls made on this (the GUI) thread
        if event == "call" and frame.f_code is Embedder.embed.__code__:
            embedded_here.append(len(frame.f_locals["texts"]))

    def recalled() -> tuple[str, set[int]]:
        plan = state.plan
        parts = [p for p in plan.parts if p.kind == PartKind.RECALLED] if plan is not None else []
        return (parts[0].reason, set(parts[0].message_ids)) if parts else ("", set())

    async def scenario() -> None:
        h.workspace.memory.index_in_background()
        state.set_draft("Is the printer fixed?")
        await until(lambda: "by words and meaning" in recalled()[0], seconds=60, what="the chat indexed")
        recall_semantic._query_cache.clear()  # as in a fresh process: the draft's vectors are not remembered
        sys.setprofile(watch)
        try:
            state.set_draft(draft)
            await until(lambda: not state.scheduled, what="the draft's preview")
        finally:
            sys.setprofile(None)

    h.run(scenario(), timeout=90)
    reason, ids = recalled()
    assert "by words and meaning" in reason
    # Found by "pet": this draft's plan (the one before searched for the printer only).
    assert next(m.id for m in h.workspace.chats.messages(h.chat_id) if m.content == PUPPY) in ids
    assert state.draft == draft and state.plan is not None and state.error == ""
    assert embedded_here == []  # the worker embedded them, before the preview


def _make(kept: list[list[None]], count: int) -> None:
    kept.extend([] for _ in range(count))


def test_a_burst_made_in_a_worker_is_frozen_rather_than_walked_and_the_gui_threads_cycles_are_still_collected(
    qapp: object,
) -> None:
    collector = MainThreadGarbageCollector()
    try:
        gc.collect()
        frozen = gc.get_freeze_count()
        kept: list[list[None]] = []
        worker = threading.Thread(target=_make, args=(kept, MainThreadGarbageCollector.BULK + 1_000))
        worker.start()
        worker.join()  # as a worker's import leaves them: alive, and as many as the SDK makes
        collector.check()
        assert gc.get_freeze_count() >= frozen + MainThreadGarbageCollector.BULK
        assert gc.get_count()[0] < MainThreadGarbageCollector.BULK  # nothing left for the next check to walk

        # An import spread over several checks: each part walked young, the whole frozen before the middle
        # generation's collection would walk it all at once.
        frozen = gc.get_freeze_count()
        for _ in range(2):
            worker = threading.Thread(target=_make, args=(kept, MainThreadGarbageCollector.BULK // 2 + 1_000))
            worker.start()
            worker.join()
            collector.check()
        assert gc.get_freeze_count() <= frozen  # collected young, so far (frozen ones may have been freed)
        for _ in range(gc.get_threshold()[1] + 1):
            _make(kept, gc.get_threshold()[0] + 1)
            collector.check()
        assert gc.get_freeze_count() >= frozen + MainThreadGarbageCollector.BULK

        # A cycle holding a QObject, made afterwards with the window's ordinary allocations: collected as before.
        holder = _Holder()
        holder.timer = QTimer()
        holder.cycle = holder
        alive = weakref.ref(holder)
        del holder
        _make(kept, 1_000)
        collector.check()
        assert alive() is None
    finally:
        collector.stop()


class _Holder:
    timer: QTimer
    cycle: object


def test_a_tall_message_drawn_within_a_clip_shows_the_same_pixels_there_as_drawn_whole(
    open_window: Callable[..., Harness], tmp_path: Path
) -> None:
    # The delegate draws only the part of a tall document inside the painter's clip (a streamed reply grows
    # taller than the view): where it shows, it must look exactly as when the whole document is drawn.
    store = Store.open(data_dir(tmp_path))
    try:
        chat = store.sessions.create("A long reply")
        store.messages.append(chat.id, Role.USER, "Count, please.")
        store.messages.append(chat.id, Role.ASSISTANT, "**Counting:** " + "".join(f"tok{i} " for i in range(2500)))
    finally:
        store.close()
    h = open_window()
    view = h.window.chat.list
    index = view.model().index(view.model().rowCount() - 1, 0)
    delegate = view.itemDelegate()
    option = QStyleOptionViewItem()
    option.initFrom(view.viewport())
    option.rect = QRect(QPoint(0, 0), delegate.sizeHint(option, index))
    assert option.rect.height() > 1500  # far taller than a view

    def drawn(band: QRect | None) -> QImage:
        image = QImage(option.rect.size(), QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.white)
        painter = QPainter(image)
        if band is not None:
            painter.setClipRect(band)
        delegate.paint(painter, option, index)
        painter.end()
        return image

    band = QRect(0, option.rect.height() // 2, option.rect.width(), 300)
    whole, clipped = drawn(None), drawn(band)
    assert clipped.copy(band) == whole.copy(band)
    assert whole.copy(band) != drawn(QRect(0, 0, 1, 1)).copy(band)  # the band holds text: the check can fail
