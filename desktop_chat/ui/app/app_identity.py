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


def apply_identity(app: QApplication) -> None:
    # applicationDisplayName() follows the name. Setting the display name explicitly would make
    # Qt append " — Desktop Chat" to every window title, the main window's own "Desktop Chat — chat"
    # included. On X11 the name is also WM_CLASS's class, which the .desktop file's StartupWMClass names.
    app.setApplicationName(APP_DISPLAY_NAME)
    QGuiApplication.setApplicationVersion(VERSION)
    # Wayland's app_id and the taskbar's match with the .desktop file of the same name.
    QGuiApplication.setDesktopFileName(APP_ID)
    QApplication.setWindowIcon(app_icon())
