"""The main window's actions, menus and shortcuts.

Actions exist before the panes (the first paint shows the menus); their icons and
shortcuts are set right after it (``finish_actions``): PySide6 builds its Qt.Key
enums (~20 ms) on the first QKeySequence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction, QActionGroup, QKeySequence

if TYPE_CHECKING:
    from collections.abc import Callable

    from desktop_chat.core.models import Strategy
    from desktop_chat.ui.window.main_window import MainWindow

Shortcut = QKeySequence | QKeySequence.StandardKey | str | None


class Actions:
    """Makes the window's actions (kept as ``window.<name>_action``) and its menu bar."""

    def __init__(self, window: MainWindow) -> None:
        self._window = window
        self._pending: list[tuple[QAction, str | None, Shortcut, str]] = []

    def action(
        self, text: str, slot: Callable[[], object], shortcut: Shortcut = None, icon: str | None = None, tip: str = ""
    ) -> QAction:
        tip = tip or text.rstrip("…")
        action = QAction(text, self._window)
        self._pending.append((action, icon, shortcut, tip))
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self._window.addAction(action)
        return action

    def build(self) -> None:
        w, key, a = self._window, QKeySequence.StandardKey, self.action
        c = self.commands = ChatCommands(w)
        w.new_action = a("&New Chat", w.new_chat, key.New, "new", "Start a new chat")
        w.temporary_action = a(
            "New &Temporary Chat", w.new_temporary_chat, "Ctrl+Shift+N", "temporary", "A chat that is never saved"
        )
        w.import_action = a("&Import…", c.ask_import, key.Open, "import", "Import chats")
        w.export_md_action = a(
            "Export as &Markdown…", c.export_markdown, "Ctrl+Shift+E", "export", "Export this chat as Markdown"
        )
        w.export_json_action = a("Export as &JSON…", c.export_json, None, "export", "Export this chat as JSON")
        w.settings_action = a(
            "&Settings…", w.open_settings, "Ctrl+,", "settings", "Providers, API keys, memory defaults"
        )
        w.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        w.quit_action = a("&Quit", w.close, key.Quit, None, "Quit Desktop Chat")
        w.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        w.search_action = a("&Search Chats", c.focus_search, "Ctrl+K", "search", "Search chats")
        w.rename_action = a("&Rename Chat", c.rename_current, "F2", "rename", "Rename this chat")
        w.copy_reply_action = a("Copy Last &Reply", c.copy_last_reply, "Ctrl+Shift+C", "copy", "Copy the last reply")
        w.inspector_action = a(
            "Memory &Inspector", w.toggle_inspector, "Ctrl+I", "inspector", "Show or hide the memory inspector"
        )
        w.inspector_action.setCheckable(True)
        w.inspector_action.setChecked(True)
        w.archived_action = a(
            "Show &Archived Chats", c.toggle_archived, None, "archive", "List archived chats in the sidebar"
        )
        w.archived_action.setCheckable(True)
        replies = w.replies
        w.send_action = a("&Send", c.submit, "Ctrl+Return", "send", "Send the message (Enter)")
        w.stop_action = a("S&top", replies.stop, "Esc", "stop", "Stop the reply")
        w.regenerate_action = a(
            "Re&generate Reply", replies.regenerate, "Ctrl+R", "retry", "Answer the last message again"
        )
        w.retry_action = a("Re&try", replies.retry, "Ctrl+Shift+R", "retry", "Send the failed message again")
        w.older_version_action = a(
            "Pre&vious Version of the Reply",
            replies.versions.older_reply,
            "Ctrl+[",
            None,
            "Show the reply's previous version",
        )
        w.newer_version_action = a(
            "Ne&xt Version of the Reply", replies.versions.newer_reply, "Ctrl+]", None, "Show the reply's next version"
        )
        w.edit_last_action = a(
            "&Edit Last Message",
            replies.edit_last_message,
            "Ctrl+E",
            "edit",
            "Edit your last message and send it again",
        )
        w.pin_action = a("&Pin / Unpin", c.pin_current, "Ctrl+Shift+P", "pin", "Pin this chat")
        w.archive_action = a("&Archive / Restore", c.archive_current, "Ctrl+Shift+A", "archive", "Archive this chat")
        w.delete_action = a("&Delete Chat…", c.delete_current, None, "delete", "Delete this chat")
        w.about_action = a("&About Desktop Chat", w.about, None, None, "About Desktop Chat")
        w.setup_action = a(
            "Set &Up a Provider…", w.show_welcome, None, "settings", "Choose a provider and enter its key"
        )
        w.strategy_group = QActionGroup(w)
        self._menus()

    def _menus(self) -> None:
        w = self._window
        bar = w.menuBar()
        file = w.file_menu = bar.addMenu("&File")
        for action in (w.new_action, w.temporary_action):
            file.addAction(action)
        file.addSeparator()
        for action in (w.import_action, w.export_md_action, w.export_json_action):
            file.addAction(action)
        file.addSeparator()
        file.addAction(w.settings_action)
        file.addSeparator()
        file.addAction(w.quit_action)
        edit = bar.addMenu("&Edit")
        for action in (w.copy_reply_action, w.search_action, w.rename_action):
            edit.addAction(action)
        view = bar.addMenu("&View")
        view.addAction(w.inspector_action)
        view.addAction(w.archived_action)
        chat = w.chat_menu = bar.addMenu("&Chat")
        for action in (w.send_action, w.stop_action, w.regenerate_action, w.retry_action, w.edit_last_action):
            chat.addAction(action)
        chat.addAction(w.older_version_action)
        chat.addAction(w.newer_version_action)
        chat.addSeparator()
        w.strategy_menu = chat.addMenu("&Memory Strategy")  # filled by finish()
        chat.addSeparator()
        for action in (w.pin_action, w.archive_action, w.delete_action):
            chat.addAction(action)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(w.setup_action)
        help_menu.addAction(w.about_action)

    def finish(self) -> None:
        """Shortcuts and the strategy menu, once the first paint is on screen (the icons: ``add_icons``)."""
        from desktop_chat.core.models import Strategy

        w = self._window
        for action, _name, shortcut, tip in self._pending:
            if shortcut is not None:
                action.setShortcut(QKeySequence(shortcut))
            shown = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(tip + (f" ({shown})" if shown else ""))
        if w.quit_action.shortcut().isEmpty():
            w.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        w.strategy_actions = {}
        for strategy in (None, *Strategy):
            label = "Default (from settings)" if strategy is None else str(strategy).capitalize()
            action = QAction(label, w)
            action.setCheckable(True)
            action.setToolTip(f"Memory strategy: {label}")
            w.strategy_group.addAction(action)
            w.strategy_menu.addAction(action)
            w.strategy_actions[strategy] = action
        w.strategy_group.triggered.connect(w.strategy_chosen)

    def add_icons(self) -> None:
        """The menus' icons, once the last chat shows: only menus show them, and drawing ~60 pixmaps
        from SVG took ~20 ms of the GUI thread before it."""
        from desktop_chat.ui.app.icons import icon

        for action, name, _shortcut, _tip in self._pending:
            if name and action.icon().isNull():
                action.setIcon(icon(name))


class ChatCommands(QObject):
    """What the chat's menu entries do to the panes: actions exist before the panes, so these look them up."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window

    @Slot()
    def ask_import(self) -> None:
        self._window.sidebar.ask_import()

    @Slot()
    def rename_current(self) -> None:
        self._window.sidebar.rename_current()

    @Slot()
    def copy_last_reply(self) -> None:
        self._window.chat.copy_last_reply()

    @Slot()
    def submit(self) -> None:
        self._window.composer.submit()

    @Slot()
    def export_markdown(self) -> None:
        if self._window.current_id is not None:
            self._window.sidebar.export(self._window.current_id, "markdown")

    @Slot()
    def export_json(self) -> None:
        if self._window.current_id is not None:
            self._window.sidebar.export(self._window.current_id, "json")

    @Slot()
    def pin_current(self) -> None:
        if self._window.current_id is not None:
            self._window.sidebar.toggle_pin(self._window.current_id)

    @Slot()
    def archive_current(self) -> None:
        if self._window.current_id is not None:
            self._window.sidebar.toggle_archive(self._window.current_id)

    @Slot()
    def delete_current(self) -> None:
        if self._window.current_id is not None:
            self._window.sidebar.confirm_delete(self._window.current_id)

    @Slot()
    def focus_search(self) -> None:
        self._window.sidebar.search.setFocus()
        self._window.sidebar.search.selectAll()

    @Slot()
    def toggle_archived(self) -> None:
        self._window.sidebar.show_archived = self._window.archived_action.isChecked()
        self._window.sidebar.refresh()


def strategy_of(window: MainWindow, action: QAction) -> Strategy | None:
    """The strategy a Memory Strategy menu entry stands for."""
    return next(strategy for strategy, entry in window.strategy_actions.items() if entry is action)
