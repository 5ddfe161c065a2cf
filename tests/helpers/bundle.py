"""The PyInstaller bundle the packaging tests check, built once per run by the project's build command.

The build takes about a minute of one core (PyInstaller's analysis is single-threaded), while the rest of the
suite mostly leaves the second core idle. So when a run collects a test that needs the bundle, the build starts
in the background as the first test starts, and the ``bundle`` fixture waits for it: the same command, the same
checks of its result, only no longer a minute spent waiting for it alone.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from desktop_chat.core.about import APP_DISPLAY_NAME, VERSION

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT_S = 840


@dataclass
class _Build:
    base: Path
    process: subprocess.Popen[bytes]

    def output(self) -> tuple[str, str]:
        """What the build printed: (stdout, stderr)."""
        out, err = (self.base / name for name in ("build.out", "build.err"))
        return out.read_text(errors="replace"), err.read_text(errors="replace")


def _start(base: Path) -> _Build:
    with open(base / "build.out", "wb") as out, open(base / "build.err", "wb") as err:
        process = subprocess.Popen(
            [str(ROOT / "scripts" / "build"), "--dist", str(base / "dist"), "--work", str(base / "work")],
            stdout=out,
            stderr=err,
            start_new_session=True,  # its own process group: stopped as a whole if the run ends first
        )
    return _Build(base, process)


@pytest.fixture(scope="session", autouse=True)
def _bundle_build(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Build | None]:
    """The background build, started when the run holds a test that needs the bundle; else None."""
    if not any("bundle" in getattr(item, "fixturenames", ()) for item in request.session.items):
        yield None
        return
    build = _start(tmp_path_factory.mktemp("bundle"))
    yield build
    if build.process.poll() is None:  # the run ended (-x, Ctrl-C) before any test waited for it
        os.killpg(build.process.pid, signal.SIGTERM)
        build.process.wait(timeout=30)


@pytest.fixture(scope="module")
def bundle(_bundle_build: _Build | None) -> tuple[Path, Path]:
    """(the bundle folder, PyInstaller's work folder), built once by the project's build command."""
    assert _bundle_build is not None
    returncode = _bundle_build.process.wait(timeout=BUILD_TIMEOUT_S)
    stdout, stderr = _bundle_build.output()
    assert returncode == 0, stdout[-3000:] + stderr[-3000:]
    assert stdout.strip().endswith(f"{APP_DISPLAY_NAME} {VERSION}")  # the build's own --version check
    return _bundle_build.base / "dist" / "desktop-chat", _bundle_build.base / "work" / "build"
