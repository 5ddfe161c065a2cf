"""The Instructions and Assistants pages of the settings dialog.

Instructions is a plain page: the custom instructions are saved with the dialog's Save, and
refused there (in one line, with the numbers) when they leave no room for a message.
Assistants is a list editor: each button acts at once through ``workspace.assistants``
(add or change, remove, import, export), and says what it did, or why not, under the list.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.core.assistants import Assistant, parse_options_text
from desktop_chat.core.errors import DesktopChatError
from desktop_chat.core.models import Strategy
from desktop_chat.core.settings import Settings
from desktop_chat.ui.accessibility import name_line_edit
from desktop_chat.ui.settings.fields import ERROR_STYLE, explanation, json_save_dialog
from desktop_chat.ui.settings.pages import SettingsPage


class InstructionsPage(SettingsPage):
    """Custom instructions: who you are and how to answer, sent first in every request of every chat."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Instructions", parent)
        self.editor = QPlainTextEdit()
        self.editor.setAccessibleName("Custom instructions")
        self.editor.setToolTip("Who you are and how you like answers; sent at the top of every request")
        self.editor.setPlaceholderText(
            "e.g. I am a data engineer in Lisbon. Answer briefly, with code in Python, and say when you are unsure."
        )
        self.editor.textChanged.connect(self.changed)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Custom instructions:"))
        layout.addWidget(self.editor, 1)
        layout.addWidget(
            explanation(
                "Sent as system text at the top of every request, in every chat, before the chat's own system prompt "
                "(the chat header's Instructions). Never cut to fit the budget: the memory inspector shows their "
                "tokens, and instructions that would leave no room for a message are refused."
            )
        )

    def load(self, settings: Settings) -> None:
        self._saved = settings
        self.editor.setPlainText(settings.custom_instructions)

    def values(self) -> dict[str, Any]:
        return {"custom_instructions": self.editor.toPlainText().strip()}


STRATEGIES = [("Default (from settings)", ""), *((str(s).capitalize(), s.value) for s in Strategy)]


class AssistantsPage(QWidget):
    """Named presets a chat starts from; "New chat with…" (beside New chat) lists them."""

    def __init__(self, workspace: Any, parent: QWidget | None = None) -> None:  # noqa: PLR0915 - one line per control
        super().__init__(parent)
        self.setAccessibleName("Assistants")
        self.workspace = workspace
        self.selected: str | None = None  # the name of the assistant the form shows (None: a new one)
        self.file_dialog: QFileDialog | None = None
        self.list = QListWidget()
        self.list.setAccessibleName("Assistants")
        self.list.setToolTip("Your assistants; pick one to change it")
        self.list.currentTextChanged.connect(self._picked)
        self.name = QLineEdit()
        name_line_edit(self.name, "Assistant name")
        self.name.setToolTip("What “New chat with…” calls it")
        self.description = QLineEdit()
        name_line_edit(self.description, "Description")
        self.description.setToolTip("One line saying what it is for")
        self.prompt = QPlainTextEdit()
        self.prompt.setAccessibleName("Assistant system prompt")
        self.prompt.setToolTip("The system prompt its chats start with")
        self.profile = QComboBox()
        self.profile.setAccessibleName("Assistant profile")
        self.profile.setToolTip("The provider profile its chats use (the active one by default)")
        self.model = QLineEdit()
        name_line_edit(self.model, "Assistant model")
        self.model.setPlaceholderText("the profile's default")
        self.model.setToolTip("The model its chats use; empty: the profile's default")
        self.strategy = QComboBox()
        self.strategy.setAccessibleName("Assistant memory strategy")
        self.strategy.setToolTip("The memory strategy its chats use")
        for label, value in STRATEGIES:
            self.strategy.addItem(label, value)
        self.options = QLineEdit()
        name_line_edit(self.options, "Assistant memory options")
        self.options.setPlaceholderText('e.g. {"window_messages": 10}')
        self.options.setToolTip("Memory options as JSON (the options a chat's strategy takes); empty: none")
        form = QFormLayout()
        form.addRow("Name:", self.name)
        form.addRow("Description:", self.description)
        form.addRow("System prompt:", self.prompt)
        form.addRow("Profile:", self.profile)
        form.addRow("Model:", self.model)
        form.addRow("Memory:", self.strategy)
        form.addRow("Options:", self.options)
        self.new_button = self._button("New", "Clear the form to add an assistant", self.new)
        self.save_button = self._button("Save Assistant", "Add the assistant, or save the changes to it", self.save)
        self.remove_button = self._button("Remove", "Remove the assistant shown", self.remove)
        self.import_button = self._button("Import…", "Add assistants from a JSON file", self.ask_import)
        self.export_button = self._button("Export…", "Save every assistant to a JSON file", self.ask_export)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setAccessibleName("Assistants result")
        self.result.setToolTip("What the last button did, or why not")
        row = QHBoxLayout()
        for button in (self.new_button, self.save_button, self.remove_button):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(self.import_button)
        row.addWidget(self.export_button)
        columns = QHBoxLayout()
        columns.addWidget(self.list, 1)
        columns.addLayout(form, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addLayout(row)
        layout.addWidget(
            explanation(
                "Start a chat from one with “New chat with…” beside New chat. These buttons act at once "
                "(not with Save below); a chat keeps what its assistant was when it started."
            )
        )
        layout.addWidget(self.result)

    def _button(self, text: str, tip: str, slot: Any) -> QPushButton:
        button = QPushButton(text)
        button.setAccessibleName(text.rstrip("…"))
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    def load(self, settings: Settings) -> None:
        self.profile.clear()
        self.profile.addItem("The active profile", "")
        for profile in settings.profiles:
            self.profile.addItem(profile.name, profile.name)
        keep = self.selected
        self.list.blockSignals(True)
        self.list.clear()
        self.list.addItems([a.name for a in settings.assistants])
        self.list.blockSignals(False)
        names = [a.name for a in settings.assistants]
        if keep in names:
            self.list.setCurrentRow(names.index(keep))
            self._picked(keep)
        else:
            self.new()

    @Slot(str)
    def _picked(self, name: str) -> None:
        try:
            assistant = self.workspace.assistants.get(name)
        except DesktopChatError:
            return
        self.selected = assistant.name
        self.name.setText(assistant.name)
        self.description.setText(assistant.description)
        self.prompt.setPlainText(assistant.system_prompt)
        self.profile.setCurrentIndex(max(self.profile.findData(assistant.profile or ""), 0))
        self.model.setText(assistant.model or "")
        self.strategy.setCurrentIndex(
            max(self.strategy.findData(assistant.strategy.value if assistant.strategy else ""), 0)
        )
        self.options.setText(json.dumps(assistant.strategy_options) if assistant.strategy_options else "")
        self.remove_button.setEnabled(True)

    @Slot()
    def new(self) -> None:
        self.selected = None
        self.list.clearSelection()
        for edit in (self.name, self.description, self.model, self.options):
            edit.clear()
        self.prompt.clear()
        self.profile.setCurrentIndex(0)
        self.strategy.setCurrentIndex(0)
        self.remove_button.setEnabled(False)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.result.setText(text)
        self.result.setStyleSheet(ERROR_STYLE if error else "")

    @Slot()
    def save(self) -> Assistant | None:
        try:
            assistant = Assistant.from_dict(
                {
                    "name": self.name.text(),
                    "description": self.description.text(),
                    "system_prompt": self.prompt.toPlainText(),
                    "profile": self.profile.currentData() or None,
                    "model": self.model.text(),
                    "strategy": self.strategy.currentData() or None,
                    "strategy_options": parse_options_text(self.options.text()),
                }
            )
            saved: Assistant = self.workspace.assistants.save(assistant, replacing=self.selected)
        except DesktopChatError as exc:
            self._say(str(exc), error=True)
            return None
        self._say(f"Saved assistant “{saved.name}”.")
        self.selected = saved.name
        self.load(self.workspace.settings)
        return saved

    @Slot()
    def remove(self) -> None:
        if self.selected is None:
            return
        try:
            removed = self.workspace.assistants.remove(self.selected)
        except DesktopChatError as exc:
            self._say(str(exc), error=True)
            return
        self.selected = None
        self._say(f"Removed assistant “{removed.name}”.")
        self.load(self.workspace.settings)

    @Slot()
    def ask_import(self) -> None:
        dialog = QFileDialog(self, "Import assistants", str(Path.home()))
        dialog.setNameFilter("JSON (*.json)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self._import_chosen)
        self.file_dialog = dialog
        dialog.open()

    @Slot()
    def ask_export(self) -> None:
        self.file_dialog = json_save_dialog(self, "Export assistants", "assistants.json", self._export_chosen)

    @Slot(str)
    def _import_chosen(self, path: str) -> None:
        self.import_from(Path(path))

    @Slot(str)
    def _export_chosen(self, path: str) -> None:
        self.export_to(Path(path))

    def import_from(self, path: Path) -> bool:
        try:
            added, replaced = self.workspace.assistants.import_text(path.read_text(encoding="utf-8"))
        except DesktopChatError as exc:
            self._say(str(exc), error=True)
            return False
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self._say(f"Could not read {path}: {reason}", error=True)
            return False
        self._say(f"Imported from {path.name}: {added} added, {replaced} replaced.")
        self.load(self.workspace.settings)
        return True

    def export_to(self, path: Path) -> bool:
        text = json.dumps(self.workspace.assistants.export(), ensure_ascii=False, indent=2)
        try:
            path.write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            self._say(f"Could not write {path}: {exc.strerror or exc}", error=True)
            return False
        self._say(f"Exported {len(self.workspace.assistants.list())} assistant(s) to {path}.")
        return True
