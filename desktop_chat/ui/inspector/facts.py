"""The inspector's "Facts" section: the table of remembered facts, pending ones, rejected ones, a fact's history.

Every change goes through the workspace (which records it in the fact's history,
so undo survives a restart) and the table is rebuilt from the workspace after it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.core.errors import DesktopChatError
from desktop_chat.core.models import Fact, FactOrigin, FactStatus
from desktop_chat.ui.inspector.fact_rows import (
    COLUMNS,
    FACT_ROLE,
    KEY,
    ORIGIN,
    SCOPE,
    SOURCE,
    UPDATED,
    VALUE,
    describe_event,
    pending_item,
    rejected_item,
    table_items,
)
from desktop_chat.ui.signal_types import ID

__all__ = ["COLUMNS", "FACT_ROLE", "FactsView", "describe_event"]


def _fit(listing: QListWidget, most: int = 4) -> None:
    """As tall as its rows (up to ``most``; then it scrolls): no empty box under one pending fact."""
    rows = sum(listing.sizeHintForRow(i) for i in range(min(listing.count(), most)))
    listing.setFixedHeight(max(rows, listing.fontMetrics().height()) + 2 * listing.frameWidth() + 2)


def _tool(text: str, tip: str, icon_name: str | None = None) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    button.setAccessibleName(text)
    if icon_name:
        from desktop_chat.ui.app.icons import icon

        # Icons only: four labelled buttons do not fit a narrow pane; the tooltip says what each does.
        button.setIcon(icon(icon_name))
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    button.setAutoRaise(True)
    return button


class FactsView(QWidget):
    """Facts visible in the open chat (its own and global ones), editable in place."""

    openMessage = Signal(ID)  # a fact's source message id
    notice = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._workspace: Any = None
        self.session_id: int | None = None
        self.facts: list[Fact] = []
        self._filling = False
        self._last_deleted: int | None = None  # a deleted fact leaves the table; Undo can still bring it back
        self._build_table()
        actions = self._build_actions()
        adder = self._build_adder()
        self._build_lists()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.table)
        layout.addLayout(actions)
        layout.addLayout(adder)
        layout.addWidget(self.pending_box)
        layout.addWidget(self.rejected_box)
        layout.addWidget(self.history_box)
        self._selection_changed()

    def _build_table(self) -> None:
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setAccessibleName("Facts")
        self.table.setToolTip("Remembered facts; double-click a key or value to edit it, click a source to jump to it")
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.table.setWordWrap(False)
        # The pane is narrow: key and value share its width (eliding what is longer; the tooltip has all of
        # it), the source keeps its few characters, and scope, origin and time are in each row's tooltip.
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(KEY, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(VALUE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(SOURCE, QHeaderView.ResizeMode.ResizeToContents)
        for column in (SCOPE, ORIGIN, UPDATED):
            self.table.setColumnHidden(column, True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.table.setMinimumWidth(120)
        self.table.itemChanged.connect(self._edited)
        self.table.cellClicked.connect(self._cell_clicked)
        self.table.itemSelectionChanged.connect(self._selection_changed)

    def _build_actions(self) -> QHBoxLayout:
        self.pin_button = _tool("Pin", "Pin the selected fact: always sent, even past the facts share", "pin")
        self.private_button = _tool(
            "Private", "Private: send the selected fact only to local models (a server on this computer)", "lock"
        )
        self.delete_button = _tool("Delete", "Delete the selected fact (undo brings it back)", "delete")
        self.undo_button = _tool("Undo", "Undo the selected fact's last change, from its history", "undo")
        self.pin_button.clicked.connect(self.toggle_pin)
        self.private_button.clicked.connect(self.toggle_private)
        self.delete_button.clicked.connect(self.delete_selected)
        self.undo_button.clicked.connect(self.undo_selected)
        actions = QHBoxLayout()
        actions.setContentsMargins(0, 0, 0, 0)
        for button in (self.pin_button, self.private_button):
            button.setCheckable(True)  # shows whether the selected fact is pinned / private
        for button in (self.pin_button, self.private_button, self.delete_button, self.undo_button):
            actions.addWidget(button)
        actions.addStretch(1)
        return actions

    def _build_adder(self) -> QVBoxLayout:
        self.new_key = QLineEdit()
        self.new_key.setPlaceholderText("key")
        self.new_key.setAccessibleName("New fact's key")
        self.new_key.setToolTip("The new fact's key, e.g. name or employer")
        self.new_value = QLineEdit()
        self.new_value.setPlaceholderText("value")
        self.new_value.setAccessibleName("New fact's value")
        self.new_value.setToolTip("The new fact's value")
        self.new_scope = QComboBox()
        self.new_scope.addItems(["this chat", "all chats"])
        self.new_scope.setAccessibleName("New fact's scope")
        self.new_scope.setToolTip("Remember it for this chat only, or for every chat")
        self.add_button = QPushButton("Add")
        self.add_button.setAccessibleName("Add fact")
        self.add_button.setToolTip("Remember this fact")
        self.add_button.clicked.connect(self.add_from_fields)
        self.new_value.returnPressed.connect(self.add_from_fields)
        fields = QHBoxLayout()
        fields.setContentsMargins(0, 0, 0, 0)
        fields.addWidget(self.new_key, 2)
        fields.addWidget(self.new_value, 3)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.new_scope, 1)
        row.addWidget(self.add_button)
        adder = QVBoxLayout()
        adder.setContentsMargins(0, 0, 0, 0)
        adder.setSpacing(2)
        adder.addLayout(fields)
        adder.addLayout(row)
        return adder

    def _build_lists(self) -> None:
        self.pending_label = QLabel("Waiting for your approval")
        self.pending = QListWidget()
        self.pending.setAccessibleName("Facts waiting for approval")
        self.pending.setToolTip("Facts found in your messages; approve to use them, reject to drop them")
        self.approve_button = QPushButton("Approve")
        self.approve_button.setAccessibleName("Approve fact")
        self.approve_button.setToolTip("Use the selected pending fact from now on")
        self.reject_button = QPushButton("Reject")
        self.reject_button.setAccessibleName("Reject fact")
        self.reject_button.setToolTip("Drop the selected pending fact")
        self.approve_button.clicked.connect(self.approve_pending)
        self.reject_button.clicked.connect(self.reject_pending)
        pending_buttons = QHBoxLayout()
        pending_buttons.setContentsMargins(0, 0, 0, 0)
        pending_buttons.addWidget(self.approve_button)
        pending_buttons.addWidget(self.reject_button)
        pending_buttons.addStretch(1)
        self.pending_box = QWidget()
        box = QVBoxLayout(self.pending_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.pending_label)
        box.addWidget(self.pending)
        box.addLayout(pending_buttons)

        self.rejected_label = QLabel("Rejected extractions")
        self.rejected = QListWidget()
        self.rejected.setAccessibleName("Rejected facts")
        self.rejected.setToolTip("Facts that were found but refused, with the reason")
        self.rejected.setWordWrap(True)
        self.rejected_box = QWidget()
        box = QVBoxLayout(self.rejected_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.rejected_label)
        box.addWidget(self.rejected)

        self.history_label = QLabel("History")
        self.history = QListWidget()
        self.history.setAccessibleName("The selected fact's history")
        self.history.setToolTip("Every change to the selected fact; Undo reverts the newest")
        self.history.setWordWrap(True)
        self.history_box = QWidget()
        box = QVBoxLayout(self.history_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.history_label)
        box.addWidget(self.history)
        for label in (self.pending_label, self.rejected_label, self.history_label):
            font = QFont(label.font())
            font.setBold(True)
            label.setFont(font)

    # --- filling ---------------------------------------------------------------------------

    def set_workspace(self, workspace: Any) -> None:
        self._workspace = workspace

    def set_session(self, session_id: int | None) -> None:
        self.session_id = session_id
        self.refresh()

    def refresh(self) -> None:
        workspace, session_id = self._workspace, self.session_id
        if workspace is None or session_id is None:
            return
        selected = self.selected_fact()
        try:
            facts = workspace.facts(session_id, statuses=tuple(FactStatus))
            temporary = workspace.session(session_id).temporary
        except DesktopChatError as exc:
            self.notice.emit(str(exc))
            return
        self.new_scope.setEnabled(not temporary)
        if temporary:
            self.new_scope.setCurrentIndex(1)
        self.facts = [f for f in facts if f.status is FactStatus.ACTIVE]
        pinned_first = sorted(self.facts, key=lambda f: (not f.pinned, f.key))
        self._fill_table(pinned_first)
        self._fill_pending([f for f in facts if f.status is FactStatus.PENDING])
        self._fill_rejected([f for f in facts if f.status is FactStatus.REJECTED and f.origin is FactOrigin.EXTRACTED])
        if selected is not None:
            self.select_fact(selected.id)
        self._selection_changed()

    def _fill_table(self, facts: list[Fact]) -> None:
        self._filling = True
        try:
            self.table.setRowCount(len(facts))
            for row, fact in enumerate(facts):
                for column, item in enumerate(table_items(fact)):
                    self.table.setItem(row, column, item)
        finally:
            self._filling = False
        # Tall enough for its rows: the inspector scrolls as a whole.
        rows = sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
        header = self.table.horizontalHeader().sizeHint().height()
        self.table.setFixedHeight(min(max(rows + header + 2 * self.table.frameWidth() + 2, 60), 320))

    def _fill_pending(self, facts: list[Fact]) -> None:
        self.pending.clear()
        for fact in facts:
            self.pending.addItem(pending_item(fact))
        if facts:
            self.pending.setCurrentRow(0)
        _fit(self.pending)
        self.pending_box.setVisible(bool(facts))

    def _fill_rejected(self, facts: list[Fact]) -> None:
        self.rejected.clear()
        for fact in facts[-20:]:
            self.rejected.addItem(rejected_item(fact, self.palette().color(QPalette.ColorRole.PlaceholderText)))
        _fit(self.rejected)
        self.rejected_label.setText(f"Rejected extractions ({len(facts)})")
        self.rejected_box.setVisible(bool(facts))

    # --- selection -------------------------------------------------------------------------

    def selected_fact(self) -> Fact | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        item = self.table.item(rows[0].row(), KEY)
        fact_id = item.data(FACT_ROLE) if item is not None else None
        return next((f for f in self.facts if f.id == fact_id), None)

    def select_fact(self, fact_id: int) -> bool:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, KEY)
            if item is not None and item.data(FACT_ROLE) == fact_id:
                self.table.selectRow(row)
                return True
        return False

    def row_of(self, fact_id: int) -> int | None:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, KEY)
            if item is not None and item.data(FACT_ROLE) == fact_id:
                return row
        return None

    @Slot()
    def _selection_changed(self) -> None:
        fact = self.selected_fact()
        for button in (self.pin_button, self.private_button, self.delete_button):
            button.setEnabled(fact is not None)
        self.undo_button.setEnabled(fact is not None or self._last_deleted is not None)
        self.pin_button.setChecked(fact is not None and fact.pinned)
        self.private_button.setChecked(fact is not None and fact.private)
        self.history.clear()
        self.history_box.setVisible(fact is not None)
        if fact is None or self._workspace is None:
            return
        self.history_label.setText(f"History of {fact.key.replace('_', ' ')}")
        try:
            events = self._workspace.fact_history(fact.id)
        except DesktopChatError as exc:
            self.notice.emit(str(exc))
            return
        for event in reversed(events):
            self.history.addItem(describe_event(event))
        _fit(self.history)

    # --- actions ---------------------------------------------------------------------------

    def _do(self, action: Any) -> Any:
        try:
            return action()
        except DesktopChatError as exc:
            self.notice.emit(str(exc))
            self.refresh()
            return None

    @Slot()
    def add_from_fields(self) -> None:
        if self._workspace is None or self.session_id is None:
            return
        scope = self.session_id if self.new_scope.currentIndex() == 0 else None
        key, value = self.new_key.text(), self.new_value.text()
        result = self._do(lambda: self._workspace.add_fact(key, value, scope=scope))
        if result is None:
            return
        fact, created = result
        self.new_key.clear()
        self.new_value.clear()
        self.refresh()
        self.select_fact(fact.id)
        if not created:
            self.notice.emit(f"Already remembered: {fact.key} = {fact.value}")

    def add(self, key: str, value: str, *, global_scope: bool = False) -> None:
        """Fill the add fields and add (what the user does by typing and pressing Add)."""
        self.new_key.setText(key)
        self.new_value.setText(value)
        self.new_scope.setCurrentIndex(1 if global_scope else 0)
        self.add_from_fields()

    @Slot(QTableWidgetItem)
    def _edited(self, item: QTableWidgetItem) -> None:
        if self._filling or self._workspace is None or item.column() not in (KEY, VALUE):
            return
        fact_id = item.data(FACT_ROLE)
        fact = next((f for f in self.facts if f.id == fact_id), None)
        if fact is None:
            return
        text = item.text().strip()
        if item.column() == KEY and text.replace(" ", "_") != fact.key:
            self._do(lambda: self._workspace.edit_fact(fact_id, key=text))
        elif item.column() == VALUE and text != fact.value:
            self._do(lambda: self._workspace.edit_fact(fact_id, value=text))
        else:
            return
        self.refresh()

    @Slot(int, int)
    def _cell_clicked(self, row: int, column: int) -> None:
        if column != SOURCE:
            return
        item = self.table.item(row, KEY)
        fact = next((f for f in self.facts if item is not None and f.id == item.data(FACT_ROLE)), None)
        if fact is not None and fact.source_message_id is not None:
            self.openMessage.emit(fact.source_message_id)

    def _selected_call(self, call: Any) -> None:
        fact = self.selected_fact()
        if fact is None or self._workspace is None:
            return
        if self._do(lambda: call(fact)) is not None:
            self.refresh()

    @Slot()
    def toggle_pin(self) -> None:
        self._selected_call(lambda f: self._workspace.pin_fact(f.id, not f.pinned))

    @Slot()
    def toggle_private(self) -> None:
        self._selected_call(lambda f: self._workspace.set_fact_private(f.id, not f.private))

    @Slot()
    def delete_selected(self) -> None:
        fact = self.selected_fact()
        self._selected_call(lambda f: self._workspace.delete_fact(f.id))
        if fact is not None:
            self._last_deleted = fact.id
            self.notice.emit(f"Deleted {fact.key} = {fact.value}; Undo brings it back")
            self._selection_changed()

    @Slot()
    def undo_selected(self) -> None:
        """Undo the selected fact's newest change; with none selected, bring back the fact deleted last."""
        if self.selected_fact() is not None:
            self._selected_call(lambda f: self._workspace.undo_fact(f.id))
            return
        fact_id = self._last_deleted
        if fact_id is not None and self._workspace is not None and self._do(lambda: self._workspace.undo_fact(fact_id)):
            self._last_deleted = None
            self.refresh()
            self.select_fact(fact_id)

    @Slot()
    def approve_pending(self) -> None:
        self._pending_action("approve")

    @Slot()
    def reject_pending(self) -> None:
        self._pending_action("reject")

    def _pending_action(self, name: str) -> None:
        item = self.pending.currentItem()
        if item is None or self._workspace is None:
            return
        fact_id = item.data(FACT_ROLE)
        call = self._workspace.approve_fact if name == "approve" else self._workspace.reject_fact
        if self._do(lambda: call(fact_id)) is not None:
            self.refresh()
