"""A message's attachments in the chat: images as thumbnails, files as a line with an icon, name and size.

Thumbnails are decoded off the GUI thread, once, at their shown size (``QImageReader.setScaledSize``
decodes a JPEG at a fraction of its pixels), and cached by the file's hash; until one is ready the row
shows a blank of the same size, so the row's height never jumps. A click opens the stored copy in the
desktop's application for it (``workspace.attachments.path``).
"""

from __future__ import annotations

import contextlib
import html
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSize, Qt, QThreadPool, QUrl, Signal, Slot
from PySide6.QtGui import QColor, QImage, QImageReader, QTextDocument

from desktop_chat.core.errors import DesktopChatError
from desktop_chat.core.models import Attachment, FilePart, ImagePart, Message
from desktop_chat.ui.chat.attachment_chips import human_size
from desktop_chat.ui.chat.render import internal_scheme

OPEN = internal_scheme("attachment")  # a row's attachment link: <OPEN>:<message id>:<index>
PICTURE = internal_scheme("thumb")  # a thumbnail's resource: <PICTURE>:<sha256>
FILE_ICON = internal_scheme("file-icon")
THUMB = QSize(240, 180)  # the largest a thumbnail is shown
KEPT = 200  # thumbnails kept decoded (about 170 KB each at most)


def has_attachments(message: Message) -> bool:
    return any(isinstance(p, FilePart | ImagePart) for p in message.parts)


def attach_rows(workspace: Any, rows: Iterable[Any]) -> None:
    """Each row's attachments (``workspace.attachments.of_message``), for the messages that have any."""
    for row in rows:
        message = row.message
        if message is not None and has_attachments(message):
            with contextlib.suppress(DesktopChatError):
                row.attachments = tuple(workspace.attachments.of_message(message.id))


def shown_size(attachment: Attachment) -> QSize:
    """The thumbnail's size: the image scaled into ``THUMB``, never enlarged."""
    if not attachment.width or not attachment.height:
        return QSize(THUMB)
    size = QSize(attachment.width, attachment.height)
    if size.width() <= THUMB.width() and size.height() <= THUMB.height():
        return size
    return size.scaled(THUMB, Qt.AspectRatioMode.KeepAspectRatio)


def decode(path: Path, size: QSize) -> QImage:
    """The image at ``path`` decoded straight to ``size`` (on a worker thread); null when it cannot be read."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    reader.setScaledSize(size)
    return reader.read()


class Thumbnails(QObject):
    """The chat's decoded thumbnails by hash; ``ready(sha)`` when one arrives from the worker."""

    ready = Signal(str)
    _decoded = Signal(str, QImage, float)  # from the worker thread: queued to the GUI thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path_of: Callable[[str], Path] | None = None  # workspace.attachments.path, once there is one
        self._images: OrderedDict[str, QImage] = OrderedDict()
        self._pending: set[str] = set()
        self._failed: set[str] = set()
        self.decode_ms: list[float] = []  # each decode's time on its worker (the benchmark and tests read it)
        self._decoded.connect(self._store)

    def image(self, attachment: Attachment) -> QImage | None:
        """The decoded thumbnail, or None while it is being decoded (asked for now, if not yet)."""
        sha = attachment.sha256
        found = self._images.get(sha)
        if found is not None:
            self._images.move_to_end(sha)
            return found
        if sha not in self._pending and sha not in self._failed and self.path_of is not None:
            try:
                path = self.path_of(sha)
            except DesktopChatError:
                self._failed.add(sha)
                return None
            self._pending.add(sha)
            size = shown_size(attachment)
            QThreadPool.globalInstance().start(lambda: self._work(sha, path, size))
        return None

    def _work(self, sha: str, path: Path, size: QSize) -> None:
        began = time.perf_counter()
        image = decode(path, size)
        self._decoded.emit(sha, image, (time.perf_counter() - began) * 1000)

    @Slot(str, QImage, float)
    def _store(self, sha: str, image: QImage, ms: float) -> None:
        self._pending.discard(sha)
        self.decode_ms.append(ms)
        if image.isNull():
            self._failed.add(sha)
            return
        self._images[sha] = image
        while len(self._images) > KEPT:
            self._images.popitem(last=False)
        self.ready.emit(sha)

    def state(self, attachments: Iterable[Attachment]) -> tuple[bool, ...]:
        """Which of a row's images are decoded: part of its document's cache key."""
        return tuple(a.sha256 in self._images for a in attachments if a.is_image)


def add_resources(doc: QTextDocument, attachments: Iterable[Attachment], thumbs: Thumbnails, blank: QColor) -> None:
    """Give the row's document its pictures (its loadResource loads nothing): thumbnails, or blanks of their size."""
    resource = QTextDocument.ResourceType.ImageResource
    for attachment in attachments:
        if attachment.is_image:
            image = thumbs.image(attachment)
            if image is None:
                image = QImage(shown_size(attachment), QImage.Format.Format_RGB32)
                image.fill(blank)
            doc.addResource(resource, QUrl(f"{PICTURE}:{attachment.sha256}"), image)
        else:
            from desktop_chat.ui.app.icons import icon

            doc.addResource(resource, QUrl(FILE_ICON), icon("file").pixmap(16, 16).toImage())


def attachments_html(message_id: int, attachments: tuple[Attachment, ...], dim: str) -> str:
    """Under the message's text: the images side by side, then a line per file; each a link that opens it."""
    if not attachments:
        return ""
    pictures, files = [], []
    for index, attachment in enumerate(attachments):
        href = f"{OPEN}:{message_id}:{index}"
        name = html.escape(attachment.name)
        if attachment.is_image:
            size = shown_size(attachment)
            pictures.append(
                f'<a href="{href}"><img src="{PICTURE}:{attachment.sha256}" width="{size.width()}" '
                f'height="{size.height()}" alt="{name}"></a>'
            )
        else:
            files.append(
                f'<img src="{FILE_ICON}" width="16" height="16"> <a href="{href}">{name}</a>'
                f" <span style='color:{dim}'>· {human_size(attachment.size)}</span>"
            )
    body = "<p>" + " &nbsp;".join(pictures) + "</p>" if pictures else ""
    return body + ("<p>" + "<br>".join(files) + "</p>" if files else "")


def parse_open(href: str) -> tuple[int, int] | None:
    """(message id, attachment index) of an attachment link; None for any other href."""
    scheme, colon, rest = href.partition(":")
    if not colon or scheme.lower() != OPEN:
        return None
    parts = rest.split(":")
    if len(parts) != 2 or not all(p.isdigit() and len(p) < 20 for p in parts):
        return None
    return int(parts[0]), int(parts[1])


def stored_url(workspace: Any, attachment: Attachment) -> QUrl:
    """The URL of a copy of the stored file under its name, to open; raises the workspace's one line when it is gone."""
    path: Path = workspace.attachments.copy_to_open(attachment.sha256, attachment.name)
    return QUrl.fromLocalFile(str(path))
