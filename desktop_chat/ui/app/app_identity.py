"""Tell the OS who the app is: its name, version, desktop id and window icon."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from desktop_chat.core.about import APP_DISPLAY_NAME, APP_ID, VERSION
from desktop_chat.core.resources import APP_ICON_SIZES, app_icon_dir


def app_icon() -> QIcon:
    """The application icon: hand-tuned PNGs for the usual sizes, the SVG for any other.

    QIcon only records the file names here; nothing is decoded until a size is asked for,
    so this costs the first paint nothing.
    """
    folder = app_icon_dir()
    icon = QIcon()
    for size in APP_ICON_SIZES:
        png = folder / f"desktop-chat-{size}.png"
        if png.is_file():
            icon.addFile(str(png))
    svg = folder / "desktop-chat.svg"
    if svg.is_file():
        icon.addFile(str(svg))
    return icon


def apply_identity(app: QApplication, *, icon: bool = True) -> None:
    """Name, version, desktop id and (``icon``) the window icon. The launcher sets the icon after the first
    paint (``apply_window_icon``): on X11 Qt hands the window manager every size at once, decoding all the
    PNGs and the SVG (~10 ms of CPU) before the window can map; the icon shows a moment later instead."""
    # applicationDisplayName() follows the name. Setting the display name explicitly would make
    # Qt append " — Desktop Chat" to every window title, the main window's own "Desktop Chat — chat"
    # included. On X11 the name is also WM_CLASS's class, which the .desktop file's StartupWMClass names.
    app.setApplicationName(APP_DISPLAY_NAME)
    QGuiApplication.setApplicationVersion(VERSION)
    # Wayland's app_id and the taskbar's match with the .desktop file of the same name.
    QGuiApplication.setDesktopFileName(APP_ID)
    if icon:
        apply_window_icon()


def apply_window_icon() -> None:
    """The icon of every window (those shown already too)."""
    QApplication.setWindowIcon(app_icon())
