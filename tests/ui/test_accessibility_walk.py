"""What a screen reader finds: every interactive element, walked through Qt's accessibility tree, has a name.

The walk goes through ``QAccessible`` as an assistive technology does (AT-SPI on
Linux asks the same interfaces): from a window's interface down ``child(i)``,
reading ``role()``, ``state()`` and ``text(Name)``. It covers the main window
with a chat open (messages, the inspector with facts, pending facts, a fact's
history, a summary and a reply's request), its menus, every page of Settings,
the first-run welcome, renaming and deleting a chat, the About box, and the
import and export file dialogs (Qt's own widgets on the test platform; a
desktop's native dialog is named by its own toolkit).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent, QAccessibleInterface, QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QFileDialog,
    QHeaderView,
    QLineEdit,
    QMenu,
    QMenuBar,
    QMessageBox,
    QPlainTextEdit,
    QScrollBar,
    QSpinBox,
    QTabBar,
    QTextEdit,
    QToolButton,
    QWidget,
)

from desktop_chat.core.models import FactOrigin, FactStatus, MessageStatus, Role, Strategy
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.store import Store
from desktop_chat.ui import accessibility
from desktop_chat.ui.chat.message_model import OUT_OF_CONTEXT
from desktop_chat.ui.chat.row_look import when
from desktop_chat.ui.settings.dialog import PAGES
from desktop_chat.ui.window.main_window import MainWindow
from tests.helpers.app import App
from tests.helpers.fake_openai import FakeOpenAIServer, Fault
from tests.helpers.waiting import until
from tests.helpers.window import Harness, data_dir, ui_settings

R = QAccessible.Role
NAME = QAccessible.Text.Name

# What a user operates: each must say what it is.
INTERACTIVE = {
    R.Button, R.PushButton, R.CheckBox, R.RadioButton, R.ComboBox, R.EditableText, R.SpinBox, R.Slider,
    R.List, R.Table, R.Tree, R.TreeItem, R.PageTabList, R.PageTab, R.MenuItem, R.ButtonMenu, R.ButtonDropDown,
    R.Link,
}  # fmt: skip
# Not scroll bars: Qt's are part of their scroll area, take no focus, and are announced by role and
# orientation with their value; none of the app's own.
# Item views: their rows are the content, named by their own text; the view is named, its rows are
# checked where they matter (the messages, test_conversation_is_readable below).
VIEWS = {R.List, R.Table, R.Tree}


def walk(
    iface: QAccessibleInterface, path: str = "", *, hidden: bool = False
) -> Iterator[tuple[QAccessibleInterface, str]]:
    """Every visible interface under ``iface`` (not inside item views), with a readable path.

    ``hidden``: the hidden ones too (a closed menu's items are what it will show).
    """
    for i in range(iface.childCount()):
        child = iface.child(i)
        if child is None or not child.isValid() or (child.state().invisible and not hidden):
            continue
        where = f"{path}/{child.role().name}:{child.text(NAME)!r}"
        yield child, where
        if child.role() not in VIEWS:
            yield from walk(child, where, hidden=hidden)


def unnamed(root: QWidget | QAccessibleInterface, *, hidden: bool = False) -> tuple[list[str], int]:
    """The interactive elements under ``root`` without a name, and how many were checked."""
    iface = root if isinstance(root, QAccessibleInterface) else QAccessible.queryAccessibleInterface(root)
    assert iface is not None
    missing, checked = [], 0
    for child, where in walk(iface, hidden=hidden):
        if child.role() not in INTERACTIVE:
            continue
        checked += 1
        if not child.text(NAME).strip():
            what = child.object()
            missing.append(f"{where} ({type(what).__name__} {what.objectName()!r})")
    return missing, checked


def assert_named(root: QWidget | QAccessibleInterface, at_least: int) -> int:
    missing, checked = unnamed(root)
    assert missing == [], "\n".join(["unnamed:", *missing])
    assert checked >= at_least, f"only {checked} interactive elements found: the walk missed most of it"
    return checked


def _seed(tmp_path: Path) -> int:
    """A chat with replies, facts (active, pending, rejected) and a summary, before the window opens."""
    store = Store.open(data_dir(tmp_path))
    try:
        session = store.sessions.create("Bookstore API", strategy=Strategy.SUMMARY, strategy_options={})
        for i in range(12):
            role = Role.USER if i % 2 == 0 else Role.ASSISTANT
            store.messages.append(session.id, role, f"message number {i + 1} about books and authors")
        messages = store.messages.all(session.id)
        store.facts.add("name", "Alex", scope=session.id, actor="user")
        store.facts.add(
            "city", "Lisbon", scope=session.id, origin=FactOrigin.EXTRACTED, status=FactStatus.PENDING,
            source_message_id=messages[0].id, source_quote="I live in Lisbon", actor="extractor",
        )  # fmt: skip
        store.facts.add(
            "age", "200", scope=session.id, origin=FactOrigin.EXTRACTED, status=FactStatus.REJECTED,
            reason="not stated in the message", actor="extractor",
        )  # fmt: skip
        store.summaries.save(session.id, "Alex is designing a bookstore API.", covers_through=messages[9].id,
                             token_count=7, model="fake-mini", by="upkeep")  # fmt: skip
        return session.id
    finally:
        store.close()


def test_the_main_window_with_a_chat_open_names_every_control(
    open_window: Callable[..., Harness], tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    chat = _seed(tmp_path)
    h = open_window(replace(ui_settings(fake_openai), facts_require_approval=True))
    h.window.open_session(chat)
    inspector = h.window.inspector
    h.run(until(lambda: inspector.plan is not None, what="the first plan"))
    assert inspector.facts.select_fact(inspector.facts.facts[0].id)  # the fact's history box shows
    reply = next(r for r in h.window.chat.model.rows() if r.message is not None and r.message.role is Role.ASSISTANT)
    assert inspector.show_reply(reply.key)  # "Why this reply"
    h.run(asyncio.sleep(0.1))
    assert inspector.facts.history_box.isVisible() and inspector.facts.pending_box.isVisible()
    assert inspector.summary.editor.toPlainText()
    assert_named(h.window, at_least=25)
    h.window.sidebar.search.setText("books")  # the search field's clear button shows
    h.run(asyncio.sleep(0.3))
    assert_named(h.window.sidebar, at_least=4)
    inside = [c.text(NAME) for c, _ in walk(QAccessible.queryAccessibleInterface(h.window.sidebar.search))]
    assert sorted(inside) == ["Clear", "Search"]  # the clear button shows once there is text


def test_every_menu_item_is_named_and_reachable(open_window: Callable[..., Harness]) -> None:
    h = open_window()
    menus = [a.menu() for a in h.window.menuBar().actions() if a.menu() is not None]
    assert len(menus) >= 5
    checked = 0
    for menu in [*menus, *(m for top in menus for m in top.findChildren(QMenu))]:
        assert isinstance(menu, QMenu)
        missing, count = unnamed(menu, hidden=True)
        assert missing == [], menu.title()
        checked += count
    assert checked >= 20


@pytest.mark.parametrize("page", PAGES)
def test_every_settings_page_names_every_control(open_app: Callable[..., App], page: str) -> None:
    app = open_app()
    dialog = app.settings_dialog(page)
    app.settle(0.1)
    assert_named(dialog, at_least=5)


def test_the_welcome_names_every_control(open_app: Callable[..., App], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    app = open_app(Settings())  # no key anywhere: the welcome opens
    app.run(until(lambda: app.window.welcome is not None and app.window.welcome.isVisible(), what="the welcome"))
    assert_named(app.window.welcome, at_least=5)


def test_renaming_and_deleting_a_chat_name_every_control(open_window: Callable[..., Harness], tmp_path: Path) -> None:
    chat = _seed(tmp_path)
    h = open_window()
    h.window.open_session(chat)
    sidebar = h.window.sidebar
    sidebar.confirm_delete(chat)
    box = sidebar.confirm_box
    assert box is not None and box.isVisible()
    assert_named(box, at_least=2)
    box.reject()
    h.run(asyncio.sleep(0.05))
    h.window.rename_action.trigger()
    editor = sidebar.tree.findChild(QLineEdit)
    assert editor is not None and editor.isVisible(), "the title editor did not open"
    iface = QAccessible.queryAccessibleInterface(editor)
    assert iface.text(NAME), "the chat title editor has no name"


def test_an_archived_chat_a_version_question_and_an_import_error_name_every_control(
    open_window: Callable[..., Harness], tmp_path: Path
) -> None:
    chat = _seed(tmp_path)
    h = open_window()
    h.workspace.set_archived(chat, True)
    h.window.open_session(chat)
    assert h.window.chat.archived.isVisible()
    assert_named(h.window.chat.archived, at_least=1)  # the Restore button
    reply = next(r for r in h.window.chat.model.rows() if r.message is not None and r.message.role is Role.ASSISTANT)
    versions = h.window.replies.versions
    versions.confirm_delete(reply.key, 1, 2)
    assert versions.confirm_box is not None and versions.confirm_box.isVisible()
    assert_named(versions.confirm_box, at_least=2)
    versions.confirm_box.reject()
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    h.window.sidebar.import_files([broken])
    box = h.window.sidebar.error_box
    assert box is not None and box.isVisible()
    assert_named(box, at_least=1)
    box.reject()


def test_the_about_box_names_every_control(open_window: Callable[..., Harness]) -> None:
    h = open_window()
    h.window.about()
    (box,) = [b for b in h.window.findChildren(QMessageBox) if b.isVisible()]
    try:
        assert_named(box, at_least=1)
    finally:
        box.reject()


@pytest.mark.parametrize("which", ["import", "export"])
def test_the_file_dialogs_name_every_control(open_window: Callable[..., Harness], which: str) -> None:
    h = open_window()
    sidebar = h.window.sidebar
    if which == "import":
        sidebar.ask_import()
    else:
        sidebar.export(h.chat_id, "markdown")
    dialog = sidebar.file_dialog
    assert isinstance(dialog, QFileDialog) and dialog.isVisible()
    h.run(asyncio.sleep(0.1))
    try:
        assert_named(dialog, at_least=5)
    finally:
        dialog.reject()


def test_the_conversation_is_readable_by_a_screen_reader(open_window: Callable[..., Harness], tmp_path: Path) -> None:
    store = Store.open(data_dir(tmp_path))
    try:
        window = {"window_messages": 2}
        session = store.sessions.create("Bookstore API", strategy=Strategy.WINDOW, strategy_options=window)
        for i in range(3):
            store.messages.append(session.id, Role.USER, f"question {i + 1} about books")
            store.messages.append(session.id, Role.ASSISTANT, f"answer {i + 1} about authors", model="gpt-4o")
        stopped = store.messages.append(session.id, Role.USER, "one more")
        store.messages.append(
            session.id, Role.ASSISTANT, "cut short", model="gpt-4o", status=MessageStatus.STOPPED, parent_id=stopped.id
        )
    finally:
        store.close()
    h = open_window()
    h.window.open_session(session.id)
    model = h.window.chat.model
    h.run(until(lambda: any(r.context == OUT_OF_CONTEXT for r in model.rows()), what="the context marks"))
    listing = QAccessible.queryAccessibleInterface(h.window.chat.list)
    assert listing.role() is R.List and listing.text(NAME) == "Messages"
    said = [listing.child(i).text(NAME) for i in range(listing.childCount())]
    described = [listing.child(i).text(QAccessible.Text.Description) for i in range(listing.childCount())]
    first = model.rows()[0].message
    assert first is not None
    at = when(first.created_at)
    assert said[0] == f"You, {at}: question 1 about books (not in context)"
    assert said[1] == f"Assistant, {at}, gpt-4o: answer 1 about authors (not in context)"
    assert described[0] == "not in context"
    assert said[-2].startswith(f"You, {at}: one more")
    assert said[-1] == f"Assistant, {at}, gpt-4o: cut short (stopped)" and described[-1] == "stopped"
    assert len(said) == model.rowCount() == 8


def test_a_reply_that_ends_is_announced(open_window: Callable[..., Harness], monkeypatch: pytest.MonkeyPatch) -> None:
    """The announcement event reaches ``QAccessible.updateAccessibility``.

    PySide6 does not expose ``QAccessible::installUpdateHandler``, so the test wraps
    the app's one call to ``updateAccessibility`` (``send_accessibility_event``)
    and still makes the real call: the event must be one Qt accepts.
    """
    sent: list[tuple[str, QAccessible.AnnouncementPoliteness, object]] = []
    real = accessibility.send_accessibility_event

    def record(event: QAccessibleAnnouncementEvent) -> None:
        assert isinstance(event, QAccessibleAnnouncementEvent) and event.type() is QAccessible.Event.Announcement
        sent.append((event.message(), event.politeness(), event.object()))
        real(event)

    monkeypatch.setattr(accessibility, "send_accessibility_event", record)
    h = open_window()
    listing = h.window.chat.list
    polite, assertive = QAccessible.AnnouncementPoliteness.Polite, QAccessible.AnnouncementPoliteness.Assertive
    words = " ".join(f"word{i}" for i in range(30))
    h.server.reply(chunks=[words[:40], words[40:]])

    async def scenario() -> None:
        h.window.replies.send("Hello")
        await until(lambda: len(sent) == 1, what="the finished reply's announcement")
        await until(lambda: not h.window.composer.busy)
        # The chat's title is asked for after its first reply: let that request take its turn first.
        await until(lambda: bool(h.workspace.session(h.chat_id).title), what="the chat's title")
        h.server.fail(Fault.FOREVER, interval=0.05)
        h.window.replies.send("Tell me everything")
        await until(lambda: any(r.text for r in h.window.chat.model.rows() if r.status is MessageStatus.STREAMING))
        h.window.replies.stop()
        await until(lambda: len(sent) == 2, what="the stopped reply's announcement")
        await until(lambda: not h.window.composer.busy)
        h.server.fail(Fault.UNAUTHORIZED)
        h.window.replies.send("Again")
        await until(lambda: len(sent) == 3, what="the failed reply's announcement")

    h.run(scenario())
    first = " ".join(f"word{i}" for i in range(accessibility.ANNOUNCED_WORDS))
    assert sent[0] == (f"Reply finished: {first}…", polite, listing)
    assert sent[1] == ("Reply stopped", polite, listing)
    message, politeness, where = sent[2]
    assert message.startswith("Reply failed: ") and "\n" not in message and len(message) > len("Reply failed: ")
    assert (politeness, where) == (assertive, listing)


def test_every_action_has_a_menu_entry_and_the_common_ones_a_shortcut(open_window: Callable[..., Harness]) -> None:
    h = open_window()
    window = h.window
    in_menus: set[QAction] = set()
    for top in window.menuBar().actions():
        menu = top.menu()
        assert isinstance(menu, QMenu) and top.text()
        for sub in [menu, *menu.findChildren(QMenu)]:
            in_menus.update(a for a in sub.actions() if not a.isSeparator() and a.menu() is None)
    assert all(a.text().replace("&", "").strip() for a in in_menus)
    outside = [a.text() for a in window.actions() if a not in in_menus]
    assert outside == [], "actions only reachable by a shortcut nobody can discover"
    shortcuts = [a.shortcut().toString() for a in in_menus if not a.shortcut().isEmpty()]
    assert len(shortcuts) >= 17 and len(set(shortcuts)) == len(shortcuts), "a shortcut is missing or taken twice"


def _pane(window: MainWindow, widget: QWidget) -> str:
    for name in ("sidebar", "composer", "chat", "inspector"):
        pane = getattr(window, name)
        if widget is pane or pane.isAncestorOf(widget):
            return name
    return type(widget).__name__


def test_tab_goes_sidebar_chat_composer_inspector_and_focus_is_visible(
    open_window: Callable[..., Harness], tmp_path: Path
) -> None:
    chat = _seed(tmp_path)
    h = open_window()
    window = h.window
    window.open_session(chat)
    h.run(until(lambda: window.inspector.plan is not None, what="the first plan"))
    window.sidebar.search.setFocus()
    h.run(asyncio.sleep(0.05))
    order: list[str] = []
    for _ in range(80):
        focused = QApplication.focusWidget()
        assert focused is not None
        pane = _pane(window, focused)
        if not order or order[-1] != pane:
            order.append(pane)
        QTest.keyClick(focused, Qt.Key.Key_Tab)
    first_round = order[: order.index("inspector") + 1]
    assert first_round == ["sidebar", "chat", "composer", "inspector"], order
    # Focus is drawn by the style (Fusion or the platform's): no control opts out of keyboard focus.
    interactive = (QAbstractButton, QAbstractItemView, QLineEdit, QPlainTextEdit, QTextEdit, QComboBox, QSpinBox)
    no_focus = [
        f"{type(w).__name__} {w.accessibleName()!r}"
        for w in window.findChildren(QWidget)
        if isinstance(w, interactive)
        and w.isVisibleTo(window)
        and w.focusPolicy() == Qt.FocusPolicy.NoFocus
        and not _qt_internal(w)
    ]
    assert no_focus == []


def _qt_internal(widget: QWidget) -> bool:
    """Qt's own parts that take no focus by design: a line edit's clear button, a tab bar's scroll arrows,
    a table's header (the keyboard works in the table itself)."""
    if isinstance(widget, QHeaderView):
        return True
    parent = widget.parentWidget()
    return isinstance(widget, QToolButton) and isinstance(parent, QLineEdit | QTabBar | QMenuBar | QScrollBar)


def test_the_chats_model_and_instructions_editors_and_the_assistants_menu_name_every_control(
    open_window: Callable[..., Harness],
) -> None:
    h = open_window()
    setup = h.window.chat_setup
    for button in (setup.model_button, setup.instructions_button, setup.new_with_button):
        assert QAccessible.queryAccessibleInterface(button).text(NAME)
    model = setup.choose_model()
    assert model is not None
    h.run(until(lambda: model.model.count() > 0, what="the server's models"))
    try:
        assert_named(model, at_least=4)
    finally:
        model.reject()
    instructions = setup.edit_instructions()
    assert instructions is not None
    try:
        assert_named(instructions, at_least=3)
    finally:
        instructions.reject()
    setup.fill_assistants()
    missing, count = unnamed(setup.assistants_menu, hidden=True)
    assert missing == [] and count >= 5
