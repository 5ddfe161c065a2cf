"""``desktop-chat --self-test`` as a user runs it, and reading its report (the source install and the bundle)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CHECKS = ["window", "tokens", "database", "recall by meaning", "keyring", "local model"]


def desktop_chat(*args: str, env: dict[str, str] | None = None, prelude: str = "") -> subprocess.CompletedProcess[str]:
    # ``prelude`` runs first in the child: a way to take a part away as a broken install would.
    code = f"{prelude}\nimport sys\nfrom desktop_chat.app import main\nsys.exit(main({list(args)!r}))"
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=180,
        check=False,
    )


def outcomes(stdout: str) -> dict[str, str]:
    """{check name: outcome} from the self-test's lines ``ok    window: ...``."""
    found = {}
    for line in stdout.splitlines():
        outcome, _, rest = line.partition("  ")
        name, sep, _detail = rest.strip().partition(": ")
        if sep and outcome.strip() in {"ok", "FAIL", "skip", "WARN"}:
            found[name] = outcome.strip()
    return found


def isolated(tmp_path: Path) -> dict[str, str]:
    """A private temp dir and user data dir, so the test sees what the self-test leaves behind."""
    (tmp_path / "tmp").mkdir()
    return {"TMPDIR": str(tmp_path / "tmp"), "DESKTOP_CHAT_HOME": str(tmp_path / "home")}
