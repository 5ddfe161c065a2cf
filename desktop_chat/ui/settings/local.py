"""The built-in model's own fields on the Providers page: model file, threads, context size.

They are app settings (``local_*``), not fields of the profile: the page shows them in place
of the base URL and key while the "Local (built-in)" profile is selected, and the dialog saves
them with the other pages' settings. A chosen file is checked at once by the core's own rule
(``check_gguf``): a missing, unreadable or non-GGUF file is refused next to the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QComboBox, QFileDialog, QWidget

from desktop_chat.core.errors import LocalModelError, SettingsError
from desktop_chat.core.providers.local.files import check_gguf, find_bundled_smollm2
from desktop_chat.core.settings import Settings, validate
from desktop_chat.ui.settings.fields import Field, line_edit
from desktop_chat.ui.settings.pages import SettingsPage

CHOOSE = "\x00choose"  # the "Choose a file…" entry's data: never a path
GGUF_FILTER = "GGUF models (*.gguf)"


def size_text(size: int) -> str:
    return f"{size / 1_000_000_000:.1f} GB" if size >= 1_000_000_000 else f"{size / 1_000_000:.0f} MB"


class LocalModelFields(SettingsPage):
    """The ``local_*`` settings as a form: loaded from and compared with the saved settings."""

    def __init__(self, workspace: Any, parent: QWidget | None = None) -> None:
        super().__init__("Built-in model", parent)
        self.workspace = workspace
        self.model_box = QComboBox()
        self.model_box.setMinimumContentsLength(24)
        self.fields["local_model_file"] = Field(
            self.form,
            "Model file:",
            self.model_box,
            tip="The .gguf model the built-in server runs: the starter model, one in the data folder's models/, "
            "or any file you choose",
            explain="Put .gguf files in the data folder's models/ to list them here.",
            key="local_model_file",
            parse=self._model_value,
        )
        self._previous = 0
        self.model_box.activated.connect(self._picked)
        self.model_box.currentIndexChanged.connect(self.changed)
        self.add(
            "local_threads",
            "Threads:",
            line_edit(),
            tip="How many CPU threads llama.cpp uses",
            explain="1 is fastest on a busy 2-core machine.",
        )
        self.add(
            "local_context_size",
            "Context size:",
            line_edit(),
            tip="How many tokens the built-in model reads at once; more takes more memory",
            explain="Tokens the model reads at once (also the planner's window); more takes more memory.",
        )
        self.setLayout(self.form)
        self.file_dialog: QFileDialog | None = None

    # --- the model list -----------------------------------------------------------------------

    def load(self, settings: Settings) -> None:
        self._fill(settings.local_model_file)
        super().load(settings)  # the combo's Field.load selects by data: "" is the starter model
        self._previous = self.model_box.currentIndex()

    def _fill(self, chosen: str | None) -> None:
        box = self.model_box
        box.blockSignals(True)
        box.clear()
        starter = find_bundled_smollm2()
        starter_listed = False
        for path, size in self.workspace.local_model_files():
            if path == starter and not starter_listed:
                box.addItem(f"Starter model: {path.name} ({size_text(size)})", "")
                starter_listed = True
            else:
                box.addItem(f"{path.name} ({size_text(size)})", str(path))
        if not starter_listed:
            box.insertItem(0, "Starter model (SmolLM2-135M, not installed)", "")
        if chosen and box.findData(chosen) < 0:
            self._add_file(Path(chosen))
        box.addItem("Choose a file…", CHOOSE)
        box.blockSignals(False)

    def _add_file(self, path: Path) -> int:
        """Add ``path`` before "Choose a file…" (its size when it can be read); returns its index."""
        box = self.model_box
        try:
            label = f"{path.name} ({size_text(path.stat().st_size)})"
        except OSError:
            label = path.name
        index = box.findData(CHOOSE)
        index = box.count() if index < 0 else index
        box.insertItem(index, label, str(path))
        box.setItemData(index, str(path), Qt.ItemDataRole.ToolTipRole)  # the tooltip: the whole path
        return index

    @Slot(int)
    def _picked(self, index: int) -> None:
        if self.model_box.itemData(index) != CHOOSE:
            self._previous = index
            return
        self.model_box.setCurrentIndex(self._previous)  # until a file is chosen, the choice stays
        self.ask_file()

    def ask_file(self) -> None:
        """Open the file picker (window-modal, ``open()``: the event loop keeps running)."""
        start = str(self.workspace.data_folder or Path.home())
        dialog = QFileDialog(self, "Choose a model file", start, GGUF_FILTER)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self._file_chosen)
        self.file_dialog = dialog
        dialog.open()

    @Slot(str)
    def _file_chosen(self, path: str) -> None:
        self.choose(Path(path))

    def choose(self, path: Path) -> bool:
        """Select ``path`` if it is a usable GGUF file; otherwise keep the choice and say why beside it."""
        field = self.fields["local_model_file"]
        try:
            check_gguf(path)
        except LocalModelError as exc:
            field.show_error(str(exc))
            return False
        field.clear_error()
        index = self.model_box.findData(str(path))
        if index < 0:
            index = self._add_file(path)
        self.model_box.setCurrentIndex(index)
        self._previous = index
        return True

    def _model_value(self) -> str | None:
        data = self.model_box.currentData()
        if not data or data == CHOOSE:
            return None
        value: str = validate("local_model_file", data)
        saved = self._saved.local_model_file if self._saved is not None else None
        if value != saved:  # a file saved earlier and gone since is for the server start to report
            try:
                check_gguf(Path(value).expanduser())
            except LocalModelError as exc:
                raise SettingsError(str(exc)) from None
        return value
