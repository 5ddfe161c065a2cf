"""`sessions edit`, `assistants` and `send --new --assistant` as a user runs them: real processes, the fake server
recording what each request carried."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.cli import cli, configure_cli, one_line
from tests.helpers.fake_openai import FakeOpenAIServer


def test_sessions_edit_sets_what_the_next_request_carries(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    data = tmp_path / "home"
    configure_cli(data, fake_openai)
    assert cli(data, "send", "--new", "first").returncode == 0
    assert cli(data, "config", "set", "custom_instructions", "I am Ada.").returncode == 0
    edited = cli(data, "sessions", "edit", "1", "--title", "Pirates", "--model", "fake-mini", "--strategy", "window")
    assert edited.returncode == 0, edited.stderr
    assert edited.stdout.strip() == ("Chat 1 (Pirates): fake-mini on profile Test, Window memory, no system prompt.")
    prompt = cli(data, "sessions", "edit", "1", "--system", "-", stdin="You are a pirate.\nSay arr.")
    assert "system prompt 26 characters" in prompt.stdout
    assert cli(data, "send", "1", "second").returncode == 0
    body = fake_openai.chat_requests[-1].body
    assert body["model"] == "fake-mini"
    assert body["messages"][:2] == [
        {"role": "system", "content": "I am Ada."},
        {"role": "system", "content": "You are a pirate.\nSay arr."},
    ]
    listed = json.loads(cli(data, "sessions", "--json").stdout)[0]
    assert (listed["title"], listed["model"], listed["strategy"], listed["system_prompt"]) == (
        "Pirates",
        "fake-mini",
        "window",
        "You are a pirate.\nSay arr.",
    )
    back = cli(data, "sessions", "edit", "1", "--model", "", "--strategy", "default")
    assert back.stdout.startswith("Chat 1 (Pirates): fake-gpt on profile Test, Full memory")


def test_sessions_edit_errors_are_one_line(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    data = tmp_path / "home"
    configure_cli(data, fake_openai)
    assert cli(data, "send", "--new", "first").returncode == 0
    unknown = cli(data, "sessions", "edit", "1", "--profile", "Nope")
    assert unknown.returncode == 1
    assert one_line(unknown.stderr).startswith("desktop-chat: There is no provider profile 'Nope'; known: ")
    bad = cli(data, "sessions", "edit", "1", "--strategy", "clever")
    assert bad.returncode == 2 and "invalid choice: 'clever'" in one_line(bad.stderr)
    nothing = cli(data, "sessions", "edit", "1")
    assert (nothing.returncode, one_line(nothing.stderr)) == (
        2,
        "desktop-chat sessions: say what to change: --title, --system, --model, --profile or --strategy.",
    )
    missing = cli(data, "sessions", "edit", "9", "--title", "x")
    assert missing.returncode == 1 and "There is no chat 9" in one_line(missing.stderr)


def test_a_too_long_instruction_is_refused_in_one_line(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    data = tmp_path / "home"
    configure_cli(data, fake_openai)
    assert cli(data, "send", "--new", "first").returncode == 0
    assert cli(data, "config", "set", "max_request_tokens", "300").returncode == 0
    refused = cli(data, "sessions", "edit", "1", "--system", "Be kind. " * 200)
    assert refused.returncode == 1
    line = one_line(refused.stderr)
    assert line.startswith("desktop-chat: The instructions are ")
    assert "(this chat's system prompt " in line and "this chat's budget is 300 (cap 300 (Settings))" in line
    assert "no room for a message" in line
    custom = cli(data, "config", "set", "custom_instructions", "Always " * 400)
    assert custom.returncode == 1 and "(custom instructions " in one_line(custom.stderr)
    assert json.loads(cli(data, "sessions", "--json").stdout)[0]["system_prompt"] == ""


def test_send_new_with_an_assistant_starts_a_chat_with_its_settings(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    data = tmp_path / "home"
    configure_cli(data, fake_openai)
    listed = cli(data, "assistants", "--json")
    assert {"Writing editor", "Code reviewer", "Translator", "Tutor"} <= {a["name"] for a in json.loads(listed.stdout)}
    added = cli(
        data,
        "assistants",
        "add",
        "Pirate",
        "--system",
        "Speak like a pirate.",
        "--model",
        "fake-mini",
        "--strategy",
        "window",
        "--option",
        "window_messages=4",
    )
    assert (added.returncode, added.stdout.strip()) == (0, "Added assistant 'Pirate'.")
    sent = cli(data, "send", "--new", "--assistant", "pirate", "ahoy")
    assert sent.returncode == 0, sent.stderr
    assert "session 1, assistant Pirate" in sent.stderr
    body = fake_openai.chat_requests[0].body
    assert body["model"] == "fake-mini"
    assert body["messages"][0] == {"role": "system", "content": "Speak like a pirate."}
    chat = json.loads(cli(data, "sessions", "--json").stdout)[0]
    assert (chat["model"], chat["strategy"]) == ("fake-mini", "window")

    unknown = cli(data, "send", "--new", "--assistant", "Nobody", "hi")
    assert unknown.returncode == 1 and "There is no assistant 'Nobody'; known: " in one_line(unknown.stderr)
    assert cli(data, "send", "1", "--assistant", "Pirate", "hi").returncode == 2


def test_assistants_export_rm_and_import(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    data = tmp_path / "home"
    configure_cli(data, fake_openai)
    assert cli(data, "assistants", "add", "Pirate", "--system", "Arr.").returncode == 0
    file = tmp_path / "assistants.json"
    exported = cli(data, "assistants", "export", str(file))
    assert exported.stdout.strip() == f"Exported 5 assistant(s) to {file}."
    assert json.loads(file.read_text())["format"] == "desktop-chat-assistants"
    assert cli(data, "assistants", "rm", "Pirate").stdout.strip() == "Removed assistant 'Pirate'."
    assert "Pirate" not in cli(data, "assistants").stdout
    other = tmp_path / "other"
    configure_cli(other, fake_openai)
    imported = cli(other, "assistants", "import", str(file))
    assert imported.stdout.strip() == "Imported assistants: 1 added, 4 replaced."
    assert "Pirate" in cli(other, "assistants").stdout
    (tmp_path / "bad.json").write_text("[{}]")
    bad = cli(data, "assistants", "import", str(tmp_path / "bad.json"))
    assert bad.returncode == 1 and one_line(bad.stderr) == "desktop-chat: An assistant needs a name."
    duplicate = cli(data, "assistants", "add", "tutor")
    assert duplicate.returncode == 1 and "already an assistant named 'tutor'" in one_line(duplicate.stderr)
