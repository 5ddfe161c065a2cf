"""Argument types for Qt signals that carry ids.

A Python ``int`` in a signal's signature is a 32-bit C int to Qt: temporary chats'
ids start at 10^12 and overflowed it, which crashed the process inside shiboken.
Every id therefore travels as a 64-bit ``qlonglong``. Typed ``Any`` because the
stubs accept only Python types in ``Signal(...)`` although PySide6 takes C++ names.
"""

from __future__ import annotations

from typing import Any

ID: Any = "qlonglong"  # a session or message id (64-bit)
