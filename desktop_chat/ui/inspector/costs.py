"""The inspector's "Costs": the next request's price, this chat's spending (replies and memory upkeep), this month's.

Every figure comes from ``workspace.costs``; this view only words it. "cost unknown" is said as
such (a model with no known price), never shown as $0; local servers and the built-in model are
"free (local)".
"""

from __future__ import annotations

import contextlib
from typing import Any

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop_chat.core.errors import DesktopChatError
from desktop_chat.core.models import ContextPlan
from desktop_chat.core.spending import KIND_NAMES, UPKEEP_KINDS, Totals, requests_text


def _label(name: str, tip: str) -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setAccessibleName(name)
    label.setToolTip(tip)
    return label


def upkeep_text(totals: Totals, upkeep_model: str | None) -> str:
    """ "Memory upkeep: $0.12 in 24 requests (fact extraction 20, titles 1) · model gpt-4o-mini"."""
    upkeep = totals.upkeep
    model = f" · model {upkeep_model}" if upkeep_model else ""
    if not upkeep.requests:
        return f"Memory upkeep: no requests yet{model}"
    kinds = ", ".join(f"{KIND_NAMES[k]} {totals.kinds[k].requests}" for k in UPKEEP_KINDS if k in totals.kinds)
    return f"Memory upkeep: {upkeep.cost_text()} in {requests_text(upkeep.requests)} ({kinds}){model}"


class CostsView(QWidget):
    """Four lines: the next request, this chat, its memory upkeep, this month."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Costs")
        self._workspace: Any = None
        self.session_id: int | None = None
        self.next = _label(
            "Cost of the next request",
            "The next request's prompt, and at most the reply cap; ≤ because a reply is often shorter",
        )
        self.chat = _label("This chat's cost", "What this chat's requests cost so far: replies and memory upkeep")
        self.upkeep = _label(
            "Memory upkeep cost",
            "Fact extraction, summaries and titles: requests made besides the replies. A cheaper upkeep model "
            "(Settings → Providers) or extracting facts every few messages (Settings → Memory) makes them cheaper.",
        )
        self.upkeep.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.month = _label("This month's cost", "Every request this month, in every chat (deleted ones too)")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        for label in (self.next, self.chat, self.upkeep, self.month):
            layout.addWidget(label)

    def set_workspace(self, workspace: Any) -> None:
        self._workspace = workspace

    def set_session(self, session_id: int | None) -> None:
        self.session_id = session_id
        self.refresh()

    def set_plan(self, plan: ContextPlan | None) -> None:
        """The next request's cost, from the plan the inspector shows."""
        workspace, session_id = self._workspace, self.session_id
        if workspace is None or session_id is None or plan is None:
            self.next.setText("Next request: nothing to send yet")
            return
        try:
            cost = workspace.costs.next_request(session_id, plan)
        except DesktopChatError as exc:
            self.next.setText(f"Next request: {exc}")
            return
        self.next.setText(f"Next request {cost.text()}")

    def refresh(self) -> None:
        """This chat's and this month's totals (after a reply, upkeep, or another chat)."""
        workspace, session_id = self._workspace, self.session_id
        if workspace is None:
            return
        with contextlib.suppress(DesktopChatError):
            month = workspace.costs.month()
            self.month.setText(f"This month: {month.all.cost_text()} in {requests_text(month.all.requests)}")
        if session_id is None:
            self.chat.setText("")
            self.upkeep.setText("")
            return
        try:
            totals = workspace.costs.chat(session_id)
            upkeep_model = workspace.costs.upkeep_model(session_id)
        except DesktopChatError as exc:
            self.chat.setText(str(exc))
            return
        replies = totals.of("reply")
        self.chat.setText(
            f"This chat: {totals.all.cost_text()} · replies {replies.cost_text()} in {requests_text(replies.requests)}"
        )
        self.upkeep.setText(upkeep_text(totals, upkeep_model))
