"""Fixtures shared by every test. Helper modules register their fixtures here."""

from __future__ import annotations

pytest_plugins: list[str] = [
    "tests.helpers.fake_openai",
    "tests.helpers.llama",
]
