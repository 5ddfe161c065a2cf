"""The app's one icon set: small SVGs in ``resources/icons`` drawn in the palette's text colour."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from desktop_chat.core.resources import resources_dir

NAMES = (
    "new",
    "send",
    "stop",
    "pin",
    "archive",
    "delete",
    "search",
    "settings",
    "copy",
    "retry",
    "edit",
    "inspector",
    "temporary",
    "import",
    "export",
    "rename",
    "attach",
    "file",
)


def _pixmap(svg: bytes, colour: QColor, size: int) -> QPixmap:
    # The SVGs stroke with currentColor; drawing them in the palette's colour keeps them
    # legible in both light and dark themes without a second set.
    data = svg.replace(b"currentColor", colour.name().encode())
    renderer = QSvgRenderer(QByteArray(data))
    ratio = 2.0
    pixmap = QPixmap(QSize(int(size * ratio), int(size * ratio)))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return pixmap


@cache
def icon(name: str) -> QIcon:
    """The icon ``name`` (one of ``NAMES``), normal and disabled, in the current palette."""
    svg = (resources_dir() / "icons" / f"{name}.svg").read_bytes()
    palette = QGuiApplication.palette()
    result = QIcon()
    for size in (16, 24):
        result.addPixmap(
            _pixmap(svg, palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.WindowText), size),
            QIcon.Mode.Normal,
        )
        result.addPixmap(
            _pixmap(svg, palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText), size),
            QIcon.Mode.Disabled,
        )
    return result


def clear_cache() -> None:
    """Forget drawn icons (after the palette changed between light and dark)."""
    icon.cache_clear()
