"""How a fact reads in the inspector: its table row (cells, marks, tooltips), its line in the
pending and rejected lists, and one event of its history."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QListWidgetItem, QTableWidgetItem

from desktop_chat.core.models import Fact, FactEvent, FactOrigin
from desktop_chat.ui.app.icons import icon

COLUMNS = ("Key", "Value", "Scope", "Source", "Origin", "Updated")
KEY, VALUE, SCOPE, SOURCE, ORIGIN, UPDATED = range(6)
FACT_ROLE = Qt.ItemDataRole.UserRole + 1  # the fact id


def _short_time(fact: Fact) -> str:
    return fact.updated_at.astimezone().strftime("%d %b %H:%M")


def describe_event(event: FactEvent) -> str:
    when = event.at.astimezone().strftime("%d %b %H:%M")
    who = "you" if event.actor == "user" else event.actor
    old, new = event.old or {}, event.new or {}
    change = ""
    if old and new and (old.get("key"), old.get("value")) != (new.get("key"), new.get("value")):
        change = f": {old.get('key')}={old.get('value')} → {new.get('key')}={new.get('value')}"
    elif new and not old:
        change = f": {new.get('key')}={new.get('value')}"
    return f"{when} {event.action} by {who}{change}"


def table_items(fact: Fact) -> list[QTableWidgetItem]:
    """The fact's cells in ``COLUMNS`` order; key and value editable in place."""
    source = f"#{fact.source_message_id} ↗" if fact.source_message_id is not None else "—"
    cells = [
        fact.key.replace("_", " "),
        fact.value,
        "this chat" if fact.scope is not None else "all chats",
        source,
        "you" if fact.origin is FactOrigin.USER else "extracted",
        _short_time(fact),
    ]
    items = [QTableWidgetItem(text) for text in cells]
    for column, item in enumerate(items):
        item.setData(FACT_ROLE, fact.id)
        flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
        if column in (KEY, VALUE):
            flags |= Qt.ItemFlag.ItemIsEditable
        item.setFlags(flags)
    _mark(items, fact)
    return items


def _mark(items: list[QTableWidgetItem], fact: Fact) -> None:
    """A lock on a private fact, a pin (and bold) on a pinned one; tooltips say what they mean."""
    key = items[KEY]
    marks = []
    if fact.private:
        key.setIcon(icon("lock"))
        marks.append("private: sent only to local models")
    elif fact.pinned:
        key.setIcon(icon("pin"))
    if fact.pinned:
        marks.append("pinned: always sent")
        font = QFont(key.font())
        font.setBold(True)
        key.setFont(font)
    key.setToolTip("; ".join([fact.key, *marks]))
    where = "this chat" if fact.scope is not None else "all chats"
    origin = "added by you" if fact.origin is FactOrigin.USER else "extracted"
    items[VALUE].setToolTip(f"{fact.value}\n({where} · {origin} · updated {_short_time(fact)})")
    items[SOURCE].setToolTip(
        f"Found in message #{fact.source_message_id}: {fact.source_quote or ''}; click to show it"
        if fact.source_message_id is not None
        else "Added by you"
    )


def pending_item(fact: Fact) -> QListWidgetItem:
    item = QListWidgetItem(f"{fact.key.replace('_', ' ')} = {fact.value}")
    item.setData(FACT_ROLE, fact.id)
    item.setToolTip(f"Found in message #{fact.source_message_id}: {fact.source_quote or ''}")
    return item


def rejected_item(fact: Fact, dim: QColor) -> QListWidgetItem:
    item = QListWidgetItem(f"{fact.key.replace('_', ' ')} = {fact.value} — {fact.reason or 'rejected'}")
    item.setData(FACT_ROLE, fact.id)
    item.setForeground(dim)
    return item
