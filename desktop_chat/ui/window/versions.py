"""The chat's "< 2/3 >" and "Delete version": flip between a message's versions, delete one after asking.

Which versions a message has and what choosing one does are the core's (``workspace.chats.versions``,
``choose_version``, ``delete_version``); this only asks it, reloads the chat and says what happened.
The chat's state plans the next request again on the ``MessagesChanged`` the core publishes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot

from desktop_chat.core.errors import DesktopChatError
from desktop_chat.ui.chat.row_links import DELETE_VERSION, NEWER_VERSION, OLDER_VERSION

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox

    from desktop_chat.ui.window.main_window import MainWindow


class VersionControl(QObject):
    """The window's answer to a row's version links."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.confirm_box: QMessageBox | None = None  # the open "Delete this version?" question, for tests

    @Slot()
    def older_reply(self) -> None:
        """Chat ▸ Previous Version of the Reply: the last reply's previous version (from the keyboard)."""
        self._last_reply(OLDER_VERSION)

    @Slot()
    def newer_reply(self) -> None:
        self._last_reply(NEWER_VERSION)

    def _last_reply(self, name: str) -> None:
        # Imported here: this module loads before the first paint, and core.models (~17 ms of
        # dataclasses and enums) is not needed until the chat is up.
        from desktop_chat.core.models import Role

        rows = self._window.chat.model.rows()
        reply = next((r for r in reversed(rows) if r.message is not None and r.message.role is Role.ASSISTANT), None)
        if reply is None or reply.versions[1] < 2:
            self._window.notify("The last reply has no other version: Regenerate makes one.")
            return
        self.on_action(name, reply.key)

    def on_action(self, name: str, message_id: int) -> None:
        workspace = self._window.workspace
        if workspace is None:
            return
        try:
            versions = workspace.chats.versions(message_id)
            if name == DELETE_VERSION:
                self.confirm_delete(message_id, versions.position, versions.count)
                return
            target = versions.previous if name == OLDER_VERSION else versions.next if name == NEWER_VERSION else None
            if target is None:
                return
            chosen = workspace.chats.choose_version(target)
        except DesktopChatError as exc:
            self._window.notify(str(exc))
            return
        self._window.chat.reload()
        self._window.notify(f"Showing version {chosen.position} of {chosen.count}")

    def confirm_delete(self, message_id: int, position: int, count: int) -> None:
        """Ask first (non-blocking: never exec() under the event loop); Delete deletes."""
        from PySide6.QtWidgets import QMessageBox  # here: this module loads before the first paint

        box = QMessageBox(self._window)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Delete version")
        box.setText(f"Delete version {position} of {count}?")
        box.setInformativeText(
            "This version and everything that continued from it are deleted; this cannot be undone. "
            "The chat shows another version instead."
        )
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        delete.setAccessibleName("Delete this version")
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAccessibleName("Confirm deleting a version")

        def done() -> None:
            self.confirm_box = None
            if box.clickedButton() is delete:
                self._delete(message_id)
            box.deleteLater()

        box.finished.connect(done)
        self.confirm_box = box
        box.open()

    def _delete(self, message_id: int) -> None:
        workspace = self._window.workspace
        if workspace is None:
            return
        try:
            left = workspace.chats.delete_version(message_id)
        except DesktopChatError as exc:
            self._window.notify(str(exc))
            return
        self._window.chat.reload()
        self._window.notify(f"Version deleted; showing version {left.position} of {left.count}")
