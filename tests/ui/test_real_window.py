"""The real program on a real X server: type with xdotool as a person would; the reply reaches the database."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from desktop_chat.core.models import MessageStatus, Role
from desktop_chat.core.storage.store import Store
from tests.helpers.cli import command
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.workspace import prepare_profile
from tests.helpers.x11 import xdotool as _xdotool

pytestmark = pytest.mark.slow


def _wait(condition: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _reply(folder: Path) -> list[tuple[Role, str, MessageStatus]]:
    store = Store.open(folder)
    try:
        return [
            (m.role, m.content, m.status) for s in store.sessions.list_by_activity() for m in store.messages.all(s.id)
        ]
    finally:
        store.close()


def test_typing_in_the_real_window_sends_and_the_reply_is_saved(
    x_display: dict[str, str], tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    folder = tmp_path / "data"
    prepare_profile(folder, fake_openai)
    env = {**x_display, "PYTHONPATH": str(Path.cwd())}
    app = subprocess.Popen(
        command(folder),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # The title names the open chat once the workspace is attached.
        _wait(lambda: _xdotool(env, "search", "--onlyvisible", "--name", "Desktop Chat — "), 30, "the window")
        window = _xdotool(env, "search", "--onlyvisible", "--name", "Desktop Chat — ").splitlines()[0]
        _xdotool(env, "windowactivate", "--sync", window)
        time.sleep(0.5)
        _xdotool(env, "type", "--delay", "20", "hello from the keyboard")
        _xdotool(env, "key", "Return")
        expected = (Role.ASSISTANT, "You said: hello from the keyboard", MessageStatus.COMPLETE)
        _wait(lambda: expected in _reply(folder), 20, "the reply in the database")
        shot = tmp_path / "window.png"
        if shutil.which("import"):
            subprocess.run(["import", "-window", "root", str(shot)], env=env, check=False, timeout=20)
        _xdotool(env, "key", "ctrl+q")
        assert app.wait(20) == 0
    finally:
        if app.poll() is None:
            app.kill()
        _out, err = app.communicate(timeout=10)
    assert (Role.USER, "hello from the keyboard", MessageStatus.COMPLETE) in _reply(folder)
    assert "Traceback" not in err, err
