"""The main window: sidebar | chat | inspector, the menus, the status bar, and the wiring between them.

The window shows at once, empty; ``attach(workspace)`` fills it once the
workspace exists (built after the first paint). Every action goes through the
workspace; each reply runs in a task the bridge owns, other background work in
``self.tasks`` (``ui/tasks.py``). The open chat's draft and next-request plan live in
``self.state`` (``ui/state/chat_state.py``): the composer, the chat and the
inspector subscribe to it; nothing here previews on its own.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMainWindow, QMenu

from desktop_chat.core.errors import DesktopChatError
from desktop_chat.ui.signal_types import ID
from desktop_chat.ui.state.chat_state import ChatState
from desktop_chat.ui.tasks import TaskRunner
from desktop_chat.ui.window import layout, wiring
from desktop_chat.ui.window.actions import Actions, strategy_of
from desktop_chat.ui.window.reply_runner import ReplyRunner

if TYPE_CHECKING:
    # Types only: touching the Qt namespace or QEvent's classes costs ~30 ms of enum
    # creation in PySide6, which the first paint does not need.
    from PySide6.QtGui import QCloseEvent, QPaintEvent

    from desktop_chat.core.models import ContextPlan, Session, Strategy
    from desktop_chat.core.settings import Settings
    from desktop_chat.core.workspace import Workspace
    from desktop_chat.ui.bridge import WorkspaceBridge
    from desktop_chat.ui.chat.chat_view import ChatView
    from desktop_chat.ui.chat.composer import Composer
    from desktop_chat.ui.inspector.pane import InspectorPane
    from desktop_chat.ui.sidebar.sidebar import Sidebar
    from desktop_chat.ui.window.chat_setup import ChatSetup
    from desktop_chat.ui.window.first_look import FirstLook

log = logging.getLogger(__name__)

APP_TITLE = "Desktop Chat"
POLL_MS = 1000  # another process's changes appear within about a second


def window_title(chat_title: str) -> str:
    return f"{APP_TITLE} — {chat_title}"


class MainWindow(QMainWindow):
    firstPainted = Signal()
    closeRequested = Signal()
    # Made by window/actions.py:
    new_action: QAction
    temporary_action: QAction
    import_action: QAction
    export_md_action: QAction
    export_json_action: QAction
    settings_action: QAction
    quit_action: QAction
    search_action: QAction
    rename_action: QAction
    copy_reply_action: QAction
    inspector_action: QAction
    archived_action: QAction
    send_action: QAction
    stop_action: QAction
    regenerate_action: QAction
    retry_action: QAction
    older_version_action: QAction
    newer_version_action: QAction
    edit_last_action: QAction
    pin_action: QAction
    archive_action: QAction
    delete_action: QAction
    about_action: QAction
    setup_action: QAction
    strategy_group: QActionGroup
    strategy_menu: QMenu
    file_menu: QMenu
    chat_menu: QMenu
    strategy_actions: dict[Strategy | None, QAction]

    def __init__(self, qsettings: QSettings | None = None) -> None:
        super().__init__()
        self.setWindowTitle(APP_TITLE)
        self.setAccessibleName(APP_TITLE)
        self._qsettings = qsettings
        self._workspace: Workspace | None = None
        self.bridge: WorkspaceBridge | None = None
        self.current_id: int | None = None
        self._painted = False
        self._may_close = False
        self.close_requested = False
        self.settings_dialog: Any = None  # ui/settings.py makes it on first open
        self.welcome: Any = None  # ui/first_run.py's setup, when shown
        # The panes exist once build_panes() ran (right after the first paint).
        self.sidebar: Sidebar
        self.chat: ChatView
        self.composer: Composer
        self.inspector: InspectorPane
        self.chat_setup: ChatSetup

        self.first_look: FirstLook | None = None  # ui/window/first_look.py: the reopened chat before the core loads
        self._panes_built = False
        self._sizes_restored = False
        # The first paint shows the frame: menus, status bar and three empty panes in their
        # remembered places. The panes' modules (Markdown, models, delegates) load right after.
        self.splitter = layout.empty_panes()
        self.setCentralWidget(self.splitter)
        layout.fit_screen(self, 1280, 800)

        self._build_status_bar()
        self.state = ChatState(parent=self)  # the open chat's draft and next request
        self.tasks = TaskRunner(self, notify=self.notify)
        self._poll_timer = QTimer(self)
        self._poll_timer.setInterval(POLL_MS)

        self.replies = ReplyRunner(self)
        self._actions = Actions(self)
        self._actions.build()
        self._sizes_restored = layout.restore(self, self._qsettings)

    def build_panes(self) -> None:
        """Make the sidebar, chat, composer and inspector and wire them (once, after the first paint)."""
        if self._panes_built:
            return
        self._panes_built = True
        layout.build_panes(self, self._sizes_restored)
        self.inspector.setVisible(self.inspector_action.isChecked())
        self._actions.finish()
        from desktop_chat.ui.window.chat_setup import ChatSetup

        self.chat_setup = ChatSetup(self)  # the chat's model, instructions, and chats from assistants
        wiring.connect_panes(self)

    def _build_status_bar(self) -> None:
        from desktop_chat.ui.window.status_bar import StatusLine

        self.status_line = StatusLine(self.statusBar())
        self.provider_label = self.status_line.provider
        self.connection_label = self.status_line.connection
        self.usage_label = self.status_line.usage

    @Slot()
    def _draft_edited(self) -> None:
        self.state.set_draft(self.composer.text())

    @Slot(object)
    def _plan_changed(self, plan: ContextPlan | None) -> None:
        """The chat marks what the next request leaves out (while its reply streams: the request being answered)."""
        state = self.state
        if plan is None:
            if state.error and not state.draft.strip():
                self.notify(state.error)  # the draft's own trouble is the composer's count to say
            return
        if self.chat.model.session_id == state.session_id and not state.is_busy():
            self.chat.set_plan(plan)

    @Slot(ID)
    def _context_clicked(self, message_id: int) -> None:
        self.show_inspector()
        self.inspector.explain_message(message_id)

    @Slot(int, int)
    def _splitter_moved(self, _pos: int, _index: int) -> None:
        self.inspector_action.setChecked(self.inspector.isVisible())

    # --- start and state ---------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            QTimer.singleShot(0, self.firstPainted.emit)

    @property
    def workspace(self) -> Workspace | None:
        return self._workspace

    @property
    def painted(self) -> bool:
        return self._painted

    def allow_close(self) -> None:
        """Close without the asynchronous shutdown (nothing was attached)."""
        self._may_close = True
        self.close()

    def attach(self, workspace: Workspace, *, plan: bool = True) -> None:
        """Fill the window from the workspace: recover, list, reopen the last chat, focus the composer.

        ``plan=False`` leaves the first preview to the caller (``state.start()``, after the encodings are warm),
        and the inspector's sections and the menus' icons (``complete()``): the launcher makes both once the
        last chat shows.
        """
        from desktop_chat.ui.bridge import WorkspaceBridge  # asyncio: after the first paint

        self.build_panes()
        self._workspace = workspace
        self.bridge = WorkspaceBridge(workspace, self)
        wiring.connect_bridge(self, self.bridge)
        self.state.set_preview(workspace.preview)
        self.state.set_recall(workspace.memory)  # a draft's recall queries embedded in a worker
        self.state.follow(self.bridge)
        self.state.ready = plan
        self.inspector.attach(workspace, self.bridge)
        if plan:
            self.complete()
        from desktop_chat.ui.chat.tool_calls import install_tools
        from desktop_chat.ui.settings import dialog as settings
        from desktop_chat.ui.settings import first_run

        settings.install(self, workspace)  # theme and conversation font size, now and on change
        try:
            recovered = workspace.recover_interrupted()
        except DesktopChatError as exc:
            recovered = []
            self.notify(str(exc))
        self.chat.set_workspace(workspace)
        self.sidebar.set_workspace(workspace)
        install_tools(self, workspace, self.bridge)  # Approve / Deny for tool calls; calls shown in the chat
        self.composer.setEnabled(True)
        self.open_session(self._start_session())
        self.sidebar.refresh()
        if recovered:
            self.notify(f"{len(recovered)} reply(ies) interrupted last time were kept as stopped")
        self.connection_label.setText("○ Not connected yet")
        self._poll_timer.start()
        self.composer.edit.setFocus()
        if self.first_look is not None:
            self.first_look.retire(self)
            self.first_look = None
        first_run.start(self, workspace)  # the welcome, when no provider is usable yet

    def complete(self) -> None:
        """Make what the first screen does not show: the inspector's sections and the menus' icons."""
        self.inspector.build()
        self._actions.add_icons()

    def _start_session(self) -> int:
        workspace = self._workspace
        assert workspace is not None
        reopen: int | None = None
        with contextlib.suppress(DesktopChatError):
            reopen = workspace.chat_to_reopen(self.last_session())
        return reopen if reopen is not None else int(workspace.new_session().id)

    def last_session(self) -> int | None:
        """The saved chat open when the window last closed (None: none, or nothing remembered)."""
        last = self._qsettings.value("last_session") if self._qsettings is not None else None
        try:
            return None if last is None else int(str(last))
        except ValueError:
            return None

    def save_state(self) -> None:
        layout.save(self, self._qsettings)

    # --- sessions ----------------------------------------------------------------------------

    @Slot(QAction)
    def strategy_chosen(self, action: QAction) -> None:
        self.set_strategy(strategy_of(self, action))

    def open_session(self, session_id: int) -> None:
        workspace = self._workspace
        if workspace is None:
            return
        try:
            session = workspace.session(session_id)
        except DesktopChatError as exc:
            self.notify(str(exc))
            return
        if self.composer.editing is not None:
            self.composer.cancel_editing()
        self.current_id = session.id
        self.sidebar.select(session.id)
        # Planned before the messages load, so each row is rendered once, already marked.
        busy = self.bridge is not None and self.bridge.is_running(session.id)
        plan = self.state.set_session(session.id)  # the inspector and the composer follow the state
        self.chat.show_session(session, self._details(session), None if busy else plan)
        if busy and self.bridge is not None:
            self.replies.catch_up(self.bridge)
        self._update_title(session)
        self.composer.set_busy(self.bridge is not None and self.bridge.is_running(session.id))
        self._sync_strategy(session)
        self._show_target()
        self.chat_setup.show_session(session)
        if self._qsettings is not None and not session.temporary:
            self._qsettings.setValue("last_session", session.id)
        self.composer.edit.setFocus()

    def open_message(self, session_id: int, message_id: int) -> None:
        if session_id != self.current_id:
            self.open_session(session_id)
        if not self.chat.select_messages([message_id]):  # marked, as the inspector marks a part's sources
            self.notify("That message is no longer in the conversation (it was edited or regenerated)")

    def _details(self, session: Session) -> str:
        """The header's model and strategy: the ones the next request really uses (the status bar's words)."""
        bits: list[str] = []
        workspace = self._workspace
        if workspace is None:
            return ""
        with contextlib.suppress(DesktopChatError):
            bits.append(workspace.target(session.id).model)
        with contextlib.suppress(DesktopChatError):
            choice = workspace.strategy_choice(session)
            bits.append(f"{choice.short_label} memory")
            self.chat.details.setToolTip(f"The model and the memory strategy of this chat: {choice.label}")
        if session.temporary:
            bits.append("temporary")
        return " · ".join(bits)

    def _update_title(self, session: Session) -> None:
        title = session.title or "New chat"
        self.setWindowTitle(window_title(title))
        self.chat.title.setText(title + (" (temporary)" if session.temporary else ""))
        self.chat.show_archived(session.archived)

    def _sync_strategy(self, session: Session) -> None:
        action = self.strategy_actions.get(session.strategy)
        if action is not None:
            action.setChecked(True)

    def new_chat(self) -> None:
        self._new(temporary=False)

    def new_temporary_chat(self) -> None:
        self._new(temporary=True)

    def _new(self, *, temporary: bool) -> None:
        if self._workspace is None:
            return
        try:
            session = self._workspace.new_session(temporary=temporary)
        except DesktopChatError as exc:
            self.notify(str(exc))
            return
        self.sidebar.refresh()
        self.open_session(session.id)

    def set_strategy(self, strategy: Strategy | None) -> None:
        if self._workspace is None or self.current_id is None:
            return
        try:
            session = self._workspace.set_strategy(self.current_id, strategy)
        except DesktopChatError as exc:
            self.notify(str(exc))
            return
        self.chat.details.setText(self._details(session))
        self.state.refresh()  # the change is seen at once (the event's pending preview is this one)

    def _session_changed(self, session: Session) -> None:
        if session.id == self.current_id:
            self._update_title(session)
            self.chat.details.setText(self._details(session))
            self._sync_strategy(session)
            self._show_target()  # the chat's model or profile may be what changed
            self.chat_setup.show_session(session)

    def _settings_changed(self, _settings: Settings) -> None:
        """A default, a profile or the first-run choice changed: the header and sidebar name what is used now."""
        self._show_target()
        if self.current_id is not None and self._workspace is not None:
            with contextlib.suppress(DesktopChatError):
                self.chat.details.setText(self._details(self._workspace.session(self.current_id)))
        self.sidebar.schedule_refresh()

    def _session_deleted(self, session_id: int) -> None:
        if session_id == self.current_id:
            self.current_id = None
            QTimer.singleShot(0, self._open_after_delete)

    def _open_after_delete(self) -> None:
        if self._workspace is not None and self.current_id is None:
            self.open_session(self._start_session())

    def _title_changed(self, session_id: int, title: str) -> None:
        if session_id == self.current_id and self._workspace is not None:
            with contextlib.suppress(DesktopChatError):
                self._update_title(self._workspace.session(session_id))

    def toggle_inspector(self) -> None:
        self.inspector.setVisible(self.inspector_action.isChecked())

    def show_inspector(self) -> None:
        self.inspector_action.setChecked(True)
        self.inspector.setVisible(True)

    # --- what changed ---------------------------------------------------------------------------

    def _messages_changed(self, session_id: int) -> None:
        if session_id == self.current_id and not (self.bridge is not None and self.bridge.is_running(session_id)):
            self.chat.reload()  # the state plans again (memoryChanged) and the marks follow

    def _external_change(self) -> None:
        self.sidebar.schedule_refresh()
        if self.current_id is None or self._workspace is None:
            return
        try:
            session = self._workspace.session(self.current_id)
        except DesktopChatError:
            self._session_deleted(self.current_id)
            return
        self._session_changed(session)
        self._messages_changed(self.current_id)

    def poll(self) -> None:
        if self._workspace is None:
            return
        try:
            self._workspace.poll_external_changes()
        except DesktopChatError as exc:
            log.warning("Checking for changes by other processes failed: %s", exc)

    # --- status and dialogs ------------------------------------------------------------------

    def _show_target(self) -> None:
        self.status_line.show_target(self._workspace, self.current_id)

    def notify(self, message: str) -> None:
        self.status_line.notify(message)

    def _local_model_changed(self, state: str, detail: str) -> None:
        self.status_line.local_model_changed(state, detail)

    @Slot(int, int, bool)
    def _indexing_progress(self, done: int, total: int, finished: bool) -> None:
        self.status_line.indexing_progress(done, total, finished)

    def open_settings(self, page: str | None = None) -> None:
        """The settings dialog (``ui/settings.py``), on ``page`` if given ("providers", "memory", ...)."""
        from desktop_chat.ui.settings.dialog import open_settings

        open_settings(self, self._workspace, page)

    def show_welcome(self) -> None:
        """The first-run setup (``ui/first_run.py``): choose a provider, enter a key or point at a local server."""
        from desktop_chat.ui.settings.first_run import show_welcome

        show_welcome(self, self._workspace)

    def about(self) -> None:
        from PySide6.QtWidgets import QMessageBox  # its enums: ~2 ms the first paint does not wait for

        box = QMessageBox(self)
        box.setWindowTitle("About Desktop Chat")
        box.setText("Desktop Chat: a desktop client for OpenAI-compatible models whose memory you can see and edit.")
        box.finished.connect(box.deleteLater)
        box.open()

    # --- closing -----------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._may_close:
            event.accept()
            return
        # Closing is asynchronous: the running reply is stopped and saved and the workspace
        # closed before the loop ends. The launcher listens for this and calls shutdown().
        event.ignore()
        self.close_requested = True  # before the launcher listens (the first look): it asks this
        self.closeRequested.emit()

    async def shutdown(self) -> None:
        """Stop replies (partial text saved), close the workspace, then let the window close."""
        self._poll_timer.stop()
        self.state.stop()
        self.save_state()
        if self.bridge is not None:
            await self.bridge.aclose()
        if self._workspace is not None:
            await self._workspace.aclose()
            self._workspace.close()
        self._may_close = True
        self.close()
