"""A real X server for tests: Xvfb on a free display, with openbox as a desktop's window manager.

Registered in tests/conftest.py: ask for the ``x_display`` fixture to get the environment
(``DISPLAY`` set, ``QT_QPA_PLATFORM`` removed) of a fresh server, stopped after the test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

TOOLS = ("Xvfb", "xdotool")


def _free_display() -> int:
    for number in range(60, 100):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            return number
    raise RuntimeError("no free X display number")


@contextmanager
def x_server() -> Iterator[dict[str, str]]:
    """A fresh Xvfb (with openbox when installed) for the block: the environment to run programs on it."""
    number = _free_display()
    server = subprocess.Popen(
        ["Xvfb", f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env["DISPLAY"] = f":{number}"
    children = [server]
    try:
        deadline = time.monotonic() + 10
        while subprocess.run(["xdotool", "getdisplaygeometry"], env=env, capture_output=True, check=False).returncode:
            if time.monotonic() > deadline:
                raise RuntimeError("Xvfb did not start")
            time.sleep(0.1)
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``--dist loadgroup``) the tests that use x_display run on one worker:

    two workers could pick the same free display number.
    """
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        if "x_display" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("x11"))
