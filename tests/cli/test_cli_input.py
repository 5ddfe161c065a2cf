"""What a user can type or store that once ended in a traceback or an odd line (issue 19, items 10 and 17).

Real processes on real data folders: ids beyond SQLite's integers, damaged settings rows, an empty
search, the context listing, editing a profile, and control characters in chats shown on a terminal.
"""

from __future__ import annotations

import json
import os
import pty
import sqlite3
import subprocess
from pathlib import Path

import pytest

from desktop_chat.core.paths import database_path
from tests.helpers.cli import cli, command, configure_cli, one_line
from tests.helpers.fake_openai import FakeOpenAIServer

TOO_LARGE = str(2**63)  # one more than SQLite's largest integer


@pytest.fixture
def data(tmp_path: Path, fake_openai: FakeOpenAIServer) -> Path:
    folder = tmp_path / "data"
    configure_cli(folder, fake_openai)
    return folder


def _store_raw_setting(data: Path, key: str, text: str) -> None:
    """Write a settings row as a hand edit or a damaged file would leave it (the app never writes these)."""
    with sqlite3.connect(database_path(data)) as conn:
        conn.execute(
            "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, text),
        )
    conn.close()


# --- item 10: ids out of SQLite's range -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("send", TOO_LARGE, "hi"), f"there is no session {TOO_LARGE}"),
        (("context", TOO_LARGE), f"there is no session {TOO_LARGE}"),
        (("export", TOO_LARGE), f"there is no session {TOO_LARGE}"),
        (("facts", "rm", TOO_LARGE), f"there is no fact {TOO_LARGE}"),
        (("facts", "list", "--session", TOO_LARGE), f"there is no session {TOO_LARGE}"),
        (("search", "hello", "--limit", "9" * 20), "must be a whole number from 1 up"),
    ],
    ids=["send", "context", "export", "facts rm", "facts list", "search limit"],
)
def test_a_number_beyond_sqlite_is_a_usage_error_in_one_line(data: Path, args: tuple[str, ...], says: str) -> None:
    result = cli(data, *args)

    assert result.returncode == 2
    assert says in one_line(result.stderr)


# --- item 10: damaged settings rows ----------------------------------------------------------------------


def test_a_settings_row_that_is_not_json_is_named_once_and_its_default_used(
    data: Path, fake_openai: FakeOpenAIServer
) -> None:
    _store_raw_setting(data, "window_messages", "{not json")

    shown = cli(data, "config", "show")

    assert shown.returncode == 0
    assert json.loads(shown.stdout)["window_messages"] == 20
    assert one_line(shown.stderr) == (
        "desktop-chat: Setting 'window_messages' is damaged in the database (not JSON); its default 20 is used "
        "until it is set again or reset. Fix it with `desktop-chat config reset window_messages`."
    )
    sent = cli(data, "send", "--new", "hello")
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.strip() == "You said: hello"
    assert "Traceback" not in sent.stderr and "config reset window_messages" in sent.stderr

    fixed = cli(data, "config", "reset", "window_messages")

    assert fixed.returncode == 0 and fixed.stderr == ""
    assert cli(data, "config", "show").stderr == ""


def test_an_out_of_range_value_blocks_no_other_reset_or_set(data: Path) -> None:
    _store_raw_setting(data, "summary_trigger", "0")

    other = cli(data, "config", "reset", "theme")

    assert other.returncode == 0
    assert json.loads(other.stdout) == "system"
    assert "Setting 'summary_trigger' cannot be 0: it must be a whole number from 2 to 10000." in one_line(other.stderr)
    assert cli(data, "config", "set", "window_messages", "12").returncode == 0
    assert json.loads(cli(data, "config", "get", "summary_trigger").stdout) == 10
    assert cli(data, "config", "reset", "summary_trigger").stderr == ""


# --- item 17: search, context, profiles edit ---------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "   "])
def test_an_empty_search_is_a_usage_error(data: Path, query: str) -> None:
    result = cli(data, "search", query)

    assert result.returncode == 2
    assert "give the words to search for" in one_line(result.stderr)


def test_context_lines_end_with_what_they_hold_not_a_stray_bar(data: Path) -> None:
    assert cli(data, "send", "--new", "I live in Lisbon").returncode == 0
    assert cli(data, "facts", "add", "home", "Lisbon").returncode == 0

    result = cli(data, "context", "1", "--strategy", "facts")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.lstrip().startswith("facts") for line in lines), result.stdout
    assert not [line for line in lines if line.rstrip().endswith("|")], result.stdout


def _profiles(data: Path) -> dict[str, dict[str, object]]:
    listed = cli(data, "profiles", "--json")
    assert listed.returncode == 0, listed.stderr
    return {p["name"]: p for p in json.loads(listed.stdout)}


def test_profiles_edit_changes_what_is_named_by_the_settings_rules(data: Path) -> None:
    before = _profiles(data)["Test"]

    edited = cli(data, "profiles", "edit", "Test", "--model", "bigger-model", "--context-window", "16384")

    assert edited.returncode == 0, edited.stderr
    after = _profiles(data)["Test"]
    assert after == {**before, "default_model": "bigger-model", "context_window": 16384}

    renamed = cli(data, "profiles", "edit", "Test", "--name", "Work", "--summary-model", "", "--no-key")
    assert renamed.returncode == 0, renamed.stderr
    work = _profiles(data)["Work"]
    assert work["active"] is True and work["summary_model"] is None and work["needs_key"] is False
    assert "Test" not in _profiles(data)


def test_profiles_add_and_edit_say_whether_a_custom_server_may_have_openai_api_key(data: Path) -> None:
    added = cli(data, "profiles", "add", "Box", "--base-url", "http://127.0.0.1:9/v1", "--use-env-key")
    assert added.returncode == 0, added.stderr
    assert _profiles(data)["Box"]["use_env_key"] is True

    revoked = cli(data, "profiles", "edit", "Box", "--no-env-key")
    assert revoked.returncode == 0, revoked.stderr
    assert _profiles(data)["Box"]["use_env_key"] is False
    assert cli(data, "profiles", "edit", "Box", "--use-env-key").returncode == 0
    assert _profiles(data)["Box"]["use_env_key"] is True


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("--base-url", "ftp://example.com"), 1, "'base_url' must start with http:// or https://"),
        (("--context-window", "lots"), 1, "'context_window' must be a whole number ≥ 256, not 'lots'"),
        (("--temperature", "9"), 1, "'temperature' must be a number from 0 to 2"),
        (("--model", " "), 1, "needs a model"),
        (("--name", "Local (built-in)"), 1, "There is already a provider profile named 'Local (built-in)'"),
        ((), 2, "say what to change"),
        (("--key", "--no-key"), 2, "not allowed with argument"),
    ],
)
def test_profiles_edit_refuses_in_one_line_and_changes_nothing(
    data: Path, args: tuple[str, ...], code: int, says: str
) -> None:
    before = _profiles(data)

    result = cli(data, "profiles", "edit", "Test", *args)

    assert result.returncode == code
    assert says in one_line(result.stderr)
    assert _profiles(data) == before


def test_the_built_in_model_has_no_url_to_edit(data: Path) -> None:
    result = cli(data, "profiles", "edit", "local", "--base-url", "http://example.com/v1")

    assert result.returncode == 1
    assert "is the built-in model" in one_line(result.stderr)


# --- item 17: control characters from chats ---------------------------------------------------------------

HOSTILE = "Hi\x1b]0;pwned\x07\x1b[2J\r\x9b31mthere\x00"
ESCAPED = "Hi\\x1b]0;pwned\\x07\\x1b[2J\\x0d\\x9b31mthere\\x00"


def _hostile_chat(data: Path) -> None:
    document = {
        "sessions": [{"title": f"Title {HOSTILE}", "messages": [{"role": "user", "content": f"Lisbon {HOSTILE}"}]}],
        "facts": [{"key": "city", "value": f"Lisbon {HOSTILE}"}],
    }
    result = cli(data, "import", "-", stdin=json.dumps(document))
    assert result.returncode == 0, result.stderr


def _controls(text: str) -> list[str]:
    return [ch for ch in text if (ord(ch) < 32 and ch not in "\n\t") or 0x7F <= ord(ch) <= 0x9F]


@pytest.mark.parametrize(
    "args",
    [("sessions",), ("search", "Lisbon"), ("facts", "list"), ("context", "1"), ("export", "1", "--format", "md")],
)
def test_control_characters_from_chats_are_escaped_on_a_terminal(data: Path, args: tuple[str, ...]) -> None:
    _hostile_chat(data)

    shown = _on_a_terminal(data, *args)

    assert _controls(shown) == [], repr(shown)
    assert "\\x1b" in shown and "\\x9b" in shown


def test_json_output_escapes_them_and_piped_exports_stay_exact(data: Path) -> None:
    _hostile_chat(data)

    listed = cli(data, "sessions", "--json")
    exported = cli(data, "export", "1", "--format", "md")

    assert _controls(listed.stdout) == []
    assert json.loads(listed.stdout)[0]["title"] == f"Title {HOSTILE}"
    # Piped on, the export holds what the chat holds (text mode reads its \r as a line end).
    assert f"Lisbon {HOSTILE}".replace("\r", "\n") in exported.stdout


def _on_a_terminal(data: Path, *args: str) -> str:
    """What the CLI writes to standard output when it is a terminal (``\\r\\n`` as the terminal makes it)."""
    controller, terminal = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    try:
        process = subprocess.Popen(
            command(data, *args),
            stdout=terminal,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        os.close(terminal)
        received = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal closed: the process is done with it
                break
            if not chunk:
                break
            received += chunk
        assert process.wait(timeout=60) == 0
    finally:
        os.close(controller)
    return received.decode().replace("\r\n", "\n")
