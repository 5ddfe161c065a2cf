"""The memory inspector's place: a short summary of the next request. The full inspector is its own issue."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QLabel, QProgressBar, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from desktop_chat.core.models import ContextPlan, PartKind

PART_NAMES = {
    PartKind.SYSTEM_PROMPT: "System prompt",
    PartKind.PINNED_FACTS: "Pinned facts",
    PartKind.FACTS: "Facts",
    PartKind.SUMMARY: "Summary",
    PartKind.RECALLED: "Recalled messages",
    PartKind.RECENT: "Recent messages",
}


class InspectorPane(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Memory inspector")
        self.setToolTip("What the next request to the model will contain")
        heading = QLabel("NEXT REQUEST")
        font = QFont(heading.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 0.85)
        heading.setFont(font)
        heading.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        heading.setAccessibleName("Next request")
        heading.setToolTip("The context the next message will be sent with")
        self.total = QLabel()
        self.total.setAccessibleName("Tokens of the next request")
        self.total.setToolTip("Prompt tokens of the next request against the budget; ≈ until the provider confirms")
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(8)
        self.bar.setAccessibleName("Budget used")
        self.bar.setToolTip("How much of the token budget the next request uses")
        self.parts = QTreeWidget()
        self.parts.setColumnCount(2)
        self.parts.setHeaderHidden(True)
        self.parts.setRootIsDecorated(False)
        self.parts.setAccessibleName("Parts of the next request")
        self.parts.setToolTip("Each part of the next request and its tokens")
        self.parts.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.parts.header().setStretchLastSection(False)
        self.parts.header().setSectionResizeMode(0, self.parts.header().ResizeMode.Stretch)
        self.parts.header().setSectionResizeMode(1, self.parts.header().ResizeMode.ResizeToContents)
        self.strategy = QLabel()
        self.strategy.setAccessibleName("Memory strategy")
        self.strategy.setToolTip("How this chat's memory decides what goes into each request")
        self.note = QLabel("Facts, the summary and the strategy switch will be edited here.")
        self.note.setWordWrap(True)
        self.note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.note.setAccessibleName("About the inspector")
        self.note.setToolTip("The full memory inspector is coming")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 10, 10, 8)
        layout.addWidget(heading)
        layout.addWidget(self.total)
        layout.addWidget(self.bar)
        layout.addWidget(self.parts, 1)
        layout.addWidget(self.strategy)
        layout.addWidget(self.note)

    def set_plan(self, plan: ContextPlan | None) -> None:
        self.parts.clear()
        if plan is None:
            self.total.setText("")
            self.strategy.setText("")
            self.bar.setValue(0)
            return
        approx = "≈" if plan.estimated else ""
        self.total.setText(f"{approx}{plan.total_tokens:,} / {plan.budget:,} tokens")
        self.bar.setMaximum(max(plan.budget, 1))
        self.bar.setValue(min(plan.total_tokens, plan.budget))
        for part in plan.parts:
            name = PART_NAMES.get(part.kind, str(part.kind))
            if part.kind is PartKind.RECENT and part.message_ids:
                name += f" ({len(part.message_ids):,})"
            item = QTreeWidgetItem([name, f"{part.tokens:,}"])
            item.setToolTip(0, part.reason)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
            self.parts.addTopLevelItem(item)
        # Messages after the one being answered are not "left out": the next message follows them.
        answered = max((i for p in plan.parts for i in p.message_ids), default=0)
        omitted = [o for o in plan.omitted if not o.message_ids or min(o.message_ids) < answered]
        left_out = sum(1 for o in omitted for i in o.message_ids if i < answered)
        if omitted:
            item = QTreeWidgetItem(["Left out", f"{left_out:,} msgs" if left_out else ""])
            item.setToolTip(0, "\n".join(o.reason for o in omitted))
            self.parts.addTopLevelItem(item)
        self.strategy.setText(f"Strategy: {plan.strategy} · {plan.model}")
