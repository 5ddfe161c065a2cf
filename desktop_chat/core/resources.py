"""Where the files shipped beside the code (encodings, icons) live, checked out or frozen."""

from __future__ import annotations

import sys
from pathlib import Path

# desktop_chat/core/resources.py -> the repository root is three levels up.
_REPO_ROOT = Path(__file__).resolve().parents[2]


def resources_dir() -> Path:
    """The ``resources`` directory of a checkout, or of a PyInstaller bundle.

    PyInstaller unpacks data files under ``sys._MEIPASS`` (onefile: a temp dir;
    onedir: ``_internal``), so the spec must add ``resources`` as ``resources``.
    """
    bundle = getattr(sys, "_MEIPASS", None)
    if isinstance(bundle, str):
        return Path(bundle) / "resources"
    return _REPO_ROOT / "resources"


# The PNG sizes rendered beside the application icon's SVG (scripts/render_icons.py writes them).
APP_ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def app_icon_dir() -> Path:
    """The application icon: ``desktop-chat.svg``, ``desktop-chat-<size>.png`` and ``desktop-chat.ico``."""
    return resources_dir() / "icons" / "app"
