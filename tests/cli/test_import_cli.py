"""`desktop-chat import FILE` with other apps' exports, as a user runs it: real processes, real files."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

from tests.helpers.cli import cli, one_line
from tests.helpers.import_shapes import (
    CLAUDE_SIDE,
    chatgpt_branched,
    chatgpt_linear,
    chatgpt_memories,
    chatgpt_zip,
    claude_conversation,
)


def test_a_chatgpt_zip_imports_and_importing_it_again_reports_what_was_skipped(tmp_path: Path) -> None:
    data = tmp_path / "home"
    path = chatgpt_zip(tmp_path / "chatgpt-export.zip", [chatgpt_branched(), chatgpt_memories()])

    first = cli(data, "import", str(path), home=True)

    assert first.returncode == 0, first.stderr
    assert len(first.stdout.split()) == 2
    assert "Imported 2 session(s), 11 message(s), 5 fact(s); skipped 0 chat(s) already imported." in first.stderr
    assert "(ChatGPT export)" in first.stderr and "5 fact(s) from the export wait for your approval" in first.stderr
    assert "Importing:" not in first.stderr  # no progress line when stderr is not a terminal
    found = cli(data, "search", "Jeronimos", home=True)
    assert "Lisbon weekend" in found.stdout

    again = cli(data, "import", str(path), "--json", home=True)

    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["session_ids"] == [] and report["source"] == "ChatGPT export"
    assert [s["title"] for s in report["skipped"]] == ["Lisbon weekend", "Food"]


def test_a_claude_export_on_standard_input_is_detected(tmp_path: Path) -> None:
    text = json.dumps([claude_conversation()])

    result = cli(tmp_path / "home", "import", "-", stdin=text, home=True)

    assert result.returncode == 0, result.stderr
    assert "Imported 1 session(s), 5 message(s), 0 fact(s)" in result.stderr and "(Claude export)" in result.stderr
    assert CLAUDE_SIDE  # the side files only come with the zip or beside conversations.json


def test_a_picture_is_refused_in_one_line_and_nothing_is_written(tmp_path: Path) -> None:
    data = tmp_path / "home"
    picture = tmp_path / "holiday.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))

    result = cli(data, "import", str(picture), home=True)

    assert result.returncode == 1
    line = one_line(result.stderr)
    assert line == (
        f"desktop-chat: Cannot import {picture}: not a ChatGPT, Claude or Desktop Chat export: "
        "found a PNG image; nothing was imported."
    )
    assert json.loads(cli(data, "sessions", "--json", home=True).stdout) == []


def on_a_terminal(data: Path, *args: str) -> tuple[int, str]:
    """Run the CLI with its stderr on a pseudo-terminal; the exit code and everything the terminal received."""
    controller, terminal = pty.openpty()
    env = {**os.environ, "DESKTOP_CHAT_HOME": str(data)}
    shown = b""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "desktop_chat", *args],
            stdout=subprocess.PIPE,
            stderr=terminal,
            env=env,
            timeout=60,
            check=False,
        )
        os.close(terminal)
        terminal = -1
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal's other end is closed: all was read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(controller)
        if terminal != -1:
            os.close(terminal)
    return done.returncode, shown.decode()


def test_a_terminal_sees_a_progress_line(tmp_path: Path) -> None:
    path = chatgpt_zip(tmp_path / "export.zip", [chatgpt_linear(i) for i in range(120)])

    code, text = on_a_terminal(tmp_path / "home", "import", str(path))

    assert code == 0
    assert text.startswith("Reading and checking the file...")
    assert "\r\x1b[KImporting: 0 of 120 conversation(s)" in text  # each state clears the one before it
    assert "\r\x1b[KImporting: 120 of 120 conversation(s)" in text
    assert "Imported 120 session(s)" in text


def test_on_a_terminal_an_error_is_still_one_line(tmp_path: Path) -> None:
    picture = tmp_path / "holiday.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))

    code, text = on_a_terminal(tmp_path / "home", "import", str(picture))

    assert code == 1
    visible = text.split("\x1b[K")[-1]  # what stays on screen once the progress text is cleared
    assert visible.strip().splitlines() == [
        f"desktop-chat: Cannot import {picture}: not a ChatGPT, Claude or Desktop Chat export: "
        "found a PNG image; nothing was imported."
    ]


def test_importing_a_newer_export_adds_the_newer_messages_and_says_where(tmp_path: Path) -> None:
    data = tmp_path / "home"
    first = cli(data, "import", str(chatgpt_zip(tmp_path / "march.zip", [chatgpt_linear(0, turns=2)])), home=True)
    assert first.returncode == 0, first.stderr
    chat = int(first.stdout.split()[0])

    newer = cli(data, "import", str(chatgpt_zip(tmp_path / "april.zip", [chatgpt_linear(0, turns=4)])), home=True)

    assert newer.returncode == 0, newer.stderr
    assert newer.stdout == ""  # no new chat
    assert "Imported 0 session(s), 2 message(s), 0 fact(s); skipped 0 chat(s) already imported." in newer.stderr
    assert f"Added 2 newer message(s) to chat {chat}, “Chat 0”." in newer.stderr
    found = cli(data, "search", "line 3", home=True).stdout
    assert f"{chat}  Chat 0  (message 4)" in found


# --- hostile files (issue 19, item 9) and what a JSON file must look like (item 17) ------------------------


def _sessions(data: Path) -> list[dict[str, object]]:
    listed = cli(data, "sessions", "--json", home=True)
    assert listed.returncode == 0, listed.stderr
    result: list[dict[str, object]] = json.loads(listed.stdout)
    return result


def _with_one_chat(tmp_path: Path) -> Path:
    data = tmp_path / "home"
    first = cli(data, "import", "-", stdin=json.dumps([claude_conversation()]), home=True)
    assert first.returncode == 0, first.stderr
    return data


def test_a_file_nested_200000_deep_is_refused_in_one_line_and_changes_nothing(tmp_path: Path) -> None:
    data = _with_one_chat(tmp_path)
    before = _sessions(data)
    for name, text in (
        ("list.json", "[" * 200_000),
        ("meta.json", '{"sessions": [{"messages": [{"meta": ' + '{"a": ' * 200_000),
    ):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")

        result = cli(data, "import", str(path), home=True)

        assert result.returncode == 1
        line = one_line(result.stderr)
        assert line.startswith(f"desktop-chat: Cannot import {path}: it nests lists and objects")
        assert line.endswith("nothing was imported.")
    assert _sessions(data) == before


def test_a_lone_surrogate_is_replaced_and_said_and_the_chat_imported(tmp_path: Path) -> None:
    data = tmp_path / "home"
    path = tmp_path / "chats.json"
    path.write_text(
        '{"sessions": [{"title": "Caf\\ud800", "messages": [{"role": "user", "content": "pay \\udfff 4 euros"}]}]}',
        encoding="utf-8",
    )

    result = cli(data, "import", str(path), home=True)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "Replaced 2 character(s) that were not text (lone UTF-16 surrogates) with U+FFFD" in result.stderr
    assert [s["title"] for s in _sessions(data)] == ["Caf\ufffd"]
    assert "pay \ufffd 4 euros" in cli(data, "export", "all", home=True).stdout


def test_a_chatgpt_mapping_with_a_cycle_is_refused_in_one_line_and_changes_nothing(tmp_path: Path) -> None:
    data = _with_one_chat(tmp_path)
    before = _sessions(data)
    looped = chatgpt_linear(1)
    looped["mapping"]["root"]["parent"] = "m1"  # the first node's parent is the last: no root is left
    path = chatgpt_zip(tmp_path / "export.zip", [chatgpt_linear(0), looped])

    result = cli(data, "import", str(path), home=True)

    assert result.returncode == 1
    line = one_line(result.stderr)
    assert "conversation 1.mapping has a cycle ('root' → 'm0' → 'm1' → 'root'" in line
    assert line.endswith("so its messages have no order; nothing was imported.")
    assert _sessions(data) == before


def test_an_empty_object_says_which_shapes_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_text("{}", encoding="utf-8")

    result = cli(tmp_path / "home", "import", str(path), home=True)

    assert result.returncode == 1
    assert one_line(result.stderr) == (
        f"desktop-chat: Cannot import {path}: not a ChatGPT, Claude or Desktop Chat export: found an empty JSON "
        'object; the file must be a list of conversations (each with "mapping" or "chat_messages") or an object '
        'with a "sessions" list; nothing was imported.'
    )
