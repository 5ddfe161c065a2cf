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
