"""The composer's chips: one per attached file (name, size, tokens, remove), in a row above the editor.

A chip is shown as soon as a file is chosen, with "reading…" and its progress while a worker
thread reads it (``ui/chat/attachments.py``); then its size and what it costs for this chat's model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QImage, QPalette, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.ui.app.icons import icon

if TYPE_CHECKING:
    from desktop_chat.core.models import Attachment

ICON = 32  # the chip's picture: a thumbnail of an image, else the file icon
NAME_WIDTH = 180  # a long name is elided in the middle; its whole name is the tooltip


def human_size(size: int) -> str:
    """A size as people read it: "812 bytes", "14 KB", "3.2 MB" (1 KB = 1,024 bytes, as file managers say)."""
    if size < 1024:
        return f"{size:,} bytes"
    for unit in ("KB", "MB", "GB"):
        size_f = size / 1024
        if size_f < 1024 or unit == "GB":
            return f"{size_f:,.0f} {unit}" if size_f >= 10 else f"{size_f:,.1f} {unit}"
        size = int(size_f)
    return f"{size:,} bytes"  # not reached


def describe(attachment: Attachment) -> str:
    """What a chip says under the name: size, then pages or pixels."""
    bits = [human_size(attachment.size)]
    if attachment.units:
        unit = attachment.unit_name or "part"
        bits.append(f"{attachment.units:,} {unit}{'' if attachment.units == 1 else 's'}")
    elif attachment.width and attachment.height:
        bits.append(f"{attachment.width} x {attachment.height} px")
    return " · ".join(bits)


class Chip(QFrame):
    """One attached file in the composer: reading it (with progress), then ready to send."""

    removeRequested = Signal(object)  # the chip

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.attachment: Attachment | None = None
        self.tokens: int | None = None
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(f"Attachment {name}")
        self.picture = QLabel()
        self.picture.setFixedSize(ICON, ICON)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setPixmap(icon("file").pixmap(24, 24))
        self.picture.setAccessibleName(f"{name}: picture")
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setText(self.fontMetrics().elidedText(name, Qt.TextElideMode.ElideMiddle, NAME_WIDTH))
        self.title.setToolTip(name)
        self.title.setAccessibleName(f"File name {name}")
        self.detail = QLabel("reading…")
        self.detail.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.detail.setAccessibleName(f"{name}: size and tokens")
        self.remove = QToolButton()
        self.remove.setText("✕")
        self.remove.setAutoRaise(True)
        self.remove.setAccessibleName(f"Remove {name}")
        self.remove.setToolTip(f"Remove {name} from this message")
        self.remove.clicked.connect(self._remove)
        words = QVBoxLayout()
        words.setContentsMargins(0, 0, 0, 0)
        words.setSpacing(0)
        words.addWidget(self.title)
        words.addWidget(self.detail)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 2, 2)
        layout.setSpacing(6)
        layout.addWidget(self.picture)
        layout.addLayout(words)
        layout.addWidget(self.remove, 0, Qt.AlignmentFlag.AlignTop)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    @property
    def ready(self) -> bool:
        return self.attachment is not None

    def set_progress(self, done: int, total: int) -> None:
        """Reading a long document: "reading… 34%" (pages read of the total)."""
        if total > 0:
            self._say(f"reading… {min(100, done * 100 // total)}%")

    def set_thumbnail(self, image: QImage) -> None:
        if not image.isNull():
            self.picture.setPixmap(QPixmap.fromImage(image))

    def set_ready(self, attachment: Attachment) -> None:
        self.attachment = attachment
        self._show()

    def set_tokens(self, tokens: int | None) -> None:
        self.tokens = tokens
        self._show()

    def _show(self) -> None:
        if self.attachment is None:
            return
        text = describe(self.attachment)
        if self.tokens is not None:
            text += f" · ≈{self.tokens:,} tok"
        self._say(text)

    def _say(self, text: str) -> None:
        self.detail.setText(text)
        self.setAccessibleDescription(text)
        self.setToolTip(f"{self.name}: {text}")

    @Slot()
    def _remove(self) -> None:
        self.removeRequested.emit(self)


class ChipRow(QScrollArea):
    """The chips in one row above the editor, scrolling sideways when they do not fit; hidden when empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Attachments")
        self.setToolTip("The files sent with your message")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        self._row = QHBoxLayout(inner)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.setSpacing(6)
        self._row.addStretch(1)
        self.setWidget(inner)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.hide()

    def chips(self) -> list[Chip]:
        items = (self._row.itemAt(i) for i in range(self._row.count()))
        return [w for item in items if item is not None and isinstance(w := item.widget(), Chip)]

    def add(self, chip: Chip) -> None:
        self._row.insertWidget(self._row.count() - 1, chip)
        self._fit()

    def take(self, chip: Chip) -> None:
        self._row.removeWidget(chip)
        chip.hide()
        chip.deleteLater()
        self._fit()

    def _fit(self) -> None:
        chips = self.chips()
        self.setVisible(bool(chips))
        tallest = max((c.sizeHint().height() for c in chips), default=0)
        bar = self.horizontalScrollBar().sizeHint().height()
        self.setFixedHeight(tallest + bar + 2 if chips else 0)

    def sizeHint(self) -> QSize:
        return QSize(400, self.height())
