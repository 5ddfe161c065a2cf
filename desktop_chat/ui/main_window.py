"""The main window: sidebar | chat | inspector, the menus, the status bar, and the wiring between them.

The window shows at once, empty; ``attach(workspace)`` fills it once the
workspace exists (built after the first paint). Every action goes through the
workspace; each reply runs in a task the bridge owns.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QSettings, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox, QSplitter, QVBoxLayout, QWidget

from desktop_chat.core.errors import DesktopChatError, InputTooLarge

if TYPE_CHECKING:
    # Types only: touching the Qt namespace or QEvent's classes costs ~30 ms of enum
    # creation in PySide6, which the first paint does not need.
    from PySide6.QtGui import QCloseEvent, QPaintEvent

    from desktop_chat.core.models import ContextPlan, Strategy
    from desktop_chat.ui.bridge import WorkspaceBridge
    from desktop_chat.ui.chat_view import ChatView
    from desktop_chat.ui.composer import Composer
    from desktop_chat.ui.inspector import InspectorPane
    from desktop_chat.ui.sidebar import Sidebar

log = logging.getLogger(__name__)

APP_TITLE = "Desktop Chat"
POLL_MS = 1000  # another process's changes appear within about a second
PLAN_DELAY_MS = 60


class MainWindow(QMainWindow):
    firstPainted = Signal()
    closeRequested = Signal()

    def __init__(self, qsettings: QSettings | None = None) -> None:
        super().__init__()
        self.setWindowTitle(APP_TITLE)
        self.setAccessibleName(APP_TITLE)
        self._qsettings = qsettings
        self._workspace: Any = None
        self.bridge: WorkspaceBridge | None = None
        self.current_id: int | None = None
        self._painted = False
        self._plan_ready = True
        self._may_close = False
        self._last_sent: tuple[int, str] | None = None
        self.settings_dialog: Any = None  # ui/settings.py makes it on first open
        self.welcome: Any = None  # ui/first_run.py's setup, when shown
        # The panes exist once build_panes() ran (right after the first paint).
        self.sidebar: Sidebar
        self.chat: ChatView
        self.composer: Composer
        self.inspector: InspectorPane

        self._panes_built = False
        self._sizes_restored = False
        self._pending_actions: list[tuple[QAction, str | None, Any, str]] = []
        # The first paint shows the frame: menus, status bar and three empty panes in their
        # remembered places. The panes' modules (Markdown, models, delegates) load right after.
        self.splitter = QSplitter()  # horizontal
        self.splitter.setAccessibleName("Panes")
        self.splitter.setChildrenCollapsible(False)
        for minimum in (180, 300, 200):
            placeholder = QWidget()
            placeholder.setMinimumWidth(minimum)
            self.splitter.addWidget(placeholder)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.setCentralWidget(self.splitter)
        self._fit_screen(1280, 800)

        self._build_status_bar()
        self._plan_timer = QTimer(self)
        self._plan_timer.setSingleShot(True)
        self._plan_timer.setInterval(PLAN_DELAY_MS)
        self._plan_timer.timeout.connect(self.refresh_plan)
        self._poll_timer = QTimer(self)
        self._poll_timer.setInterval(POLL_MS)

        self._build_actions()
        self._build_menus()
        self._restore_state()

    def build_panes(self) -> None:
        """Make the sidebar, chat, composer and inspector and wire them (once, after the first paint)."""
        if self._panes_built:
            return
        self._panes_built = True
        from desktop_chat.ui.chat_view import ChatView
        from desktop_chat.ui.composer import Composer
        from desktop_chat.ui.icons import icon
        from desktop_chat.ui.inspector import InspectorPane
        from desktop_chat.ui.sidebar import Sidebar

        self.sidebar = Sidebar()
        self.chat = ChatView()
        self.composer = Composer()
        self.composer.setEnabled(False)
        self.inspector = InspectorPane()
        centre = QWidget()
        centre.setAccessibleName("Chat")
        column = QVBoxLayout(centre)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.chat, 1)
        column.addWidget(self.composer)
        self.sidebar.setMinimumWidth(180)
        # The header's model and strategy wrap rather than widen the chat past a small screen.
        self.chat.details.setWordWrap(True)
        self.chat.title.setMinimumWidth(80)
        sizes = self.splitter.sizes()
        placeholders = [self.splitter.widget(i) for i in range(self.splitter.count())]
        # insertWidget, not replaceWidget: PySide6 does not hand replaceWidget's widget to Qt,
        # so Python would delete it with the last reference.
        for index, pane in enumerate((self.sidebar, centre, self.inspector)):
            self.splitter.insertWidget(index, pane)
        for old in placeholders:
            if old is not None:
                old.hide()
                old.setParent(None)
                old.deleteLater()
        self.splitter.setSizes(sizes if self._sizes_restored else self._default_sizes())
        self.inspector.setVisible(self.inspector_action.isChecked())
        for action, name, shortcut, tip in self._pending_actions:
            if name:
                action.setIcon(icon(name))
            if shortcut is not None:
                action.setShortcut(QKeySequence(shortcut))
            shown = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(tip + (f" ({shown})" if shown else ""))
        if self.quit_action.shortcut().isEmpty():
            self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self._build_strategy_menu()
        self._connect_signals()

    def _build_strategy_menu(self) -> None:
        from desktop_chat.core.models import Strategy

        self.strategy_actions: dict[Strategy | None, QAction] = {}
        for strategy in (None, *Strategy):
            label = "Default (from settings)" if strategy is None else str(strategy).capitalize()
            action = QAction(label, self)
            action.setCheckable(True)
            action.setToolTip(f"Memory strategy: {label}")
            action.triggered.connect(lambda checked=False, s=strategy: self.set_strategy(s))
            self.strategy_group.addAction(action)
            self.strategy_menu.addAction(action)
            self.strategy_actions[strategy] = action

    def _fit_screen(self, width: int, height: int) -> None:
        """1280 by 800 where it fits; on a smaller screen its available area (the chat pane gives way first)."""
        screen = self.screen()
        room = screen.availableGeometry() if screen is not None else None
        if room is not None and room.width() > 0 and room.height() > 0:
            width, height = min(width, room.width()), min(height, room.height())
        self.resize(width, height)
        self.splitter.setSizes(self._default_sizes())

    def _default_sizes(self) -> list[int]:
        width = self.width()
        side = max(200, min(270, width // 5))
        inspector = max(self.splitter.widget(2).minimumSizeHint().width(), min(320, width // 4))  # type: ignore[union-attr]
        return [side, max(width - side - inspector, 300), inspector]

    def _build_status_bar(self) -> None:
        from desktop_chat.ui.status_bar import StatusLine

        self.status_line = StatusLine(self.statusBar())
        self.provider_label = self.status_line.provider
        self.connection_label = self.status_line.connection
        self.usage_label = self.status_line.usage

    # --- actions and menus -------------------------------------------------------------------

    def _action(
        self,
        text: str,
        slot: Any,
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        icon_name: str | None = None,
        tip: str = "",
    ) -> QAction:
        action = QAction(text, self)
        # Icons and shortcuts are set with the panes, right after the first paint: PySide6
        # builds its Qt.Key enums (~20 ms) on the first QKeySequence.
        self._pending_actions.append((action, icon_name, shortcut, tip or text.rstrip("…")))
        action.setToolTip(tip or text.rstrip("…"))
        action.setStatusTip(tip or text.rstrip("…"))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        key = QKeySequence.StandardKey
        self.new_action = self._action("&New Chat", self.new_chat, key.New, "new", "Start a new chat")
        self.temporary_action = self._action(
            "New &Temporary Chat", self.new_temporary_chat, "Ctrl+Shift+N", "temporary", "A chat that is never saved"
        )
        self.import_action = self._action("&Import…", self._ask_import, key.Open, "import", "Import chats")
        self.export_md_action = self._action(
            "Export as &Markdown…",
            lambda: self._on_current(lambda s: self.sidebar.export(s, "markdown")),
            "Ctrl+Shift+E",
            "export",
            "Export this chat as Markdown",
        )
        self.export_json_action = self._action(
            "Export as &JSON…",
            lambda: self._on_current(lambda s: self.sidebar.export(s, "json")),
            None,
            "export",
            "Export this chat as JSON",
        )
        self.settings_action = self._action(
            "&Settings…", self.open_settings, "Ctrl+,", "settings", "Providers, API keys, memory defaults"
        )
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.quit_action = self._action("&Quit", self.close, key.Quit, None, "Quit Desktop Chat")
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.search_action = self._action("&Search Chats", self.focus_search, "Ctrl+K", "search", "Search chats")
        self.rename_action = self._action("&Rename Chat", self._rename_current, "F2", "rename", "Rename this chat")
        self.copy_reply_action = self._action(
            "Copy Last &Reply", self._copy_last_reply, "Ctrl+Shift+C", "copy", "Copy the last reply"
        )
        self.inspector_action = self._action(
            "Memory &Inspector", self.toggle_inspector, "Ctrl+I", "inspector", "Show or hide the memory inspector"
        )
        self.inspector_action.setCheckable(True)
        self.inspector_action.setChecked(True)
        self.archived_action = self._action(
            "Show &Archived Chats", self.toggle_archived, None, "archive", "List archived chats in the sidebar"
        )
        self.archived_action.setCheckable(True)
        self.send_action = self._action("&Send", self._submit, "Ctrl+Return", "send", "Send the message (Enter)")
        self.stop_action = self._action("S&top", self.stop_reply, "Esc", "stop", "Stop the reply")
        self.regenerate_action = self._action(
            "Re&generate Reply", self.regenerate, "Ctrl+R", "retry", "Answer the last message again"
        )
        self.retry_action = self._action("Re&try", self.retry, "Ctrl+Shift+R", "retry", "Send the failed message again")
        self.edit_last_action = self._action(
            "&Edit Last Message", self.edit_last_message, "Ctrl+E", "edit", "Edit your last message and send it again"
        )
        self.pin_action = self._action(
            "&Pin / Unpin", lambda: self._on_current(self.sidebar.toggle_pin), "Ctrl+Shift+P", "pin", "Pin this chat"
        )
        self.archive_action = self._action(
            "&Archive / Restore",
            lambda: self._on_current(self.sidebar.toggle_archive),
            "Ctrl+Shift+A",
            "archive",
            "Archive this chat",
        )
        self.delete_action = self._action(
            "&Delete Chat…", lambda: self._on_current(self.sidebar.confirm_delete), None, "delete", "Delete this chat"
        )
        self.about_action = self._action("&About Desktop Chat", self.about, None, None, "About Desktop Chat")
        self.setup_action = self._action(
            "Set &Up a Provider…", self.show_welcome, None, "settings", "Choose a provider and enter its key"
        )
        self.strategy_group = QActionGroup(self)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        for action in (self.new_action, self.temporary_action):
            file.addAction(action)
        file.addSeparator()
        for action in (self.import_action, self.export_md_action, self.export_json_action):
            file.addAction(action)
        file.addSeparator()
        file.addAction(self.settings_action)
        file.addSeparator()
        file.addAction(self.quit_action)
        edit = bar.addMenu("&Edit")
        edit.addAction(self.copy_reply_action)
        edit.addAction(self.search_action)
        edit.addAction(self.rename_action)
        view = bar.addMenu("&View")
        view.addAction(self.inspector_action)
        view.addAction(self.archived_action)
        chat = bar.addMenu("&Chat")
        for action in (self.send_action, self.stop_action, self.regenerate_action, self.retry_action):
            chat.addAction(action)
        chat.addAction(self.edit_last_action)
        chat.addSeparator()
        self.strategy_menu: QMenu = chat.addMenu("&Memory Strategy")  # filled by build_panes
        chat.addSeparator()
        for action in (self.pin_action, self.archive_action, self.delete_action):
            chat.addAction(action)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.setup_action)
        help_menu.addAction(self.about_action)

    def _connect_signals(self) -> None:
        """Every connection between the window's parts, in one place."""
        self.sidebar.sessionActivated.connect(self.open_session)
        self.sidebar.messageActivated.connect(self.open_message)
        self.sidebar.newChat.connect(self.new_chat)
        self.sidebar.newTemporaryChat.connect(self.new_temporary_chat)
        self.sidebar.notice.connect(self.notify)
        self.composer.send.connect(self.send)
        self.composer.stop.connect(self.stop_reply)
        self.composer.draftChanged.connect(self._count_draft)
        self.chat.action.connect(self._on_chat_action)
        self.chat.summaryClicked.connect(self.show_inspector)
        # The memory inspector (ui/inspector.py): draft, provenance both ways, the selected reply.
        self.composer.edit.textChanged.connect(lambda: self.inspector.set_draft(self.composer.text()))
        self.inspector.showMessages.connect(self.chat.select_messages)
        self.inspector.openMessage.connect(self.open_message)
        self.inspector.notice.connect(self.notify)
        self.chat.contextClicked.connect(lambda _mid: self.show_inspector())
        self.chat.contextClicked.connect(self.inspector.explain_message)
        self.chat.messageClicked.connect(self.inspector.show_reply)
        self.splitter.splitterMoved.connect(lambda *_: self.inspector_action.setChecked(self.inspector.isVisible()))
        self._poll_timer.timeout.connect(self.poll)

    def _connect_bridge(self, bridge: WorkspaceBridge) -> None:
        self.sidebar.connect_bridge(bridge)  # row by row, never a rebuild
        bridge.sessionChanged.connect(self._session_changed)
        bridge.sessionDeleted.connect(self._session_deleted)
        bridge.titleChanged.connect(self._title_changed)
        bridge.messagesChanged.connect(self._messages_changed)
        bridge.memoryChanged.connect(self._memory_changed)
        bridge.settingsChanged.connect(self._settings_changed)
        bridge.externalChange.connect(self._external_change)
        bridge.localModelChanged.connect(self._local_model_changed)
        bridge.replyStarted.connect(self._reply_started)
        bridge.replyText.connect(self._reply_text)
        bridge.replyEnded.connect(self._reply_ended)
        bridge.replyRejected.connect(self._reply_rejected)
        bridge.busyChanged.connect(self._busy_changed)

    # --- start and state ---------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            QTimer.singleShot(0, self.firstPainted.emit)

    @property
    def painted(self) -> bool:
        return self._painted

    def allow_close(self) -> None:
        """Close without the asynchronous shutdown (nothing was attached)."""
        self._may_close = True
        self.close()

    def attach(self, workspace: Any, *, plan: bool = True) -> None:
        """Fill the window from the workspace: recover, list, reopen the last chat, focus the composer.

        ``plan=False`` leaves the first preview to the caller (after the encodings are warm).
        """
        self._plan_ready = plan
        from desktop_chat.ui.bridge import WorkspaceBridge  # asyncio: after the first paint

        self.build_panes()
        self._workspace = workspace
        self.bridge = WorkspaceBridge(workspace, self)
        self._connect_bridge(self.bridge)
        self.inspector.attach(workspace, self.bridge)
        from desktop_chat.ui import first_run, settings

        settings.install(self, workspace)  # theme and conversation font size, now and on change
        try:
            recovered = workspace.recover_interrupted()
        except DesktopChatError as exc:
            recovered = []
            self.notify(str(exc))
        self.chat.set_workspace(workspace)
        self.sidebar.set_workspace(workspace)
        self.composer.setEnabled(True)
        self.open_session(self._start_session())
        self.sidebar.refresh()
        if recovered:
            self.notify(f"{len(recovered)} reply(ies) interrupted last time were kept as stopped")
        self.connection_label.setText("○ Not connected yet")
        self._poll_timer.start()
        self.composer.edit.setFocus()
        first_run.start(self, workspace)  # the welcome, when no provider is usable yet

    def _start_session(self) -> int:
        workspace = self._workspace
        assert workspace is not None
        last = self._qsettings.value("last_session") if self._qsettings is not None else None
        if last is not None:
            with contextlib.suppress(DesktopChatError, ValueError, TypeError):
                session = workspace.session(int(str(last)))
                if not session.archived:
                    return int(session.id)
        sessions = [s for s in workspace.sessions() if not s.temporary]
        if sessions:
            return int(sessions[0].id)
        return int(workspace.new_session().id)

    def _restore_state(self) -> None:
        if self._qsettings is None:
            return
        geometry = self._qsettings.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        splitter = self._qsettings.value("splitter")
        if isinstance(splitter, QByteArray):
            self._sizes_restored = self.splitter.restoreState(splitter)
        inspector = self._qsettings.value("inspector", True)
        visible = inspector not in (False, "false", "0", 0)
        pane = self.splitter.widget(2)
        if pane is not None:
            pane.setVisible(visible)
        self.inspector_action.setChecked(visible)

    def save_state(self) -> None:
        if self._qsettings is None:
            return
        self._qsettings.setValue("geometry", self.saveGeometry())
        self._qsettings.setValue("splitter", self.splitter.saveState())
        self._qsettings.setValue("inspector", self.inspector.isVisible())
        self._qsettings.sync()

    # --- sessions ----------------------------------------------------------------------------

    # Actions exist before the panes; these look the pane up when triggered.
    def _ask_import(self) -> None:
        self.sidebar.ask_import()

    def _rename_current(self) -> None:
        self.sidebar.rename_current()

    def _copy_last_reply(self) -> None:
        self.chat.copy_last_reply()

    def _submit(self) -> None:
        self.composer.submit()

    def _on_current(self, call: Any) -> None:
        if self.current_id is not None:
            call(self.current_id)

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
        plan = self._preview(session.id) if self._plan_ready and not busy else None
        self.chat.show_session(session, self._details(session), plan)
        if busy and self.bridge is not None:
            self._catch_up(self.bridge)
        self._update_title(session)
        self.composer.set_busy(self.bridge is not None and self.bridge.is_running(session.id))
        self._sync_strategy(session)
        self.composer.set_count(None, None)
        self.inspector.set_session(session.id)
        self._show_target()
        if self._qsettings is not None and not session.temporary:
            self._qsettings.setValue("last_session", session.id)
        if plan is not None:
            self._show_plan(plan)
        self.composer.edit.setFocus()

    def _catch_up(self, bridge: WorkspaceBridge) -> None:
        """Show all the text a reply streamed while its chat was not the one open."""
        from desktop_chat.core.models import MessageStatus

        bridge.flush()  # pending text first; the whole text then replaces the row's
        for row in self.chat.model.rows():
            if row.message is not None and row.status is MessageStatus.STREAMING:
                text = bridge.text_so_far(row.message.id)
                if text is not None:
                    self.chat.model.set_streamed(row.message.id, text)

    def open_message(self, session_id: int, message_id: int) -> None:
        if session_id != self.current_id:
            self.open_session(session_id)
        if not self.chat.show_message(message_id):
            self.notify("That message is no longer in the conversation (it was edited or regenerated)")

    def _details(self, session: Any) -> str:
        """The header's model and strategy: the ones the next request really uses (the status bar's words)."""
        bits: list[str] = []
        workspace = self._workspace
        with contextlib.suppress(DesktopChatError, AttributeError):
            bits.append(workspace.target(session.id).model)
        with contextlib.suppress(DesktopChatError, AttributeError):
            choice = workspace.strategy_choice(session)
            bits.append(f"{choice.short_label} memory")
            self.chat.details.setToolTip(f"The model and the memory strategy of this chat: {choice.label}")
        if session.temporary:
            bits.append("temporary")
        return " · ".join(bits)

    def _update_title(self, session: Any) -> None:
        title = session.title or "New chat"
        self.setWindowTitle(f"{APP_TITLE} — {title}")
        self.chat.title.setText(title + (" (temporary)" if session.temporary else ""))

    def _sync_strategy(self, session: Any) -> None:
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
        self.refresh_plan()

    def _session_changed(self, session: Any) -> None:
        if session.id == self.current_id:
            self._update_title(session)
            self.chat.details.setText(self._details(session))
            self._sync_strategy(session)
            self._plan_timer.start()

    def _settings_changed(self, _settings: Any) -> None:
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

    def focus_search(self) -> None:
        self.sidebar.search.setFocus()
        self.sidebar.search.selectAll()

    def toggle_archived(self) -> None:
        self.sidebar.show_archived = self.archived_action.isChecked()
        self.sidebar.refresh()

    def toggle_inspector(self) -> None:
        self.inspector.setVisible(self.inspector_action.isChecked())

    def show_inspector(self) -> None:
        self.inspector_action.setChecked(True)
        self.inspector.setVisible(True)

    # --- replies -----------------------------------------------------------------------------

    def send(self, text: str) -> None:
        workspace, bridge, session_id = self._workspace, self.bridge, self.current_id
        if workspace is None or bridge is None or session_id is None or bridge.is_running(session_id):
            return
        editing = self.composer.editing
        if editing is not None:
            events = workspace.edit_and_resend(session_id, editing, text)
            self.composer.finish_editing()
        else:
            events = workspace.send(session_id, text)
        self._last_sent = (session_id, text)
        self.chat.model.clear_error()
        self.composer.clear()
        bridge.run_reply(session_id, events)

    def _run(self, make: Any) -> None:
        workspace, bridge, session_id = self._workspace, self.bridge, self.current_id
        if workspace is None or bridge is None or session_id is None or bridge.is_running(session_id):
            return
        self._last_sent = None  # the composer's words were answered already: a refusal must not bring them back
        self.chat.model.clear_error()
        bridge.run_reply(session_id, make(workspace, session_id))

    def retry(self) -> None:
        self._run(lambda w, s: w.retry(s))

    def regenerate(self) -> None:
        self._run(lambda w, s: w.regenerate(s))

    def stop_reply(self) -> None:
        if self.bridge is not None and self.current_id is not None and self.bridge.is_running(self.current_id):
            self.bridge.stop(self.current_id)
        elif self.composer.editing is not None:
            self.composer.cancel_editing()

    def edit_last_message(self) -> None:
        from desktop_chat.core.models import Role

        for row in reversed(self.chat.model.rows()):
            if row.message is not None and row.message.role is Role.USER:
                self.composer.begin_editing(row.message.id, row.message.content)
                return

    def _on_chat_action(self, name: str, message_id: int) -> None:
        from desktop_chat.ui.chat_view import EDIT, REGENERATE, RETRY, SETTINGS

        if name == RETRY:
            self.retry()
        elif name == REGENERATE:
            self.regenerate()
        elif name == SETTINGS:
            self.open_settings("providers")  # the chat's settings errors are all about the provider
        elif name == EDIT:
            row = self.chat.model.row_of(message_id)
            if row is not None:
                message = self.chat.model.rows()[row].message
                if message is not None:
                    self.composer.begin_editing(message.id, message.content)

    def _reply_started(self, event: Any) -> None:
        if event.session_id == self.current_id:
            # The request being answered is what the chat holds now: the user's new message is in it.
            self.chat.set_plan(event.plan)
            self.chat.reload()
            self.chat.scroll_to_bottom()
        self.status_line.reply_started()

    def _reply_text(self, session_id: int, message_id: int, text: str) -> None:
        if session_id == self.current_id:
            self.chat.append_text(message_id, text)
        self.status_line.reply_text()

    def _reply_ended(self, event: Any) -> None:
        self.status_line.reply_ended(event, self._workspace)
        if type(event).__name__ == "Failed":
            if event.session_id == self.current_id:
                self.chat.model.note_failure(event.assistant_message_id, type(event.error).__name__, str(event.error))
            else:
                self.notify(str(event.error))

    def _reply_rejected(self, session_id: int, message: str) -> None:
        # The reply never started (busy, empty, unknown chat): give the words back.
        if self._last_sent is not None and self._last_sent[0] == session_id and not self.composer.text():
            self.composer.set_text(self._last_sent[1])
        self.notify(message)

    def _busy_changed(self, session_id: int, busy: int) -> None:
        if session_id == self.current_id:
            self.composer.set_busy(bool(busy))
        if not busy:
            self._plan_timer.start()

    def _messages_changed(self, session_id: int) -> None:
        if session_id == self.current_id and not (self.bridge is not None and self.bridge.is_running(session_id)):
            self.chat.reload()
            self._plan_timer.start()

    def _memory_changed(self, session_id: Any) -> None:
        if session_id is None or session_id == self.current_id:
            self._plan_timer.start()

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

    # --- the next request --------------------------------------------------------------------

    def refresh_plan(self) -> None:
        self._plan_ready = True
        session_id = self.current_id
        if self._workspace is None or session_id is None:
            return
        if self.bridge is not None and self.bridge.is_running(session_id):
            return  # the plan changes when the reply ends
        plan = self._preview(session_id)
        self.chat.set_plan(plan)
        self._show_plan(plan)

    def _preview(self, session_id: int) -> ContextPlan | None:
        try:
            plan: ContextPlan = self._workspace.preview(session_id)
        except DesktopChatError as exc:
            self.notify(str(exc))
            return None
        return plan

    def _show_plan(self, plan: ContextPlan | None) -> None:
        """The inspector's summary and the composer's count (the chat marks itself)."""
        self.inspector.set_plan(plan)
        if plan is not None:
            self._count_draft(self.composer.text(), baseline=plan)

    def _count_draft(self, draft: str, baseline: Any = None) -> None:
        workspace, session_id = self._workspace, self.current_id
        if workspace is None or session_id is None:
            return
        if not draft.strip():
            if baseline is not None:
                self.composer.set_count(0, baseline.budget - baseline.total_tokens, baseline.estimated)
            else:
                self._plan_timer.start()  # the draft was erased: the chat's own plan gives the count back
            return
        try:
            plan = workspace.preview(session_id, draft)
        except InputTooLarge as exc:
            # Counted, and too big to send: say by how much; the full sentence is the tooltip.
            self.composer.set_count(exc.tokens, exc.budget - exc.tokens)
            self.composer.count.setToolTip(str(exc))
            return
        except DesktopChatError as exc:
            self.composer.count.setText("≈? tok")
            self.composer.count.setToolTip(str(exc))
            return
        self.composer.count.setToolTip(self.composer.COUNT_TIP)
        self.composer.set_count(plan.draft_tokens, plan.budget - plan.total_tokens, plan.estimated)

    # --- status and dialogs ------------------------------------------------------------------

    def _show_target(self) -> None:
        self.status_line.show_target(self._workspace, self.current_id)

    def notify(self, message: str) -> None:
        self.status_line.notify(message)

    def _local_model_changed(self, state: str, detail: str) -> None:
        self.status_line.local_model_changed(state, detail)

    def open_settings(self, page: str | None = None) -> None:
        """The settings dialog (``ui/settings.py``), on ``page`` if given ("providers", "memory", ...)."""
        from desktop_chat.ui.settings import open_settings

        open_settings(self, self._workspace, page)

    def show_welcome(self) -> None:
        """The first-run setup (``ui/first_run.py``): choose a provider, enter a key or point at a local server."""
        from desktop_chat.ui.first_run import show_welcome

        show_welcome(self, self._workspace)

    def about(self) -> None:
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
        self.closeRequested.emit()

    async def shutdown(self) -> None:
        """Stop replies (partial text saved), close the workspace, then let the window close."""
        self._poll_timer.stop()
        self._plan_timer.stop()
        self.save_state()
        if self.bridge is not None:
            await self.bridge.aclose()
        if self._workspace is not None:
            await self._workspace.aclose()
            self._workspace.close()
        self._may_close = True
        self.close()
