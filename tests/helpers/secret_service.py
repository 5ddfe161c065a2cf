"""A real Secret Service or a clear reason why not: tests marked ``keyring`` skip without one, and fail
instead under ``DESKTOP_CHAT_REQUIRE_SECRET_SERVICE=1`` (``scripts/test`` provides one, so nothing may skip)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import NoReturn

import pytest


def no_secret_service(why: str) -> NoReturn:
    """Skip (or fail, when one is required) the test, in one line."""
    reason = f"no Secret Service reachable ({why}); run under scripts/with-secret-service"
    if os.environ.get("DESKTOP_CHAT_REQUIRE_SECRET_SERVICE") == "1":
        pytest.fail(f"DESKTOP_CHAT_REQUIRE_SECRET_SERVICE=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def require_secret_service() -> None:
    """Go on only if a fresh process finds the keyring (nothing cached from earlier tests)."""
    probe = subprocess.run(
        [sys.executable, "-c", "from desktop_chat.core.secrets import open_secret_store as o; o()"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if probe.returncode != 0:
        no_secret_service(probe.stderr.strip())
