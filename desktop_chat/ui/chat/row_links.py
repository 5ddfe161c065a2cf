"""The names of a message row's version links (the arrows of "< 2/3 >", Delete version).

Apart from the message model so the window's version control (``window/versions.py``) can name
them without importing the model: the window's module is imported before the first paint, the
model (with the core's events and the Markdown renderer) only after it.
"""

from __future__ import annotations

OLDER_VERSION = "older-version"  # "<" of "< 2/3 >": the message's previous version
NEWER_VERSION = "newer-version"  # ">": its next version
DELETE_VERSION = "delete-version"  # delete the version shown (asks first)
VERSION_ACTIONS = (OLDER_VERSION, NEWER_VERSION, DELETE_VERSION)
