"""Attaching files in the window: the paperclip (Chat ▸ Attach Files…, Ctrl+U), drops, pasted images.

Each file is read on a worker thread (``workspace.attachments.read``: extraction and the copy into the
data folder) and kept there too (``keep_on_worker``: its chunks indexed through a connection of the
worker's own; the window's connection belongs to the loop's thread), so a 200-page PDF never stalls
the window; its chip shows the pages read meanwhile. A file that cannot be
read says so in one line under the editor, and nothing is attached. The ready attachments go to the
window's ``ChatState`` (the next request is planned with them) and, on Send, to ``workspace.send``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QBuffer, QEvent, QIODevice, QMimeData, QObject, QSize, Qt, Slot
from PySide6.QtGui import QAction, QDropEvent, QImage, QImageReader, QKeySequence
from PySide6.QtWidgets import QFileDialog, QWidget

from desktop_chat.core.errors import DesktopChatError
from desktop_chat.ui.chat.attachment_chips import ICON, Chip

if TYPE_CHECKING:
    import asyncio

    from desktop_chat.core.models import Attachment, ContextPlan
    from desktop_chat.core.workspace import Workspace
    from desktop_chat.ui.window.main_window import MainWindow

SHORTCUT = "Ctrl+U"  # as Slack's "upload a file"; Ctrl+Shift+A is Archive, Ctrl+O Import
Work = Callable[["Workspace", int, Callable[[int, int], None]], tuple["Attachment", QImage]]
Counted = tuple["Attachment", QImage, int | None]


class ReadingStopped(Exception):
    """Raised from ``progress`` on the worker when the chip was removed: extract stops reading there."""


def local_files(mime: QMimeData) -> list[Path]:
    """The local files a drop or a paste carries (links to web pages are not files)."""
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile() and url.toLocalFile()]


def thumbnail(path: Path, side: int = ICON) -> QImage:
    """A small picture of the image at ``path``, decoded at that size (cheap even for a big photo); null if none."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid() and size.width() > 0 and size.height() > 0:
        reader.setScaledSize(size.scaled(QSize(side, side), Qt.AspectRatioMode.KeepAspectRatio))
    return reader.read()


def png_bytes(image: QImage) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs say bytes; PySide6 takes str
    return bytes(buffer.data().data())


class ComposerAttachments(QObject):
    """The composer's attachments: what adds them, their chips, and what the state plans and Send sends."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.composer = composer = window.composer
        self._tasks: dict[Chip, asyncio.Task[Any]] = {}
        self._stops: dict[Chip, threading.Event] = {}  # set when a chip is removed while its file is read
        self.dialog: QFileDialog | None = None
        composer.attachments = self
        composer.attach_button.clicked.connect(self.choose_files)
        composer.edit.filesPasted.connect(self.add_paths)
        composer.edit.imagePasted.connect(self.add_image)
        self.action = QAction("&Attach Files…", window)
        self.action.setShortcut(QKeySequence(SHORTCUT))
        self.action.setToolTip(f"Attach files to your message ({SHORTCUT})")
        self.action.triggered.connect(self.choose_files)
        window.addAction(self.action)
        window.chat_menu.insertAction(window.edit_last_action, self.action)
        self.drops = DropTarget(self)
        for target in (composer, composer.edit.viewport(), window.chat, window.chat.list.viewport()):
            self.drops.watch(target)
        window.state.sessionChanged.connect(self._count_tokens)
        window.state.planChanged.connect(self._plan_changed)
        window.chat.notice.connect(window.notify)

    # --- adding ------------------------------------------------------------------------------

    @Slot()
    def choose_files(self) -> None:
        """The file dialog (many files at once), opened with ``open()``: no nested event loop."""
        if self.dialog is None:
            self.dialog = QFileDialog(self._window, "Attach files")
            self.dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
            self.dialog.setAccessibleName("Choose files to attach")
            self.dialog.filesSelected.connect(self.add_paths)
        self.dialog.open()

    @Slot(list)
    def add_paths(self, paths: Sequence[str | Path]) -> None:
        for item in paths:
            path = Path(item)

            def work(ws: Workspace, limit: int, progress: Callable[[int, int], None], path: Path = path) -> Any:
                attachment = ws.attachments.keep_on_worker(ws.attachments.read(path, limit_mb=limit, progress=progress))
                return attachment, thumbnail(path) if attachment.is_image else QImage()

            self._start(path.name, work)

    @Slot(QImage)
    def add_image(self, image: QImage) -> None:
        """An image pasted from the clipboard: a PNG named by the time it was pasted."""
        name = time.strftime("Pasted image %Y-%m-%d %H.%M.%S.png")
        copy = image.copy()  # its own pixels: the clipboard's may change while the worker encodes them

        def work(ws: Workspace, limit: int, _progress: Callable[[int, int], None]) -> Any:
            attachment = ws.attachments.keep_on_worker(ws.attachments.read_bytes(png_bytes(copy), name, limit_mb=limit))
            keep = Qt.AspectRatioMode.KeepAspectRatio
            return attachment, copy.scaled(ICON, ICON, keep, Qt.TransformationMode.SmoothTransformation)

        self._start(name, work)

    def _start(self, name: str, work: Work) -> None:
        workspace = self._window.workspace
        if workspace is None:
            return
        self.composer.show_problem("")
        chip = Chip(name)
        chip.removeRequested.connect(self.remove)
        self.composer.chips.add(chip)

        def forget(_task: asyncio.Task[None]) -> None:
            self._tasks.pop(chip, None)
            self._stops.pop(chip, None)

        self._tasks[chip] = self._window.tasks.run(
            self._read(workspace, chip, work), what=f"Reading {name}", done=forget
        )

    async def _read(self, workspace: Workspace, chip: Chip, work: Work) -> None:
        import asyncio

        loop = asyncio.get_running_loop()
        shown = [-1]
        stop = self._stops[chip] = threading.Event()

        def progress(done: int, total: int) -> None:  # on the worker thread: hand it to the loop's
            if stop.is_set():
                raise ReadingStopped  # the chip was removed: extract reads no further page
            percent = done * 100 // total if total else 0
            if percent != shown[0]:
                shown[0] = percent
                loop.call_soon_threadsafe(self._progress, chip, done, total)

        try:
            limit = workspace.settings.attachment_max_mb
            model = self._model(workspace)
            attachment, picture, tokens = await asyncio.to_thread(self._work, work, workspace, limit, progress, model)
        except DesktopChatError as exc:  # unreadable, too large, a full disk: one line, nothing attached
            self._drop(chip)
            self.composer.show_problem(str(exc))
            return
        except BaseException:
            self._drop(chip)
            raise
        if chip not in self.composer.chips.chips():
            return  # removed while it was read
        chip.set_thumbnail(picture)
        chip.set_ready(attachment)
        chip.set_tokens(tokens if tokens is not None else self._tokens(workspace, attachment))
        self._changed()

    @staticmethod
    def _work(
        work: Work, workspace: Workspace, limit: int, progress: Callable[[int, int], None], model: str | None
    ) -> Counted:
        """On the worker: read and keep the file, then count it for the chat's model (the count is cached)."""
        attachment, picture = work(workspace, limit, progress)
        tokens = workspace.attachments.tokens(attachment, model=model) if model is not None else None
        return attachment, picture, tokens

    def _model(self, workspace: Workspace) -> str | None:
        """The open chat's model, asked on the loop's thread (the worker cannot read the database)."""
        try:
            return workspace.target(self._window.current_id).model
        except DesktopChatError:
            return None

    def _progress(self, chip: Chip, done: int, total: int) -> None:
        if chip in self._tasks and not chip.ready:
            chip.set_progress(done, total)

    # --- removing, sending -------------------------------------------------------------------

    @Slot(object)
    def remove(self, chip: Chip) -> None:
        stop = self._stops.pop(chip, None)
        if stop is not None:
            stop.set()  # the worker stops at its next page
        task = self._tasks.pop(chip, None)
        if task is not None:
            task.cancel()  # what the worker stored already is nobody's: the sweep takes it
        was_ready = chip.ready
        self._drop(chip)
        self.composer.edit.setFocus()
        if was_ready:
            self._changed()

    def _drop(self, chip: Chip) -> None:
        if chip in self.composer.chips.chips():
            self.composer.chips.take(chip)

    def attached(self) -> tuple[Attachment, ...]:
        """The files ready to send, in the order they were added."""
        return tuple(c.attachment for c in self.composer.chips.chips() if c.attachment is not None)

    def reading(self) -> list[str]:
        """The names of the files still being read."""
        return [c.name for c in self.composer.chips.chips() if not c.ready]

    def clear(self) -> None:
        """After Send: the chips went with the message."""
        for chip in self.composer.chips.chips():
            self._drop(chip)
        self._changed()

    def restore(self, attachments: Sequence[Attachment]) -> None:
        """Put chips back (a send refused before it started gives the message back whole)."""
        workspace = self._window.workspace
        for attachment in attachments:
            chip = Chip(attachment.name)
            chip.removeRequested.connect(self.remove)
            chip.set_ready(attachment)
            if workspace is not None:
                chip.set_tokens(self._tokens(workspace, attachment))
            self.composer.chips.add(chip)
        self._changed()

    def _changed(self) -> None:
        self._window.state.set_attachments(self.attached())

    # --- what the next request says ----------------------------------------------------------

    def _tokens(self, workspace: Workspace, attachment: Attachment) -> int | None:
        """What the file costs whole for the open chat's model (``workspace.attachments.tokens``)."""
        try:
            return workspace.attachments.tokens(attachment, self._window.current_id)
        except DesktopChatError:
            return None

    @Slot(object)
    def _count_tokens(self, _session_id: object) -> None:
        """Another chat, maybe another model: the chips' tokens are counted again."""
        workspace = self._window.workspace
        if workspace is None:
            return
        for chip in self.composer.chips.chips():
            if chip.attachment is not None:
                chip.set_tokens(self._tokens(workspace, chip.attachment))

    @Slot(object)
    def _plan_changed(self, plan: ContextPlan | None) -> None:
        self.composer.show_notices(plan.notices if plan is not None else ())


DRAGS = frozenset({QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.DragLeave, QEvent.Type.Drop})


class DropTarget(QObject):
    """Files dragged over the chat or the composer: the composer lights up, a drop attaches them."""

    def __init__(self, attachments: ComposerAttachments) -> None:
        super().__init__(attachments)
        self._attachments = attachments

    def watch(self, widget: QWidget) -> None:
        widget.setAcceptDrops(True)
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in DRAGS:
            return False  # first, and touching nothing: the window's teardown sends events here too
        composer = self._attachments.composer
        if kind == QEvent.Type.DragLeave:
            composer.set_drop_highlight(False)
            return False
        files = local_files(event.mimeData()) if isinstance(event, QDropEvent) else []
        if not files:
            return False  # text dragged into the editor is the editor's
        assert isinstance(event, QDropEvent)  # DragEnter and DragMove are drop events too
        event.acceptProposedAction()
        composer.set_drop_highlight(kind != QEvent.Type.Drop)
        if kind == QEvent.Type.Drop:
            self._attachments.add_paths(files)
        return True
