"""Where the app keeps its files: one data folder, nothing outside it (the OS keyring aside)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "desktop-chat"
DATA_DIR_ENV = "DESKTOP_CHAT_HOME"
DATABASE_NAME = "desktop-chat.sqlite3"


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The ``--data-dir`` flag wins, then ``DESKTOP_CHAT_HOME``, then the platform's user data dir."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def database_path(folder: Path) -> Path:
    return folder / DATABASE_NAME


def log_path(folder: Path) -> Path:
    return folder / "logs" / f"{APP_NAME}.log"
