"""A real X server for tests: Xvfb on a free display, with openbox as a desktop's window manager.

Registered in tests/conftest.py: ask for the ``x_display`` fixture to get the environment
(``DISPLAY`` set, ``QT_QPA_PLATFORM`` removed) of a fresh server, stopped after the test.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

TOOLS = ("Xvfb", "xdotool")


def _wait_for_display(displayfd: int, server: subprocess.Popen[bytes], seconds: float = 10) -> int:
    """The display number Xvfb writes to ``displayfd`` once it accepts connections."""
    got = b""
    deadline = time.monotonic() + seconds
    while not got.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([displayfd], [], [], left)[0]:
            raise RuntimeError("Xvfb did not start")
        chunk = os.read(displayfd, 64)
        if not chunk:  # it exited
            raise RuntimeError(f"Xvfb did not start (exit code {server.wait(5)})")
        got += chunk
    return int(got)


@contextmanager
def x_server() -> Iterator[dict[str, str]]:
    """A fresh Xvfb (with openbox when installed) for the block: the environment to run programs on it.

    Xvfb picks a free display number itself (``-displayfd``) and takes it with its lock file, so two runs (or two
    pytest-xdist workers) starting servers at once never pick the same one.
    """
    read_end, write_end = os.pipe()
    try:
        server = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(write_end,),
        )
    finally:
        os.close(write_end)
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    children = [server]
    try:
        try:
            env["DISPLAY"] = f":{_wait_for_display(read_end, server)}"
        finally:
            os.close(read_end)
        if shutil.which("openbox"):
            # A window manager gives the window keyboard focus the way a desktop does.
            children.append(
                subprocess.Popen(["openbox"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            )
            time.sleep(0.5)
        yield env
    finally:
        for child in reversed(children):
            child.terminate()
            child.wait(10)


@pytest.fixture
def x_display() -> Iterator[dict[str, str]]:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (apt-get install xvfb xdotool)")
    with x_server() as env:
        yield env


def xdotool(env: dict[str, str], *args: str) -> str:
    return subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True, check=False).stdout.strip()
