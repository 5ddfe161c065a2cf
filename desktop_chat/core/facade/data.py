"""The data folder: import, export, retention (purge), backups, and changes another process made to the database."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_chat.core.errors import DatabaseBusy, NotAllowed
from desktop_chat.core.events import (
    ExternalChange,
    FactsChanged,
    MessagesChanged,
    SessionChanged,
    SessionCreated,
    SessionDeleted,
)
from desktop_chat.core.export import export_json, export_markdown
from desktop_chat.core.facade.attachments import AttachmentsFacade
from desktop_chat.core.facade.context import Context
from desktop_chat.core.facade.replies import RepliesFacade
from desktop_chat.core.paths import backup_path
from desktop_chat.core.retention import PurgeReport, purge
from desktop_chat.core.settings import RetentionMode

if TYPE_CHECKING:  # the importers load when a file is imported, not when the window starts (~40 ms)
    from desktop_chat.core.importers.document import ImportResult


class DataFacade:
    """``workspace.data``: bulk changes publish one event per chat they touch, as single changes do."""

    def __init__(self, ctx: Context, replies: RepliesFacade, attachments: AttachmentsFacade) -> None:
        self._ctx = ctx
        self._replies = replies
        self._attachments = attachments
        self._data_version = ctx.store.db.data_version()
        # Chats with a reply another process is streaming (None: not looked yet). Polled for
        # their writer's claim, so that a reply whose writer died stops instead of "streaming" forever.
        self._foreign_replies: set[int] | None = None

    @property
    def data_folder(self) -> Path | None:
        """The folder holding the database (None for an in-memory workspace)."""
        return self._ctx.data_folder

    @property
    def storage_notice(self) -> str | None:
        """One line to show while the data folder cannot be written (read-only), else None."""
        return self._ctx.store.notice

    def poll_external_changes(self) -> bool:
        """Whether another process wrote to the database since the last call; publishes ``ExternalChange``.

        Also settles replies orphaned by another process: one it was streaming when it
        died (its claim is gone or stale) is marked stopped, with ``MessagesChanged``.
        Cheap (one PRAGMA, no disk read when nothing changed; one claim lookup per chat
        another process is answering in): meant for a timer.
        """
        ctx, replies = self._ctx, self._replies
        version = ctx.store.db.data_version()
        changed = version != self._data_version
        if changed or self._foreign_replies is None:
            self._data_version = version
            self._foreign_replies = {
                m.session_id for m in ctx.store.messages.interrupted() if not replies.is_busy(m.session_id)
            }
        if changed:
            # `desktop-chat config set` writes the same table: the open window must see it (theme, font size, ...).
            before = ctx.known_settings
            ctx.remember_settings()
            if ctx.known_settings is not None and ctx.known_settings != before:
                ctx.settings_changed(ctx.known_settings)
            ctx.channel.publish(ExternalChange())
        for session_id in sorted(self._foreign_replies):
            if replies.reply_orphaned(session_id):
                try:
                    replies.recover_interrupted(session_id)
                except DatabaseBusy:
                    continue  # another program holds the lock: the next poll tries again
                self._foreign_replies.discard(session_id)
        return changed

    def purge(
        self, *, days: int | None = None, mode: RetentionMode | None = None, dry_run: bool = False
    ) -> PurgeReport:
        """Apply the retention rule (the settings', unless given); pinned chats are never touched. Deleting
        deletes the files attached in those chats that no other chat refers to."""
        store, settings = self._ctx.store, self._ctx.settings
        report = purge(
            store,
            days=days if days is not None else settings.retention_days,
            mode=mode or settings.retention_mode,
            dry_run=dry_run,
        )
        if report.freed:  # the deleted chats' attached files go too, unless another chat refers to them
            self._attachments.sweep(report.freed)
        if not dry_run:
            for victim in report.sessions:
                if report.mode == "delete":
                    self._ctx.channel.publish(SessionDeleted(victim.id))
                else:
                    self._ctx.channel.publish(SessionChanged(store.sessions.get(victim.id)))
        return report

    def backup_now(self) -> Path:
        """Copy the database, consistent even while it is written, into ``backups/`` in the data folder."""
        folder = self.data_folder
        if folder is None:
            raise NotAllowed("This workspace keeps no database file, so there is nothing to back up.")
        return self._ctx.store.db.backup(backup_path(folder, datetime.now(UTC).strftime("%Y%m%dT%H%M%S")))

    def export_markdown(self, session_id: int) -> str:
        return export_markdown(self._ctx.store_for(session_id), session_id)

    def export_json(self, session_ids: Sequence[int] | None = None) -> dict[str, Any]:
        return export_json(self._ctx.store, list(session_ids) if session_ids is not None else None)

    def _created(self, session_ids: Sequence[int]) -> None:
        for session_id in session_ids:
            self._ctx.channel.publish(SessionCreated(self._ctx.store.sessions.get(session_id)))

    def import_text(self, text: str) -> ImportResult:
        """Import an export or the minimal shape; all or nothing."""
        from desktop_chat.core.importers.document import parse_document
        from desktop_chat.core.importers.writer import import_json

        result = import_json(self._ctx.store, parse_document(text))
        self._created(result.session_ids)
        if result.facts:
            self._ctx.channel.publish(FactsChanged(None))
        return result

    def import_file(
        self,
        path: str | Path,
        *,
        progress: Callable[[int, int], None] | None = None,
        cancel: Callable[[], bool] | None = None,
        name: str | None = None,
    ) -> ImportResult:
        """Import the file at ``path``, its kind detected by shape; see ``core/importers/files.py``.

        ``progress(done, total)`` is called once the file is validated (done 0) and after
        each batch of conversations; ``cancel()`` is asked between batches, and a cancelled
        import keeps the whole conversations already written (``result.cancelled``).
        Chats appear as ``SessionCreated`` events as each batch commits, chats continued since the
        last import (``result.continued``) as ``MessagesChanged`` and ``SessionChanged``; pending facts
        offered from the export's memories as one ``FactsChanged(None)``. ``name`` is what
        error lines call the file (the path by default). Runs on the caller's thread (the
        database has one owner); ``progress`` is where a window keeps itself responsive.
        """
        store, channel = self._ctx.store, self._ctx.channel
        from desktop_chat.core.importers.files import import_file

        result = import_file(store, Path(path), progress=progress, cancel=cancel, committed=self._created, name=name)
        for continued in result.continued:  # chats already here that got their newer messages
            channel.publish(MessagesChanged(continued.session_id))
            channel.publish(SessionChanged(store.sessions.get(continued.session_id)))
        if result.facts:
            channel.publish(FactsChanged(None))
        return result
