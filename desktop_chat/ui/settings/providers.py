"""The Providers page: profiles (from presets), base URL, API key, model, reply settings, connection test.

Edits stay in drafts until the dialog saves. The API key field is write-only: a
stored key is never read back into it; the line beside it says where the key
comes from (``Workspace.key_status``). Saving stores a typed key in the OS keyring.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.core.errors import DesktopChatError, SettingsError
from desktop_chat.core.profiles import LOCAL_PRESET, ProviderProfile, from_preset
from desktop_chat.core.settings import Settings, validate
from desktop_chat.ui.settings.drafts import Draft, field_errors, preset_choices, profile_data
from desktop_chat.ui.settings.fields import ERROR_STYLE, Field, error_label, key_file_box, keyring_note, line_edit
from desktop_chat.ui.settings.local import LocalModelFields


class ProvidersPage(QWidget):
    """Profiles on the left, the selected one's form on the right."""

    changed = Signal()

    def __init__(self, workspace: Any, parent: QWidget | None = None) -> None:  # noqa: PLR0915 - one line per control
        super().__init__(parent)
        self.setAccessibleName("Providers")
        self.workspace = workspace
        self.drafts: list[Draft] = []
        self.removed: list[str] = []
        self.active = ""
        self._shown = -1
        self._loading = False
        self._tasks: set[asyncio.Future[Any]] = set()

        self.list = QListWidget()
        self.list.setAccessibleName("Provider profiles")
        self.list.setToolTip("Your provider profiles; the active one answers new messages")
        self.list.setMaximumWidth(220)
        self.add_button = QToolButton()
        self.add_button.setText("Add")
        self.add_button.setAccessibleName("Add a profile")
        self.add_button.setToolTip("Add a profile from a preset: OpenAI, a local server, or a custom one")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_menu = QMenu(self.add_button)
        for label, preset in preset_choices():
            action = self.add_menu.addAction(label)
            action.setToolTip(f"Add a {label} profile")
            action.setData(preset)
        self.add_menu.triggered.connect(self._preset_picked)
        self.add_button.setMenu(self.add_menu)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setAccessibleName("Remove the profile")
        self.remove_button.setToolTip("Remove the selected profile (and forget its key when you save)")
        self.remove_button.clicked.connect(self.remove_selected)
        self.use_button = QPushButton("Set Active")
        self.use_button.setAccessibleName("Use this profile")
        self.use_button.setToolTip("Make the selected profile the active one: new messages go to it")
        self.use_button.clicked.connect(self.use_selected)
        self.list_error = error_label("the profiles")
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.use_button):
            buttons.addWidget(button)
        left.addLayout(buttons)
        left.addWidget(self.list_error)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.fields: dict[str, Field] = {}
        self.name_edit = line_edit()
        self.fields["name"] = Field(form, "Name:", self.name_edit, tip="The profile's name; its key is stored under it")
        self.preset_label = QLabel()
        self.preset_label.setAccessibleName("Preset")
        self.preset_label.setToolTip("The preset this profile started from")
        form.addRow("Preset:", self.preset_label)
        self.url_edit = line_edit("OpenAI's API (or OPENAI_BASE_URL)")
        self.fields["base_url"] = Field(
            form,
            "Base URL:",
            self.url_edit,
            tip="The server's OpenAI-compatible API address, usually ending in /v1",
            explain="Empty: OpenAI's API. Local servers: e.g. http://localhost:11434/v1 (Ollama).",
        )
        self.needs_key = QCheckBox("The server needs an API key")
        self.fields["needs_key"] = Field(
            form, "", self.needs_key, tip="Local servers need none: no key is ever sent to a profile that needs none"
        )
        self.key_edit = QLineEdit()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("Type a new key to store it")
        self.fields["key"] = Field(
            form,
            "API key:",
            self.key_edit,
            tip="Stored in the system keyring when you save; a stored key is never shown",
        )
        self.key_status = QLabel()
        self.key_status.setAccessibleName("Where the key comes from")
        self.key_status.setToolTip("Where this profile's key comes from; the key itself is never shown")
        self.key_status.setWordWrap(True)
        form.addRow("", self.key_status)
        self.key_file, self.keyring_note = key_file_box(), keyring_note()
        self.use_env_key = QCheckBox("Also send OPENAI_API_KEY to this server")
        self.fields["use_env_key"] = Field(
            form, "", self.use_env_key, tip="Only for a server that takes your OpenAI key; OpenAI's API always gets it"
        )
        for row in (self.key_file, self.keyring_note):
            form.addRow("", row)
        # The built-in model has no URL or key: its own settings take their place.
        self.local = LocalModelFields(workspace)
        self.local.changed.connect(self.changed)
        form.addRow(self.local)
        self.model_box = QComboBox()
        self.model_box.setEditable(True)
        self.fetch_button = QToolButton()
        self.fetch_button.setText("Fetch list")
        self.fetch_button.setAccessibleName("Fetch the models")
        self.fetch_button.setToolTip("Ask the server which models it has")
        self.fetch_button.clicked.connect(self._fetch_clicked)
        model_row = QWidget()
        model_layout = QHBoxLayout(model_row)
        model_layout.setContentsMargins(0, 0, 0, 0)
        model_layout.addWidget(self.model_box, 1)
        model_layout.addWidget(self.fetch_button)
        model_row.setAccessibleName("Model and its list")
        self.fields["default_model"] = Field(
            form,
            "Model:",
            self.model_box,
            tip="The model that answers; pick one from the server's list or type its name",
            explain="Type the name if the server does not list its models.",
            container=model_row,
        )
        self.summary_box = QComboBox()
        self.summary_box.setEditable(True)
        self.fields["summary_model"] = Field(
            form,
            "Upkeep model:",
            self.summary_box,
            tip="The model that writes summaries, extracts facts and names chats",
            explain="Writes summaries, extracts facts, names chats; a cheaper one will do. Empty: the model above.",
        )
        self.window_edit = line_edit("the model's known size")
        self.fields["context_window"] = Field(
            form,
            "Context window:",
            self.window_edit,
            tip="How many tokens the model reads at once (needed for local models)",
            explain="Tokens the model can read; empty: known for OpenAI models, else a guess.",
        )
        self.temperature_edit = line_edit("the server's default")
        self.fields["temperature"] = Field(
            form,
            "Temperature:",
            self.temperature_edit,
            tip="0 to 2: lower answers more predictably, higher more varied",
            explain="0 to 2; empty: the server's default.",
        )
        self.max_reply_edit = line_edit("no cap")
        self.fields["max_reply_tokens"] = Field(
            form,
            "Max reply tokens:",
            self.max_reply_edit,
            tip="The longest reply the model may write (sent as max_completion_tokens to OpenAI, max_tokens elsewhere)",
            explain="A cap on each reply; empty: the server's own limit.",
        )
        self.test_button = QPushButton("Test connection")
        self.test_button.setAccessibleName("Test connection")
        self.test_button.setToolTip("Ask the server for its models with this URL and key; spends no tokens")
        self.test_button.clicked.connect(self._test_clicked)
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        self.test_result.setAccessibleName("Connection test result")
        self.test_result.setToolTip("What the server answered")
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_result, 1)
        form.addRow("", test_row)

        self._form = form
        self.form_box = QWidget()
        self.form_box.setLayout(form)
        layout = QHBoxLayout(self)
        layout.addLayout(left)
        layout.addWidget(self.form_box, 1)

        self.list.currentRowChanged.connect(self._show)
        self.name_edit.textEdited.connect(self._name_edited)
        for edit in (self.url_edit, self.window_edit, self.temperature_edit, self.max_reply_edit, self.key_edit):
            edit.textEdited.connect(self.changed)
        self.needs_key.toggled.connect(self._needs_key_toggled)
        self.use_env_key.toggled.connect(self.changed)
        self.model_box.editTextChanged.connect(self.changed)

    # --- loading ---------------------------------------------------------------------

    def load(self, settings: Settings, *, select: str | None = None) -> None:
        """Show the saved profiles (drafts dropped); the active one selected unless ``select`` names another."""
        self.drafts = [Draft.of(p, original=p.name) for p in settings.profiles]
        self.removed = []
        self.active = settings.active_profile
        self.local.load(settings)
        self.list_error.hide()
        self._shown = -1
        self._fill_list()
        wanted = select or self.active
        index = next((i for i, d in enumerate(self.drafts) if d.name == wanted), 0)
        self.list.setCurrentRow(index)
        self._show(index)
        self._spawn(self.load_key_statuses())

    def _fill_list(self) -> None:
        self._loading = True
        current = self.list.currentRow()
        self.list.clear()
        for draft in self.drafts:
            self.list.addItem(self._item_text(draft))
        if 0 <= current < self.list.count():
            self.list.setCurrentRow(current)
        self._loading = False

    def _item_text(self, draft: Draft) -> str:
        name = draft.name or "(no name)"
        mark = " ★ active" if draft.name == self.active else ""
        return name + mark + ("" if draft.original is not None else " (new)")

    async def load_key_statuses(self) -> None:
        for draft in list(self.drafts):
            draft.key_status = await self._status_of(draft)
        self._show_status()
        notice = await self.workspace.keyring_notice()
        self.keyring_note.setText(notice or "")
        self.keyring_note.setVisible(bool(notice))

    async def _status_of(self, draft: Draft) -> str:
        if not draft.values["needs_key"]:
            return "Key: none needed"
        if draft.original is None:
            return "Key: none stored yet (saved with the profile)"
        try:
            return "Key: " + str(await self.workspace.key_status(draft.original))
        except DesktopChatError as exc:
            return f"Key: {exc}"

    def _show_status(self) -> None:
        draft = self.current
        self.key_status.setText(draft.key_status if draft is not None else "")

    # --- the form ------------------------------------------------------------------------

    @property
    def current(self) -> Draft | None:
        return self.drafts[self._shown] if 0 <= self._shown < len(self.drafts) else None

    def _store_form(self) -> None:
        """Keep what the form shows in its draft (before switching, testing or saving)."""
        draft = self.current
        if draft is None:
            return
        draft.values.update(
            name=self.name_edit.text(),
            base_url=self.url_edit.text(),
            default_model=self.model_box.currentText(),
            summary_model=self.summary_box.currentText(),
            context_window=self.window_edit.text(),
            temperature=self.temperature_edit.text(),
            max_reply_tokens=self.max_reply_edit.text(),
            needs_key=self.needs_key.isChecked(),
            use_env_key=self.use_env_key.isChecked(),
        )
        draft.key = self.key_edit.text()

    @Slot(int)
    def _show(self, index: int) -> None:
        if self._loading:
            return
        if index != self._shown:
            self._store_form()
        self._shown = index
        draft = self.current
        self.form_box.setEnabled(draft is not None)
        for each in self.fields.values():
            each.clear_error()
        self.test_result.clear()
        if draft is None:
            return
        values = draft.values
        self.name_edit.setText(str(values["name"]))
        self.preset_label.setText(
            dict((p, label) for label, p in preset_choices()).get(str(values["preset"]), "Custom")
        )
        self.url_edit.setText(str(values["base_url"]))
        self.needs_key.setChecked(bool(values["needs_key"]))
        self.use_env_key.setChecked(bool(values["use_env_key"]))
        self.key_edit.setText(draft.key)
        self.key_edit.setEnabled(bool(values["needs_key"]))
        for box, name in ((self.model_box, "default_model"), (self.summary_box, "summary_model")):
            box.clear()
            box.addItems(draft.models)
            box.setCurrentText(str(values[name]))
        self.window_edit.setText(str(values["context_window"]))
        self._show_rows(builtin=values["preset"] == LOCAL_PRESET)
        self.temperature_edit.setText(str(values["temperature"]))
        self.max_reply_edit.setText(str(values["max_reply_tokens"]))
        self._show_status()
        self.use_button.setEnabled(draft.name != self.active)

    def _show_rows(self, *, builtin: bool) -> None:
        """The built-in profile: its model file, threads and context size instead of URL, key and window."""
        for name in ("base_url", "needs_key", "key", "use_env_key", "context_window"):
            self._form.setRowVisible(self.fields[name].row, not builtin)
        for row in (self.key_status, self.key_file):
            self._form.setRowVisible(row, not builtin)
        self._form.setRowVisible(self.local, builtin)

    def local_changes(self) -> dict[str, Any]:
        """The built-in model's settings that differ from the saved ones; on a bad value, its profile is shown."""
        try:
            return self.local.changes()
        except SettingsError:
            index = next((i for i, d in enumerate(self.drafts) if d.values["preset"] == LOCAL_PRESET), -1)
            if index >= 0:
                self.list.setCurrentRow(index)
            raise

    def select(self, name: str) -> None:
        index = next((i for i, d in enumerate(self.drafts) if d.name == name), -1)
        if index >= 0:
            self.list.setCurrentRow(index)

    @Slot(str)
    def _name_edited(self, text: str) -> None:
        draft = self.current
        if draft is None:
            return
        was_active = draft.name == self.active
        draft.values["name"] = text
        if was_active:
            self.active = draft.name
        item = self.list.item(self._shown)
        if item is not None:
            item.setText(self._item_text(draft))
        self.changed.emit()

    @Slot(bool)
    def _needs_key_toggled(self, checked: bool) -> None:
        self.key_edit.setEnabled(checked)
        self.changed.emit()

    # --- add, remove, use ---------------------------------------------------------------

    @Slot(QAction)
    def _preset_picked(self, action: QAction) -> None:
        self.add(str(action.data()))

    @Slot()
    def _fetch_clicked(self) -> None:
        self._spawn(self.test_connection(fill_only=True))

    @Slot()
    def _test_clicked(self) -> None:
        self._spawn(self.test_connection())

    def add(self, preset: str) -> Draft:
        """A new profile from ``preset``, named uniquely, selected for editing (saved with the dialog)."""
        self._store_form()
        base = from_preset(preset)
        names = {d.name for d in self.drafts}
        name, n = base.name, 1
        while name in names:
            n += 1
            name = f"{base.name} {n}"
        draft = Draft.of(base, original=None)
        draft.values["name"] = name
        draft.key_status = "Key: none needed" if not base.needs_key else "Key: none stored yet (saved with the profile)"
        self.drafts.append(draft)
        self._fill_list()
        self.list.setCurrentRow(len(self.drafts) - 1)
        self.changed.emit()
        return draft

    @Slot()
    def remove_selected(self) -> None:
        draft = self.current
        if draft is None:
            return
        if len(self.drafts) == 1:
            self.list_error.setText("This is the only provider profile; add another before removing it.")
            self.list_error.show()
            return
        self.list_error.hide()
        index = self._shown
        self.drafts.pop(index)
        if draft.original is not None:
            self.removed.append(draft.original)
        if draft.name == self.active:
            self.active = self.drafts[0].name
        self._shown = -1
        self._fill_list()
        self.list.setCurrentRow(min(index, len(self.drafts) - 1))
        self._show(self.list.currentRow())
        self.changed.emit()

    @Slot()
    def use_selected(self) -> None:
        self._store_form()
        draft = self.current
        if draft is None:
            return
        self.active = draft.name
        self._fill_list()
        self.use_button.setEnabled(False)
        self.changed.emit()

    # --- checking and saving ---------------------------------------------------------------

    def check(self) -> list[ProviderProfile] | None:
        """Every draft as a profile, or None with the first bad draft selected and its fields marked."""
        self._store_form()
        profiles: list[ProviderProfile] = []
        for index, draft in enumerate(self.drafts):
            errors = field_errors(draft)
            if errors:
                self.list.setCurrentRow(index)
                self._mark(errors)
                return None
            profiles.append(ProviderProfile.from_dict(profile_data(draft)))
        try:
            validate("profiles", profiles)
        except SettingsError as exc:
            self._mark({"name": str(exc)})
            return None
        self._mark({})
        return profiles

    def _mark(self, errors: dict[str, str]) -> None:
        for name, each in self.fields.items():
            each.show_error(errors.get(name, ""))

    async def apply(self, profiles: list[ProviderProfile]) -> bool:  # noqa: PLR0912 - one branch per kind of change
        """Save the checked profiles, the active choice, removals and typed keys; False (and why) on failure."""
        workspace = self.workspace
        saved = {p.name: p for p in workspace.settings.profiles}
        pairs = list(zip(self.drafts, profiles, strict=True))
        new = [profile for draft, profile in pairs if draft.original is None]
        # A new profile may take the name of one removed or renamed in the same save: it goes in after
        # them. The others go in first, so the only saved profile can be replaced by a new one.
        later = [profile for profile in new if profile.name in saved]
        try:
            for profile in new:
                if profile not in later:
                    workspace.add_profile(profile)
            for name in self.removed:
                workspace.remove_profile(name)
            for draft, profile in pairs:
                if draft.original is not None and saved.get(draft.original) != profile:
                    workspace.update_profile(draft.original, profile)
            for profile in later:
                workspace.add_profile(profile)
            if workspace.settings.active_profile != self.active:
                workspace.set_active_profile(self.active)
        except DesktopChatError as exc:
            self.list_error.setText(str(exc))
            self.list_error.show()
            return False
        for draft in self.drafts:
            draft.original = draft.name
        forgotten, self.removed = self.removed, []
        for name in forgotten:
            with contextlib.suppress(DesktopChatError):  # no keyring: there was nothing stored to forget
                await workspace.delete_api_key(name)
        self._store_form()
        for index, draft in enumerate(self.drafts):
            if not draft.key.strip() or not draft.values["needs_key"]:
                continue
            try:
                await workspace.set_api_key(draft.name, draft.key, to_file=self.key_file.isChecked())
            except DesktopChatError as exc:
                self.list.setCurrentRow(index)
                self.fields["key"].show_error(str(exc))
                return False
            draft.key = ""
            if index == self._shown:
                self.key_edit.clear()
        self.fields["key"].clear_error()
        await self.load_key_statuses()
        return True

    async def test_connection(self, *, fill_only: bool = False) -> Any:
        """Ask the server in the form (with the key typed, else the stored one) for its models; one line back."""
        self._store_form()
        draft = self.current
        if draft is None:
            return None
        errors = {k: v for k, v in field_errors(draft).items() if k != "default_model"}
        if errors:
            self._mark(errors)
            self.test_result.setText("Fix the marked values first.")
            return None
        data = profile_data(draft)
        data["default_model"] = data["default_model"] or "?"
        profile = ProviderProfile.from_dict(data)
        button = self.fetch_button if fill_only else self.test_button
        button.setEnabled(False)
        self.test_result.setText("Asking the server…")
        try:
            check = await self.workspace.test_connection(profile, key=draft.key or None)
        finally:
            button.setEnabled(True)
        self.test_result.setText(check.message)
        self.test_result.setStyleSheet("" if check.ok else ERROR_STYLE)
        if check.models and self.current is draft:
            draft.models = list(check.models)
            for box in (self.model_box, self.summary_box):
                text = box.currentText()
                box.clear()
                box.addItems(draft.models)
                box.setCurrentText(text)
        return check

    def _spawn(self, coro: Any) -> asyncio.Future[Any]:
        task: asyncio.Future[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def pending(self) -> list[asyncio.Future[Any]]:
        return list(self._tasks)
