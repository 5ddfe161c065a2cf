"""Fixtures shared by every test. Helper modules register their fixtures here."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_chat.core.storage.store import Store

pytest_plugins: list[str] = [
    "tests.helpers.bundle",
    "tests.helpers.fake_openai",
    "tests.helpers.file_server",
    "tests.helpers.llama",
    "tests.helpers.qt_garbage",
    "tests.helpers.x11",
]


def pytest_configure(config: pytest.Config) -> None:
    """Every process the tests start compiles each module once per run, into a bytecode cache of its own.

    The suite starts several hundred ``desktop-chat`` processes. Without a bytecode cache beside the checkout
    (a fresh clone, or ``PYTHONDONTWRITEBYTECODE=1``, which the 2-core test machine sets) each of them compiled
    ~120 modules from source, ~0.15 s a start. ``PYTHONPYCACHEPREFIX`` puts the cache in a temporary folder,
    so nothing is written into the checkout; the code that runs is the same.
    """
    if os.environ.get("PYTHONPYCACHEPREFIX"):
        return  # the runner chose a cache of its own
    folder = tempfile.mkdtemp(prefix="desktop-chat-tests-pycache-")
    config.stash[_PYCACHE] = folder
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = folder


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(_PYCACHE, None)
    if folder is not None:
        del os.environ["PYTHONPYCACHEPREFIX"]
        shutil.rmtree(folder, ignore_errors=True)


_PYCACHE = pytest.StashKey[str]()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A real database file in a fresh data folder."""
    opened = Store.open(tmp_path / "data")
    yield opened
    opened.close()
