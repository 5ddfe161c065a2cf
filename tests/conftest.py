"""Fixtures shared by every test. Helper modules register their fixtures here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_chat.core.storage.store import Store

pytest_plugins: list[str] = [
    "tests.helpers.fake_openai",
    "tests.helpers.file_server",
    "tests.helpers.llama",
    "tests.helpers.x11",
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A real database file in a fresh data folder."""
    opened = Store.open(tmp_path / "data")
    yield opened
    opened.close()
