"""The chat header's two small editors: the chat's profile and model, and the chat's system prompt.

Both are opened with ``open()`` (never a nested ``exec()``) and save through the facade
(``workspace.chats.edit_session``); a refusal (an unknown profile, instructions that leave no
room for a message) is shown in one line inside the dialog, which stays open.
The model list comes from the profile's server in a background task; until it arrives, or when
the server cannot list its models, the name is typed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.core.errors import DesktopChatError
from desktop_chat.ui.accessibility import name_line_edit
from desktop_chat.ui.settings.fields import ERROR_STYLE

ListModels = Callable[[str], Coroutine[Any, Any, list[str]]]
PROFILE_DEFAULT = "the profile's default"


def _buttons(dialog: QDialog, save_tip: str) -> QDialogButtonBox:
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
    save = buttons.button(QDialogButtonBox.StandardButton.Save)
    save.setAccessibleName("Save")
    save.setToolTip(save_tip)
    cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
    cancel.setAccessibleName("Cancel")
    cancel.setToolTip("Close without changing the chat")
    buttons.rejected.connect(dialog.reject)
    return buttons


def _problem_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(ERROR_STYLE)
    label.setAccessibleName("Problem")
    label.setToolTip("Why the change was not saved")
    label.hide()
    return label


class ModelDialog(QDialog):
    """The chat's provider profile and model: the server's list when it answers, a typed name otherwise."""

    def __init__(
        self, workspace: Any, session_id: int, list_models: ListModels, cache: dict[str, list[str]], parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Model for this chat")
        self.setAccessibleName("Model for this chat")
        self.workspace = workspace
        self.session_id = session_id
        self._list_models = list_models
        self._cache = cache
        self._tasks: set[asyncio.Task[Any]] = set()
        session = workspace.session(session_id)
        target = workspace.target(session_id)
        self.profile = QComboBox()
        self.profile.setAccessibleName("Provider profile")
        self.profile.setToolTip("Where this chat's messages go (Settings → Providers lists them)")
        for profile in workspace.settings.profiles:
            self.profile.addItem(profile.name, profile.name)
        self.profile.setCurrentIndex(max(self.profile.findData(target.profile.name), 0))
        self.model = QComboBox()
        self.model.setEditable(True)
        self.model.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        name_line_edit(self.model, "Model")
        self.model.setToolTip("The model this chat's replies come from: pick one the server lists, or type its name")
        line = self.model.lineEdit()
        assert line is not None  # editable: it has one
        self.line: QLineEdit = line
        self.line.setPlaceholderText(PROFILE_DEFAULT)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Model list")
        self.status.setToolTip("Whether the server's models could be listed")
        self.problem = _problem_label()
        self.buttons = _buttons(self, "Use this profile and model for this chat's next requests")
        self.buttons.accepted.connect(self.save)
        form = QFormLayout()
        form.addRow("Profile:", self.profile)
        form.addRow("Model:", self.model)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self._chosen_model = session.model or ""
        self.profile.currentIndexChanged.connect(self._profile_changed)
        self._show_models()
        self.resize(420, self.sizeHint().height())

    def profile_name(self) -> str:
        return str(self.profile.currentData())

    def model_name(self) -> str:
        return self.model.currentText().strip()

    @Slot(int)
    def _profile_changed(self, _index: int) -> None:
        self._chosen_model = ""  # another profile: its default unless a model is picked
        self._show_models()

    def _show_models(self) -> None:
        name = self.profile_name()
        profile = self.workspace.settings.profile(name)
        self.line.setPlaceholderText(f"{PROFILE_DEFAULT}: {profile.default_model}")
        # The built-in server runs the one model file it was started with, whatever name it is sent.
        self.model.setEnabled(not profile.is_builtin)
        if profile.is_builtin:
            self.model.setEditText("")
            self.status.setText("The built-in model runs the file chosen in Settings → Providers.")
            return
        cached = self._cache.get(name)
        if cached is not None:
            self._fill(cached, f"{len(cached)} model(s) listed by {name}'s server.")
            return
        self._fill([], f"Asking {name}'s server for its models…")
        task = asyncio.ensure_future(self._fetch(name))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fetch(self, name: str) -> None:
        try:
            models = await self._list_models(name)
        except DesktopChatError as exc:
            if name == self.profile_name():
                self._fill([], f"Could not list the models ({exc}); type the model's name.")
            return
        self._cache[name] = models
        if name == self.profile_name():
            listed = f"{len(models)} model(s) listed by {name}'s server." if models else "The server lists no models."
            self._fill(models, listed + ("" if models else " Type the model's name."))

    def _fill(self, models: list[str], status: str) -> None:
        typed = self.model_name() or self._chosen_model
        self.model.blockSignals(True)
        self.model.clear()
        self.model.addItems(models)
        self.model.setEditText(typed)
        self.model.blockSignals(False)
        self.status.setText(status)

    def pending(self) -> list[asyncio.Task[Any]]:
        return list(self._tasks)

    def done(self, result: int) -> None:
        for task in list(self._tasks):  # a list arriving after the dialog closed has nowhere to go
            task.cancel()
        super().done(result)

    @Slot()
    def save(self) -> bool:
        try:
            self.workspace.chats.edit_session(self.session_id, profile=self.profile_name(), model=self.model_name())
        except DesktopChatError as exc:
            self.problem.setText(str(exc))
            self.problem.show()
            return False
        self.accept()
        return True


class InstructionsDialog(QDialog):
    """The chat's system prompt, sent after your custom instructions at the top of every request."""

    def __init__(self, workspace: Any, session_id: int, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Instructions for this chat")
        self.setAccessibleName("Instructions for this chat")
        self.workspace = workspace
        self.session_id = session_id
        explain = QLabel(
            "Sent as system text at the top of every request of this chat, after your custom instructions "
            "(Settings → Instructions). Never cut to fit the budget."
        )
        explain.setWordWrap(True)
        explain.setAccessibleName("Explanation")
        self.editor = QPlainTextEdit(workspace.session(session_id).system_prompt)
        self.editor.setAccessibleName("System prompt")
        self.editor.setToolTip("How the model should answer in this chat (empty: none)")
        self.editor.setPlaceholderText("e.g. You are a patient tutor; answer in short steps.")
        self.problem = _problem_label()
        self.buttons = _buttons(self, "Save this chat's system prompt")
        self.buttons.accepted.connect(self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.resize(520, 360)

    @Slot()
    def save(self) -> bool:
        try:
            self.workspace.chats.edit_session(self.session_id, system_prompt=self.editor.toPlainText())
        except DesktopChatError as exc:
            self.problem.setText(str(exc))
            self.problem.show()
            return False
        self.accept()
        return True
