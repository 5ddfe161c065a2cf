"""``workspace.attachments``: keep a file the user attaches (read once, stored once), find it again, let it go.

Reading a document can take seconds (a 200-page PDF): ``add`` blocks. The database belongs to the
thread that opened it, so the window reads on a worker thread (``read``: no database) and then keeps
what was read on its own (``keep``); the command line just calls ``add``. A file that cannot be read raises
``UnreadableAttachment`` (one line) and nothing is stored.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from desktop_chat.core.attachments import types
from desktop_chat.core.attachments.extract import extract, is_image, media_type_of
from desktop_chat.core.attachments.images import image_size
from desktop_chat.core.errors import StorageError
from desktop_chat.core.facade.context import Context
from desktop_chat.core.models import Attachment, FilePart, ImagePart
from desktop_chat.core.providers.local.builtin import builtin_model_name
from desktop_chat.core.storage.attachment_files import AttachmentFiles
from desktop_chat.core.storage.db import Database, utcnow
from desktop_chat.core.storage.store import Store

log = logging.getLogger(__name__)
MB = 1_000_000  # as types.megabytes shows sizes: the limit reads as it is set
SWEEP_DELAY_S = 20.0  # after the window's start: its first screen, the encodings and indexing's start come first
# A composer's attachment nobody sent is forgotten after this long (its file too); and a file is never
# swept younger than this, so one being added right now (stored, its row not yet written) is safe.
ABANDONED_AFTER = timedelta(days=1)


class AttachmentsFacade:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._sweep_timer: asyncio.TimerHandle | None = None
        self._sweep_task: asyncio.Future[int] | None = None

    @property
    def files(self) -> AttachmentFiles:
        folder = self._ctx.data_folder
        if folder is None:
            raise StorageError("Attachments need a data folder: open one to attach files.")
        return AttachmentFiles(folder)

    def add(
        self, path: Path, *, name: str | None = None, progress: Callable[[int, int], None] | None = None
    ) -> Attachment:
        """Read ``path`` and keep a copy; returns what the chat will refer to. Blocks (``read`` then ``keep``)."""
        limit_mb = self._ctx.settings.attachment_max_mb
        return self.keep(self.read(path, name=name, progress=progress, limit_mb=limit_mb))

    def read(
        self,
        path: Path,
        *,
        limit_mb: int,
        name: str | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> Attachment:
        """Read ``path`` and store its bytes, without touching the database: safe on a worker thread.

        ``progress(done, total)``: as ``extract`` calls it (per page of a PDF), and once more just before the
        copy is stored; raising from it cancels, and nothing is stored.

        ``limit_mb``: the setting ``attachment_max_mb``, read by the caller on the database's thread. What
        this returns is not kept until ``keep`` (on the database's thread) records it."""
        name = name or path.name
        limit = limit_mb * MB
        try:
            size = path.stat().st_size
            with path.open("rb") as f:
                head = f.read(64)
        except FileNotFoundError:
            raise types.missing(name) from None
        except IsADirectoryError:
            raise types.unopenable(name, "it is a folder: attach the files in it") from None
        except OSError as exc:
            raise types.unopenable(name, (exc.strerror or str(exc)).lower()) from None
        if size > limit:
            raise types.too_large(name, size, limit)
        media = media_type_of(name, head)
        text, units, unit_name, width, height = None, None, "", None, None
        if is_image(media):
            width, height = image_size(path.read_bytes(), name=name)
        else:
            read = extract(path, name, progress=progress, max_bytes=limit)
            text, media, units, unit_name = read.text, read.media_type, read.units, read.unit_name
        if progress is not None:  # the last moment to cancel (raise from it): nothing is stored yet
            progress(units or 1, units or 1)
        sha, size = self.files.put_file(path)
        return Attachment(sha, name, media, size, text, units, unit_name, width, height)

    def keep(self, attachment: Attachment) -> Attachment:
        """Record what ``read`` returned (its text indexed in chunks); on the database's thread."""
        self._ctx.store.attachments.add(attachment)
        return attachment

    def keep_on_worker(self, attachment: Attachment) -> Attachment:
        """``keep`` from a worker thread, through a connection of its own (as the indexer writes vectors).

        Indexing a 200-page document's chunks takes ~80 ms of SQLite: on the window's thread that
        would freeze it; here the window's connection only waits if it writes at that moment."""
        path = self._ctx.store.db.path
        if path is None:
            raise StorageError("Attachments need a data folder: open one to attach files.")
        worker = Store(Database.open(path))
        try:
            worker.attachments.add(attachment)
        finally:
            worker.close()
        return attachment

    def add_bytes(self, data: bytes, name: str) -> Attachment:
        """Keep bytes that are not a file yet (an image pasted from the clipboard) as the attachment ``name``."""
        sha = self.files.put_bytes(data)
        return self.add(self.files.path(sha), name=name)

    def read_bytes(self, data: bytes, name: str, *, limit_mb: int) -> Attachment:
        """``add_bytes`` without the database (``read``'s rule): safe on a worker thread; then ``keep`` it."""
        sha = self.files.put_bytes(data)
        return self.read(self.files.path(sha), name=name, limit_mb=limit_mb)

    def tokens(self, attachment: Attachment, session_id: int | None = None, *, model: str | None = None) -> int:
        """What the file costs sent whole to the chat's model (no chat: the active profile's): a document's
        text with its heading, an image by its provider's rule with its label (``attachments/vision.py``;
        counted even for a model that does not read images, whose plan then says it is left out).

        ``model``: count for that model (``workspace.target(chat).model``) without the database, so a
        worker thread can count a long document (~40 ms for 200 pages) and the window's later asks, and
        the plan's, find the count cached."""
        from desktop_chat.core.memory.attachments import cost_whole  # the planner's, loaded with the reply engine

        if model is not None:
            return cost_whole(attachment, model)
        settings = self._ctx.current_settings()
        if session_id is not None:
            model = self._ctx.target(self._ctx.session(session_id), settings).model
        else:
            profile = settings.profile()
            model = builtin_model_name(settings) if profile.is_builtin else profile.default_model
        return cost_whole(attachment, model)

    def get(self, sha256: str) -> Attachment:
        return self._ctx.store.attachments.get(sha256)

    def path(self, sha256: str) -> Path:
        """Where the stored copy is (to open it); raises NotFound when it is gone."""
        attachment = self.get(sha256)
        path = self.files.path(attachment.sha256)
        if not path.is_file():
            raise StorageError(f"The stored copy of {attachment.name} is missing from the data folder.")
        return path

    def copy_to_open(self, sha256: str, name: str) -> Path:
        """A read-only copy named ``name`` (its extension tells the desktop which application opens it)."""
        self.path(sha256)  # one line when the stored copy is gone
        try:
            return self.files.named_copy(sha256, name)
        except OSError as exc:
            raise StorageError(f"Cannot make a copy of {name} to open ({(exc.strerror or str(exc)).lower()}).") from exc

    def of_message(self, message_id: int) -> list[Attachment]:
        """The message's attachments in order, each under the name it had in that message."""
        store = self._ctx.store_for_message(message_id)
        message = store.messages.get(message_id)
        parts = [p for p in message.parts if isinstance(p, FilePart | ImagePart)]
        stored = store.attachments.of_messages([message_id]).get(message_id, [])
        by_sha = {a.sha256: a for a in stored}
        return [replace(by_sha[p.sha256], name=p.name) for p in parts if p.sha256 in by_sha]

    def shas_of_chat(self, session_id: int) -> set[str]:
        """The files a chat's messages (every version) refer to: what deleting it may free."""
        store = self._ctx.store_for(session_id)
        ids = [m.id for m in store.messages.all(session_id, include_inactive=True)]
        return {a.sha256 for found in store.attachments.of_messages(ids).values() for a in found}

    def sweep(self, freed: Iterable[str] = ()) -> int:
        """Delete the files no chat needs any more; returns how many.

        ``freed``: files whose last reference was just deleted (a chat, by the user or retention): they go now.
        Any other file goes when no row refers to it and it is older than ``ABANDONED_AFTER`` (a composer's
        attachment never sent), so a file being added right now is never taken.
        """
        store = self._ctx.store
        store.attachments.delete(store.attachments.abandoned(utcnow() - ABANDONED_AFTER))
        if self._ctx.data_folder is None:
            return 0
        keep: set[str] = set()
        for open_store in self._ctx.router.stores():
            keep |= open_store.attachments.referenced()
        return self._delete_files(keep, set(freed))

    def _delete_files(self, keep: set[str], freed: set[str]) -> int:
        """Delete stored files not in ``keep`` that are in ``freed`` or older than ``ABANDONED_AFTER``.

        Touches no database: the start-up sweep runs it in a worker thread. A file stored (or stored
        again) since ``keep`` was read is young, so it is never taken.
        """
        files = self.files
        young = time.time() - ABANDONED_AFTER.total_seconds()
        files.forget_named_copies(young)
        deleted = 0
        for sha in list(files.stored()):
            if sha in keep:
                continue
            try:
                if sha in freed or files.path(sha).stat().st_mtime < young:
                    files.delete(sha)
                    deleted += 1
            except OSError as exc:  # gone meanwhile, or not ours to delete: the next sweep tries again
                log.info("Left attachment %s: %s", sha[:12], exc)
        return deleted

    # --- the sweep once after start-up (the window): composer attachments never sent, files nothing refers to ---

    def sweep_later(self, delay: float = SWEEP_DELAY_S) -> None:
        """Sweep abandoned attachments once, ``delay`` seconds from now (the window's start comes first).

        Its database part is two small queries on the loop's thread; the walk over the stored files runs
        in a worker thread. Only the first call in a workspace schedules anything.
        """
        if self._sweep_timer is not None or self._sweep_task is not None:
            return
        self._sweep_timer = asyncio.get_running_loop().call_later(delay, self._start_sweep)

    def _start_sweep(self) -> None:
        self._sweep_task = asyncio.ensure_future(self.sweep_abandoned())

    async def sweep_abandoned(self) -> int:
        """Forget composer attachments never sent (older than ``ABANDONED_AFTER``) and delete the files no row
        refers to; returns how many files went. Never raises: a busy or read-only database waits for next time."""
        store = self._ctx.store
        if self._ctx.data_folder is None or store.read_only:
            return 0
        try:
            store.attachments.delete(store.attachments.abandoned(utcnow() - ABANDONED_AFTER))
            keep: set[str] = set()
            for open_store in self._ctx.router.stores():
                keep |= open_store.attachments.referenced()
            return await asyncio.to_thread(self._delete_files, keep, set())
        except (StorageError, OSError) as exc:
            log.info("The sweep of abandoned attachments waits for the next start: %s", exc)
            return 0

    async def stop_sweep(self) -> None:
        """Closing: a sweep not started yet never starts; one under way finishes (it is short)."""
        if self._sweep_timer is not None:
            self._sweep_timer.cancel()
        if self._sweep_task is not None and not self._sweep_task.done():
            await self._sweep_task
