"""Who the app is: its name, version and the application id the desktop knows it by."""

from __future__ import annotations

# The one place the version is written; pyproject.toml reads it from here.
VERSION = "0.1.0"
APP_DISPLAY_NAME = "Desktop Chat"
# Reverse-DNS id shared by the .desktop file, the AppStream metadata, the icon files and
# Qt's desktop file name (Wayland's app_id), so the shell matches the window to its launcher.
APP_ID = "io.github.desktopchat.DesktopChat"
