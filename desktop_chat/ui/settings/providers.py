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
    QHBoxLayout,
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
from desktop_chat.ui.settings.fields import ERROR_STYLE, error_label
from desktop_chat.ui.settings.profile_form import ProfileForm


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

        self.form_box = ProfileForm(workspace)
        form = self.form_box  # its controls, by the names the dialog and tests have always used
        self.fields, self.local, self.preset_label = form.fields, form.local, form.preset_label
        self.name_edit, self.url_edit, self.key_edit = form.name_edit, form.url_edit, form.key_edit
        self.needs_key, self.use_env_key, self.key_status = form.needs_key, form.use_env_key, form.key_status
        self.key_file, self.keyring_note = form.key_file, form.keyring_note
        self.model_box, self.summary_box, self.fetch_button = form.model_box, form.summary_box, form.fetch_button
        self.window_edit, self.temperature_edit = form.window_edit, form.temperature_edit
        self.max_reply_edit, self.request_cap_edit = form.max_reply_edit, form.request_cap_edit
        self.test_button, self.test_result = form.test_button, form.test_result
        self.local.changed.connect(self.changed)
        self.fetch_button.clicked.connect(self._fetch_clicked)
        self.test_button.clicked.connect(self._test_clicked)

        layout = QHBoxLayout(self)
        layout.addLayout(left)
        layout.addWidget(self.form_box, 1)

        self.list.currentRowChanged.connect(self._show)
        self.name_edit.textEdited.connect(self._name_edited)
        edits = (self.url_edit, self.window_edit, self.temperature_edit, self.max_reply_edit, self.request_cap_edit)
        for edit in (*edits, self.key_edit):
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
        if draft is not None:
            self.form_box.store(draft)

    @Slot(int)
    def _show(self, index: int) -> None:
        if self._loading:
            return
        if index != self._shown:
            self._store_form()
        self._shown = index
        draft = self.current
        self.form_box.setEnabled(draft is not None)
        if draft is None:
            for each in self.fields.values():
                each.clear_error()
            self.test_result.clear()
            return
        self.form_box.show_draft(draft)
        self.use_button.setEnabled(draft.name != self.active)

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
        self.form_box.mark(errors)

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
        renamed = [(d.original, p.name) for d, p in pairs if d.original is not None and d.original != p.name]
        for draft in self.drafts:
            draft.original = draft.name
        forgotten, self.removed = self.removed, []
        for name in forgotten:
            with contextlib.suppress(DesktopChatError):  # no keyring: there was nothing stored to forget
                await workspace.delete_api_key(name)
        for old, new_name in renamed:  # a renamed profile keeps its key
            with contextlib.suppress(DesktopChatError):
                await workspace.providers.move_api_key(old, new_name)
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
            self.form_box.show_models(draft.models)
        return check

    def _spawn(self, coro: Any) -> asyncio.Future[Any]:
        task: asyncio.Future[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def pending(self) -> list[asyncio.Future[Any]]:
        return list(self._tasks)
