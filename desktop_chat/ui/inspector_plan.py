"""The inspector's plan views: the budget bar, the tree of parts and omissions, "Next request", "Why this reply".

A plan here is anything with ``parts`` and ``omitted`` whose items have ``kind``,
``tokens``, ``reason``, ``message_ids``, ``fact_ids`` (and ``summary_through`` for
parts): the live ``ContextPlan`` from ``preview`` and the stored ``ReplyPlan``
alike, so both sections read the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QSizePolicy,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.core.models import PartKind

PART_NAMES = {
    PartKind.SYSTEM_PROMPT: "System prompt",
    PartKind.PINNED_FACTS: "Pinned facts",
    PartKind.FACTS: "Facts",
    PartKind.SUMMARY: "Summary",
    PartKind.RECALLED: "Recalled messages",
    PartKind.RECENT: "Recent window",
}
RECORD_ROLE = Qt.ItemDataRole.UserRole + 1  # index into PlanTree.records: ("part" | "omitted", the record)
PART, OMITTED = "part", "omitted"


def part_title(part: Any) -> str:
    name = PART_NAMES.get(part.kind, str(part.kind))
    if part.kind is PartKind.SUMMARY and part.summary_through is not None:
        return f"{name} (to #{part.summary_through})"
    count = len(part.message_ids) or len(part.fact_ids)
    return f"{name} ({count:,})" if count else name


def tokens_text(tokens: int, approx: bool) -> str:
    return f"{'≈' if approx else ''}{tokens:,}"


def _mix(a: QColor, b: QColor, amount_b: float) -> QColor:
    return QColor(
        round(a.red() * (1 - amount_b) + b.red() * amount_b),
        round(a.green() * (1 - amount_b) + b.green() * amount_b),
        round(a.blue() * (1 - amount_b) + b.blue() * amount_b),
    )


class BudgetBar(QWidget):
    """The context window as one bar: used by the prompt | still free | reserved for the reply."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.used = 0
        self.budget = 0
        self.reserved = 0
        self.context_window = 0
        self.setAccessibleName("Budget bar")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(200, 12)

    def set_values(self, used: int, budget: int, reserved: int, window: int) -> None:
        self.used, self.budget, self.reserved = used, budget, reserved
        self.context_window = max(window, budget + reserved, 1)
        tip = f"{used:,} of {budget:,} tokens used; {reserved:,} reserved for the reply (context window {window:,})"
        self.setToolTip(tip)
        self.setAccessibleDescription(tip)
        self.update()

    def paintEvent(self, event: Any) -> None:
        palette = self.palette()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(0.5, 1.5, -0.5, -1.5)
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_mix(text, base, 0.88))
        painter.drawRoundedRect(rect, 3, 3)
        if self.context_window <= 0:
            return
        scale = rect.width() / self.context_window
        used = QRectF(rect.left(), rect.top(), min(self.used, self.budget) * scale, rect.height())
        painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
        painter.drawRoundedRect(used, 3, 3)
        reserved_width = self.reserved * scale
        reserved = QRectF(rect.right() - reserved_width, rect.top(), reserved_width, rect.height())
        painter.setBrush(QBrush(_mix(text, base, 0.55), Qt.BrushStyle.BDiagPattern))
        painter.drawRect(reserved)
        painter.end()


class PlanTree(QTreeWidget):
    """Parts with their tokens and one-line reasons, then what was left out and why. Clicking an item activates it."""

    recordActivated = Signal(str, object)  # PART | OMITTED, the part or omission

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(2)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setIndentation(10)
        self.setWordWrap(True)
        self.setUniformRowHeights(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizeAdjustPolicy(QTreeWidget.SizeAdjustPolicy.AdjustToContents)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, header.ResizeMode.Stretch)
        header.setSectionResizeMode(1, header.ResizeMode.ResizeToContents)
        self.records: list[tuple[str, Any]] = []
        self.itemClicked.connect(self._clicked)
        self.itemActivated.connect(self._clicked)

    def _keep(self, which: str, record: Any) -> int:
        self.records.append((which, record))
        return len(self.records) - 1

    def record_of(self, item: QTreeWidgetItem) -> tuple[str, Any] | None:
        index = item.data(0, RECORD_ROLE)
        return self.records[index] if isinstance(index, int) and 0 <= index < len(self.records) else None

    def show_plan(self, parts: Sequence[Any], omitted: Sequence[Any], *, approx: bool) -> None:
        self.clear()
        self.records = []
        dim = self.palette().color(QPalette.ColorRole.PlaceholderText)
        for part in parts:
            item = QTreeWidgetItem([part_title(part), tokens_text(part.tokens, approx)])
            item.setData(0, RECORD_ROLE, self._keep(PART, part))
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
            item.setToolTip(0, f"{part.reason}\nClick to show where it came from in the chat")
            self.addTopLevelItem(item)
            self._reason(item, part.reason, dim)
        if omitted:
            heading = QTreeWidgetItem([f"Left out ({len(omitted)})", ""])
            font = QFont(heading.font(0))
            font.setBold(True)
            heading.setFont(0, font)
            heading.setToolTip(0, "What could have gone into the request but did not, and why")
            self.addTopLevelItem(heading)
            for omission in omitted:
                count = len(omission.message_ids) or len(omission.fact_ids)
                what = PART_NAMES.get(omission.kind, str(omission.kind))
                amount = tokens_text(omission.tokens, approx) if omission.tokens else (f"{count:,}" if count else "")
                item = QTreeWidgetItem(heading, [f"{what}: {omission.reason}", amount])
                item.setData(0, RECORD_ROLE, self._keep(OMITTED, omission))
                item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
                item.setToolTip(0, omission.reason)
            heading.setExpanded(True)
        self.expandAll()
        self.updateGeometry()

    def _reason(self, parent: QTreeWidgetItem, reason: str, dim: QColor) -> None:
        child = QTreeWidgetItem(parent, [reason, ""])
        child.setForeground(0, dim)
        child.setData(0, RECORD_ROLE, parent.data(0, RECORD_ROLE))
        child.setToolTip(0, reason)

    def sizeHint(self) -> QSize:
        # Tall enough for every row: the section scrolls as a whole, never this tree on its own.
        height = 4
        iterator = [self.topLevelItem(i) for i in range(self.topLevelItemCount())]
        while iterator:
            item = iterator.pop()
            if item is None:
                continue
            height += max(self.visualItemRect(item).height(), self.fontMetrics().height() + 4)
            iterator.extend(item.child(i) for i in range(item.childCount()))
        return QSize(200, height)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.updateGeometry()  # wrapped reasons take more lines when narrower

    def items(self) -> list[QTreeWidgetItem]:
        found: list[QTreeWidgetItem] = []
        stack = [self.topLevelItem(i) for i in range(self.topLevelItemCount() - 1, -1, -1)]
        while stack:
            item = stack.pop()
            if item is None:
                continue
            found.append(item)
            stack.extend(item.child(i) for i in range(item.childCount() - 1, -1, -1))
        return found

    def item_for_record(self, which: str, record: Any) -> QTreeWidgetItem | None:
        """The item showing ``record`` (a part's own row comes before its reason's, which carries the same data)."""
        for item in self.items():
            data = self.record_of(item)
            if data is not None and data[0] == which and data[1] is record:
                return item
        return None

    def _clicked(self, item: QTreeWidgetItem, column: int = 0) -> None:
        data = self.record_of(item)
        if data is not None:
            self.recordActivated.emit(data[0], data[1])


def _caption(parent: QWidget | None = None) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class NextRequestView(QWidget):
    """What the next request holds: totals, the budget bar, parts and omissions; a "what if" preview when asked."""

    recordActivated = Signal(str, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan: Any = None
        self.total = _caption()
        self.total.setAccessibleName("Tokens of the next request")
        self.total.setToolTip("Prompt tokens of the next request against the budget; ≈ until the provider confirms")
        self.bar = BudgetBar()
        self.bar_caption = _caption()
        self.bar_caption.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.bar_caption.setAccessibleName("Budget")
        self.tree = PlanTree()
        self.tree.setAccessibleName("Parts of the next request")
        self.tree.setToolTip("Each part of the next request, its tokens and why it is there; click to see its source")
        self.tree.recordActivated.connect(self.recordActivated)
        self.note = _caption()
        self.note.setAccessibleName("About this plan")
        self.note.hide()
        self.last_reply = _caption()
        self.last_reply.setAccessibleName("Last reply: estimate and real prompt tokens")
        self.last_reply.setToolTip("Our estimate of the last request beside the prompt tokens the provider counted")
        self.last_reply.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.last_reply.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for widget in (self.total, self.bar, self.bar_caption, self.note, self.tree, self.last_reply):
            layout.addWidget(widget)

    def set_plan(self, plan: Any, *, approx: bool, note: str = "") -> None:
        self.plan = plan
        self.note.setText(note)
        self.note.setVisible(bool(note))
        if plan is None:
            self.total.setText("No request to plan yet: type a message.")
            self.bar.set_values(0, 0, 0, 0)
            self.bar_caption.setText("")
            self.tree.clear()
            return
        used = plan.total_tokens
        self.total.setText(
            f"{tokens_text(used, approx)} / {plan.budget:,} tokens · {plan.strategy} · {plan.model}"
            + (" (≈: not yet confirmed by the provider)" if approx else "")
        )
        self.bar.set_values(used, plan.budget, plan.reserved_reply, plan.context_window)
        self.bar_caption.setText(
            f"used {tokens_text(used, approx)} · budget {plan.budget:,}"
            f" · {plan.reserved_reply:,} reserved for the reply"
        )
        self.tree.show_plan(plan.parts, plan.omitted, approx=approx)

    def set_last_reply(self, estimated: int | None, reported: int | None) -> None:
        if estimated is None:
            self.last_reply.hide()
            return
        real = f"{reported:,} counted by the provider" if reported is not None else "the provider sent no count"
        self.last_reply.setText(f"Last reply: ≈{estimated:,} estimated · {real}")
        self.last_reply.show()

    def item_for(self, which: str, record: Any) -> QTreeWidgetItem | None:
        return self.tree.item_for_record(which, record)


class WhyReplyView(QWidget):
    """The request that produced the selected reply, from the plan stored with it."""

    recordActivated = Signal(str, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan: Any = None
        self.message_id: int | None = None
        self.heading = _caption()
        self.heading.setAccessibleName("The selected reply's request")
        self.heading.setText("Select a reply in the chat to see the request that produced it.")
        self.tokens = _caption()
        self.tokens.setAccessibleName("The reply's prompt tokens: estimate and real")
        self.used = _caption()
        self.used.setAccessibleName("Facts and messages the reply was made from")
        self.used.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.tree = PlanTree()
        self.tree.setAccessibleName("Parts of the reply's request")
        self.tree.setToolTip("Each part of the request this reply answered; click to see its source")
        self.tree.recordActivated.connect(self.recordActivated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for widget in (self.heading, self.tokens, self.tree, self.used):
            layout.addWidget(widget)
        self.clear()

    def clear(self, text: str = "Select a reply in the chat to see the request that produced it.") -> None:
        self.plan = None
        self.heading.setText(text)
        for widget in (self.tokens, self.tree, self.used):
            widget.hide()

    def show_reply(self, message: Any, plan: Any, facts: dict[int, Any]) -> None:
        """``message``: the assistant message; ``plan``: its stored ReplyPlan or None; ``facts``: id -> Fact."""
        self.message_id = message.id
        self.plan = plan
        when = message.created_at.astimezone().strftime("%d %b %H:%M")
        if plan is None:
            self.clear(f"Reply #{message.id} ({when}) was made before requests were kept, so its plan is unknown.")
            return
        self.heading.setText(f"Reply #{message.id} · {when} · {plan.model} · {plan.strategy} memory")
        usage = message.usage
        real = f" · {usage.prompt_tokens:,} counted by the provider" if usage is not None else ""
        self.tokens.setText(f"≈{plan.total_tokens:,} prompt tokens estimated{real} · budget {plan.budget:,}")
        self.tree.show_plan(plan.parts, plan.omitted, approx=True)
        fact_bits = []
        for fact_id in plan.fact_ids:
            fact = facts.get(fact_id)
            fact_bits.append(f"{fact.key} (#{fact_id})" if fact is not None else f"#{fact_id} (since removed)")
        ids = plan.message_ids
        lines = [f"Facts used: {', '.join(fact_bits)}" if fact_bits else "Facts used: none"]
        lines.append(f"Messages used: {len(ids):,} (#{min(ids)}\u2013#{max(ids)})" if ids else "Messages used: none")
        self.used.setText("\n".join(lines))
        for widget in (self.tokens, self.tree, self.used):
            widget.show()
