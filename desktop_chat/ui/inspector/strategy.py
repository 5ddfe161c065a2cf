"""The inspector's "Strategy" section: this chat's strategy and options; a change previews the new plan in
"Next request" at once and is applied only with Apply.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.core.errors import DesktopChatError
from desktop_chat.core.models import Strategy
from desktop_chat.core.request_cap import CAP_OPTION, NO_CAP_WORD, parse_request_cap
from desktop_chat.ui.accessibility import name_line_edit
from desktop_chat.ui.inspector.memory import button

# Option -> (label, kind, low, high, tip); kinds: int, share (0 to 0.9), bool.
OPTIONS: dict[str, tuple[str, str, float, float, str]] = {
    "window_messages": ("Recent messages", "int", 1, 10_000, "How many of the newest messages are sent"),
    "summary_keep_last": ("Keep last", "int", 0, 1_000, "Messages sent verbatim even when the summary covers them"),
    "facts_share": ("Facts share", "share", 0, 0.9, "At most this share of the memory budget goes to facts"),
    "recall_max_messages": ("Search hits weighed", "int", 1, 200, "Hits recall ranks; its token share bounds them"),
    "recall_neighbours": ("Neighbours", "int", 0, 5, "Messages either side of each one found"),
    "recall_share": ("Recall share", "share", 0, 0.9, "At most this share of the memory budget goes to recall"),
    "recall_all_sessions": ("Search all chats", "bool", 0, 1, "Recall searches every chat, not only this one"),
}
STRATEGY_OPTIONS: dict[Strategy, tuple[str, ...]] = {
    Strategy.FULL: (),
    Strategy.WINDOW: ("window_messages",),
    Strategy.SUMMARY: ("summary_keep_last",),
    Strategy.FACTS: ("window_messages", "facts_share"),
    Strategy.RECALL: (
        "window_messages",
        "recall_max_messages",
        "recall_neighbours",
        "recall_share",
        "recall_all_sessions",
    ),
    Strategy.HYBRID: ("summary_keep_last", "recall_max_messages", "recall_all_sessions"),
}
SHARE_DEFAULTS = {"facts_share": 0.5, "recall_share": 0.3}
STRATEGY_HELP = {
    Strategy.FULL: "every message, newest first, as far as the budget allows",
    Strategy.WINDOW: "the last N messages",
    Strategy.SUMMARY: "a running summary plus the messages it does not cover",
    Strategy.FACTS: "remembered facts plus the recent messages",
    Strategy.RECALL: "recent messages plus earlier ones found by search",
    Strategy.HYBRID: "facts, summary, recall and the recent messages, each within its share",
}


class StrategyView(QWidget):
    """The chat's strategy and options; edits preview at once (``previewChanged``) and apply with Apply."""

    previewChanged = Signal(object)  # (strategy, options) being tried, or None when back to the chat's own
    notice = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._workspace: Any = None
        self.session_id: int | None = None
        self._session: Any = None
        self._filling = False
        self.combo = QComboBox()
        self.combo.setAccessibleName("Memory strategy")
        self.combo.setToolTip("How this chat's memory decides what goes into each request")
        # Item data is the strategy's value: Qt hands a str enum back as a plain str.
        self.combo.addItem("Default (from settings)", "")
        for strategy in Strategy:
            self.combo.addItem(str(strategy).capitalize(), strategy.value)
        self.combo.currentIndexChanged.connect(self._changed)
        self.help = QLabel()
        self.help.setWordWrap(True)
        self.help.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.help.setAccessibleName("About this strategy")
        self.form = QFormLayout()
        self.form.setContentsMargins(0, 0, 0, 0)
        self.fields: dict[str, QWidget] = {}
        self._build_fields()
        # The chat's own request cap: not a strategy's option, so shown whatever the strategy.
        self.cap = QLineEdit()
        self.cap.setAccessibleName("Request cap for this chat")
        self.cap.setToolTip(
            "The most tokens one request of this chat may use, over the profile's and the Memory page's cap. "
            "Empty: theirs (shown greyed); window: no cap, the model's window"
        )
        self.cap.setClearButtonEnabled(True)
        name_line_edit(self.cap, "Request cap for this chat")
        self.cap.textEdited.connect(self._changed)
        self.form.addRow("Request cap", self.cap)
        self.apply_button = button("Apply", "Use this strategy and these options for this chat")
        self.cancel_button = button("Cancel", "Back to the chat's current strategy")
        self.apply_button.clicked.connect(self.apply)
        self.cancel_button.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.apply_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.combo)
        layout.addWidget(self.help)
        layout.addLayout(self.form)
        layout.addLayout(buttons)
        self._show_state(None)

    def _build_fields(self) -> None:
        for name, (label, kind, low, high, tip) in OPTIONS.items():
            field: QWidget
            if kind == "int":
                spin = QSpinBox()
                spin.setRange(int(low), int(high))
                spin.valueChanged.connect(self._changed)
                field = spin
            elif kind == "share":
                share = QDoubleSpinBox()
                share.setRange(low, high)
                share.setSingleStep(0.05)
                share.setDecimals(2)
                share.valueChanged.connect(self._changed)
                field = share
            else:
                check = QCheckBox()
                check.toggled.connect(self._changed)
                field = check
            field.setAccessibleName(label)
            field.setToolTip(tip)
            self.fields[name] = field
            self.form.addRow(label, field)

    def set_workspace(self, workspace: Any) -> None:
        self._workspace = workspace

    def set_session(self, session: Any) -> None:
        """Show the chat's own strategy and options (drops an unapplied change)."""
        self._session = session
        self.session_id = session.id if session is not None else None
        self._filling = True
        try:
            strategy = session.strategy if session is not None else None
            index = self.combo.findData(strategy.value if strategy is not None else "")
            self.combo.setCurrentIndex(max(index, 0))
            for name, field in self.fields.items():
                self._set_field(field, self._value(name))
            self._show_cap()
        finally:
            self._filling = False
        self._show_state(None)

    def _show_cap(self) -> None:
        """The chat's own cap as the user types it ("" when it has none), the one it inherits greyed behind it."""
        own = (self._session.strategy_options if self._session is not None else {}).get(CAP_OPTION)
        self.cap.setText(NO_CAP_WORD if own == 0 else "" if own is None else str(own))
        self.show_inherited_cap()

    def show_inherited_cap(self) -> None:
        """Grey in the empty field: the cap the chat has without its own (the profile's or the setting's)."""
        inherited = ""
        if self._workspace is not None and self._session is not None:
            with contextlib.suppress(DesktopChatError):
                inherited = self._workspace.inherited_cap(self._session).describe()
        self.cap.setPlaceholderText(inherited)

    def _value(self, name: str) -> Any:
        options = self._session.strategy_options if self._session is not None else {}
        if name in options:
            return options[name]
        if name in SHARE_DEFAULTS:
            return SHARE_DEFAULTS[name]
        settings = self._workspace.settings if self._workspace is not None else None
        return getattr(settings, name, OPTIONS[name][2]) if settings is not None else OPTIONS[name][2]

    @staticmethod
    def _set_field(field: QWidget, value: Any) -> None:
        if isinstance(field, QSpinBox):
            field.setValue(int(value))
        elif isinstance(field, QDoubleSpinBox):
            field.setValue(float(value))
        elif isinstance(field, QCheckBox):
            field.setChecked(bool(value))

    @staticmethod
    def _get_field(field: QWidget) -> Any:
        if isinstance(field, QSpinBox):
            return field.value()
        if isinstance(field, QDoubleSpinBox):
            return round(field.value(), 2)
        if isinstance(field, QCheckBox):
            return field.isChecked()
        return None

    def chosen(self) -> Strategy | None:
        data = self.combo.currentData()
        return Strategy(data) if data else None

    def effective(self) -> Strategy:
        chosen = self.chosen()
        if chosen is not None:
            return chosen
        return self._workspace.settings.default_strategy if self._workspace is not None else Strategy.HYBRID

    def options(self) -> dict[str, Any]:
        """The chat's options with the ones shown for this strategy, where they differ from the defaults."""
        options = dict(self._session.strategy_options) if self._session is not None else {}
        for name in STRATEGY_OPTIONS[self.effective()]:
            value = self._get_field(self.fields[name])
            saved = self._session is not None and name in self._session.strategy_options
            default = self._value(name) if not saved else None
            if saved or value != default:
                options[name] = value
        options.pop(CAP_OPTION, None)
        typed = self.cap.text().strip()
        if typed:
            # As the core stores it (a number, 0 for "window"), so an applied cap is not a pending change;
            # text it cannot read goes on as typed, for the preview and Apply to refuse by name.
            cap: Any = typed
            with contextlib.suppress(ValueError):
                cap = parse_request_cap(typed, inherits=True)
            options[CAP_OPTION] = cap
        return options

    def pending(self) -> tuple[Strategy, dict[str, Any]] | None:
        """The strategy and options being tried, when they differ from the chat's."""
        if self._session is None:
            return None
        changed = self.chosen() != self._session.strategy or self.options() != dict(self._session.strategy_options)
        return (self.effective(), self.options()) if changed else None

    def _show_state(self, pending: Any) -> None:
        strategy = self.effective()
        default = " (the default)" if self.chosen() is None else ""
        text = f"{str(strategy).capitalize()}{default}: {STRATEGY_HELP[strategy]}."
        if self._workspace is not None and self._session is not None:
            # What the chat's requests would really use with this choice (the starter model falls back).
            with contextlib.suppress(DesktopChatError):
                choice = self._workspace.strategy_choice(replace(self._session, strategy=self.chosen()))
                if choice.why:
                    text = f"{choice.label}: {STRATEGY_HELP[choice.effective]}."
        self.help.setText(text)
        shown = set(STRATEGY_OPTIONS[strategy])
        for name, field in self.fields.items():
            label = self.form.labelForField(field)
            field.setVisible(name in shown)
            if label is not None:
                label.setVisible(name in shown)
        self.apply_button.setVisible(pending is not None)
        self.cancel_button.setVisible(pending is not None)

    @Slot()
    def _changed(self, *_: Any) -> None:
        if self._filling:
            return
        pending = self.pending()
        self._show_state(pending)
        self.previewChanged.emit(pending)

    @Slot()
    def apply(self) -> None:
        if self._workspace is None or self.session_id is None:
            return
        try:
            session = self._workspace.set_strategy(self.session_id, self.chosen(), self.options())
        except DesktopChatError as exc:
            self.notice.emit(str(exc))
            return
        self.set_session(session)
        self.previewChanged.emit(None)

    @Slot()
    def cancel(self) -> None:
        self.set_session(self._session)
        self.previewChanged.emit(None)
