"""`desktop-chat send / models / key / profiles` as a user runs them: real processes against the fake server."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_chat.core.models import MessageStatus
from desktop_chat.core.storage.store import Store
from tests.helpers.cli import cli, configure_cli, one_line
from tests.helpers.fake_openai import FakeOpenAIServer, Fault
from tests.helpers.secret_service import require_secret_service

KEY = "sk-test-cli0123456789abcdefghijklmnop"  # a fake key for tests
FAIL_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


@pytest.fixture
def data(tmp_path: Path, fake_openai: FakeOpenAIServer) -> Path:
    folder = tmp_path / "data"
    configure_cli(folder, fake_openai)
    return folder


def messages(data: Path, session_id: int) -> list[tuple[str, str, MessageStatus]]:
    store = Store.open(data)
    try:
        return [(m.role.value, m.content, m.status) for m in store.messages.all(session_id)]
    finally:
        store.close()


def test_send_new_streams_the_reply_and_exits_0(data: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply(chunks=["Hello ", "from ", "the ", "model."])
    result = cli(data, "send", "--new", "hello there")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Hello from the model.\n"
    assert one_line(result.stderr) == "session 1"
    assert messages(data, 1) == [
        ("user", "hello there", MessageStatus.COMPLETE),
        ("assistant", "Hello from the model.", MessageStatus.COMPLETE),
    ]
    # The next message in the same chat carries the history.
    follow = cli(data, "send", "1", "and again")
    assert follow.returncode == 0, follow.stderr
    assert follow.stderr == ""
    sent = fake_openai.chat_requests[-1].body["messages"]
    assert [m["content"] for m in sent] == ["hello there", "Hello from the model.", "and again"]


@pytest.mark.slow
def test_failure_exits_1_with_one_line_and_retry_sends_it_again(data: Path, fake_openai: FakeOpenAIServer) -> None:
    assert cli(data, "send", "--new", "first").returncode == 0
    fake_openai.fail(Fault.UNAUTHORIZED)
    failed = cli(data, "send", "1", "What is the capital of Portugal?")
    assert failed.returncode == 1
    line = one_line(failed.stderr)
    assert "rejected the API key" in line
    assert "desktop-chat send 1 --retry" in line
    assert messages(data, 1)[-2:] == [
        ("user", "What is the capital of Portugal?", MessageStatus.COMPLETE),
        ("assistant", "", MessageStatus.FAILED),
    ]

    fake_openai.reply("Lisbon.")
    retried = cli(data, "send", "1", "--retry")
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout == "Lisbon.\n"
    assert messages(data, 1)[-2:] == [
        ("user", "What is the capital of Portugal?", MessageStatus.COMPLETE),
        ("assistant", "Lisbon.", MessageStatus.COMPLETE),
    ]
    nothing = cli(data, "send", "1", "--retry")
    assert nothing.returncode == 1
    assert "nothing to retry" in one_line(nothing.stderr)


# The command as a terminal starts it: Ctrl-C raises KeyboardInterrupt. A shell starts a background job
# (`pytest ... &`, nohup) with SIGINT ignored and children inherit that, so the child sets the handler
# Python installs at startup when SIGINT is not ignored (run_module then runs `python -m desktop_chat`).
AS_FROM_A_TERMINAL = (
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('desktop_chat', run_name='__main__', alter_sys=True)"
)


def test_ctrl_c_stops_the_reply_saves_it_and_exits_130(data: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.fail(Fault.FOREVER, interval=0.05)
    proc = subprocess.Popen(
        [sys.executable, "-c", AS_FROM_A_TERMINAL, "--data-dir", str(data), "send", "--new", "never stop"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    out = b""
    deadline = time.monotonic() + 30
    try:
        # Output arrives while the reply streams: that is what flushing per delta is for.
        while b"tick5 " not in out:
            assert time.monotonic() < deadline, out
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if ready:
                out += os.read(proc.stdout.fileno(), 4096)
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130
    assert "stopped" in one_line(err.decode().replace("session 1\n", ""))
    assert fake_openai.disconnected.wait(5)
    printed = (out + rest).decode().strip()
    reply = messages(data, 1)[-1]
    assert reply[2] is MessageStatus.STOPPED
    assert reply[1].strip() == printed


def test_send_usage_errors_exit_2(data: Path) -> None:
    assert cli(data, "send", "hello").returncode == 2  # no session, no --new
    assert cli(data, "send", "1", "--temporary", "hi").returncode == 2
    assert cli(data, "send", "--new", "--retry").returncode == 2


def test_temporary_send_leaves_no_chat_behind(data: Path, fake_openai: FakeOpenAIServer) -> None:
    result = cli(data, "send", "--new", "--temporary", "secret plans")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "You said: secret plans\n"
    listed = cli(data, "sessions", "--json")
    assert json.loads(listed.stdout) == []


def test_models_lists_what_the_server_serves(data: Path, fake_openai: FakeOpenAIServer) -> None:
    result = cli(data, "models", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ["fake-gpt", "fake-mini"]
    plain = cli(data, "models")
    assert "fake-gpt  (default)" in plain.stdout


def test_profiles_lists_and_adds(data: Path) -> None:
    added = cli(data, "profiles", "add", "Local", "--preset", "ollama", "--model", "qwen3")
    assert added.returncode == 0, added.stderr
    profiles = json.loads(cli(data, "profiles", "--json").stdout)
    local = next(p for p in profiles if p["name"] == "Local")
    assert (local["base_url"], local["default_model"], local["needs_key"], local["active"]) == (
        "http://localhost:11434/v1",
        "qwen3",
        False,
        False,
    )
    assert next(p for p in profiles if p["active"])["name"] == "Test"
    again = cli(data, "profiles", "add", "Local", "--preset", "ollama")
    assert again.returncode == 1
    assert "already" in one_line(again.stderr)


# --- keys ---------------------------------------------------------------------------------


@pytest.fixture
def keyed_server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(api_key=KEY) as server:
        yield server


@pytest.fixture
def keyed_data(tmp_path: Path, keyed_server: FakeOpenAIServer) -> Path:
    folder = tmp_path / "keyed"
    configure_cli(folder, keyed_server, needs_key=True, name=f"cli-test-{uuid.uuid4().hex[:8]}")
    return folder


def _profile_name(data: Path) -> str:
    store = Store.open(data)
    try:
        return store.settings.load().active_profile
    finally:
        store.close()


def test_without_a_keyring_the_key_comes_from_openai_api_key(keyed_data: Path, keyed_server: FakeOpenAIServer) -> None:
    # The environment's key goes to the OPENAI_BASE_URL set beside it (here the profile's URL), nowhere else.
    env = {**FAIL_KEYRING, "OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": keyed_server.base_url}
    result = cli(keyed_data, "send", "--new", "hello", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "You said: hello\n"


def test_without_a_keyring_or_env_key_one_clear_line(keyed_data: Path, keyed_server: FakeOpenAIServer) -> None:
    result = cli(keyed_data, "send", "--new", "hello again", env=FAIL_KEYRING)
    assert result.returncode == 1
    assert result.stderr.startswith("session 1\n")
    line = one_line(result.stderr.removeprefix("session 1\n"))
    assert "keyring" in line
    assert "OPENAI_API_KEY" in line
    assert keyed_server.chat_requests == []  # nothing was sent without a key
    assert messages(keyed_data, 1)[-1] == ("user", "hello again", MessageStatus.COMPLETE)


def test_key_is_never_taken_from_the_command_line(keyed_data: Path) -> None:
    result = cli(keyed_data, "key", "set", _profile_name(keyed_data), KEY)
    assert result.returncode == 2
    assert KEY not in result.stderr


def test_key_set_without_a_keyring_says_so_in_one_line(keyed_data: Path) -> None:
    result = cli(keyed_data, "key", "set", _profile_name(keyed_data), stdin=KEY + "\n", env=FAIL_KEYRING)
    assert result.returncode == 1
    assert "keyring" in one_line(result.stderr).lower()
    assert KEY not in result.stdout + result.stderr


def _require_secret_service(data: Path) -> None:
    # Deleting a key succeeds without a keyring too (there may be a key file): ask for the keyring itself.
    require_secret_service()


@pytest.mark.keyring
def test_key_set_reads_stdin_never_echoes_and_send_uses_it(keyed_data: Path, keyed_server: FakeOpenAIServer) -> None:
    _require_secret_service(keyed_data)
    profile = _profile_name(keyed_data)
    try:
        saved = cli(keyed_data, "key", "set", profile, stdin=KEY + "\n")
        assert saved.returncode == 0, saved.stderr
        assert KEY not in saved.stdout + saved.stderr
        assert "Saved the API key" in saved.stdout

        sent = cli(keyed_data, "send", "--new", "hello")
        assert sent.returncode == 0, sent.stderr
        assert keyed_server.chat_requests[-1].authorization == f"Bearer {KEY}"
        assert KEY not in sent.stdout + sent.stderr
    finally:
        deleted = cli(keyed_data, "key", "delete", profile)
    assert deleted.returncode == 0
    assert "Deleted" in deleted.stdout
    assert "No API key" in cli(keyed_data, "key", "delete", profile).stdout


@pytest.mark.keyring
def test_profiles_rm_also_deletes_the_stored_key(keyed_data: Path) -> None:
    _require_secret_service(keyed_data)
    profile = _profile_name(keyed_data)
    try:
        assert cli(keyed_data, "key", "set", profile, stdin=KEY + "\n").returncode == 0
        removed = cli(keyed_data, "profiles", "rm", profile)
        assert removed.returncode == 0, removed.stderr
        assert "and its stored API key" in removed.stderr
    finally:
        leftover = cli(keyed_data, "key", "delete", profile)
    # The profile is gone, so `key delete` refuses the name or finds nothing: either way no key is left.
    assert "Deleted" not in leftover.stdout


def test_key_set_file_without_a_keyring_keeps_a_0600_file_that_send_uses(
    keyed_data: Path, keyed_server: FakeOpenAIServer
) -> None:
    no_dbus = {**FAIL_KEYRING, "DBUS_SESSION_BUS_ADDRESS": ""}
    refused = cli(keyed_data, "key", "set", _profile_name(keyed_data), stdin=KEY + "\n", env=no_dbus)
    assert refused.returncode == 1
    assert "--file" in one_line(refused.stderr) and KEY not in refused.stderr  # the choice, named

    saved = cli(keyed_data, "key", "set", _profile_name(keyed_data), "--file", stdin=KEY + "\n", env=no_dbus)
    assert saved.returncode == 0, saved.stderr
    key_file = keyed_data / "api-keys.json"
    assert "not encrypted" in saved.stdout and str(key_file) in saved.stdout and KEY not in saved.stdout
    assert key_file.stat().st_mode & 0o777 == 0o600

    sent = cli(keyed_data, "send", "--new", "hello", env=no_dbus)
    assert sent.returncode == 0, sent.stderr
    assert keyed_server.chat_requests[-1].authorization == f"Bearer {KEY}"
    others = [p for p in keyed_data.rglob("*") if p.is_file() and p != key_file]
    assert all(KEY.encode() not in p.read_bytes() for p in others)  # not in the database or the logs

    deleted = cli(keyed_data, "key", "delete", _profile_name(keyed_data), env=no_dbus)
    assert deleted.returncode == 0 and not key_file.exists()


def test_a_renamed_profile_keeps_its_key(keyed_data: Path, keyed_server: FakeOpenAIServer) -> None:
    no_dbus = {**FAIL_KEYRING, "DBUS_SESSION_BUS_ADDRESS": ""}
    old = _profile_name(keyed_data)
    saved = cli(keyed_data, "key", "set", old, "--file", stdin=KEY + "\n", env=no_dbus)
    assert saved.returncode == 0, saved.stderr

    renamed = cli(keyed_data, "profiles", "edit", old, "--name", "Renamed", env=no_dbus)

    assert renamed.returncode == 0, renamed.stderr
    assert "now belongs to 'Renamed'" in renamed.stderr and KEY not in renamed.stderr
    key_file = keyed_data / "api-keys.json"
    assert KEY in key_file.read_text(encoding="utf-8") and old not in key_file.read_text(encoding="utf-8")
    sent = cli(keyed_data, "send", "--new", "hello", env=no_dbus)
    assert sent.returncode == 0, sent.stderr
    assert keyed_server.chat_requests[-1].authorization == f"Bearer {KEY}"
