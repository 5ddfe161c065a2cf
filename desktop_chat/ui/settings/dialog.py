"""The settings dialog (Providers, Memory, Instructions, Assistants, Data, Appearance, Local models, Tools) and applying
the appearance settings.

Opened with ``open()`` (window-modal, never a nested ``exec()`` loop): saving
stores keys in the keyring off the GUI thread, in a task. Save checks every page
that was built first; a bad value is explained next to its field and nothing is saved.

Each page is built (its module imported, its widgets made, its ``load(settings)``
run) when its tab is first shown, or when code reaches it (``dialog.memory``):
building all eight at once stalled the window for well over 50 ms. Until then its
tab holds an empty placeholder. A page never built has nothing changed, so Save
leaves its settings alone.

Each built page sits in a frame-less scroll area: on a small screen (a 1280x800
display gives the dialog ~720 px) a page scrolls instead of being squeezed below
its minimum size, where its hint labels overlapped the next field.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QLabel,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.core.errors import DesktopChatError, SettingsError
from desktop_chat.core.settings import Settings
from desktop_chat.ui.settings.fields import ERROR_STYLE
from desktop_chat.ui.wheel_guard import guard_wheel

if TYPE_CHECKING:
    from desktop_chat.ui.settings.assistants_page import AssistantsPage, InstructionsPage
    from desktop_chat.ui.settings.local_models import LocalModelsPage
    from desktop_chat.ui.settings.memory_page import MemoryPage
    from desktop_chat.ui.settings.pages import AppearancePage, DataPage, SettingsPage
    from desktop_chat.ui.settings.providers import ProvidersPage
    from desktop_chat.ui.settings.tools_page import ToolsPage

PAGES = ("providers", "memory", "instructions", "assistants", "data", "appearance", "local_models", "tools")
# Each page's tab title and tooltip, in the order of PAGES.
TABS = {
    "providers": ("&Providers", "Where messages go: servers, keys and models"),
    "memory": ("&Memory", "What each request carries of the conversation"),
    "instructions": ("&Instructions", "Who you are and how to answer: sent first in every request"),
    "assistants": ("A&ssistants", "Presets a new chat starts from"),
    "data": ("&Data", "Retention, backups and export"),
    "appearance": ("&Appearance", "Theme and text size"),
    "local_models": ("&Local models", "Download models for the built-in profile; see what fits"),
    "tools": ("&Tools", "Tool servers (MCP) the model may use, and when it must ask"),
}
# The pages Save checks with ``changes()`` and loads again after saving.
PLAIN = ("memory", "instructions", "data", "appearance")
NOTHING_SAVED = "Some values cannot be saved (see the marked fields); nothing was saved."


class PageArea(QScrollArea):
    """Holds a page: as large as the view, never smaller than the page's minimum (then it scrolls up and down).

    Not ``widgetResizable``: that gives a page with word-wrapped labels its preferred height, so a page's
    lists grew past the view and pushed its buttons below it. The least height is taken at the page's width,
    where a word-wrapped hint may need more lines than the page's minimum size hint assumes.
    """

    def __init__(self, page: QWidget) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(page)
        # Only up and down: the dialog widens to the page (as the tabs made it before) rather than scroll sideways.
        self.setMinimumWidth(page.minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width())
        self._fit()

    def _fit(self) -> None:
        page = self.widget()
        if page is None:
            return
        hint = page.minimumSizeHint()
        room = self.contentsRect().size()
        width = max(room.width(), hint.width())
        need = self._least_height(page, width)
        if need > room.height():  # the scroll bar takes its width from the page
            width = max(room.width() - self.verticalScrollBar().sizeHint().width(), hint.width())
            need = self._least_height(page, width)
        page.resize(width, max(room.height(), need))

    @staticmethod
    def _least_height(page: QWidget, width: int) -> int:
        # At this width: word-wrapped hints take more lines when narrower than the minimum hint assumes.
        layout = page.layout()
        least = page.minimumSizeHint().height()
        if layout is not None and layout.hasHeightForWidth():
            least = max(least, layout.totalMinimumHeightForWidth(width))
        return least

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self._fit()  # rows shown or hidden change the page's minimum
        return super().eventFilter(watched, event)


class SettingsDialog(QDialog):
    saved = Signal()

    def __init__(
        self, workspace: Any, parent: QWidget | None = None, *, session_id: int | None = None, page: str | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setAccessibleName("Settings")
        self.workspace = workspace
        self._session_id = session_id
        self._built: dict[str, QWidget] = {}
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Settings pages")
        self.tabs.setToolTip("Providers, memory, instructions, assistants, data and appearance")
        for name in PAGES:
            title, tip = TABS[name]
            holder = QWidget()  # swapped for the page when its tab is first shown
            holder.setAccessibleName(f"{title.replace('&', '')} (opening)")
            index = self.tabs.addTab(holder, title)
            self.tabs.setTabToolTip(index, tip)
        if page in PAGES:
            self.tabs.setCurrentIndex(PAGES.index(page))
        self.tabs.currentChanged.connect(self._tab_shown)
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
        self.page(PAGES[self.tabs.currentIndex()])

    # --- pages, built on first show -----------------------------------------------------------

    def is_built(self, name: str) -> bool:
        return name in self._built

    def page(self, name: str) -> QWidget:
        """The page ``name`` (one of ``PAGES``), built and loaded with the saved settings if it was not yet."""
        page = self._built.get(name)
        if page is None:
            page = self._make(name)
            self._built[name] = page
            guard_wheel(page)
            self._load(name, page, self.workspace.settings)
            self._swap_in(name, page)
        return page

    def _make(self, name: str) -> QWidget:
        # Imported here: a page's module (and what it imports) costs only when the page is first shown.
        workspace = self.workspace
        if name == "providers":
            from desktop_chat.ui.settings.providers import ProvidersPage

            return ProvidersPage(workspace)
        if name == "memory":
            from desktop_chat.ui.settings.memory_page import MemoryPage

            return MemoryPage(workspace, self._session_id)
        if name in ("instructions", "assistants"):
            from desktop_chat.ui.settings.assistants_page import AssistantsPage, InstructionsPage

            return InstructionsPage() if name == "instructions" else AssistantsPage(workspace)
        if name in ("data", "appearance"):
            from desktop_chat.ui.settings.pages import AppearancePage, DataPage

            return DataPage(workspace) if name == "data" else AppearancePage()
        if name == "local_models":
            from desktop_chat.ui.settings.local_models import LocalModelsPage

            local = LocalModelsPage(workspace)  # reads its catalog and the disk itself
            # A model downloaded or removed: the built-in profile's file list shows it (its other edits stay).
            local.models_changed.connect(self._models_changed)
            return local
        from desktop_chat.ui.settings.tools_page import ToolsPage

        return ToolsPage(workspace)  # applied as changed (issue 24), not by Save

    @staticmethod
    def _load(name: str, page: Any, settings: Settings, *, select: str | None = None) -> None:
        if name == "providers":
            page.load(settings, select=select)
        elif name != "local_models":
            page.load(settings)

    def current_page(self) -> QWidget | None:
        """The page shown (inside its scroll area), or the placeholder of a page not yet built."""
        shown = self.tabs.currentWidget()
        return shown.widget() if isinstance(shown, QScrollArea) else shown

    def show_widget(self, page: QWidget) -> None:
        """Show the tab holding ``page`` (a built page)."""
        for name, built in self._built.items():
            if built is page:
                self.tabs.setCurrentIndex(PAGES.index(name))

    def _swap_in(self, name: str, page: QWidget) -> None:
        index = PAGES.index(name)
        title, tip = TABS[name]
        holder = self.tabs.widget(index)
        area = PageArea(page)
        area.setAccessibleName(f"{title.replace('&', '')} page")
        current = self.tabs.currentIndex()
        # Removing the shown tab would show (and so build) its neighbour: the tabs stay quiet meanwhile.
        blocked = self.tabs.blockSignals(True)
        try:
            self.tabs.removeTab(index)
            self.tabs.insertTab(index, area, title)
            self.tabs.setTabToolTip(index, tip)
            self.tabs.setCurrentIndex(current)
        finally:
            self.tabs.blockSignals(blocked)
        if holder is not None:
            holder.deleteLater()

    @Slot(int)
    def _tab_shown(self, index: int) -> None:
        if 0 <= index < len(PAGES):
            self.page(PAGES[index])

    @property
    def providers(self) -> ProvidersPage:
        return cast("ProvidersPage", self.page("providers"))

    @property
    def memory(self) -> MemoryPage:
        return cast("MemoryPage", self.page("memory"))

    @property
    def instructions(self) -> InstructionsPage:
        return cast("InstructionsPage", self.page("instructions"))

    @property
    def assistants(self) -> AssistantsPage:
        return cast("AssistantsPage", self.page("assistants"))

    @property
    def data(self) -> DataPage:
        return cast("DataPage", self.page("data"))

    @property
    def appearance(self) -> AppearancePage:
        return cast("AppearancePage", self.page("appearance"))

    @property
    def local_models(self) -> LocalModelsPage:
        return cast("LocalModelsPage", self.page("local_models"))

    @property
    def tools(self) -> ToolsPage:
        return cast("ToolsPage", self.page("tools"))

    @property
    def plain_pages(self) -> list[SettingsPage]:
        """The built pages Save checks with ``changes()``: a page never shown has nothing to save."""
        return [cast("SettingsPage", self._built[name]) for name in PLAIN if name in self._built]

    def reload(self, *, session_id: int | None = None, select: str | None = None) -> None:
        """Show the saved values on the built pages (unsaved edits are dropped); the others load when built."""
        settings: Settings = self.workspace.settings
        if session_id is not None:
            self._session_id = session_id
            if self.is_built("memory"):
                self.memory.session_id = session_id
        for name, page in self._built.items():
            self._load(name, page, settings, select=select)
        self.status.clear()

    @Slot()
    def _models_changed(self) -> None:
        if self.is_built("providers"):
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
        """Check every built page, then save: profiles, keys (to the keyring), then each changed setting."""
        changes: dict[str, Any] = {}
        first_bad: QWidget | None = None
        for page in self.plain_pages:
            try:
                changes.update(page.changes())
            except SettingsError:
                first_bad = first_bad or page
        providers = self.providers if self.is_built("providers") else None
        profiles = None
        if providers is not None:
            try:
                changes.update(providers.local_changes())
            except SettingsError:
                first_bad = first_bad or providers
            profiles = providers.check()
            if profiles is None:
                first_bad = first_bad or providers
        if first_bad is not None:
            self.show_widget(first_bad)
            self._say(NOTHING_SAVED, error=True)
            return False
        if providers is not None and profiles is not None and not await providers.apply(profiles):
            self.show_widget(providers)
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
        if providers is not None:
            providers.local.load(settings)
        self._say("Saved.")
        self.saved.emit()
        return True

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(ERROR_STYLE if error else "")

    def pending(self) -> list[asyncio.Future[Any]]:
        built = [self._built[name] for name in ("providers", "tools") if name in self._built]
        return [*self._tasks, *(task for page in built for task in cast(Any, page).pending())]


def open_settings(window: Any, workspace: Any, page: Any = None) -> SettingsDialog | None:
    """Open (or raise) the window's settings dialog on ``page`` (one of ``PAGES``)."""
    if workspace is None:
        if hasattr(window, "notify"):
            window.notify("Settings open once your chats are loaded.")
        return None
    dialog: SettingsDialog | None = getattr(window, "settings_dialog", None)
    session_id = getattr(window, "current_id", None)
    if dialog is None or dialog.workspace is not workspace:
        # Built on the page asked for, so only that page is built now.
        dialog = SettingsDialog(workspace, window, session_id=session_id, page=page if isinstance(page, str) else None)
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
    """Apply the appearance settings now and whenever settings change (call once the window is attached);
    import the pages' modules in a worker once the window is ready."""
    apply_appearance(window, workspace.settings)
    bridge = getattr(window, "bridge", None)
    if bridge is not None:
        bridge.settingsChanged.connect(partial(apply_appearance, window))
    preload_pages(window)


# --- the pages' modules, imported before the dialog opens ------------------------------------

# ~95 ms of imports together (the Providers page's ~30), which opening Settings and each first tab paid on
# the GUI thread. A worker imports them instead: an import holds the interpreter's lock in short slices.
PAGE_MODULES = tuple(
    f"desktop_chat.ui.settings.{name}"
    for name in ("providers", "memory_page", "assistants_page", "pages", "local_models", "tools_page")
)


def import_pages() -> None:
    """Import every page's module (no widget is made: a worker thread may run this)."""
    for name in PAGE_MODULES:
        importlib.import_module(name)


def preload_pages(window: Any) -> None:
    """Import the pages' modules in a worker after the window's first plan, the last step of its start."""
    state = getattr(window, "state", None)
    if state is None or all(name in sys.modules for name in PAGE_MODULES):
        return

    def first_plan(_plan: object) -> None:
        state.planChanged.disconnect(first_plan)
        if not all(name in sys.modules for name in PAGE_MODULES):
            window.tasks.run(asyncio.to_thread(import_pages), what="Loading the settings pages")

    state.planChanged.connect(first_plan)
