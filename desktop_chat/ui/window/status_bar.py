"""The window's status bar: the connection, where the next message goes, and the last reply's tokens.

Its labels only show what the workspace and the reply events say; the window
hands each event over (``window/wiring.connect_bridge``).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QStatusBar

from desktop_chat.core.errors import DesktopChatError, ProviderError

if TYPE_CHECKING:
    from desktop_chat.core.events import Failed, Finished, Stopped
    from desktop_chat.core.workspace import Workspace


class StatusLine:
    """The three permanent labels of ``status`` and the transient messages shown in it."""

    def __init__(self, status: QStatusBar) -> None:
        self.status = status
        self.provider = QLabel("Opening your chats…")
        self.provider.setAccessibleName("Provider and model")
        self.provider.setToolTip("Where the next message goes: provider profile and model")
        self.connection = QLabel()
        self.connection.setAccessibleName("Connection")
        self.connection.setToolTip("Whether the last request reached the server")
        self.usage = QLabel()
        self.usage.setAccessibleName("Last reply's tokens")
        self.usage.setToolTip(
            "Prompt and completion tokens of the last reply, as the provider counted them, and what it cost"
        )
        self.indexing = QLabel()
        self.indexing.setAccessibleName("Indexing for recall")
        self.indexing.setToolTip(
            "Messages being indexed, in the background, so recall finds them by meaning and not only by their words"
        )
        self.indexing.hide()
        status.addWidget(self.connection)
        status.addWidget(self.provider)
        status.addPermanentWidget(self.indexing)
        status.addPermanentWidget(self.usage)

    def notify(self, message: str) -> None:
        self.status.showMessage(message, 8000)

    def show_target(self, workspace: Workspace | None, session_id: int | None) -> None:
        if workspace is None:
            return
        try:
            target = workspace.target(session_id)
        except DesktopChatError as exc:
            self.provider.setText(str(exc))
            return
        self.provider.setText(f"{target.profile.name} · {target.model}")

    def reply_started(self) -> None:
        self.connection.setText("● Waiting for the server…")

    def reply_text(self) -> None:
        if not self.connection.text().startswith("● Connected"):
            self.connection.setText("● Connected")

    def reply_ended(self, event: Finished | Stopped | Failed, workspace: Workspace | None) -> None:
        """The connection and the last reply's tokens after ``event``."""
        # Imported here, not at the top: core.events brings the models and settings (~55 ms), which the
        # window's first paint does not need.
        from desktop_chat.core.events import Failed, Finished
        from desktop_chat.core.spending import record_cost_text

        if isinstance(event, Finished):
            self.connection.setText("● Connected")
            usage = event.usage
            if usage is not None:
                self.usage.setText(
                    f"last reply: {usage.prompt_tokens:,} prompt / {usage.completion_tokens:,} completion tokens"
                )
            else:
                self.usage.setText(f"last reply: ≈{event.estimated_prompt_tokens:,} prompt tokens")
            with contextlib.suppress(DesktopChatError):
                record = workspace.costs.replies([event.message.id]).get(event.message.id) if workspace else None
                if record is not None:
                    self.usage.setText(f"{self.usage.text()} · {record_cost_text(record)}")
        elif isinstance(event, Failed):
            error = event.error
            if isinstance(error, ProviderError):
                self.connection.setText("● Not connected")
                self.connection.setToolTip(str(error))
        else:
            # A stopped stream brings no usage: the estimate of what was sent is the honest number.
            self.usage.setText("last reply: stopped")
            with contextlib.suppress(DesktopChatError):
                stored = workspace.reply_plan(event.message.id) if workspace is not None else None
                if stored is not None:
                    self.usage.setText(f"last reply: stopped · ≈{stored.total_tokens:,} prompt tokens")
            self.notify("Stopped; the partial reply is kept")

    def indexing_progress(self, done: int, total: int, finished: bool) -> None:
        """Shown while a pass is under way (an import of thousands of messages takes seconds), gone after."""
        if finished or done >= total:
            self.indexing.hide()
            return
        self.indexing.setText(f"Indexing for recall: {done:,} of {total:,} messages")
        self.indexing.show()

    def local_model_changed(self, state: str, detail: str) -> None:
        """The built-in model loads for a second or more before the first reply: say so until it is ready."""
        text = detail[:1].upper() + detail[1:]
        if state == "starting":
            self.status.showMessage(text)  # stays until the next state
        elif state == "stopped":
            self.status.clearMessage()
        else:
            self.status.showMessage(text, 4000 if state == "ready" else 8000)
