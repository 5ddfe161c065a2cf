"""The inspector's plan views: the budget bar, the tree of parts and omissions, "Next request", "Why this reply".

A plan here is anything with ``parts`` and ``omitted`` whose items have ``kind``,
``tokens``, ``reason``, ``message_ids``, ``fact_ids`` (and ``summary_through`` for
parts): the live ``ContextPlan`` from ``preview`` and the stored ``ReplyPlan``
alike, so both sections read the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt, Signal, Slot
from PySide6.QtGui import QBrush, QFont, QPainter, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from desktop_chat.core.models import PartKind
from desktop_chat.ui.chat.row_look import mix
from desktop_chat.ui.chat.tool_calls import calls_of

PART_NAMES = {
    PartKind.INSTRUCTIONS: "Custom instructions",
    PartKind.SYSTEM_PROMPT: "System prompt",
    PartKind.TOOLS: "Tool definitions",
    PartKind.PINNED_FACTS: "Pinned facts",
    PartKind.FACTS: "Facts",
    PartKind.SUMMARY: "Summary",
    PartKind.RECALLED: "Recalled messages",
    PartKind.RECENT: "Recent window",
}
PART, OMITTED = "part", "omitted"


NameOf = Callable[[str], str]  # an attachment's name by its sha256


def short_hash(sha256: str) -> str:
    return f"file {sha256[:12]}"


def attachment_names(workspace: Any) -> NameOf:
    """Names of attached files by hash, from the workspace, each looked up once."""
    from desktop_chat.core.errors import DesktopChatError

    known: dict[str, str] = {}

    def name_of(sha256: str) -> str:
        if sha256 not in known:
            try:
                known[sha256] = workspace.attachments.get(sha256).name
            except DesktopChatError:
                return short_hash(sha256)
        return known[sha256]

    return name_of


def part_title(part: Any, name_of: NameOf = short_hash) -> str:
    attachment = getattr(part, "attachment", None)  # an attachment's part names its file (issue 23)
    if attachment:
        return f"Attachment: {name_of(attachment)}"
    name = PART_NAMES.get(part.kind, str(part.kind))
    if part.kind is PartKind.SUMMARY and part.summary_through is not None:
        return f"{name} (to #{part.summary_through})"
    return f"{name} ({part.count:,})" if part.count else name


def tokens_text(tokens: int, approx: bool) -> str:
    return f"{'≈' if approx else ''}{tokens:,}"


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
        if budget + reserved < window:
            tip += "; the tick marks where the budget ends"
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
        painter.setBrush(mix(text, base, 0.88))
        painter.drawRoundedRect(rect, 3, 3)
        if self.context_window <= 0:
            return
        scale = rect.width() / self.context_window
        used = QRectF(rect.left(), rect.top(), min(self.used, self.budget) * scale, rect.height())
        painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
        painter.drawRoundedRect(used, 3, 3)
        if self.budget + self.reserved < self.context_window:
            # A request cap below the window: a tick where the budget ends (the rest of the window goes unused).
            painter.setBrush(text)
            painter.drawRect(QRectF(rect.left() + self.budget * scale - 1, rect.top(), 2, rect.height()))
        reserved_width = self.reserved * scale
        reserved = QRectF(rect.right() - reserved_width, rect.top(), reserved_width, rect.height())
        painter.setBrush(QBrush(mix(text, base, 0.55), Qt.BrushStyle.BDiagPattern))
        painter.drawRect(reserved)
        painter.end()


class PlanRow(QFrame):
    """One part (name, tokens, its reason below) or one omission (what, why, how much); click to activate.

    Rows are reused from one plan to the next (``show``), so typing changes label texts, not widgets.
    """

    clicked = Signal(object)  # self

    def __init__(self, which: str) -> None:
        super().__init__()
        self.which = which
        self.record: Any = None
        self._texts = ("", "")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.amount = QLabel()
        self.amount.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        if which == PART:
            font = QFont(self.title.font())
            font.setBold(True)
            self.title.setFont(font)
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.title, 1)
        head.addWidget(self.amount, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(0)
        layout.addLayout(head)
        self.reason = QLabel()
        self.reason.setWordWrap(True)
        self.reason.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(self.reason)
        self._selected = False

    def show_record(self, record: Any, title: str, amount: str, reason: str = "") -> None:
        self.record = record
        if self._texts != (title, amount):
            self._texts = (title, amount)
            self.title.setText(title)
            self.amount.setText(amount)
            self.setAccessibleName(f"{title}: {amount}" if amount else title)
        if self.reason.text() != reason:
            self.reason.setText(reason)
            self.reason.setVisible(bool(reason))
            self.setAccessibleDescription(reason)
            self.setToolTip((reason + "\n" if reason else "") + "Click to show where it came from in the chat")
        self.set_selected(False)
        self.show()

    def text(self, column: int) -> str:
        return self._texts[column] if 0 <= column < len(self._texts) else ""

    def set_selected(self, selected: bool) -> None:
        if selected == self._selected:
            return
        self._selected = selected
        self.setFrameShape(QFrame.Shape.StyledPanel if selected else QFrame.Shape.NoFrame)
        self.setBackgroundRole(QPalette.ColorRole.AlternateBase if selected else QPalette.ColorRole.Window)
        self.setAutoFillBackground(selected)

    def is_selected(self) -> bool:
        return self._selected

    def mousePressEvent(self, event: Any) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self)
        super().mousePressEvent(event)

    def keyPressEvent(self, event: Any) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.clicked.emit(self)
            return
        super().keyPressEvent(event)


class PlanTree(QWidget):
    """Parts with their tokens and one-line reasons, then what was left out and why. Clicking a row activates it.

    Rows are labels, not tree items, so long reasons wrap in the narrow pane instead of being cut.
    """

    recordActivated = Signal(str, object)  # PART | OMITTED, the part or omission

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pool: dict[str, list[PlanRow]] = {PART: [], OMITTED: []}
        self.rows: list[PlanRow] = []  # the rows in use, parts first
        self.left_out = QLabel()
        font = QFont(self.left_out.font())
        font.setBold(True)
        self.left_out.setFont(font)
        self.left_out.setToolTip("What could have gone into the request but did not, and why")
        self._boxes = {PART: QVBoxLayout(), OMITTED: QVBoxLayout()}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addLayout(self._boxes[PART])
        layout.addWidget(self.left_out)
        layout.addLayout(self._boxes[OMITTED])
        for box in self._boxes.values():
            box.setContentsMargins(0, 0, 0, 0)
            box.setSpacing(1)
        self.left_out.hide()
        self._current: PlanRow | None = None
        self.name_of: NameOf = short_hash  # the pane names attachments through its workspace

    def clear(self) -> None:
        self.show_plan((), (), approx=False)

    def _row(self, which: str, index: int) -> PlanRow:
        pool = self._pool[which]
        if index < len(pool):
            return pool[index]
        row = PlanRow(which)
        row.clicked.connect(self._clicked)
        pool.append(row)
        self._boxes[which].addWidget(row)
        return row

    def show_plan(self, parts: Sequence[Any], omitted: Sequence[Any], *, approx: bool) -> None:
        self._current = None
        used: list[PlanRow] = []
        for index, part in enumerate(parts):
            row = self._row(PART, index)
            row.show_record(part, part_title(part, self.name_of), tokens_text(part.tokens, approx), part.reason)
            used.append(row)
        for index, omission in enumerate(omitted):
            count = len(omission.message_ids) or len(omission.fact_ids)
            what = PART_NAMES.get(omission.kind, str(omission.kind))
            title = f"{what}: {omission.reason}"
            attachment = getattr(omission, "attachment", None)
            if attachment:
                name = self.name_of(attachment)
                # The reason may name the file itself ("chart.png: the model does not read images").
                reason = omission.reason if omission.reason.startswith(name) else f"{name}: {omission.reason}"
                title = f"Attachment {reason}"
            amount = tokens_text(omission.tokens, approx) if omission.tokens else (f"{count:,}" if count else "")
            row = self._row(OMITTED, index)
            row.show_record(omission, title, amount)
            used.append(row)
        for which, shown in ((PART, len(parts)), (OMITTED, len(omitted))):
            for row in self._pool[which][shown:]:
                row.hide()
        self.left_out.setText(f"Left out ({len(omitted)})")
        self.left_out.setVisible(bool(omitted))
        self.rows = used

    # The tree-like reading API (tests and the placeholder's users read plans through it).
    def topLevelItemCount(self) -> int:
        return sum(1 for r in self.rows if r.which == PART) + (1 if self.left_out.isVisibleTo(self) else 0)

    def items(self) -> list[PlanRow]:
        return list(self.rows)

    def record_of(self, row: PlanRow) -> tuple[str, Any] | None:
        return (row.which, row.record) if row in self.rows else None

    def item_for_record(self, which: str, record: Any) -> PlanRow | None:
        return next((r for r in self.rows if r.which == which and r.record is record), None)

    def currentItem(self) -> PlanRow | None:
        return self._current

    def setCurrentItem(self, row: PlanRow | None) -> None:
        for other in self.rows:
            other.set_selected(other is row)
        self._current = row

    @Slot(object)
    def _clicked(self, row: PlanRow) -> None:
        self.setCurrentItem(row)
        self.recordActivated.emit(row.which, row.record)


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
        self.bar_caption.setToolTip(
            "The most tokens this request may use: the request cap (Settings, the profile or this chat; the most "
            "specific wins) or, when smaller, the model's window less the reply's room"
        )
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
        self.total.setText(f"{tokens_text(used, approx)} / {plan.budget:,} tokens · {plan.strategy} · {plan.model}")
        self.total.setToolTip(
            "≈: our estimate; the provider has not confirmed it yet" if approx else "Confirmed by the provider's count"
        )
        self.bar.set_values(used, plan.budget, plan.reserved_reply, plan.context_window)
        # The budget, and why it is that: the request cap (and who set it) or the model's window.
        self.bar_caption.setText(
            f"Budget {plan.budget:,}: {plan.budget_reason} · {plan.reserved_reply:,} reserved for the reply, "
            f"of a {plan.context_window:,}-token window"
        )
        self.tree.show_plan(plan.parts, plan.omitted, approx=approx)

    def set_last_reply(self, estimated: int | None, reported: int | None, *, stopped: bool = False) -> None:
        if estimated is None:
            self.last_reply.hide()
            return
        real = f"{reported:,} counted by the provider" if reported is not None else "the provider sent no count"
        if stopped and reported is None:
            real = "stopped, so the provider sent no count"
        self.last_reply.setText(f"Last reply: ≈{estimated:,} estimated · {real}")
        self.last_reply.show()

    def item_for(self, which: str, record: Any) -> PlanRow | None:
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
        calls = calls_of(message, ())  # issue 24: the tools the reply called, and how each went
        if calls:
            lines.append("Tool calls: " + ", ".join(f"{c.tool} ({c.state})" for c in calls))
        self.used.setText("\n".join(lines))
        for widget in (self.tokens, self.tree, self.used):
            widget.show()
