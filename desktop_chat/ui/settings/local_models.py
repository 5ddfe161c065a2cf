"""Settings → Local models: the catalog with "fits this computer", downloads with progress and cancel, removal.

Everything it decides comes from ``workspace.local`` (the catalog rows, the fit, the download,
the removal rule); the page shows it. A download runs in a process of its own (the core's
``download_command``: ``desktop-chat models download --progress-json``), read through ``QProcess``:
in a thread of the window's process its Python loop stalled the GUI 75-450 ms on a busy machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QProcess, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.core.errors import DesktopChatError
from desktop_chat.ui.settings.fields import ERROR_STYLE

COLUMNS = ("Model", "File", "Memory", "Context", "Licence", "Keeps memory", "This computer")


def gb(size: int | None) -> str:
    if size is None:
        return "unknown"
    return f"{size / 1e9:.1f} GB" if size >= 1e9 else f"{size / 1e6:.0f} MB"


class LocalModelsPage(QWidget):
    """The catalog table, the download of a catalog model or a URL, cancel, remove, and the memory mark."""

    progressed = Signal(object)  # a DownloadProgress, read from the download's process
    finished = Signal(str, bool)  # what to say, whether it is an error
    models_changed = Signal()  # a model was downloaded or removed: lists of files are out of date

    def __init__(self, workspace: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        # The download's child process (``desktop-chat models download --progress-json``), while one runs.
        self.download_process: QProcess | None = None
        self._error_line = ""
        self.free = QLabel()
        self.free.setAccessibleName("Free memory and disk")
        self.free.setToolTip("Free memory now (MemAvailable) and free disk where models are downloaded")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setAccessibleName("Local model catalog")
        self.table.setToolTip("Models the built-in profile can download; ~ marks an approximate size")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.itemSelectionChanged.connect(self._selection_changed)

        self.bar = QProgressBar()
        self.bar.setAccessibleName("Download progress")
        self.bar.setToolTip("How much of the model file has arrived")
        self.bar.setRange(0, 1000)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Download status")
        self.status.setToolTip("Bytes, speed and time left; or how the last download or removal went")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.free)
        layout.addWidget(self.table, 1)
        layout.addLayout(self._actions())
        layout.addLayout(self._by_url())
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        self.progressed.connect(self._show_progress)
        self.finished.connect(self._done)
        self.rows: list[Any] = []
        self._sized = False
        app = QCoreApplication.instance()
        if app is not None:  # quitting stops a download under way (it resumes next time)
            app.aboutToQuit.connect(self.close_down)
        self.refresh()

    def _actions(self) -> QHBoxLayout:
        self.download_button = self._button("Download", "Download the selected model (resumes a partial download)")
        self.cancel_button = self._button("Cancel download", "Stop the download; what has arrived is kept to resume")
        self.remove_button = self._button("Remove", "Delete the selected model's file and free its disk space")
        self.keeps_memory = QCheckBox("Keeps memory")
        self.keeps_memory.setAccessibleName("Keeps memory")
        self.keeps_memory.setToolTip(
            "Summaries, facts and titles run on this model when the built-in profile uses it "
            "(marked by the catalog, or by you)"
        )
        self.download_button.clicked.connect(self._download_selected)
        self.cancel_button.clicked.connect(self.cancel)
        self.remove_button.clicked.connect(self._remove_selected)
        self.keeps_memory.clicked.connect(self._mark)
        self.cancel_button.setEnabled(False)
        actions = QHBoxLayout()
        for widget in (self.download_button, self.cancel_button, self.remove_button, self.keeps_memory):
            actions.addWidget(widget)
        actions.addStretch(1)
        return actions

    def _by_url(self) -> QFormLayout:
        self.url = QLineEdit()
        self.url.setAccessibleName("Model URL")
        self.url.setToolTip("The http(s) URL of a .gguf file, e.g. a Hugging Face 'resolve' link")
        self.url.setPlaceholderText("https://huggingface.co/…/resolve/main/model.gguf")
        self.sha256 = QLineEdit()
        self.sha256.setAccessibleName("SHA-256")
        self.sha256.setToolTip("The file's SHA-256; may be left empty when the server sends it (Hugging Face does)")
        self.url_button = self._button("Download URL", "Download the .gguf file at this URL, checked by its SHA-256")
        self.url_button.clicked.connect(self._download_url)
        by_url = QFormLayout()
        by_url.addRow("URL:", self.url)
        row = QHBoxLayout()
        row.addWidget(self.sha256, 1)
        row.addWidget(self.url_button)
        by_url.addRow("SHA-256:", row)
        return by_url

    def _button(self, text: str, tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setAccessibleName(text)
        button.setToolTip(tip)
        return button

    # --- the table -------------------------------------------------------------------------

    def refresh(self) -> None:
        local = self.workspace.local
        try:
            self.rows = local.catalog()
            have = local.resources()
        except DesktopChatError as exc:
            self.rows = []
            self._say(str(exc), error=True)
            return
        self.free.setText(
            f"Free memory {gb(have.memory_free)} · free disk {gb(have.disk_free)} ({local.models_folder})"
        )
        selected = self.table.currentRow()
        self.table.setRowCount(len(self.rows))
        for i, row in enumerate(self.rows):
            e = row.entry
            size = ("" if e.size_exact else "~") + gb(e.size_bytes)
            state = "downloaded" if row.path else (f"{gb(row.partial)} kept" if row.partial else "")
            fit = ("✓ " if row.fit.fits else "✗ ") + row.fit.reason
            cells = (
                e.name,
                size,
                gb(e.memory_bytes),
                f"{e.context_length // 1024}k",
                e.licence,
                "yes" if row.keeps_memory else "no",
                f"{fit}; {state}" if state else fit,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(e.checksum_source if column == 1 else text)
                self.table.setItem(i, column, item)
        if not self._sized:  # once: measuring every cell again costs tens of ms on each refresh
            self.table.resizeColumnsToContents()
            self._sized = True
        if 0 <= selected < len(self.rows):
            self.table.selectRow(selected)
        self._selection_changed()

    def selected(self) -> Any | None:
        index = self.table.currentRow()
        return self.rows[index] if 0 <= index < len(self.rows) else None

    @Slot()
    def _selection_changed(self) -> None:
        row = self.selected()
        busy = self.download_process is not None
        self.download_button.setEnabled(row is not None and row.path is None and not busy)
        self.remove_button.setEnabled(row is not None and (row.path is not None or row.partial > 0))
        self.keeps_memory.setEnabled(row is not None)
        self.keeps_memory.setChecked(bool(row and row.keeps_memory))

    # --- downloads -------------------------------------------------------------------------

    @Slot()
    def _download_selected(self) -> None:
        row = self.selected()
        if row is not None:
            self.start(row.entry.id)

    @Slot()
    def _download_url(self) -> None:
        self.start(self.url.text().strip(), self.sha256.text().strip() or None)

    def start(self, target: str, sha256: str | None = None) -> None:
        """Download ``target`` (a catalog id or a URL) in a child process; its progress lines come back as signals."""
        if self.download_process is not None or not target:
            return
        try:
            command = self.workspace.local.download_command(target, sha256)
        except DesktopChatError as exc:
            self._say(str(exc), error=True)
            return
        process = QProcess(self)
        process.setReadChannel(QProcess.ProcessChannel.StandardError)  # progress and errors; stdout at the end
        process.setProgram(command[0])
        process.setArguments(command[1:])
        process.readyReadStandardError.connect(self._read_progress)
        process.finished.connect(self._process_ended)
        process.errorOccurred.connect(self._process_failed)
        self.download_process = process
        self._error_line = ""
        self.cancel_button.setEnabled(True)
        self.url_button.setEnabled(False)
        self.bar.setValue(0)
        self._say("Starting the download…")
        self._selection_changed()
        process.start()

    @Slot()
    def cancel(self) -> None:
        """Ask the download to stop (SIGTERM): it keeps what has arrived and says so."""
        if self.download_process is not None:
            self.download_process.terminate()

    @Slot()
    def _read_progress(self) -> None:
        process = self.download_process
        if process is None:
            return
        while process.canReadLine():
            line = bytes(process.readLine().data()).decode("utf-8", "replace").rstrip("\n")
            progress = self.workspace.local.parse_progress(line)
            if progress is not None:
                self.progressed.emit(progress)
            elif line.strip():
                self._error_line = line.removeprefix("desktop-chat: ")

    @Slot(int, QProcess.ExitStatus)
    def _process_ended(self, code: int, _status: QProcess.ExitStatus) -> None:
        process = self.download_process
        if process is not None:
            self._read_progress()
            out = bytes(process.readAllStandardOutput().data()).decode("utf-8", "replace")
            process.deleteLater()
        else:
            out = ""
        if code == 0:
            name = Path(out.split("Downloaded and verified ", 1)[-1].splitlines()[0]).name if out else "the model"
            self.finished.emit(
                f"Downloaded and verified {name}; choose it on the Providers page (Local (built-in) → Model file).",
                False,
            )
        else:
            self.finished.emit(self._error_line or f"The download stopped (exit code {code}).", True)

    @Slot(QProcess.ProcessError)
    def _process_failed(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.finished.emit("The download could not be started (the app's own command failed to run).", True)

    @Slot(object)
    def _show_progress(self, progress: Any) -> None:
        if progress.total:
            self.bar.setValue(int(1000 * progress.done / progress.total))
        self.status.setStyleSheet("")
        self.status.setText(progress.line())

    @Slot(str, bool)
    def _done(self, text: str, error: bool) -> None:
        self.download_process = None
        self.cancel_button.setEnabled(False)
        self.url_button.setEnabled(True)
        if not error:
            self.bar.setValue(1000)
            self.models_changed.emit()
        self._say(text, error=error)
        self.refresh()

    # --- removal and the memory mark -------------------------------------------------------

    @Slot()
    def _remove_selected(self) -> None:
        row = self.selected()
        if row is None:
            return
        try:
            freed = self.workspace.local.remove(row.entry.file)
        except DesktopChatError as exc:
            self._say(str(exc), error=True)
            return
        self._say(f"Removed {row.entry.file}; {gb(freed)} freed.")
        self.models_changed.emit()
        self.refresh()

    @Slot(bool)
    def _mark(self, on: bool) -> None:
        row = self.selected()
        if row is None:
            return
        try:
            self.workspace.local.mark_keeps_memory(row.entry.file, on)
        except DesktopChatError as exc:
            self._say(str(exc), error=True)
        self.refresh()

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(ERROR_STYLE if error else "")

    @Slot()
    def close_down(self) -> None:
        """Stop a download under way (the app is closing); its partial file stays for a later resume."""
        process = self.download_process
        if process is not None:
            process.terminate()
            process.waitForFinished(3000)
