"""Window tests: the fixtures of tests/helpers/window.py and app.py; the offscreen platform's noise ignored."""

from __future__ import annotations

import pytest

from tests.helpers.app import open_app
from tests.helpers.window import open_window, qloop

__all__ = ["open_app", "open_window", "qloop"]  # the fixtures, registered here so Qt stays out of the core tests

# The offscreen platform cannot propagate a window's size hints and says so whenever a
# layout changes the window's minimum size; that is the test platform talking, not the app.
OFFSCREEN_NOISE = r"This plugin does not support propagateSizeHints\(\)"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/ui/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))
