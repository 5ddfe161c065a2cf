"""Labels that agree with what happens, and the small things a new user tripped over (issue 19, items 14-16).

Each test drives the real window on the offscreen platform (which, like openbox,
has no platform theme).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QPalette, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from desktop_chat.core.models import MessageStatus, PartKind, Role, Strategy
from desktop_chat.core.profiles import LOCAL_PRESET, PRESETS
from desktop_chat.core.settings import HybridSplit, Settings
from desktop_chat.core.storage.store import Store
from desktop_chat.ui.chat.chat_view import ACTION, REGENERATE
from desktop_chat.ui.chat.message_model import IN_CONTEXT
from tests.helpers.app import App
from tests.helpers.cli import cli
from tests.helpers.fake_openai import FakeOpenAIServer, Fault
from tests.helpers.waiting import until
from tests.helpers.window import Harness, data_dir, ui_settings

Opener = Callable[..., App]
BUILTIN = PRESETS[LOCAL_PRESET]
STARTER_LABEL = "Recall (hybrid needs upkeep: the starter model keeps none)"
STARTER_HEADER = "Recall (hybrid needs upkeep) memory"

ROOT = Path(__file__).resolve().parents[2]


def _with_builtin(server: FakeOpenAIServer, **overrides: object) -> Settings:
    base = ui_settings(server, default_strategy=Strategy.HYBRID, **overrides)
    return replace(base, profiles=(*base.profiles, BUILTIN))


def _type_and_enter(h: Harness, text: str) -> None:
    edit = h.window.composer.edit
    edit.setFocus()
    QTest.keyClicks(edit, text)
    QTest.keyClick(edit, Qt.Key.Key_Return)


def _window_colour() -> int:
    return QApplication.palette().color(QPalette.ColorRole.Window).lightness()


# --- item 14: the theme ----------------------------------------------------------------------------


def test_the_dark_theme_shows_on_a_platform_without_a_theme_and_system_gives_it_back(open_app: Opener) -> None:
    from desktop_chat.ui.settings.dialog import apply_appearance

    app = open_app()
    light = _window_colour()
    assert light > 128  # the offscreen platform, like openbox, has a light palette and no theme
    try:
        app.workspace.set_setting("theme", "dark")
        assert _window_colour() < 100
        assert QApplication.style().name().lower() == "fusion"
        text = QApplication.palette().color(QPalette.ColorRole.WindowText).lightness()
        assert text > 180  # readable on it
        QApplication.processEvents()  # widgets hear of the application's palette from posted events
        assert app.window.chat.list.palette().color(QPalette.ColorRole.Base).lightness() < 100
        app.workspace.set_setting("theme", "light")
        assert _window_colour() > 128
        app.workspace.set_setting("theme", "system")
        assert _window_colour() == light
    finally:
        apply_appearance(app.window, replace(app.workspace.settings, theme="system"))


# --- item 15: labels that agree ---------------------------------------------------------------------


def test_the_starter_models_effective_strategy_is_said_with_its_reason(
    open_window: Callable[..., Harness], fake_openai: FakeOpenAIServer
) -> None:
    h = open_window(replace(_with_builtin(fake_openai), active_profile=BUILTIN.name))
    model = "SmolLM2-135M-Instruct.Q4_1"  # the name its server answers with, which replies keep
    assert h.window.chat.details.text() == f"{model} · {STARTER_HEADER}"
    assert STARTER_LABEL in h.window.chat.details.toolTip()
    # One name for the model: the header's is the status bar's.
    assert h.window.provider_label.text() == f"{BUILTIN.name} · {model}"
    item = h.window.sidebar.item_for(h.chat_id)
    assert item is not None and item.text(1) == "recall" and STARTER_LABEL in item.toolTip(1)
    assert h.window.inspector.strategy.help.text().startswith(STARTER_LABEL)
    # What the labels say is what the request uses.
    assert h.workspace.preview(h.chat_id).strategy is Strategy.RECALL


def test_the_header_follows_the_provider_chosen_after_the_window_opened(
    open_app: Opener, fake_openai: FakeOpenAIServer
) -> None:
    app = open_app(_with_builtin(fake_openai))
    assert app.window.chat.details.text() == "fake-gpt · Hybrid memory"
    # The first-run setup choosing the built-in model: a settings change, nothing else.
    app.workspace.set_active_profile(BUILTIN.name)
    model = "SmolLM2-135M-Instruct.Q4_1"
    assert app.window.chat.details.text() == f"{model} · {STARTER_HEADER}"
    assert app.window.provider_label.text().endswith(f"· {model}")


def test_a_two_message_chat_is_not_called_three_messages(open_window: Callable[..., Harness]) -> None:
    h = open_window()
    h.workspace.rename_session(h.chat_id, "Titled")
    h.server.reply("Hello Alex.")
    inspector = h.window.inspector

    async def scenario() -> None:
        _type_and_enter(h, "Hi, I am Alex.")
        await until(lambda: not h.window.composer.busy and len(h.workspace.messages(h.chat_id)) == 2)

        def recent_row() -> str:
            plan = inspector.plan
            part = next((p for p in plan.parts if p.kind is PartKind.RECENT), None) if plan else None
            row = inspector.next_request.tree.item_for_record("part", part) if part else None
            return f"{row.text(0)} · {row.reason.text()}" if row is not None else ""

        await until(lambda: "all 2 messages" in recent_row(), what="the recent window's label")
        assert recent_row() == "Recent window (3) · all 2 messages of the chat and your next one"

    h.run(scenario())


def test_your_own_message_is_in_context_while_its_reply_streams(open_window: Callable[..., Harness]) -> None:
    h = open_window()
    h.workspace.rename_session(h.chat_id, "Titled")  # no title request takes a queued reply
    h.server.reply("First answer.")

    async def scenario() -> None:
        _type_and_enter(h, "First question")
        await until(lambda: not h.window.composer.busy and len(h.workspace.messages(h.chat_id)) == 2)
        await until(lambda: h.window.inspector.plan is not None)
        h.server.fail(Fault.FOREVER, interval=0.05)
        _type_and_enter(h, "Second question")
        rows = h.window.chat.model.rows

        await until(lambda: any(r.text for r in rows() if r.status is MessageStatus.STREAMING), what="streaming")
        mine = [r for r in rows() if r.message is not None and r.message.role is Role.USER]
        assert [r.context for r in mine] == [IN_CONTEXT, IN_CONTEXT]
        h.window.replies.stop()
        await until(lambda: not h.window.composer.busy, what="stopped")

    h.run(scenario())


def test_why_this_reply_forgets_the_other_chats_reply(open_window: Callable[..., Harness]) -> None:
    h = open_window()
    h.workspace.rename_session(h.chat_id, "Titled")
    h.server.reply("An answer.")
    first = h.chat_id

    async def scenario() -> None:
        _type_and_enter(h, "A question")
        await until(lambda: not h.window.composer.busy and len(h.workspace.messages(first)) == 2)

    h.run(scenario())
    reply = h.workspace.messages(first)[-1]
    assert h.window.inspector.show_reply(reply.id)
    assert h.window.inspector.sections["why"].aside.text() == f"reply #{reply.id}"
    h.window.new_chat()
    assert h.window.current_id != first
    assert h.window.inspector.sections["why"].aside.text() == ""


def test_a_stopped_reply_updates_the_last_reply_tokens_and_offers_regenerate(
    open_window: Callable[..., Harness],
) -> None:
    h = open_window()
    h.workspace.rename_session(h.chat_id, "Titled")
    h.server.reply("First answer.")

    async def scenario() -> None:
        _type_and_enter(h, "First question")
        await until(lambda: not h.window.composer.busy and len(h.workspace.messages(h.chat_id)) == 2)
        assert "prompt" in h.window.usage_label.text()
        h.server.fail(Fault.FOREVER, interval=0.05)
        _type_and_enter(h, "Tell me everything")
        rows = h.window.chat.model.rows
        await until(lambda: any(r.text for r in rows() if r.status is MessageStatus.STREAMING), what="streaming")
        h.window.replies.stop()
        await until(lambda: not h.window.composer.busy, what="stopped")

        assert h.window.usage_label.text().startswith("last reply: stopped · ≈")
        last_reply = h.window.inspector.next_request.last_reply
        await until(lambda: "stopped" in last_reply.text(), what="the inspector's last reply")

        # The stopped reply carries an inline Regenerate, and it answers again.
        row = rows()[-1]
        assert row.status is MessageStatus.STOPPED and row.message is not None
        href = f"{ACTION}:{REGENERATE}:{row.key}"
        assert href in h.window.chat.delegate._html(row)[0]
        while h.server._state.queue:
            h.server._state.queue.popleft()
        h.server.reply("A whole answer.")
        h.window.chat._on_link(href, row)
        await until(lambda: rows()[-1].status is MessageStatus.COMPLETE and rows()[-1].text == "A whole answer.")

    h.run(scenario())


def test_upkeep_that_wrote_no_summary_is_not_called_done(
    open_window: Callable[..., Harness], tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    store = Store.open(data_dir(tmp_path))
    try:
        chat = store.sessions.create("Short", strategy=Strategy.SUMMARY)
        last = store.messages.append(chat.id, Role.USER, "hello")
        store.upkeep_state.advance(chat.id, "summary", last.id)
    finally:
        store.close()
    h = open_window()
    h.window.open_session(chat.id)
    view = h.window.inspector.summary
    assert view.coverage.text() == "No summary yet."
    assert "done" not in view.upkeep.text() and "not needed yet" in view.upkeep.text()


# --- item 16: controls and layout -------------------------------------------------------------------


def _wheel(widget: QWidget, down: bool = True) -> None:
    centre = QPointF(widget.rect().center())
    delta = QPoint(0, -120 if down else 120)
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(widget.rect().center())),
        QPoint(0, 0),
        delta,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_the_wheel_over_the_inspector_scrolls_it_and_leaves_the_strategy_alone(
    open_window: Callable[..., Harness],
) -> None:
    h = open_window()
    h.window.resize(1280, 600)
    combo = h.window.inspector.strategy.combo
    h.window.composer.edit.setFocus()
    before = combo.currentIndex()
    for _ in range(3):
        _wheel(combo)
    assert combo.currentIndex() == before
    assert h.window.inspector.strategy.pending() is None
    assert combo.focusPolicy() == Qt.FocusPolicy.StrongFocus
    # Focused (clicked or tabbed to), it takes the wheel as any list does.
    combo.setFocus()
    _wheel(combo)
    assert combo.currentIndex() != before


def test_the_facts_table_fits_the_inspector_at_1280_by_800(open_window: Callable[..., Harness]) -> None:
    h = open_window()
    h.window.resize(1280, 800)
    for key, value in (
        ("name", "Alexandra"),
        ("employer", "Acme Corporation International"),
        ("favourite_programming_language", "Python"),
    ):
        h.workspace.add_fact(key, value)
    h.window.inspector.facts.refresh()
    QApplication.processEvents()
    table = h.window.inspector.facts.table
    assert table.rowCount() == 3
    assert not table.horizontalScrollBar().isVisible()
    shown = [c for c in range(table.columnCount()) if not table.isColumnHidden(c)]
    assert sum(table.columnWidth(c) for c in shown) <= table.viewport().width()
    # What the hidden columns said is in the value's tooltip.
    assert "all chats" in (table.item(0, 1).toolTip() or "")  # type: ignore[union-attr]


def test_the_hybrid_split_is_set_with_spin_boxes_checked_by_the_core(open_app: Opener) -> None:
    app = open_app()
    dialog = app.settings_dialog("memory")
    split = dialog.memory.split
    for name, percent in (("facts", 20), ("summary", 25), ("recall", 30)):
        split.spins[name].setValue(percent)
    assert split.rest.text() == "recent: 25 %"
    assert app.run(dialog.save())
    assert app.saved_settings().hybrid_split == HybridSplit(facts=0.2, summary=0.25, recall=0.3)
    split.spins["recall"].setValue(60)
    assert not app.run(dialog.save())
    assert "at most 0.9" in dialog.memory.fields["hybrid_split"].error.text()
    assert app.saved_settings().hybrid_split == HybridSplit(facts=0.2, summary=0.25, recall=0.3)


def test_config_set_on_the_command_line_reaches_the_open_window(open_app: Opener) -> None:
    app = open_app()
    view = app.window.chat.list
    assert view.font().pointSize() != 17
    done = cli(app.folder, "config", "set", "conversation_font_size", "17")
    assert done.returncode == 0, done.stderr
    app.run(until(lambda: view.font().pointSize() == 17, seconds=3, what="the font size from the CLI"))


WHEEL_AFTER_A_WORKER_IMPORT = r"""
import sys, threading
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QComboBox, QScrollArea, QVBoxLayout, QWidget

app = QApplication([])
worker = threading.Thread(target=lambda: __import__("desktop_chat.ui.wheel_guard"))  # as the start does
worker.start()
worker.join()
from desktop_chat.ui.wheel_guard import guard_wheel

area = QScrollArea()
inner = QWidget()
combo = QComboBox(inner)
combo.addItems(["one", "two", "three"])
QVBoxLayout(inner).addWidget(combo)
area.setWidget(inner)
area.show()
guard_wheel(inner)
event = QWheelEvent(QPointF(5, 5), QPointF(5, 5), QPoint(0, 0), QPoint(0, -120), Qt.MouseButton.NoButton,
                    Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
QApplication.sendEvent(combo, event)
print(combo.currentIndex())
"""


def test_the_wheel_guard_works_when_a_worker_thread_imported_it_first(tmp_path: Path) -> None:
    """The start imports the panes' modules on a worker: the guard must still belong to the GUI thread."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", WHEEL_AFTER_A_WORKER_IMPORT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "different thread" not in done.stderr  # Qt refused the filter: the wheel went to the combo
    assert done.stdout.strip() == "0"
