"""First run: with no usable provider, the window opens on a short welcome instead of a keyring error.

Shown when the active profile needs a key and none is stored or set in
``OPENAI_API_KEY`` (``Workspace.provider_ready``). It offers OpenAI with a key
field (stored in the system keyring; without one, kept until quit or, if chosen, in a
0600 file), a server on this computer (Ollama,
LM Studio, llama.cpp: the address, checked and detected if running), and the
built-in local model once a preset for it exists. Esc leaves it with the app
open; Help > Set Up a Provider reopens it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import replace
from functools import partial
from typing import Any

from PySide6.QtCore import QEvent, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.core.errors import DesktopChatError, SettingsError
from desktop_chat.core.profiles import PRESETS, ProviderProfile, from_preset
from desktop_chat.ui.settings.fields import (
    ERROR_STYLE,
    error_label,
    explanation,
    grow_to_fit,
    key_file_box,
    keyring_note,
)
from desktop_chat.ui.tasks import TaskRunner

LOCAL_PRESETS = ("ollama", "lmstudio", "llamacpp")
# A preset for the built-in (offline) model, once the core defines one under either name.
BUILTIN_PRESETS = ("builtin", "local")
WELCOME = (
    "<h3>Welcome to Desktop Chat</h3>"
    "<p>Choose where your messages go. You can change this, and add more, later in Settings.</p>"
)


def builtin_preset() -> str | None:
    return next((name for name in BUILTIN_PRESETS if name in PRESETS), None)


class WelcomeDialog(QDialog):
    done_setup = Signal()

    def __init__(self, workspace: Any, parent: QWidget | None = None) -> None:  # noqa: PLR0915 - one line per control
        super().__init__(parent)
        self.workspace = workspace
        self.setWindowTitle("Set up Desktop Chat")
        self.setMinimumWidth(520)
        self.setAccessibleName("Welcome")
        intro = QLabel(WELCOME)
        intro.setWordWrap(True)
        intro.setAccessibleName("Welcome")
        intro.setToolTip("Choose a provider to start chatting")
        self.choices = QButtonGroup(self)

        self.openai = QRadioButton("OpenAI (needs an API key)")
        self.openai.setAccessibleName("Use OpenAI")
        self.openai.setToolTip("Send messages to OpenAI with your API key")
        self.key_edit = QLineEdit()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("sk-…")
        self.key_edit.setAccessibleName("OpenAI API key")
        self.key_edit.setToolTip("Stored in the system keyring (without one, kept until you quit); never in the logs")
        self.key_error = error_label("the API key")
        self.key_file, self.keyring_note = key_file_box(), keyring_note()
        self.key_file.toggled.connect(self._choose_openai)
        self.key_edit.textEdited.connect(self._choose_openai)

        self.local = QRadioButton("A model server on this computer (no key)")
        self.local.setAccessibleName("Use a local server")
        self.local.setToolTip("Ollama, LM Studio or llama.cpp's server, already running")
        self.server_box = QComboBox()
        for name in LOCAL_PRESETS:
            self.server_box.addItem(PRESETS[name].name, name)
        self.server_box.setAccessibleName("Local server")
        self.server_box.setToolTip("Which program serves the model")
        self.url_edit = QLineEdit()
        self.url_edit.setAccessibleName("Server address")
        self.url_edit.setToolTip("The server's OpenAI-compatible address, usually ending in /v1")
        self.url_error = error_label("the server address")
        self.check_button = QPushButton("Check")
        self.check_button.setAccessibleName("Check the server")
        self.check_button.setToolTip("Ask the server at this address for its models")
        self.check_button.clicked.connect(self._check_clicked)
        self.server_result = QLabel()
        self.server_result.setWordWrap(True)
        self.server_result.setAccessibleName("Server check result")
        self.server_result.setToolTip("What the server answered")
        self.server_box.currentIndexChanged.connect(self._preset_chosen)
        self.url_edit.textEdited.connect(self._choose_local)

        form = QFormLayout()
        form.addRow(self.openai)
        form.addRow("API key:", self.key_edit)
        self.key_hint = explanation("Create one at platform.openai.com; it is kept in the system keyring.")
        form.addRow("", self.key_hint)
        form.addRow("", self.keyring_note)
        form.addRow("", self.key_file)
        form.addRow("", self.key_error)
        form.addRow(self.local)
        form.addRow("Server:", self.server_box)
        form.addRow("Address:", self.url_edit)
        check_row = QHBoxLayout()
        check_row.addWidget(self.check_button)
        check_row.addStretch(1)
        form.addRow("", check_row)
        form.addRow("", self.server_result)
        form.addRow("", self.url_error)
        self.builtin: QRadioButton | None = None
        preset = builtin_preset()
        if preset is not None:
            self.builtin = QRadioButton(f"{PRESETS[preset].name} (offline, no key; a small demo model)")
            self.builtin.setAccessibleName("Use the built-in model")
            self.builtin.setToolTip("Runs on this computer; the small starter model is a demo, not a full assistant")
            form.addRow(self.builtin)
        for index, button in enumerate(b for b in (self.openai, self.local, self.builtin) if b is not None):
            self.choices.addButton(button, index)
        self.openai.setChecked(True)

        self.buttons = QDialogButtonBox()
        self.start_button = self.buttons.addButton("Start Chatting", QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.setAccessibleName("Start chatting")
        self.start_button.setToolTip("Save the choice (and store the key) and start")
        self.settings_button = self.buttons.addButton("More Settings…", QDialogButtonBox.ButtonRole.ActionRole)
        self.settings_button.setAccessibleName("Open Settings")
        self.settings_button.setToolTip("Every provider option, in the settings dialog")
        self.later_button = self.buttons.addButton("Later", QDialogButtonBox.ButtonRole.RejectRole)
        self.later_button.setAccessibleName("Later")
        self.later_button.setToolTip("Close this; reopen it from Help > Set Up a Provider")
        self.buttons.accepted.connect(self._start_clicked)
        self.buttons.rejected.connect(self.reject)
        self.settings_button.clicked.connect(self._open_settings)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Setup result")
        self.status.setToolTip("Whether the setup worked")
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.saved_where: str | None = None
        # Checks and the save run in the background; a failure is said in the window's status bar.
        notify = getattr(parent, "notify", None)
        self.tasks = TaskRunner(self, notify=notify if callable(notify) else self.status.setText)
        self._preset_chosen()
        self.key_edit.setFocus()

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest:  # a line appeared or grew: no clipped text
            grow_to_fit(self)
        return handled

    # --- choices ----------------------------------------------------------------------------

    @Slot()
    def _preset_chosen(self) -> None:
        preset = PRESETS[str(self.server_box.currentData())]
        self.url_edit.setText(preset.base_url or "")
        self.server_result.clear()

    def _local_profile(self) -> ProviderProfile:
        preset = str(self.server_box.currentData())
        url = self.url_edit.text().strip()
        try:
            profile = ProviderProfile.from_dict({**from_preset(preset).to_dict(), "base_url": url or None})
        except SettingsError as exc:
            self.url_error.setText(str(exc))
            self.url_error.show()
            raise
        self.url_error.hide()
        return profile

    async def detect(self) -> str | None:
        """Ask each local server at its usual address; select the first that answers. Returns its preset."""
        checks = [
            self.workspace.test_connection(PRESETS[name])
            for name in LOCAL_PRESETS  # one request each, at the same time
        ]
        results = await asyncio.gather(*checks, return_exceptions=True)
        for name, result in zip(LOCAL_PRESETS, results, strict=True):
            if not isinstance(result, BaseException) and result.ok:
                self.server_box.setCurrentIndex(LOCAL_PRESETS.index(name))
                self.server_result.setText(f"{PRESETS[name].name} is running: {result.message}")
                if not self.key_edit.text():
                    self.local.setChecked(True)
                return name
        return None

    async def check_keyring(self) -> str | None:
        """Say before the key is typed where it will go when there is no keyring (kept until quit)."""
        notice: str | None = await self.workspace.keyring_notice()
        self.keyring_note.setText(notice or "")
        self.keyring_note.setVisible(bool(notice))
        if notice:  # the note says where the key goes; the hint must not promise the keyring
            self.key_hint.setText("Create one at platform.openai.com.")
        return notice

    async def check_server(self) -> Any:
        try:
            profile = self._local_profile()
        except SettingsError:
            return None
        self.local.setChecked(True)
        self.server_result.setText("Asking the server…")
        check = await self.workspace.test_connection(profile)
        self.server_result.setText(check.message)
        self.server_result.setStyleSheet("" if check.ok else ERROR_STYLE)
        return check

    # --- finishing --------------------------------------------------------------------------

    async def finish(self) -> bool:
        """Save the choice: activate the profile (adding it if needed) and store the key; close when done."""
        self.key_error.hide()
        try:
            if self.openai.isChecked():
                done = await self._use_openai()
            elif self.local.isChecked():
                done = await self._use_local()
            else:
                preset = builtin_preset()
                done = preset is not None and self._activate(from_preset(preset))
        except DesktopChatError as exc:
            self.status.setText(str(exc))
            self.status.setStyleSheet(ERROR_STYLE)
            return False
        if done:
            self.done_setup.emit()
            self.accept()
        return done

    async def _use_openai(self) -> bool:
        key = self.key_edit.text().strip()
        if not key:
            self.key_error.setText("Paste your OpenAI API key here (it starts with sk-).")
            self.key_error.show()
            self.key_edit.setFocus()
            return False
        settings = self.workspace.settings
        existing = next((p for p in settings.profiles if p.preset == "openai" and p.needs_key), None)
        profile = existing or from_preset("openai")
        self._activate(profile)
        try:
            self.saved_where = await self.workspace.set_api_key(profile.name, key, to_file=self.key_file.isChecked())
        except DesktopChatError as exc:
            self.key_error.setText(str(exc))
            self.key_error.show()
            return False
        self.key_edit.clear()
        return True

    async def _use_local(self) -> bool:
        try:
            profile = self._local_profile()
        except SettingsError:
            return False
        check = await self.workspace.test_connection(profile)
        if check.ok and check.models and profile.default_model not in check.models:
            # The preset's model name is a guess: take one the server really has.
            profile = replace(profile, default_model=check.models[0])
        if not check.ok:
            self.server_result.setText(check.message + " Saved anyway; start the server, then chat.")
        return self._activate(profile)

    def _activate(self, profile: ProviderProfile) -> bool:
        settings = self.workspace.settings
        saved = next((p for p in settings.profiles if p.name == profile.name), None)
        if saved is None:
            self.workspace.add_profile(profile, activate=True)
            return True
        if saved != profile:
            self.workspace.update_profile(profile.name, profile)
        if settings.active_profile != profile.name:
            self.workspace.set_active_profile(profile.name)
        return True

    @Slot()
    def _choose_openai(self) -> None:
        self.openai.setChecked(True)  # typing a key (or choosing a key file) chooses OpenAI

    @Slot()
    def _choose_local(self) -> None:
        self.local.setChecked(True)

    @Slot()
    def _check_clicked(self) -> None:
        self._spawn(self.check_server())

    @Slot()
    def _start_clicked(self) -> None:
        self._spawn(self.finish())

    @Slot()
    def _open_settings(self) -> None:
        parent = self.parentWidget()
        self.reject()
        if parent is not None and hasattr(parent, "open_settings"):
            QTimer.singleShot(0, partial(parent.open_settings, "providers"))

    def _spawn(self, coro: Coroutine[Any, Any, Any], what: str = "The setup") -> asyncio.Future[Any]:
        return self.tasks.run(coro, what=what)

    def pending(self) -> list[asyncio.Task[Any]]:
        return self.tasks.pending()


def show_welcome(window: Any, workspace: Any) -> WelcomeDialog | None:
    """Open the welcome (again): from the menu, or at start when no provider is usable."""
    if workspace is None:
        return None
    dialog: WelcomeDialog | None = getattr(window, "welcome", None)
    if dialog is None or dialog.workspace is not workspace:
        dialog = WelcomeDialog(workspace, window)
        dialog.done_setup.connect(partial(_set_up_by, window, dialog))
        window.welcome = dialog
    dialog.open()
    dialog._spawn(dialog.check_keyring(), "Checking the keyring")
    dialog._spawn(dialog.detect(), "Looking for a local server")
    return dialog


def _set_up_by(window: Any, dialog: WelcomeDialog) -> None:
    _set_up(window, dialog.saved_where)


def _set_up(window: Any, saved_where: str | None = None) -> None:
    if hasattr(window, "notify"):
        # Kept until quit (no keyring): the user must hear it, not only in the dialog that just closed.
        kept = saved_where is not None and "until you quit" in saved_where
        window.notify(f"Ready. {saved_where}" if kept else "Ready: type a message and press Enter.")
    composer = getattr(window, "composer", None)
    if composer is not None:
        composer.edit.setFocus()


async def check(window: Any, workspace: Any) -> WelcomeDialog | None:
    """Show the welcome when the active profile cannot be used yet (no key anywhere)."""
    try:
        ready = await workspace.provider_ready()
    except DesktopChatError:
        ready = True  # cannot tell: the first send will say what is wrong, in one line
    if ready:
        return None
    return show_welcome(window, workspace)


def start(window: Any, workspace: Any) -> None:
    """Check for a usable provider once the loop runs (call from ``attach``)."""
    QTimer.singleShot(0, partial(_check_soon, window, workspace))


def _check_soon(window: Any, workspace: Any) -> None:
    window.tasks.run(check(window, workspace), what="Checking the provider")


def recheck(window: Any, workspace: Any) -> None:
    """After settings were saved: close the welcome if a provider is now usable."""
    dialog: WelcomeDialog | None = getattr(window, "welcome", None)
    if dialog is None or not dialog.isVisible():
        return

    async def run() -> None:
        if await workspace.provider_ready():
            dialog.accept()

    window.tasks.run(run(), what="Checking the provider")
