"""Spare every later import PySide6's source scan for ``from __feature__ import``.

Once imported, PySide6 replaces ``builtins.__import__`` so that modules may opt in to its
``__feature__`` options (``snake_case``, ``true_property``). To know which modules might, it reads
the source of every module imported after it (``inspect.getsource``) and looks for "PySide6" in
it: ~0.2 ms a module, ~50 ms of the window's start over ~300 modules, half of it before the last
chat shows. Desktop Chat opts in to no feature, so every module gets PySide's default selection:
the answer the scan gives for any module that uses PySide. The scan is told so up front.
"""

from __future__ import annotations

import sys


def skip_feature_scan() -> bool:
    """Answer the scan without reading sources; False when this PySide6 has no such scan (nothing to skip)."""
    feature = sys.modules.get("shibokensupport.feature")  # PySide6's own (embedded) support module
    if feature is None or not callable(getattr(feature, "_mod_uses_pyside", None)):
        return False
    setattr(feature, "_mod_uses_pyside", _uses_default_features)  # noqa: B010 - private: checked for above
    return True


def _uses_default_features(_module: object) -> bool:
    return True  # what the scan finds for a module using PySide: the default feature selection (id 0)
