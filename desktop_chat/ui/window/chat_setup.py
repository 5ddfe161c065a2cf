"""What the open chat is set to, from the window: its model and profile, its system prompt, and new chats
started from an assistant.

- the chat header's "Model" button opens the profile and model picker (``ui/chat/setup_dialogs.py``);
- its "Instructions" button opens the chat's system prompt editor;
- "New chat with…" (a button beside New chat, and File → New Chat With) lists the assistants.

The same entries are in the Chat and File menus. Every change goes through the facade
(``workspace.chats.edit_session``, ``workspace.assistants.start_chat``); the window hears of it
as any other change of a chat (the header, the sidebar row and the next request's plan follow).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QToolButton

from desktop_chat.core.errors import DesktopChatError

if TYPE_CHECKING:
    from desktop_chat.core.models import Session
    from desktop_chat.ui.chat.setup_dialogs import InstructionsDialog, ModelDialog
    from desktop_chat.ui.window.main_window import MainWindow


def _tool_button(text: str, name: str, tip: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setAccessibleName(name)
    button.setToolTip(tip)
    button.setAutoRaise(True)
    return button


class ChatSetup(QObject):
    """The header's Model and Instructions buttons, the "New chat with…" menu, and their menu entries."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.models: dict[str, list[str]] = {}  # per profile, while the window lives: a second open is instant
        self.model_dialog: ModelDialog | None = None
        self.instructions_dialog: InstructionsDialog | None = None

        self.model_button = _tool_button("Model…", "Chat model", "Choose this chat's provider profile and model")
        self.model_button.clicked.connect(self.choose_model)
        self.instructions_button = _tool_button(
            "Instructions…", "Chat instructions", "This chat's system prompt, sent at the top of every request"
        )
        self.instructions_button.clicked.connect(self.edit_instructions)
        window.chat.head.addWidget(self.model_button)
        window.chat.head.addWidget(self.instructions_button)

        self.assistants_menu = QMenu("New Chat &With…", window)
        self.assistants_menu.setToolTip("Start a new chat from an assistant: its instructions, model and memory")
        self.assistants_menu.aboutToShow.connect(self.fill_assistants)
        self.new_with_button = _tool_button(
            "With…", "New chat with an assistant", "Start a new chat from an assistant (Settings → Assistants)"
        )
        self.new_with_button.setMenu(self.assistants_menu)
        self.new_with_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.new_with_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        window.sidebar.button_row.insertWidget(1, self.new_with_button)

        self.model_action = self._action("Chat &Model…", self.choose_model, "Choose this chat's profile and model")
        self.instructions_action = self._action(
            "Chat &Instructions…", self.edit_instructions, "Edit this chat's system prompt"
        )
        chat_menu, file_menu = window.chat_menu, window.file_menu
        first = chat_menu.actions()[0] if chat_menu.actions() else None
        chat_menu.insertActions(first, [self.model_action, self.instructions_action])  # type: ignore[arg-type]
        chat_menu.insertSeparator(first)  # type: ignore[arg-type]
        file_menu.insertMenu(window.temporary_action, self.assistants_menu)

    def _action(self, text: str, slot: Any, tip: str) -> QAction:
        action = QAction(text, self._window)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self._window.addAction(action)
        return action

    # --- the open chat ---------------------------------------------------------------------------

    def show_session(self, session: Session | None) -> None:
        """The header's buttons say what the chat is set to (in their tooltips: a screen reader reads them)."""
        workspace = self._window.workspace
        if session is None or workspace is None:
            return
        try:
            target = workspace.target(session.id)
        except DesktopChatError:
            return
        self.model_button.setToolTip(
            f"This chat uses {target.model} on profile {target.profile.name}; click to choose another"
        )
        prompt = session.system_prompt
        self.instructions_button.setText("Instructions ✓" if prompt else "Instructions…")
        self.instructions_button.setToolTip(
            f"This chat's system prompt ({len(prompt):,} characters); click to edit"
            if prompt
            else "This chat has no system prompt; click to write one"
        )

    @Slot()
    def choose_model(self) -> ModelDialog | None:
        from desktop_chat.ui.chat.setup_dialogs import ModelDialog

        window, workspace = self._window, self._window.workspace
        if workspace is None or window.current_id is None:
            return None
        try:
            dialog = ModelDialog(workspace, window.current_id, workspace.providers.list_models, self.models, window)
        except DesktopChatError as exc:
            window.notify(str(exc))
            return None
        dialog.finished.connect(dialog.deleteLater)
        self.model_dialog = dialog
        dialog.open()
        return dialog

    @Slot()
    def edit_instructions(self) -> InstructionsDialog | None:
        from desktop_chat.ui.chat.setup_dialogs import InstructionsDialog

        window, workspace = self._window, self._window.workspace
        if workspace is None or window.current_id is None:
            return None
        try:
            dialog = InstructionsDialog(workspace, window.current_id, window)
        except DesktopChatError as exc:
            window.notify(str(exc))
            return None
        dialog.finished.connect(dialog.deleteLater)
        self.instructions_dialog = dialog
        dialog.open()
        return dialog

    # --- new chats from assistants ---------------------------------------------------------------

    @Slot()
    def fill_assistants(self) -> None:
        menu = self.assistants_menu
        menu.clear()
        workspace = self._window.workspace
        assistants = workspace.assistants.list() if workspace is not None else ()
        for assistant in assistants:
            action = menu.addAction(assistant.name)
            action.setToolTip(assistant.description or assistant.system_prompt[:120])
            action.setStatusTip(action.toolTip())
            action.triggered.connect(partial(self.start_with, assistant.name))
        if assistants:
            menu.addSeparator()
        manage = menu.addAction("Manage Assistants…")
        manage.setToolTip("Add, change, remove, import or export assistants")
        manage.triggered.connect(self.manage_assistants)

    @Slot()
    def manage_assistants(self) -> None:
        self._window.open_settings("assistants")

    def start_with(self, name: str, _checked: bool = False) -> Session | None:
        """A new chat from the assistant ``name``, opened."""
        window, workspace = self._window, self._window.workspace
        if workspace is None:
            return None
        try:
            session = workspace.assistants.start_chat(name)
        except DesktopChatError as exc:
            window.notify(str(exc))
            return None
        window.sidebar.refresh()
        window.open_session(session.id)
        return session
