"""Tool calls in the window (issue 24): the Approve / Deny dialog for a call whose policy is ask, and the calls
shown inline in a reply (collapsed to one line each; the tool, its arguments, result and duration when opened).

The dialog is window-modal and opened with ``open()`` (no nested event loop): the reply waits on a future
the buttons resolve. Closing the dialog, or the window, denies.
"""

from __future__ import annotations

import asyncio
import html
import json
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from desktop_chat.core.events import ToolActivity
from desktop_chat.core.models import Message, ToolCallPart, ToolResultPart

SHOWN_RESULT = 2000  # characters of a result in the opened block


def pretty(arguments: str) -> str:
    try:
        return json.dumps(json.loads(arguments), indent=2, ensure_ascii=False)
    except ValueError:
        return arguments


class ToolApprovalDialog(QDialog):
    """Shows one call (tool and arguments) and waits for Approve or Deny."""

    def __init__(self, activity: ToolActivity, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Run a tool?")
        self.setAccessibleName("Approve a tool call")
        self.activity = activity
        server, _, tool = activity.tool.partition("__")
        where = f"{tool} (server {server})" if tool else activity.tool
        self.question = QLabel(f"The model asks to run <b>{html.escape(where)}</b> with these arguments:")
        self.question.setAccessibleName("What the model asks to run")
        self.question.setWordWrap(True)
        self.arguments = QPlainTextEdit(pretty(activity.arguments))
        self.arguments.setReadOnly(True)
        self.arguments.setAccessibleName("The call's arguments")
        self.arguments.setToolTip("Exactly what the tool would receive")
        self.buttons = QDialogButtonBox()
        self.approve_button = self.buttons.addButton("&Approve", QDialogButtonBox.ButtonRole.AcceptRole)
        self.approve_button.setAccessibleName("Approve the call")
        self.approve_button.setToolTip("Run the tool this once; its result goes to the model")
        self.deny_button = self.buttons.addButton("&Deny", QDialogButtonBox.ButtonRole.RejectRole)
        self.deny_button.setAccessibleName("Deny the call")
        self.deny_button.setToolTip("Do not run it; the model is told it was denied")
        self.deny_button.setDefault(True)  # Enter never runs a tool by accident
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.question)
        layout.addWidget(self.arguments, 1)
        layout.addWidget(self.buttons)
        self.resize(520, 320)
        self.answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.finished.connect(self._finished)

    @Slot(int)
    def _finished(self, result: int) -> None:
        if not self.answer.done():
            self.answer.set_result(result == QDialog.DialogCode.Accepted)


class WindowToolConsent(QObject):
    """The window's approver: one dialog per call asked about, in turn."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self._lock = asyncio.Lock()  # two chats calling at once: one question at a time
        self.dialog: ToolApprovalDialog | None = None

    async def approve(self, activity: ToolActivity) -> bool:
        async with self._lock:
            dialog = self.dialog = ToolApprovalDialog(activity, self._window)
            dialog.open()
            try:
                return await dialog.answer
            finally:
                self.dialog = None
                if dialog.isVisible():  # the reply was stopped while asking
                    dialog.reject()
                dialog.deleteLater()


def install_tools(window: Any, workspace: Any, bridge: Any) -> WindowToolConsent:
    """Ask in the window about calls whose policy is ask, and follow every reply's calls in the chat."""
    consent = WindowToolConsent(window)
    workspace.tools.set_approver(consent.approve)
    bridge.toolActivity.connect(window.chat.model.tool_activity)
    return consent


# --- inline, in a reply ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Call:
    tool: str
    arguments: str
    result: str
    is_error: bool
    state: str  # done, failed, denied, running, asking, not run
    seconds: float | None


def calls_of(message: Message | None, live: tuple[ToolActivity, ...]) -> list[Call]:
    """A reply's calls: from its saved parts, else (while it streams) what it did so far."""
    if message is not None:
        results = {p.call_id: p for p in message.parts if isinstance(p, ToolResultPart)}
        saved = [_saved(p, results.get(p.call_id)) for p in message.parts if isinstance(p, ToolCallPart)]
        if saved:
            return saved
    latest: dict[str, ToolActivity] = {}
    for activity in live:
        latest[activity.call_id] = activity
    return [
        Call(a.tool, a.arguments, a.result, a.is_error, a.state, a.seconds if a.state == "done" else None)
        for a in latest.values()
    ]


def _saved(call: ToolCallPart, result: ToolResultPart | None) -> Call:
    if result is None:
        return Call(call.name, call.arguments_json, "", False, "not run", None)
    state = "done" if not result.is_error else "denied" if result.seconds is None else "failed"
    return Call(call.name, call.arguments_json, result.content, result.is_error, state, result.seconds)


WORDS = {"running": "running…", "asking": "waiting for your answer…"}


def block_html(calls: list[Call], opened: bool, toggle: str, dim: str) -> str:
    """The calls as HTML: a line each (tool, what happened, how long); opened, their arguments and results too."""
    if not calls:
        return ""
    link = f'<a href="{toggle}">{"Hide" if opened else "Show"} the calls</a>'
    lines = []
    for call in calls:
        took = f" in {call.seconds:.2f} s" if call.seconds is not None else ""
        state = WORDS.get(call.state, call.state)
        lines.append(f"<span style='color:{dim}'>🔧 {html.escape(call.tool)} · {state}{took}</span>")
        if opened:
            result, is_error, arguments = call.result, call.is_error, call.arguments
            shown = result if len(result) <= SHOWN_RESULT else result[:SHOWN_RESULT] + "…"
            lines.append(f"<pre>{html.escape(pretty(arguments))}</pre>")
            if shown or is_error:
                lines.append(f"<pre style='color:{dim}'>→ {html.escape(shown)}</pre>")
    return "<p>" + "<br>".join(lines) + f" &nbsp;<small>{link}</small></p>"
