"""``desktop-chat mcp``: real processes add, list (starting real servers), remove and import tool servers."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from desktop_chat.core.storage.store import Store
from desktop_chat.core.tool_config import secret_name
from tests.helpers.cli import cli, cli_env, command, configure_cli, one_line
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.mcp_servers import SCRIPT
from tests.helpers.secret_service import require_secret_service

FAIL_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def stored_servers(data: Path) -> list[dict[str, object]]:
    store = Store.open(data)
    try:
        return [s.to_dict() for s in store.settings.load().mcp_servers]
    finally:
        store.close()


def test_add_list_policy_rm(tmp_path: Path) -> None:
    data = tmp_path / "data"
    added = cli(data, "mcp", "add", "calc", "--env", "MODE=test", "--", sys.executable, SCRIPT)
    assert added.returncode == 0, added.stderr
    assert "Added tool server 'calc'" in added.stderr
    assert stored_servers(data)[0]["env"] == {"MODE": "test"}
    assert stored_servers(data)[0]["args"] == [SCRIPT]

    assert cli(data, "mcp", "policy", "calc", "add", "always").returncode == 0
    listed = cli(data, "mcp", "list")
    assert listed.returncode == 0, listed.stderr
    assert "calc  [on, stdio]" in listed.stdout
    assert "    add  (always)  Add two numbers." in listed.stdout
    assert "    echo  (ask)" in listed.stdout

    as_json = json.loads(cli(data, "mcp", "--json").stdout)
    assert as_json[0]["ok"] is True and {t["name"] for t in as_json[0]["tools"]} == {"add", "echo", "slow", "env"}

    removed = cli(data, "mcp", "rm", "calc")
    assert removed.returncode == 0 and stored_servers(data) == []


def test_a_broken_server_is_one_line_and_list_goes_on(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert cli(data, "mcp", "add", "broken", "--", sys.executable, SCRIPT, "--crash").returncode == 0
    assert cli(data, "mcp", "add", "good", "--", sys.executable, SCRIPT).returncode == 0
    listed = cli(data, "mcp", "list")
    assert listed.returncode == 0
    assert "not available: it stopped while starting" in listed.stdout
    assert "cannot open the database" in listed.stdout
    assert "    echo  (ask)" in listed.stdout
    assert "Traceback" not in listed.stdout + listed.stderr


def test_http_server_by_url(tmp_path: Path) -> None:
    data = tmp_path / "data"
    added = cli(data, "mcp", "add", "remote", "--url", "https://mcp.example.com/mcp")
    assert added.returncode == 0, added.stderr
    assert stored_servers(data) == [
        {"name": "remote", "enabled": True, "url": "https://mcp.example.com/mcp", "bearer": False}
    ]


def test_usage_errors_are_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for args in (("mcp", "add", "x"), ("mcp", "add", "bad name", "--", "cmd"), ("mcp", "add", "x", "--bogus")):
        result = cli(data, *args)
        assert result.returncode in (1, 2), result
        one_line(result.stderr)
    assert cli(data, "mcp", "add", "dup", "--", "true").returncode == 0
    again = cli(data, "mcp", "add", "dup", "--", "true")
    assert again.returncode == 1 and "already a tool server 'dup'" in one_line(again.stderr)


CLAUDE = {
    "mcpServers": {
        "calc": {"command": sys.executable, "args": [SCRIPT], "env": {"LOG_LEVEL": "info"}},
        "remote": {"url": "https://mcp.example.com/mcp"},
    }
}


def test_import_claude_desktop_configuration(tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = tmp_path / "claude_desktop_config.json"
    config.write_text(json.dumps(CLAUDE), encoding="utf-8")
    imported = cli(data, "mcp", "import", str(config))
    assert imported.returncode == 0, imported.stderr
    assert "calc: added" in imported.stderr and "remote: added" in imported.stderr
    servers = {s["name"]: s for s in stored_servers(data)}
    assert servers["calc"]["env"] == {"LOG_LEVEL": "info"} and servers["calc"]["command"] == sys.executable
    assert servers["remote"]["url"] == "https://mcp.example.com/mcp"
    again = cli(data, "mcp", "import", str(config))
    assert "calc: skipped" in again.stderr and len(stored_servers(data)) == 2
    listed = cli(data, "mcp", "list")
    assert "    add  (ask)" in listed.stdout


def test_import_of_a_file_that_is_not_a_configuration(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"servers": {}}', encoding="utf-8")
    result = cli(tmp_path / "data", "mcp", "import", str(bad))
    assert result.returncode == 1 and "mcpServers" in one_line(result.stderr)


def test_a_secret_without_a_keyring_is_refused_and_never_stored(tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"mcpServers": {"gh": {"command": "true", "env": {"GH_TOKEN": "ghp_NOTSTORED"}}}}))
    result = cli(data, "mcp", "import", str(config), env=FAIL_KEYRING)
    assert "gh: not added: No keyring to keep GH_TOKEN" in result.stderr
    assert stored_servers(data) == []
    assert b"ghp_NOTSTORED" not in (data / "chats.db").read_bytes() if (data / "chats.db").exists() else True


@pytest.mark.keyring
def test_secret_env_goes_to_the_keyring_and_reaches_the_server(tmp_path: Path) -> None:
    require_secret_service()
    data = tmp_path / "data"
    name = "s" + uuid.uuid4().hex[:8]  # keyring entries are per user: a name no other run uses
    secret = "tok-" + uuid.uuid4().hex
    try:
        added = cli(
            data, "mcp", "add", name, "--secret-env", "TOKEN", "--", sys.executable, SCRIPT, stdin=secret + "\n"
        )
        assert added.returncode == 0, added.stderr
        assert secret not in added.stdout + added.stderr
        assert stored_servers(data)[0]["secret_env"] == ["TOKEN"]
        for db in data.glob("*.db*"):
            assert secret.encode() not in db.read_bytes()
        listed = cli(data, "mcp", "list")
        assert "    env  (ask)" in listed.stdout, listed.stdout + listed.stderr
    finally:
        removed = cli(data, "mcp", "rm", name)
    assert removed.returncode == 0
    from desktop_chat.core.secrets import open_secret_store

    assert open_secret_store().get(secret_name(name, "TOKEN")) is None


# --- send --tools -----------------------------------------------------------------------------


def _chat_folder(tmp_path: Path, server: FakeOpenAIServer) -> Path:
    data = tmp_path / "data"
    configure_cli(data, server)
    assert cli(data, "mcp", "add", "calc", "--", sys.executable, SCRIPT).returncode == 0
    return data


def test_send_runs_an_always_tool_and_shows_the_call(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    data = _chat_folder(tmp_path, fake_openai)
    assert cli(data, "mcp", "policy", "calc", "add", "always").returncode == 0
    fake_openai.reply("Adding. ", tool_calls=[("c1", "calc__add", ['{"a": 20, "b": 22}'])])
    fake_openai.reply("It is 42.")
    sent = cli(data, "send", "--new", "20+22?")
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout == "Adding. \nIt is 42.\n"
    assert 'tool: calc__add {"a": 20, "b": 22}' in sent.stderr
    assert "tool: calc__add done in" in sent.stderr and ": 42" in sent.stderr
    assert fake_openai.chat_requests[1].body["messages"][-1] == {"role": "tool", "tool_call_id": "c1", "content": "42"}


def test_send_ask_without_a_terminal_denies_and_says_so(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    data = _chat_folder(tmp_path, fake_openai)
    fake_openai.reply("", tool_calls=[("c1", "calc__echo", ['{"text": "hi"}'])])
    fake_openai.reply("I was not allowed.")
    sent = cli(data, "send", "--new", "echo hi", "--tools", "ask", stdin="")
    assert sent.returncode == 0, sent.stderr
    assert "tool: calc__echo not run: Denied: nobody could be asked" in sent.stderr
    assert sent.stdout.endswith("I was not allowed.\n")


def test_send_tools_off_offers_none(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    data = _chat_folder(tmp_path, fake_openai)
    sent = cli(data, "send", "--new", "hi", "--tools", "off")
    assert sent.returncode == 0, sent.stderr
    assert "tools" not in fake_openai.chat_requests[0].body


def test_send_goes_on_without_a_broken_server(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    data = tmp_path / "data"
    configure_cli(data, fake_openai)
    assert cli(data, "mcp", "add", "broken", "--", sys.executable, SCRIPT, "--crash").returncode == 0
    sent = cli(data, "send", "--new", "hi")
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout == "You said: hi\n"
    assert "Tool server 'broken' is not available: it stopped while starting" in sent.stderr


def test_send_asks_on_a_terminal(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    data = _chat_folder(tmp_path, fake_openai)
    for answer, expected in (("y", "tool: calc__echo done in"), ("n", "not run: Denied by the user.")):
        fake_openai.reply("", tool_calls=[("c1", "calc__echo", ['{"text": "hi"}'])])
        fake_openai.reply("Done.")
        leader, follower = pty.openpty()  # stdin is a terminal: the user is asked
        try:
            os.write(leader, f"{answer}\n".encode())
            sent = subprocess.run(
                command(data, "send", "--new", "echo"),
                stdin=follower,
                capture_output=True,
                text=True,
                env=cli_env(),
                timeout=60,
                check=False,
            )
        finally:
            os.close(follower)
            os.close(leader)
        assert sent.returncode == 0, sent.stderr
        assert 'the model asks to run calc__echo {"text": "hi"}. Allow? [y/N]' in sent.stderr
        assert expected in sent.stderr
