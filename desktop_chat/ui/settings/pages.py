"""The Data and Appearance pages of the settings dialog, and the page they share (Memory and Providers have their own
modules).

Each page shows settings as the user types them and checks them with the
settings' own rules; ``changes()`` returns what differs from the saved values or
raises ``SettingsError`` with every bad field marked in place.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.core.errors import DesktopChatError, SettingsError
from desktop_chat.core.settings import Settings
from desktop_chat.ui.settings.fields import ERROR_STYLE, Field, combo, json_save_dialog, line_edit


class SettingsPage(QWidget):
    """A page of plain settings: fields by key, loaded from and compared with the saved settings."""

    changed = Signal()

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(name)
        self.fields: dict[str, Field] = {}
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._saved: Settings | None = None

    def add(self, key: str, label: str, widget: QWidget, *, tip: str, explain: str = "") -> Field:
        self.fields[key] = Field(self.form, label, widget, tip=tip, explain=explain, key=key)
        signal = getattr(widget, "textEdited", None) or getattr(widget, "currentIndexChanged", None)
        if isinstance(widget, QCheckBox):
            signal = widget.toggled
        if signal is not None:
            signal.connect(self.changed)  # a signal passes on, dropping the value
        return self.fields[key]

    def load(self, settings: Settings) -> None:
        self._saved = settings
        for key, each in self.fields.items():
            each.load(getattr(settings, key))

    def values(self) -> dict[str, Any]:
        """Every field's checked value; raises ``SettingsError`` after marking every bad field."""
        values: dict[str, Any] = {}
        problem: SettingsError | None = None
        for key, each in self.fields.items():
            try:
                values[key] = each.value()
            except SettingsError as exc:
                problem = problem or exc
        if problem is not None:
            raise problem
        return values

    def changes(self) -> dict[str, Any]:
        saved = self._saved
        values = self.values()
        return {k: v for k, v in values.items() if saved is None or getattr(saved, k) != v}

    @property
    def has_errors(self) -> bool:
        return any(each.has_error for each in self.fields.values())


class DataPage(SettingsPage):
    """Retention with a dry run before any purge, the data folder, backup and export."""

    def __init__(self, workspace: Any, parent: QWidget | None = None) -> None:  # noqa: PLR0915 - one line per control
        super().__init__("Data", parent)
        self.workspace = workspace
        self.add(
            "retention_days",
            "Keep chats (days):",
            line_edit("forever"),
            tip="Days a chat may stay idle before a purge archives or deletes it; empty keeps chats forever",
            explain="Days a chat may stay idle; empty: forever. Pinned chats are never touched.",
        )
        self.add(
            "retention_mode",
            "Then:",
            combo(
                [("Archive them (keep everything, hide from the list)", "archive"), ("Delete them for good", "delete")]
            ),
            tip="What a purge does to chats idle longer than that",
            explain="Archived chats stay searchable and can be restored; deleted ones cannot.",
        )
        self.purge_button = QPushButton("Purge now…")
        self.purge_button.setAccessibleName("Purge now")
        self.purge_button.setToolTip("Show which chats these values would archive or delete, before doing it")
        self.purge_button.clicked.connect(self.dry_run)
        self.confirm_button = QPushButton()
        self.confirm_button.setAccessibleName("Confirm the purge")
        self.confirm_button.setToolTip("Do what the dry run above describes")
        self.confirm_button.clicked.connect(self.purge)
        self.confirm_button.hide()
        self.purge_result = QLabel()
        self.purge_result.setWordWrap(True)
        self.purge_result.setAccessibleName("Purge result")
        self.purge_result.setToolTip("What the purge would do, or did")
        purge_row = QHBoxLayout()
        purge_row.addWidget(self.purge_button)
        purge_row.addWidget(self.confirm_button)
        purge_row.addStretch(1)
        self.form.addRow("", purge_row)
        self.form.addRow("", self.purge_result)
        self._planned: tuple[int | None, str] | None = None

        folder = workspace.data_folder
        self.folder_label = QLabel(str(folder) if folder is not None else "(in memory)")
        self.folder_label.setAccessibleName("Data folder")
        self.folder_label.setToolTip("Where your chats, memory and settings are kept (keys are in the keyring)")
        self.folder_label.setWordWrap(True)
        self.open_button = QPushButton("Open Folder")
        self.open_button.setAccessibleName("Open the data folder")
        self.open_button.setToolTip("Show the data folder in the file manager")
        self.open_button.setEnabled(folder is not None)
        self.open_button.clicked.connect(self.open_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_label, 1)
        folder_row.addWidget(self.open_button)
        self.form.addRow("Data folder:", folder_row)
        self.backup_button = QPushButton("Back Up Now")
        self.backup_button.setAccessibleName("Back up now")
        self.backup_button.setToolTip("Copy the database into the backups folder, even while a reply is saved")
        self.backup_button.clicked.connect(self.backup)
        self.export_button = QPushButton("Export All…")
        self.export_button.setAccessibleName("Export all chats")
        self.export_button.setToolTip("Save every chat, fact and summary as one JSON file")
        self.export_button.clicked.connect(self.ask_export)
        self.data_result = QLabel()
        self.data_result.setWordWrap(True)
        self.data_result.setAccessibleName("Backup and export result")
        self.data_result.setToolTip("Where the backup or export went")
        self.data_result.setTextInteractionFlags(self.data_result.textInteractionFlags())
        data_row = QHBoxLayout()
        data_row.addWidget(self.backup_button)
        data_row.addWidget(self.export_button)
        data_row.addStretch(1)
        self.form.addRow("", data_row)
        self.form.addRow("", self.data_result)
        self.file_dialog: QFileDialog | None = None
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addStretch(1)
        self.changed.connect(self._forget_plan)

    @Slot()
    def _forget_plan(self) -> None:
        self._planned = None
        self.confirm_button.hide()

    @Slot()
    def dry_run(self) -> Any:
        """Show what a purge with the form's values would do; offer to do it."""
        self._forget_plan()
        try:
            days = self.fields["retention_days"].value()
            mode = self.fields["retention_mode"].value()
        except SettingsError:
            return None
        if days is None:
            self.purge_result.setText("Chats are kept forever: set a number of days to purge older ones.")
            return None
        try:
            report = self.workspace.purge(days=days, mode=mode, dry_run=True)
        except DesktopChatError as exc:
            self.purge_result.setText(str(exc))
            return None
        titles = ", ".join(f"“{s.title or 'New chat'}”" for s in report.sessions[:5])
        more = f" and {len(report.sessions) - 5} more" if len(report.sessions) > 5 else ""
        self.purge_result.setText(report.describe() + (f" ({titles}{more})" if titles else ""))
        if report.sessions:
            verb = "Delete" if mode == "delete" else "Archive"
            self.confirm_button.setText(f"{verb} {len(report.sessions)} chat(s) now")
            self.confirm_button.show()
            self._planned = (days, mode)
        return report

    @Slot()
    def purge(self) -> Any:
        if self._planned is None:
            return None
        days, mode = self._planned
        self._forget_plan()
        try:
            report = self.workspace.purge(days=days, mode=mode)
        except DesktopChatError as exc:
            self.purge_result.setText(str(exc))
            return None
        self.purge_result.setText(report.describe())
        return report

    @Slot()
    def open_folder(self) -> None:
        folder = self.workspace.data_folder
        if folder is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    @Slot()
    def backup(self) -> Path | None:
        try:
            target: Path = self.workspace.backup_now()
        except DesktopChatError as exc:
            self.data_result.setText(str(exc))
            return None
        self.data_result.setText(f"Backed up to {target}")
        return target

    @Slot()
    def ask_export(self) -> None:
        self.file_dialog = json_save_dialog(self, "Export all chats", "desktop-chat-export.json", self._export_chosen)

    @Slot(str)
    def _export_chosen(self, path: str) -> None:
        self.export_to(Path(path))

    def export_to(self, path: Path) -> bool:
        try:
            text = json.dumps(self.workspace.export_json(), ensure_ascii=False, indent=2)
            path.write_text(text, encoding="utf-8")
        except DesktopChatError as exc:
            self.data_result.setText(str(exc))
            return False
        except OSError as exc:
            self.data_result.setText(f"Could not write {path}: {exc.strerror or exc}")
            return False
        self.data_result.setText(f"Exported every chat to {path}")
        return True


class AppearancePage(SettingsPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Appearance", parent)
        self.add(
            "theme",
            "Theme:",
            combo([("Follow the system", "system"), ("Light", "light"), ("Dark", "dark")]),
            tip="Light or dark colours, or whatever the desktop uses",
            explain="“Follow the system” switches with the desktop's light/dark setting.",
        )
        self.add(
            "conversation_font_size",
            "Conversation font size:",
            line_edit("the desktop's size"),
            tip="The size of the conversation's text, in points",
            explain="In points; empty: the desktop's font size.",
        )
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addStretch(1)


__all__ = ["ERROR_STYLE", "AppearancePage", "DataPage", "SettingsPage"]
