"""Starting, stopping and following the replies of the window's open chat.

The bridge owns each reply's task; this object decides what to start (send,
edit-and-resend, retry, regenerate), gives the words back when a reply could not
start, and shows what the bridge reports about replies in the chat, the composer
and the status bar.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot

from desktop_chat.ui.signal_types import ID
from desktop_chat.ui.window.versions import VersionControl

if TYPE_CHECKING:
    from desktop_chat.core.events import Failed, Finished, ReplyEvent, Started, Stopped
    from desktop_chat.core.models import Attachment
    from desktop_chat.core.workspace import Workspace
    from desktop_chat.ui.bridge import WorkspaceBridge
    from desktop_chat.ui.window.main_window import MainWindow

MakeReply = Callable[["Workspace", int], AsyncIterator["ReplyEvent"]]


class ReplyRunner(QObject):
    """The window's replies: what starts them, and what their events change on screen."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._last_sent: tuple[int, str, tuple[Attachment, ...]] | None = None
        self.versions = VersionControl(window)

    def connect_bridge(self, bridge: WorkspaceBridge) -> None:
        bridge.replyStarted.connect(self.reply_started)
        bridge.replyText.connect(self.reply_text)
        bridge.replyEnded.connect(self.reply_ended)
        bridge.replyRejected.connect(self.reply_rejected)
        bridge.busyChanged.connect(self.busy_changed)

    def _ready(self) -> tuple[Workspace, WorkspaceBridge, int] | None:
        """The workspace, bridge and open chat when a reply may start there now."""
        window = self._window
        workspace, bridge, session_id = window.workspace, window.bridge, window.current_id
        if workspace is None or bridge is None or session_id is None or bridge.is_running(session_id):
            return None
        return workspace, bridge, session_id

    # --- starting and stopping ----------------------------------------------------------------

    @Slot(str)
    def send(self, text: str) -> None:
        ready = self._ready()
        if ready is None:
            return
        workspace, bridge, session_id = ready
        composer = self._window.composer
        editing = composer.editing
        files: tuple[Attachment, ...] = ()
        if editing is not None:
            events = workspace.edit_and_resend(session_id, editing, text)
            composer.finish_editing()
        elif composer.attachments is not None and composer.attachments.attached():
            # Saved with the message before the request: a failed reply's Retry sends them again.
            files = composer.attachments.attached()
            events = workspace.send(session_id, text, attachments=files)
            composer.attachments.clear()
        else:
            events = workspace.send(session_id, text)
        self._last_sent = (session_id, text, files)
        self._window.chat.model.clear_error()
        composer.clear()
        composer.show_problem("")
        bridge.run_reply(session_id, events)

    def _run(self, make: MakeReply) -> None:
        ready = self._ready()
        if ready is None:
            return
        workspace, bridge, session_id = ready
        self._last_sent = None  # the composer's words were answered already: a refusal must not bring them back
        self._window.chat.model.clear_error()
        bridge.run_reply(session_id, make(workspace, session_id))

    @Slot()
    def retry(self) -> None:
        self._run(_retry)

    @Slot()
    def regenerate(self) -> None:
        self._run(_regenerate)

    @Slot()
    def stop(self) -> None:
        window = self._window
        bridge, session_id = window.bridge, window.current_id
        if bridge is not None and session_id is not None and bridge.is_running(session_id):
            bridge.stop(session_id)
        elif window.composer.editing is not None:
            window.composer.cancel_editing()

    @Slot()
    def edit_last_message(self) -> None:
        from desktop_chat.core.models import Role

        for row in reversed(self._window.chat.model.rows()):
            if row.message is not None and row.message.role is Role.USER:
                self._window.composer.begin_editing(row.message.id, row.message.content)
                return

    @Slot(str, ID)
    def on_chat_action(self, name: str, message_id: int) -> None:
        """A row's link in the chat: Retry, Regenerate, Edit, its versions, or the settings that fix a failure."""
        from desktop_chat.ui.chat.chat_view import EDIT, REGENERATE, RETRY, SETTINGS
        from desktop_chat.ui.chat.row_links import VERSION_ACTIONS

        window = self._window
        if name in VERSION_ACTIONS:
            self.versions.on_action(name, message_id)
        elif name == RETRY:
            self.retry()
        elif name == REGENERATE:
            self.regenerate()
        elif name == SETTINGS:
            window.open_settings("providers")  # the chat's settings errors are all about the provider
        elif name == EDIT:
            row = window.chat.model.row_of(message_id)
            if row is not None:
                message = window.chat.model.rows()[row].message
                if message is not None:
                    window.composer.begin_editing(message.id, message.content)

    def catch_up(self, bridge: WorkspaceBridge) -> None:
        """Show all the text a reply streamed while its chat was not the one open."""
        from desktop_chat.core.models import MessageStatus

        model = self._window.chat.model
        bridge.flush()  # pending text first; the whole text then replaces the row's
        for row in model.rows():
            if row.message is not None and row.status is MessageStatus.STREAMING:
                text = bridge.text_so_far(row.message.id)
                if text is not None:
                    model.set_streamed(row.message.id, text)

    # --- what the bridge reports --------------------------------------------------------------

    @Slot(object)
    def reply_started(self, event: Started) -> None:
        window = self._window
        if event.session_id == window.current_id:
            # The request being answered is what the chat holds now: the user's new message is in it.
            window.chat.set_plan(event.plan)
            window.chat.reload()
            window.chat.scroll_to_bottom()
        window.status_line.reply_started()

    @Slot(ID, ID, str)
    def reply_text(self, session_id: int, message_id: int, text: str) -> None:
        if session_id == self._window.current_id:
            self._window.chat.append_text(message_id, text)
        self._window.status_line.reply_text()

    @Slot(object)
    def reply_ended(self, event: Finished | Stopped | Failed) -> None:
        from desktop_chat.core.events import Failed  # loaded with the bridge, after the first paint

        window = self._window
        window.status_line.reply_ended(event, window.workspace)
        self.announce_end(event)
        if isinstance(event, Failed):
            if event.session_id == window.current_id:
                window.chat.model.note_failure(event.assistant_message_id, event.error)
            else:
                window.notify(str(event.error))

    def announce_end(self, event: Finished | Stopped | Failed) -> str | None:
        """Tell a screen reader the open chat's reply ended, without moving the focus; returns what was said."""
        from desktop_chat.core.events import Failed, Finished

        # Here, not with the module: QAccessible's enums cost ~3 ms, and this module loads before the first paint.
        from desktop_chat.ui.accessibility import announce, first_words, one_line

        window = self._window
        session_id = event.session_id if isinstance(event, Failed) else event.message.session_id
        if session_id != window.current_id:
            return None  # another chat's reply: its end shows in that chat (a failure also in the status bar)
        if isinstance(event, Finished):
            said = f"Reply finished: {first_words(event.message.content)}"
        elif isinstance(event, Failed):
            said = f"Reply failed: {one_line(str(event.error))}"
        else:
            said = "Reply stopped"
        announce(window.chat.list, said, assertive=isinstance(event, Failed))
        return said

    @Slot(ID, str)
    def reply_rejected(self, session_id: int, message: str) -> None:
        # The reply never started (busy, empty, unknown chat): give the words back.
        composer = self._window.composer
        if self._last_sent is not None and self._last_sent[0] == session_id and not composer.text():
            composer.set_text(self._last_sent[1])
            if self._last_sent[2] and composer.attachments is not None and not composer.attachments.attached():
                composer.attachments.restore(self._last_sent[2])
        self._window.notify(message)

    @Slot(ID, bool)
    def busy_changed(self, session_id: int, busy: bool) -> None:
        if session_id == self._window.current_id:
            self._window.composer.set_busy(busy)


def _retry(workspace: Workspace, session_id: int) -> AsyncIterator[ReplyEvent]:
    return workspace.retry(session_id)


def _regenerate(workspace: Workspace, session_id: int) -> AsyncIterator[ReplyEvent]:
    return workspace.regenerate(session_id)
