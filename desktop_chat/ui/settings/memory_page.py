"""The Memory page of the settings dialog: the default strategy, its options, the reply reserve and the request
cap, with a live preview of the open chat's next request planned with the values as typed (not saved yet).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QTimer, Slot
from PySide6.QtWidgets import QCheckBox, QGroupBox, QLabel, QVBoxLayout, QWidget

from desktop_chat.core.errors import DesktopChatError, SettingsError
from desktop_chat.core.models import ContextPlan, PartKind, Strategy
from desktop_chat.core.settings import Settings, validate
from desktop_chat.ui.settings.fields import Field, SplitEditor, combo, explanation, line_edit
from desktop_chat.ui.settings.pages import SettingsPage

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
    PartKind.INSTRUCTIONS: "custom instructions",
    PartKind.SYSTEM_PROMPT: "system prompt",
    PartKind.TOOLS: "tools",
    PartKind.PINNED_FACTS: "pinned facts",
    PartKind.FACTS: "facts",
    PartKind.SUMMARY: "summary",
    PartKind.RECALLED: "recalled",
    PartKind.RECENT: "recent",
}


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
            explain="Hits ranked by words and meaning; quoted (the best with a neighbour) as far as tokens allow.",
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
        self.add(
            "max_request_tokens",
            "Request cap:",
            line_edit("the model's window"),
            tip="The most tokens one request may use, however large the model's window: every message sends "
            "(and is billed for) up to this many. Type window, or leave it empty, for no cap",
            explain="Most tokens per request (memory fills up to it); empty: the model's window. "
            "A profile or a chat may set its own.",
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
            # Planned with the values as typed (the reply reserve, the cap ...): the budget is the core's rule.
            settings = replace(self.workspace.settings, **values)
            plan = self.workspace.preview(self.session_id, "", values["default_strategy"], options, settings=settings)
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
        f"{plan.budget:,} tokens ({plan.budget_reason}) — {parts or 'nothing yet'}."
    )
    left_out = sum(len(o.message_ids) for o in plan.omitted)
    if left_out:
        text += f" Left out: {left_out} message(s)."
    if session.strategy is not None:
        text += f" (This chat has its own strategy, {session.strategy.value}; defaults apply to chats without one.)"
    return text
