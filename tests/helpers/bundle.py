"""The PyInstaller bundle the packaging tests check, built once per run by the project's build command.

The build takes about a minute of one core (PyInstaller's analysis is single-threaded), while the rest of the
suite mostly leaves the second core idle. So when a run collects a test that needs the bundle, the build starts
in the background as the first test starts, and the ``bundle`` fixture waits for it: the same command, the same
checks of its result, only no longer a minute spent waiting for it alone.

Under pytest-xdist (``-n 2``) every worker collects every test, so each would start a build: the first worker to
claim the folder the controller names starts the one build, and whichever worker runs a bundle test waits for
its exit code there. The controller stops a build nobody waited for when the run ends.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from desktop_chat.core.about import APP_DISPLAY_NAME, VERSION

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT_S = 840
SHARED = "desktop_chat_bundle"  # the key of the shared folder in an xdist worker's input
# The build's exit code, written to a file beside its output, so that a worker other than the one that started
# it can wait for it too.
_RECORD = 'base=$1; shift; "$@"; echo $? >"$base/returncode.part"; mv "$base/returncode.part" "$base/returncode"'


@dataclass
class _Build:
    base: Path
    process: subprocess.Popen[bytes] | None  # None: another xdist worker started it

    def wait(self, timeout: float) -> int:
        """The build's exit code, once it ended."""
        if self.process is not None:
            code = self.process.wait(timeout=timeout)
            if not (self.base / "returncode").exists():  # stopped before it could say
                return code
        deadline = time.monotonic() + timeout
        while not (self.base / "returncode").exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"the bundle's build did not end within {timeout:.0f} s")
            time.sleep(0.5)
        return int((self.base / "returncode").read_text())

    def output(self) -> tuple[str, str]:
        """What the build printed: (stdout, stderr)."""
        out, err = (self.base / name for name in ("build.out", "build.err"))
        return out.read_text(errors="replace"), err.read_text(errors="replace")


def _start(base: Path) -> _Build:
    build = [str(ROOT / "scripts" / "build"), "--dist", str(base / "dist"), "--work", str(base / "work")]
    with open(base / "build.out", "wb") as out, open(base / "build.err", "wb") as err:
        process = subprocess.Popen(
            ["sh", "-c", _RECORD, "sh", str(base), *build],
            stdout=out,
            stderr=err,
            start_new_session=True,  # its own process group: stopped as a whole if the run ends first
        )
    (base / "pid").write_text(str(process.pid))
    return _Build(base, process)


def _stop(base: Path) -> None:
    """Stop the build started in ``base`` unless it ended."""
    pid = base / "pid"
    if pid.exists() and not (base / "returncode").exists():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(int(pid.read_text()), signal.SIGTERM)


@pytest.fixture(scope="session", autouse=True)
def _bundle_build(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Build | None]:
    """The background build, started when the run holds a test that needs the bundle; else None."""
    if not any("bundle" in getattr(item, "fixturenames", ()) for item in request.session.items):
        yield None
        return
    shared = getattr(request.config, "workerinput", {}).get(SHARED)
    if shared is not None:
        base = Path(shared) / "build"
        try:
            base.mkdir()
        except FileExistsError:
            yield _Build(base, None)
        else:
            yield _start(base)  # not stopped here: another worker may wait for it (the controller stops it)
        return
    build = _start(tmp_path_factory.mktemp("bundle"))
    yield build
    assert build.process is not None
    if build.process.poll() is None:  # the run ended (-x, Ctrl-C) before any test waited for it
        os.killpg(build.process.pid, signal.SIGTERM)
        build.process.wait(timeout=30)


@pytest.fixture(scope="module")
def bundle(_bundle_build: _Build | None) -> tuple[Path, Path]:
    """(the bundle folder, PyInstaller's work folder), built once by the project's build command."""
    assert _bundle_build is not None
    returncode = _bundle_build.wait(timeout=BUILD_TIMEOUT_S)
    stdout, stderr = _bundle_build.output()
    assert returncode == 0, stdout[-3000:] + stderr[-3000:]
    assert stdout.strip().endswith(f"{APP_DISPLAY_NAME} {VERSION}")  # the build's own --version check
    return _bundle_build.base / "dist" / "desktop-chat", _bundle_build.base / "work" / "build"


_SHARED_FOLDER = pytest.StashKey[Path]()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: object) -> None:
    """xdist's controller: one folder, the same for every worker, where the one build goes."""
    config: pytest.Config = node.config  # type: ignore[attr-defined]
    if _SHARED_FOLDER not in config.stash:
        config.stash[_SHARED_FOLDER] = Path(tempfile.mkdtemp(prefix="desktop-chat-bundle-"))
    node.workerinput[SHARED] = str(config.stash[_SHARED_FOLDER])  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(_SHARED_FOLDER, None)
    if folder is not None:  # the xdist controller, after every worker ended
        _stop(folder / "build")
        shutil.rmtree(folder, ignore_errors=True)
