"""The messages of one chat as a Qt list model: the active branch, newest page first, older pages on demand.

Each row also carries where its message stands for the next request (the marks
come from the workspace's plan) and which fixes a failed reply offers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

from desktop_chat.core.errors import (
    AuthError,
    DesktopChatError,
    ModelNotFound,
    SecretStoreUnavailable,
    SettingsError,
)
from desktop_chat.core.events import ToolActivity
from desktop_chat.core.models import Attachment, ContextPlan, Message, MessageStatus, PartKind, Role
from desktop_chat.core.spending import record_cost_text
from desktop_chat.ui.chat.render import internal_scheme
from desktop_chat.ui.chat.row_look import ROLE_NAMES, when

PAGE = 30  # messages per lazy page (scrolling up): more than a tall window shows; each costs ~1 ms to render
# Messages an opened chat shows first: a screenful of typical replies. Every loaded row is laid out
# (the list needs its height) before the chat paints; more load as the reader scrolls up, or at once
# when these do not fill the window (ChatView._fill_viewport).
FIRST_PAGE = 12
ROW_ROLE = Qt.ItemDataRole.UserRole + 1

# A row's actions are links <ACTION>:<name>:<message id>, with a scheme message content
# cannot forge (render.py); code copy links come from render.py.
ACTION = internal_scheme("action")
COPY_MESSAGE = "copy"
EDIT = "edit"
REGENERATE = "regenerate"
RETRY = "retry"
SETTINGS = "settings"
CONTEXT = "context"  # the "not in context" / "summarised" marker: the inspector explains it
MORE = "more"  # a long message shows more of itself
TOOLS = "tools"  # a reply's tool calls open or close

# How much of a message is laid out at first, and how much more each "Show more" adds:
# laying out text costs time in proportion to its length (and worse for long words), so a
# message of megabytes shows its start; the whole text stays in the row for copy and export.
SHOWN_CHARS = 40_000

# Context marks: where a message stands for the next request.
IN_CONTEXT = ""
SUMMARISED = "summarised"
OUT_OF_CONTEXT = "not in context"

# Failures that Settings fix (a key, a model, a provider); MissingApiKey is an AuthError.
_SETTINGS_ERRORS = (AuthError, ModelNotFound, SettingsError, SecretStoreUnavailable)


@dataclass
class Row:
    """One line of the list: a stored message, or the inline error of a reply that never started."""

    message: Message | None
    text: str
    status: MessageStatus = MessageStatus.COMPLETE
    context: str = IN_CONTEXT
    error: str | None = None
    retry: bool = False
    settings: bool = False
    version: int = 0
    last_reply: bool = False
    highlighted: bool = False  # selected from the inspector: a part's source messages
    shown: int = SHOWN_CHARS  # characters of the text laid out; the rest waits for "Show more"
    code_blocks: tuple[str, ...] = field(default=())
    cost: str = ""  # a reply's cost and tokens, "$0.0012 · 1,234 → 56 tokens"; "" when none was recorded
    versions: tuple[int, int] = (1, 1)  # (position, count) among the message's versions: "< 2/3 >" when more than one
    copied: bool = False  # "Copied" shows in place of "Copy" for a moment after a copy
    tools_open: bool = False  # the reply's tool calls shown with their arguments and results (issue 24)
    tool_live: tuple[ToolActivity, ...] = ()  # what a streaming reply's calls did so far
    attachments: tuple[Attachment, ...] = ()  # the files sent with the message (issue 23)

    @property
    def key(self) -> int:
        return self.message.id if self.message is not None else -1

    @property
    def visible_text(self) -> str:
        return self.text if len(self.text) <= self.shown else self.text[: self.shown]


def _fixes(error: DesktopChatError) -> tuple[bool, bool]:
    """Which inline fixes a failure offers: (Retry, Open Settings).

    Retry is always there: after fixing a key or a model in Settings, it is the next step.
    """
    return True, isinstance(error, _SETTINGS_ERRORS)


class MessageListModel(QAbstractListModel):
    """The active branch of one chat, newest page first, older pages on demand."""

    loadedOlder = Signal(int)  # rows inserted at the top

    def __init__(self, workspace: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self._rows: list[Row] = []
        self.session_id: int | None = None
        self._total = 0
        self._plan: ContextPlan | None = None
        self._failures: dict[int, tuple[bool, bool]] = {}  # assistant id -> fixes, from live Failed events
        self._highlight: frozenset[int] = frozenset()
        self._tools_open: set[int] = set()  # replies whose tool calls are shown in full

    # --- Qt model ------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            who = role_name(row)
            mark = f" ({row.context})" if row.context else ""
            return f"{who}{mark}: {row.visible_text or row.error or ''}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return spoken(row)
        if role == Qt.ItemDataRole.AccessibleDescriptionRole:
            return spoken_marks(row)
        return None

    # --- loading -------------------------------------------------------------------------

    def load(self, session_id: int | None, plan: ContextPlan | None = None) -> None:
        self.beginResetModel()
        self.session_id = session_id
        self._plan = plan
        self._failures.clear()
        self._highlight = frozenset()  # a selection from the inspector belongs to the chat it was made in
        self._rows = []
        self._total = 0
        if session_id is not None:
            self._total = self._workspace.message_count(session_id)
            self._rows = [self._row(m) for m in self._workspace.messages(session_id, limit=FIRST_PAGE)]
            self._costs(self._rows)
        self._mark()
        self.endResetModel()

    def reload(self) -> None:
        """Read the loaded span again (after an edit, regenerate, stop, or another process)."""
        if self.session_id is None:
            return
        error_rows = [r for r in self._rows if r.message is None]
        keep = max(FIRST_PAGE, len(self._rows) - len(error_rows))
        self.beginResetModel()
        self._total = self._workspace.message_count(self.session_id)
        self._rows = [self._row(m) for m in self._workspace.messages(self.session_id, limit=keep)]
        self._costs(self._rows)
        last = self._rows[-1].message if self._rows else None
        # An error row stays while its user message is still the last one.
        if error_rows and last is not None and last.role is Role.USER:
            self._rows.append(error_rows[-1])
        self._mark()
        self.endResetModel()

    def can_load_older(self) -> bool:
        stored = sum(1 for r in self._rows if r.message is not None)
        return self.session_id is not None and stored < self._total

    def load_older(self, count: int = PAGE) -> int:
        if not self.can_load_older() or self.session_id is None:
            return 0
        first = next((r.message.id for r in self._rows if r.message is not None), None)
        older = self._workspace.messages(self.session_id, before=first, limit=count)
        if not older:
            self._total = sum(1 for r in self._rows if r.message is not None)
            return 0
        self.beginInsertRows(QModelIndex(), 0, len(older) - 1)
        rows = [self._row(m) for m in older]
        self._costs(rows)
        self._rows[0:0] = rows
        self.endInsertRows()
        self._mark(self._rows[: len(older)], notify=False)
        self.loadedOlder.emit(len(older))
        return len(older)

    def _row(self, message: Message) -> Row:
        retry, settings = self._failures.get(message.id, (True, True))
        return Row(
            message=message,
            text=message.content,
            status=message.status,
            error=message.error if message.status in (MessageStatus.FAILED, MessageStatus.STOPPED) else None,
            retry=retry,
            settings=settings and message.status is MessageStatus.FAILED,
            highlighted=message.id in self._highlight,
            tools_open=message.id in self._tools_open,
        )

    def _versions(self, rows: list[Row]) -> None:
        """Each row's place among its message's versions (regenerated replies, edited messages), in one query."""
        stored = [r for r in rows if r.message is not None]
        if not stored or self.session_id is None:
            return
        with contextlib.suppress(DesktopChatError):
            positions = self._workspace.chats.version_positions(self.session_id, [r.key for r in stored])
            for row in stored:
                row.versions = positions.get(row.key, (1, 1))

    def _costs(self, rows: list[Row]) -> None:
        """Each settled reply's recorded cost and tokens, in one query for the rows; the rows' versions, files."""
        from desktop_chat.ui.chat.attachment_view import attach_rows

        self._versions(rows)
        attach_rows(self._workspace, rows)
        replies = [r for r in rows if r.message is not None and r.message.role is Role.ASSISTANT]
        if not replies:
            return
        with contextlib.suppress(DesktopChatError):
            records = self._workspace.costs.replies([r.key for r in replies])
            for row in replies:
                record = records.get(row.key)
                if record is not None:
                    tokens = f"{record.prompt_tokens:,} → {record.completion_tokens:,} tokens"
                    row.cost = f"{record_cost_text(record)} · {'≈' if record.estimated else ''}{tokens}"

    # --- streaming -----------------------------------------------------------------------

    def row_of(self, message_id: int) -> int | None:
        for i in range(len(self._rows) - 1, -1, -1):
            if self._rows[i].key == message_id:
                return i
        return None

    def rows(self) -> list[Row]:
        return list(self._rows)

    def set_streamed(self, message_id: int, text: str) -> None:
        """The whole text streamed so far, for a row loaded from the database mid-reply."""
        i = self.row_of(message_id)
        if i is None or self._rows[i].status is not MessageStatus.STREAMING:
            return
        self._rows[i].text = text
        index = self.index(i)
        self.dataChanged.emit(index, index, [ROW_ROLE])

    def append_text(self, message_id: int, text: str) -> None:
        i = self.row_of(message_id)
        if i is None:
            return
        row = self._rows[i]
        row.text += text
        row.version += 1
        index = self.index(i)
        self.dataChanged.emit(index, index, [ROW_ROLE])

    def set_copied(self, message_id: int, copied: bool) -> None:
        """Show "Copied" (or "Copy" again) on the row's copy link."""
        i = self.row_of(message_id)
        if i is None or self._rows[i].copied == copied:
            return
        self._rows[i].copied = copied
        self._rows[i].version += 1
        self.dataChanged.emit(self.index(i), self.index(i), [ROW_ROLE])

    def tool_activity(self, activity: ToolActivity) -> None:
        """A streaming reply's tool call asked, ran or was denied: shown in its row until the reply is saved."""
        i = self.row_of(activity.assistant_message_id)
        if i is None:
            return
        self._rows[i].tool_live += (activity,)
        self._rows[i].version += 1
        self.dataChanged.emit(self.index(i), self.index(i), [ROW_ROLE])

    def toggle_tools(self, message_id: int) -> None:
        self._tools_open ^= {message_id}
        i = self.row_of(message_id)
        if i is None:
            return
        self._rows[i].tools_open = message_id in self._tools_open
        self._rows[i].version += 1
        self.dataChanged.emit(self.index(i), self.index(i), [ROW_ROLE])

    def show_more(self, message_id: int) -> None:
        i = self.row_of(message_id)
        if i is None:
            return
        self._rows[i].shown += SHOWN_CHARS
        self._rows[i].version += 1
        self.dataChanged.emit(self.index(i), self.index(i), [ROW_ROLE])

    def note_failure(self, assistant_id: int | None, error: DesktopChatError) -> None:
        """A reply failed: its fixes are remembered for the stored row, or shown on an error row."""
        fixes = _fixes(error)
        if assistant_id is not None:
            self._failures[assistant_id] = fixes
            return
        self.show_error(str(error), retry=fixes[0], settings=fixes[1])

    def show_error(self, message: str, *, retry: bool, settings: bool) -> None:
        self.clear_error()
        row = Row(message=None, text="", status=MessageStatus.FAILED, error=message, retry=retry, settings=settings)
        self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
        self._rows.append(row)
        self.endInsertRows()

    def clear_error(self) -> None:
        for i in range(len(self._rows) - 1, -1, -1):
            if self._rows[i].message is None:
                self.beginRemoveRows(QModelIndex(), i, i)
                del self._rows[i]
                self.endRemoveRows()

    def thumbnail_ready(self, sha256: str) -> None:
        """An image's thumbnail was decoded: the rows showing it are drawn again."""
        for i, row in enumerate(self._rows):
            if any(a.sha256 == sha256 for a in row.attachments):
                row.version += 1
                self.dataChanged.emit(self.index(i), self.index(i), [ROW_ROLE])

    def set_highlight(self, ids: Iterable[int]) -> None:
        """Mark these messages as selected (rows loaded later are marked as they load)."""
        self._highlight = frozenset(ids)
        for i, row in enumerate(self._rows):
            on = row.key in self._highlight
            if on != row.highlighted:
                row.highlighted = on
                row.version += 1
                self.dataChanged.emit(self.index(i), self.index(i), [ROW_ROLE])

    # --- context marks -------------------------------------------------------------------

    def set_plan(self, plan: ContextPlan | None) -> None:
        self._plan = plan
        self._mark()

    @property
    def plan(self) -> ContextPlan | None:
        """The next request the rows are marked from (the open chat's ``ChatState`` plan)."""
        return self._plan

    @property
    def summary_through(self) -> int | None:
        if self._plan is None:
            return None
        through = [p.summary_through for p in self._plan.parts if p.summary_through is not None]
        return max(through) if through else None

    def summarised_count(self) -> int | None:
        """How many messages reach the model only through the summary; None when the loaded span cannot tell."""
        through = self.summary_through
        if through is None:
            return None
        stored = [r for r in self._rows if r.message is not None]
        if not stored:
            return None
        unloaded = self._total - len(stored)
        if unloaded and stored[0].key > through:
            return None  # the summary ends somewhere in the part not loaded yet
        # Every message older than the loaded span is older than the summary's end.
        return unloaded + sum(1 for r in stored if r.context == SUMMARISED)

    def _mark(self, rows: Iterable[Row] | None = None, *, notify: bool = True) -> None:
        plan = self._plan
        included: set[int] = set()
        through = self.summary_through
        if plan is not None:
            for part in plan.parts:
                if part.kind in (PartKind.RECENT, PartKind.RECALLED):
                    included.update(part.message_ids)
        last_assistant = next(
            (r.key for r in reversed(self._rows) if r.message is not None and r.message.role is Role.ASSISTANT), None
        )
        # The plan answers the newest user message; replies after it are the conversation the
        # next message continues, never "left out".
        anchor = next((r.key for r in reversed(self._rows) if r.message is not None and r.message.role is Role.USER), 0)
        changed = False
        for row in self._rows if rows is None else rows:
            row.last_reply = row.key == last_assistant
            message = row.message
            settled = message is not None and row.status is not MessageStatus.STREAMING
            if plan is None or message is None or not settled or message.id > anchor or message.id in included:
                mark = IN_CONTEXT
            elif through is not None and message.id <= through:
                mark = SUMMARISED
            else:
                mark = OUT_OF_CONTEXT
            if mark != row.context:
                row.context = mark
                row.version += 1
                changed = True
        if notify and changed and self._rows:
            self.dataChanged.emit(self.index(0), self.index(len(self._rows) - 1), [ROW_ROLE])


STATUS_WORDS = {MessageStatus.STREAMING: "streaming", MessageStatus.STOPPED: "stopped", MessageStatus.FAILED: "failed"}


def spoken(row: Row) -> str:
    """What a screen reader reads for a row: "You, 10:42: text", "Assistant, 10:42, gpt-4o: text"; then its marks."""
    message = row.message
    if message is None:
        return f"Error: {row.error or row.text}"
    head = [role_name(row), when(message.created_at)]
    if message.role is Role.ASSISTANT and message.model:
        head.append(message.model)
    marks = spoken_marks(row)
    return f"{', '.join(head)}: {row.visible_text or row.error or ''}" + (f" ({marks})" if marks else "")


def spoken_marks(row: Row) -> str:
    """The row's status and context mark in words ("stopped; not in context"), "" for neither."""
    marks = [STATUS_WORDS[row.status]] if row.status in STATUS_WORDS and row.message is not None else []
    if row.context and row.message is not None:
        marks.append(row.context)
    if row.error and row.message is not None:
        marks.append(f"error: {row.error}")
    if row.attachments:
        marks.append("attached: " + ", ".join(a.name for a in row.attachments))
    if row.cost:
        marks.append(f"cost {row.cost}")
    if row.versions[1] > 1:
        marks.append(f"version {row.versions[0]} of {row.versions[1]}")
    return "; ".join(marks)


def role_name(row: Row) -> str:
    if row.message is None:
        return "Error"
    return ROLE_NAMES[row.message.role.value]
