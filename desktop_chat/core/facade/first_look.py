"""The window's first look at a data folder, answered without the workspace (``storage/glance.py`` reads it).

The one read a front end makes before the workspace exists: the workspace's ~130 modules are what the first
look is there to avoid loading. It only reads; the workspace opens the same chat a moment later
(``Chats.chat_to_reopen`` follows the same rule).
"""

from __future__ import annotations

from pathlib import Path

from desktop_chat.core.paths import database_path
from desktop_chat.core.storage.glance import Glance, GlancedMessage, read_glance

__all__ = ["Glance", "GlancedMessage", "first_look"]


def first_look(data_dir: Path, last: int | None, limit: int) -> Glance | None:
    """The chat to reopen in ``data_dir`` (``last``: the one open at the last close) and its newest ``limit``
    messages; None when there is nothing to show or the workspace has something to say first."""
    return read_glance(database_path(data_dir), last, limit)
