"""The Memory, Data and Appearance pages of the settings dialog (Providers has its own module).

Each page shows settings as the user types them and checks them with the
settings' own rules; ``changes()`` returns what differs from the saved values or
raises ``SettingsError`` with every bad field marked in place.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.core.errors import DesktopChatError, SettingsError
from desktop_chat.core.models import ContextPlan, PartKind, Strategy
from desktop_chat.core.settings import Settings, validate
from desktop_chat.ui.settings.fields import ERROR_STYLE, Field, SplitEditor, combo, explanation, line_edit

STRATEGY_HELP = {
    Strategy.FULL: "Sends the whole conversation; a long chat stops fitting the model.",
    Strategy.WINDOW: "Sends only the most recent messages (the window below).",
    Strategy.SUMMARY: "Folds older messages into a running summary and sends the recent ones as they are.",
    Strategy.FACTS: "Sends facts remembered about you with the recent messages.",
    Strategy.RECALL: "Sends the recent messages and earlier ones that match what you just wrote.",
    Strategy.HYBRID: "Facts, a summary, recalled and recent messages, each with a share of the budget.",
}
# Settings that are also a chat's strategy options: the preview passes them as options.
PREVIEW_OPTIONS = ("window_messages", "window_tokens", "summary_keep_last", "recall_max_messages", "hybrid_split")
PREVIEW_DELAY_MS = 150
NO_STARTER_UPKEEP = "None: its chats keep no summary or facts (recall only)"
PART_NAMES = {
    PartKind.SYSTEM_PROMPT: "system prompt",
    PartKind.PINNED_FACTS: "pinned facts",
    PartKind.FACTS: "facts",
    PartKind.SUMMARY: "summary",
    PartKind.RECALLED: "recalled",
    PartKind.RECENT: "recent",
}


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


class MemoryPage(SettingsPage):
    """The default strategy, its options, approval of facts and the reply reserve, with a live preview."""

    def __init__(self, workspace: Any, session_id: int | None, parent: QWidget | None = None) -> None:
        super().__init__("Memory", parent)
        self.workspace = workspace
        self.session_id = session_id
        strategies = [(s.value.capitalize(), s.value) for s in Strategy]
        self.strategy = combo(strategies)
        self.add(
            "default_strategy",
            "Default strategy:",
            self.strategy,
            tip="How chats without their own strategy choose what the model is sent",
        )
        self.strategy_help = explanation("")
        self.form.addRow("", self.strategy_help)
        self.strategy.currentIndexChanged.connect(self._explain_strategy)
        self.add(
            "window_messages",
            "Window (messages):",
            line_edit(),
            tip="How many recent messages are sent",
            explain="Recent messages sent as they are (window, facts, recall and hybrid).",
        )
        self.add(
            "window_tokens",
            "Window (tokens):",
            line_edit("no token limit"),
            tip="Keep only the recent messages that fit this many tokens",
            explain="Or keep what fits this many tokens; empty: count messages only.",
        )
        self.add(
            "summary_trigger",
            "Summarise after:",
            line_edit(),
            tip="Summarise once more than this many messages are not in the summary",
            explain="Messages not yet in the summary before the summary is brought up to date.",
        )
        self.add(
            "summary_keep_last",
            "Keep after summary:",
            line_edit(),
            tip="Messages always sent word for word after the summary",
            explain="The newest messages sent as they are, after the summary.",
        )
        self.add(
            "recall_max_messages",
            "Search hits weighed:",
            line_edit(),
            tip="How many search hits recall weighs; what goes in is bounded by recall's share of the budget",
            explain="Search hits recall ranks; it quotes them with their neighbours as far as its tokens allow.",
        )
        self.split = SplitEditor()
        self.fields["hybrid_split"] = Field(
            self.form,
            "Hybrid split:",
            self.split,
            tip="Shares of the budget for facts, summary and recall; the rest goes to recent messages",
            explain="Budget shares in hybrid (at most 90 % together); recent messages get the rest.",
            key="hybrid_split",
            parse=self.split.value,
        )
        self.split.changed.connect(self.changed)
        self.add(
            "facts_require_approval",
            "",
            QCheckBox("Approve facts before they are saved"),
            tip="New facts wait in the inspector until you approve them",
            explain="Facts the model extracts wait for your approval before they are used.",
        )
        self.add(
            "facts_every",
            "Extract facts every:",
            line_edit(),
            tip="How many of your messages one fact-extraction request reads: more is fewer requests, later facts",
            explain="Your messages per fact-extraction request; 1: each at once. More costs less (docs/costs.md).",
        )
        self.add(
            "reserved_reply_tokens",
            "Reply reserve:",
            line_edit(),
            tip="Tokens kept free for the reply; the request gets the rest of the context window",
            explain="Tokens kept free for the answer; the request may use the rest.",
        )
        self.upkeep = QLabel()
        self.upkeep.setWordWrap(True)
        self.upkeep.setAccessibleName("Upkeep model")
        self.upkeep.setToolTip("The model that writes summaries and extracts facts; set per profile on Providers")
        self.form.addRow("Upkeep model:", self.upkeep)
        self.starter_upkeep = combo([(NO_STARTER_UPKEEP, "")])
        self.fields["local_upkeep_profile"] = Field(
            self.form,
            "Starter model's upkeep:",
            self.starter_upkeep,
            tip="The profile whose upkeep model writes summaries and extracts facts for chats on the built-in "
            "starter model",
            explain="The starter model is too small to keep memory: another profile's upkeep model can do it for it.",
            key="local_upkeep_profile",
            parse=lambda: validate("local_upkeep_profile", self.starter_upkeep.currentData() or None),
        )
        self.starter_upkeep.currentIndexChanged.connect(self.changed)

        box = QGroupBox("Next request of the open chat")
        box.setAccessibleName("Preview")
        box.setToolTip("What the open chat's next request would hold with the values above")
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        self.preview.setAccessibleName("Preview of the next request")
        self.preview.setToolTip("What the open chat's next request would hold with the values above")
        inner = QVBoxLayout(box)
        inner.addWidget(self.preview)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(box)
        layout.addStretch(1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.update_preview)
        self.changed.connect(self._timer.start)
        self._context_window: int | None = None

    @Slot()
    def _explain_strategy(self) -> None:
        value = self.strategy.currentData()
        self.strategy_help.setText(STRATEGY_HELP.get(Strategy(value), "") if value else "")

    def load(self, settings: Settings) -> None:
        box = self.starter_upkeep
        box.blockSignals(True)
        box.clear()
        box.addItem(NO_STARTER_UPKEEP, "")
        for profile in settings.profiles:
            if not profile.is_builtin:
                box.addItem(f"{profile.name} ({profile.upkeep_model})", profile.name)
        box.blockSignals(False)
        super().load(settings)
        self.split.load(settings.hybrid_split)
        self._explain_strategy()
        try:
            profile = settings.profile()
            self.upkeep.setText(f"{profile.upkeep_model} (profile {profile.name}; change it on the Providers page)")
        except SettingsError as exc:
            self.upkeep.setText(str(exc))
        self.update_preview()

    @Slot()
    def update_preview(self) -> ContextPlan | None:
        """Plan the open chat's next request with the values in the form, without saving them."""
        self._timer.stop()
        if self.session_id is None:
            self.preview.setText("Open a chat to see what its next request would hold.")
            return None
        try:
            values = self.values()
        except SettingsError:
            self.preview.setText("Fix the marked values to see the preview.")
            return None
        options = {key: values[key] for key in PREVIEW_OPTIONS}
        options["hybrid_split"] = values["hybrid_split"].as_text()
        try:
            session = self.workspace.session(self.session_id)
            base = self.workspace.preview(self.session_id, "", values["default_strategy"], options)
            settings = self.workspace.settings
            budget = base.context_window - values["reserved_reply_tokens"] - settings.safety_margin_tokens
            plan = base
            if budget != base.budget and budget > 0:
                plan = self.workspace.preview(self.session_id, "", values["default_strategy"], options, budget=budget)
        except DesktopChatError as exc:
            self.preview.setText(str(exc))
            return None
        self.preview.setText(describe_plan(plan, session))
        return plan if isinstance(plan, ContextPlan) else None


def describe_plan(plan: ContextPlan, session: Any) -> str:
    """One short paragraph: the total against the budget, the parts, what is left out."""
    parts = ", ".join(
        f"{PART_NAMES.get(p.kind, str(p.kind))} "
        + (f"({p.count} messages) " if p.count and not p.fact_ids else "")
        + f"{p.tokens:,}"
        for p in plan.parts
    )
    approx = "≈" if plan.estimated else ""
    text = (
        f"“{session.title or 'New chat'}” with {plan.strategy.value}: {approx}{plan.total_tokens:,} of "
        f"{plan.budget:,} tokens — {parts or 'nothing yet'}."
    )
    left_out = sum(len(o.message_ids) for o in plan.omitted)
    if left_out:
        text += f" Left out: {left_out} message(s)."
    if session.strategy is not None:
        text += f" (This chat has its own strategy, {session.strategy.value}; defaults apply to chats without one.)"
    return text


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
        dialog = QFileDialog(self, "Export all chats", str(Path.home() / "desktop-chat-export.json"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("JSON (*.json)")
        dialog.setDefaultSuffix("json")
        dialog.fileSelected.connect(self._export_chosen)
        self.file_dialog = dialog
        dialog.open()

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


__all__ = ["ERROR_STYLE", "AppearancePage", "DataPage", "MemoryPage", "SettingsPage", "describe_plan"]
