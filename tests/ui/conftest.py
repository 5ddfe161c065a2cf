"""Window tests: the fixtures of tests/helpers/window.py and app.py; the offscreen platform's noise ignored."""

from __future__ import annotations

import pytest

from tests.helpers.app import open_app
from tests.helpers.waiting import until
from tests.helpers.window import Harness, data_dir, open_window, qloop

# The fixtures, and (Harness, data_dir, until) names tests/ui/test_sidebar.py still imports from here: it is
# rewritten on its own branch; drop those three once it imports them from tests.helpers.window / .waiting.
__all__ = ["Harness", "data_dir", "open_app", "open_window", "qloop", "until"]

# The offscreen platform cannot propagate a window's size hints and says so whenever a
# layout changes the window's minimum size; that is the test platform talking, not the app.
OFFSCREEN_NOISE = r"This plugin does not support propagateSizeHints\(\)"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/ui/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))
