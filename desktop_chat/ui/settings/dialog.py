"""The settings dialog (Providers, Memory, Instructions, Assistants, Data, Appearance, Local models, Tools) and applying
the appearance settings.

Opened with ``open()`` (window-modal, never a nested ``exec()`` loop): saving
stores keys in the keyring off the GUI thread, in a task. Save checks every page
first; a bad value is explained next to its field and nothing is saved.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTabWidget, QVBoxLayout, QWidget

from desktop_chat.core.errors import DesktopChatError, SettingsError
from desktop_chat.core.settings import Settings
from desktop_chat.ui.settings.assistants_page import AssistantsPage, InstructionsPage
from desktop_chat.ui.settings.fields import ERROR_STYLE
from desktop_chat.ui.settings.local_models import LocalModelsPage
from desktop_chat.ui.settings.memory_page import MemoryPage
from desktop_chat.ui.settings.pages import AppearancePage, DataPage
from desktop_chat.ui.settings.providers import ProvidersPage
from desktop_chat.ui.settings.tools_page import ToolsPage
from desktop_chat.ui.wheel_guard import guard_wheel

PAGES = ("providers", "memory", "instructions", "assistants", "data", "appearance", "local_models", "tools")
NOTHING_SAVED = "Some values cannot be saved (see the marked fields); nothing was saved."


class SettingsDialog(QDialog):
    saved = Signal()

    def __init__(self, workspace: Any, parent: QWidget | None = None, *, session_id: int | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setAccessibleName("Settings")
        self.workspace = workspace
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Settings pages")
        self.tabs.setToolTip("Providers, memory, instructions, assistants, data and appearance")
        self.providers = ProvidersPage(workspace)
        self.memory = MemoryPage(workspace, session_id)
        self.instructions = InstructionsPage()
        self.assistants = AssistantsPage(workspace)
        self.data = DataPage(workspace)
        self.appearance = AppearancePage()
        self.local_models = LocalModelsPage(workspace)
        # A model downloaded or removed: the built-in profile's file list shows it (its other edits stay).
        self.local_models.models_changed.connect(self._models_changed)
        self.tools = ToolsPage(workspace)  # applied as changed (issue 24), not by Save
        for page, title, tip in (
            (self.providers, "&Providers", "Where messages go: servers, keys and models"),
            (self.memory, "&Memory", "What each request carries of the conversation"),
            (self.instructions, "&Instructions", "Who you are and how to answer: sent first in every request"),
            (self.assistants, "A&ssistants", "Presets a new chat starts from"),
            (self.data, "&Data", "Retention, backups and export"),
            (self.appearance, "&Appearance", "Theme and text size"),
            (self.local_models, "&Local models", "Download models for the built-in profile; see what fits"),
            (self.tools, "&Tools", "Tool servers (MCP) the model may use, and when it must ask"),
        ):
            index = self.tabs.addTab(page, title)
            self.tabs.setTabToolTip(index, tip)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Save result")
        self.status.setToolTip("Whether the last save worked")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close)
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setAccessibleName("Save")
        save.setToolTip("Check and save every page; a key typed is stored in the system keyring")
        close = self.buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName("Close")
        close.setToolTip("Close; changes not saved are dropped")
        self.buttons.accepted.connect(self._save_clicked)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self._tasks: set[asyncio.Future[Any]] = set()
        self.resize(760, 640)
        guard_wheel(self)  # the wheel scrolls past a list or number without changing it
        self.reload()

    @property
    def plain_pages(self) -> tuple[MemoryPage, InstructionsPage, DataPage, AppearancePage]:
        return (self.memory, self.instructions, self.data, self.appearance)

    def reload(self, *, session_id: int | None = None, select: str | None = None) -> None:
        """Show the saved values (unsaved edits are dropped)."""
        settings: Settings = self.workspace.settings
        if session_id is not None:
            self.memory.session_id = session_id
        self.providers.load(settings, select=select)
        for page in self.plain_pages:
            page.load(settings)
        self.assistants.load(settings)
        self.tools.load(settings)
        self.status.clear()

    @Slot()
    def _models_changed(self) -> None:
        self.providers.local.load(self.workspace.settings)

    def show_page(self, page: str) -> None:
        if page in PAGES:
            self.tabs.setCurrentIndex(PAGES.index(page))

    @Slot()
    def _save_clicked(self) -> None:
        task = asyncio.ensure_future(self.save())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def save(self) -> bool:
        """Check every page, then save: profiles, keys (to the keyring), then each changed setting."""
        changes: dict[str, Any] = {}
        first_bad: QWidget | None = None
        for page in self.plain_pages:
            try:
                changes.update(page.changes())
            except SettingsError:
                first_bad = first_bad or page
        try:
            changes.update(self.providers.local_changes())
        except SettingsError:
            first_bad = first_bad or self.providers
        profiles = self.providers.check()
        if profiles is None:
            first_bad = first_bad or self.providers
        if first_bad is not None:
            self.tabs.setCurrentWidget(first_bad)
            self._say(NOTHING_SAVED, error=True)
            return False
        assert profiles is not None
        if not await self.providers.apply(profiles):
            self.tabs.setCurrentWidget(self.providers)
            self._say("The profiles could not be saved (see the Providers page).", error=True)
            return False
        try:
            for key, value in changes.items():
                self.workspace.set_setting(key, value)
        except DesktopChatError as exc:
            self._say(str(exc), error=True)
            return False
        settings = self.workspace.settings
        for page in self.plain_pages:
            page.load(settings)
        self.providers.local.load(settings)
        self._say("Saved.")
        self.saved.emit()
        return True

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(ERROR_STYLE if error else "")

    def pending(self) -> list[asyncio.Future[Any]]:
        return [*self._tasks, *self.providers.pending(), *self.tools.pending()]


def open_settings(window: Any, workspace: Any, page: Any = None) -> SettingsDialog | None:
    """Open (or raise) the window's settings dialog on ``page`` (one of ``PAGES``)."""
    if workspace is None:
        if hasattr(window, "notify"):
            window.notify("Settings open once your chats are loaded.")
        return None
    dialog: SettingsDialog | None = getattr(window, "settings_dialog", None)
    session_id = getattr(window, "current_id", None)
    if dialog is None or dialog.workspace is not workspace:
        dialog = SettingsDialog(workspace, window, session_id=session_id)
        dialog.saved.connect(partial(_after_save, window, workspace))
        window.settings_dialog = dialog
    elif not dialog.isVisible():
        dialog.reload(session_id=session_id)
    if isinstance(page, str):  # a QAction's "checked" flag may arrive here: only a name picks a page
        dialog.show_page(page)
    dialog.open()
    return dialog


def _after_save(window: Any, workspace: Any) -> None:
    # A key stored here may be what the first-run welcome waits for.
    from desktop_chat.ui.settings.first_run import recheck

    recheck(window, workspace)


# --- appearance ---------------------------------------------------------------------------


def apply_appearance(window: Any, settings: Settings) -> None:
    """The theme (``ui/theme.py``: the platform's when it honours it, else the app's) and the font size."""
    from desktop_chat.ui.app.theme import apply_theme

    apply_theme(settings.theme)
    chat = getattr(window, "chat", None)
    view = getattr(chat, "list", None)
    if view is None:
        return
    font = window.font()
    if settings.conversation_font_size is not None:
        font.setPointSize(settings.conversation_font_size)
    if view.font() == font:
        return
    view.setFont(font)
    # The message delegate caches laid-out messages by width: drop them so the new size shows.
    delegate = view.itemDelegate()
    cache = getattr(delegate, "_docs", None)
    if cache is not None:
        # Deleted by Qt on this thread: dropped to Python's cycle collector, a document (which owns
        # a layout timer) could be destroyed on a worker thread.
        for entry in cache.values():
            entry[1].deleteLater()
        cache.clear()
    view.doItemsLayout()
    view.viewport().update()


def install(window: Any, workspace: Any) -> None:
    """Apply the appearance settings now and whenever settings change (call once the window is attached)."""
    apply_appearance(window, workspace.settings)
    bridge = getattr(window, "bridge", None)
    if bridge is not None:
        bridge.settingsChanged.connect(partial(apply_appearance, window))
