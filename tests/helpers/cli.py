"""The command line as a user runs it: ``cli()`` starts a real ``desktop-chat`` process; ``cli_in_process()`` calls
the same entry point in this process (for tests that seed and inspect the store between calls, cheaply).

The child gets this checkout on its ``PYTHONPATH`` and neither ``OPENAI_API_KEY`` nor ``DESKTOP_CHAT_HOME``
from the environment the tests run in: the data folder is the one the test names, the key the one it sets.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.helpers.controller import MODEL, UPKEEP_MODEL
from tests.helpers.fake_openai import FakeOpenAIServer

CHECKOUT = Path(__file__).resolve().parents[2]
NOT_INHERITED = ("OPENAI_API_KEY", "DESKTOP_CHAT_HOME")


def command(data: Path | None, *args: str) -> list[str]:
    """``desktop-chat [--data-dir DATA] ARGS`` (for tests that need a ``Popen``)."""
    folder = ["--data-dir", str(data)] if data is not None else []
    return [sys.executable, "-m", "desktop_chat", *folder, *args]


def cli_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The child's environment: ours without a key or a data folder, this checkout importable, then ``env``."""
    environment = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CHECKOUT), os.environ.get("PYTHONPATH")]))
    environment.update(env or {})
    return environment


def cli(
    data: Path,
    *args: str,
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
    home: bool = False,
    umask: int | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run ``desktop-chat`` on the data folder ``data`` and wait for it; never raises on a failing exit.

    ``home``: name the folder with ``DESKTOP_CHAT_HOME`` instead of ``--data-dir``. ``umask``: the child's
    (default: the tests' own).
    """
    if home:
        argv, env = command(None, *args), {"DESKTOP_CHAT_HOME": str(data), **(env or {})}
    else:
        argv = command(data, *args)
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        env=cli_env(env),
        input=stdin,
        timeout=timeout,
        check=False,
        umask=-1 if umask is None else umask,
    )


def cli_in_process(capsys: pytest.CaptureFixture[str], data: Path, *args: str) -> tuple[int, str, str]:
    """The exit code, stdout and stderr of ``desktop-chat --data-dir DATA ARGS`` run in this process."""
    from desktop_chat.cli import run

    code = run(["--data-dir", str(data), *args])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(stderr: str) -> str:
    """The one line an error is told in (no traceback, nothing else)."""
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def configure_cli(data: Path, server: FakeOpenAIServer, *, needs_key: bool = False, name: str = "Test") -> None:
    """Point a data folder's settings at the fake server, as a user would with the CLI."""
    from desktop_chat.cli import run

    args = ["--data-dir", str(data), "profiles", "add", name, "--base-url", server.base_url]
    args += ["--model", MODEL, "--summary-model", UPKEEP_MODEL, "--context-window", "8192", "--activate"]
    if not needs_key:
        args.append("--no-key")
    assert run(args) == 0
    assert run(["--data-dir", str(data), "config", "set", "default_strategy", "full"]) == 0
