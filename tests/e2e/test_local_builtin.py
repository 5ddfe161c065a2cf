"""The built-in profile end to end: the real CLI, the real llama.cpp child, the starter model, no key, no network.

Each test starts its own server through the app (not the session's ``llama_server``):
what is tested is that the app starts, uses and ends it by itself.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop_chat.core.errors import LocalModelError
from desktop_chat.core.models import MessageStatus
from desktop_chat.core.providers.local.builtin import LocalModels
from desktop_chat.core.providers.local.child import CHILD_FLAG
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.store import Store
from tests.helpers.cli import command

pytestmark = pytest.mark.llama

# Anything that tried to reach OpenAI would fail: the built-in profile must not need it.
OFFLINE_ENV = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "NO_PROXY": "*"}
CHILD_MARK = CHILD_FLAG.encode()  # the entry point the app starts its server with


def app_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    return {**env, **OFFLINE_ENV}


def send(data: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command(data, "send", *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=app_env(),
    )


def servers_of(parent_pid: int) -> list[int]:
    """Live llama.cpp children started by ``parent_pid`` (found by their ``--parent-pid`` argument)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state == "Z" or CHILD_MARK not in argv:
            continue
        if b"--parent-pid" in argv and argv[argv.index(b"--parent-pid") + 1] == str(parent_pid).encode():
            found.append(int(entry.name))
    return found


def wait_for(check: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_send_with_profile_local_streams_a_reply_from_a_clean_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc = send(data, "--new", "Say hello in five words.", "--profile", "local")
    seen: set[int] = set()
    while proc.poll() is None and not seen:  # the app's own server, seen while the reply streams
        seen.update(servers_of(proc.pid))
        time.sleep(0.05)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert out.strip(), err
    assert "starting the built-in model" in err
    assert seen, "no llama.cpp child was seen while the reply streamed"
    assert wait_for(lambda: not any(_alive(pid) for pid in seen), 10), f"server {seen} outlived the app"
    store = Store.open(data)
    try:
        session = store.sessions.get(1)
        reply = store.messages.all(1)[-1]
    finally:
        store.close()
    assert session.profile == "Local (built-in)"
    assert reply.status is MessageStatus.COMPLETE and reply.content.strip() == out.strip()


def test_sigkill_of_the_app_leaves_no_server_process(tmp_path: Path) -> None:
    proc = send(tmp_path / "data", "--new", "Write a long story about a lighthouse keeper.", "--profile", "local")
    try:
        assert wait_for(lambda: bool(servers_of(proc.pid)), 60), "the app never started its server"
        children = servers_of(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    # The child no longer has that parent id, so look it up by pid.
    assert wait_for(lambda: not any(_alive(pid) for pid in children), 10), f"server {children} outlived the app"


def test_a_bogus_model_path_is_one_clear_line_on_the_terminal(tmp_path: Path) -> None:
    data = tmp_path / "data"
    bogus = tmp_path / "nope.gguf"
    setting = subprocess.run(
        [
            sys.executable,
            "-m",
            "desktop_chat",
            "--data-dir",
            str(data),
            "config",
            "set",
            "local_model_file",
            f"{bogus}",
        ],
        capture_output=True,
        text=True,
        env=app_env(),
        check=False,
    )
    assert setting.returncode == 0, setting.stderr
    proc = send(data, "--new", "hi", "--profile", "local")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    lines = [line for line in err.splitlines() if line.startswith("desktop-chat:")]
    assert any(f"Local model file not found: {bogus}" in line for line in lines), err
    assert "Traceback" not in err


def test_a_server_that_died_is_restarted_once_then_reported(tmp_path: Path) -> None:
    local = LocalModels()
    settings = Settings()
    try:
        first = local.ensure(settings)
        pid = local.pid
        assert pid is not None and first.startswith("http://127.0.0.1:")
        os.kill(pid, signal.SIGKILL)
        assert wait_for(lambda: local.pid is None, 10)
        local.ensure(settings)
        second = local.pid
        assert second is not None and second != pid
        os.kill(second, signal.SIGKILL)
        assert wait_for(lambda: local.pid is None, 10)
        with pytest.raises(LocalModelError, match="not restarted a second time"):
            local.ensure(settings)
    finally:
        local.close()
    assert local.pid is None


def test_workspace_aclose_stops_the_server(tmp_path: Path) -> None:
    from desktop_chat.core.bootstrap import open_workspace

    workspace = open_workspace(tmp_path / "data", environ={})
    workspace.set_active_profile("Local (built-in)")

    async def go() -> int | None:
        session = workspace.new_session()
        async for _ in workspace.send(session.id, "Hi"):
            pass
        pid = workspace.local_model_pid
        await workspace.aclose()
        return pid

    try:
        pid = asyncio.run(go())
    finally:
        workspace.close()
    assert pid is not None
    assert wait_for(lambda: not _alive(pid), 10)


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
