#!/usr/bin/env python3
"""Render the application icon (resources/icons/app/desktop-chat.svg) to PNGs and a Windows .ico.

Run from the repository root after editing the SVG: ``.venv/bin/python scripts/render_icons.py``.
Uses Qt's own SVG renderer (offscreen), the one the app draws the icon with, so anyone with
the venv gets the same pixels; tests compare a fresh render with the shipped PNGs.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from desktop_chat.core.resources import APP_ICON_SIZES as PNG_SIZES
from desktop_chat.core.resources import app_icon_dir

ICON_DIR = app_icon_dir()
SVG = ICON_DIR / "desktop-chat.svg"
# Windows shows 16-48 in lists and the taskbar and 256 in large views; ICO stops at 256.
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise RuntimeError("Qt could not encode a PNG")
    buffer.close()
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """An ICO container of PNG images (read by Windows Vista and later).

    Layout: ICONDIR (reserved, type 1 = icon, count), one 16-byte ICONDIRENTRY per image
    (width and height as one byte, 0 meaning 256), then the PNG data.
    """
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, blobs = [], []
    for size, blob in sorted(pngs.items()):
        side = 0 if size >= 256 else size
        entries.append(struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(blob), offset))
        blobs.append(blob)
        offset += len(blob)
    return header + b"".join(entries) + b"".join(blobs)


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"render_icons: {SVG} is not a valid SVG", file=sys.stderr)
        return 1
    pngs: dict[int, bytes] = {}
    for size in PNG_SIZES:
        pngs[size] = png_bytes(render(renderer, size))
        target = ICON_DIR / f"desktop-chat-{size}.png"
        target.write_bytes(pngs[size])
        print(target.relative_to(ICON_DIR.parents[2]))
    ico = ICON_DIR / "desktop-chat.ico"
    ico.write_bytes(ico_bytes({size: pngs[size] for size in ICO_SIZES}))
    print(ico.relative_to(ICON_DIR.parents[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
