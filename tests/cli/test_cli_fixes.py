"""Fixes from a new user's trial of the command line: usage errors, bounded waits, plain messages."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from desktop_chat.core.models import Strategy
from tests.helpers.cli import cli, configure_cli, one_line
from tests.helpers.fake_openai import FakeOpenAIServer, Fault


@pytest.fixture
def data(tmp_path: Path, fake_openai: FakeOpenAIServer) -> Path:
    folder = tmp_path / "data"
    configure_cli(folder, fake_openai)
    return folder


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("config", "reset"), "needs a KEY"),
        (("config", "reset", "colour"), "unknown setting 'colour'"),
        (("config", "get"), "needs a KEY"),
        (("config", "get", "colour"), "unknown setting 'colour'"),
        (("config", "set", "colour", "blue"), "unknown setting 'colour'"),
        (("config", "show", "window_messages", "extra"), "at most one KEY"),
    ],
)
def test_config_usage_errors_exit_2_with_one_line(data: Path, args: tuple[str, ...], says: str) -> None:
    result = cli(data, *args)
    assert result.returncode == 2
    assert says in one_line(result.stderr)


def test_config_show_key_shows_that_key_only(data: Path) -> None:
    result = cli(data, "config", "show", "window_messages")
    assert result.returncode == 0
    assert json.loads(result.stdout) == 20
    assert cli(data, "config", "reset", "default_strategy").returncode == 0
    assert json.loads(cli(data, "config", "get", "default_strategy").stdout) == "hybrid"


@pytest.mark.slow
def test_send_waits_briefly_for_memory_upkeep_then_says_it_continues(data: Path, fake_openai: FakeOpenAIServer) -> None:
    assert cli(data, "config", "set", "default_strategy", Strategy.FACTS.value).returncode == 0
    fake_openai.reply("Nice to meet you.")
    # The fact extraction request hangs, and so does the title request: they start together after the
    # reply, and whichever came first used to take the only stall (the other got a non-JSON echo).
    fake_openai.fail(Fault.STALL, seconds=30, times=2)
    started = time.monotonic()
    result = cli(data, "send", "--new", "I live in Porto")
    took = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Nice to meet you.\n"
    assert took < 20  # not the 60 s it used to wait
    assert "continues after the next reply" in result.stderr.splitlines()[-1]


def test_send_says_why_memory_upkeep_failed(data: Path, fake_openai: FakeOpenAIServer) -> None:
    assert cli(data, "config", "set", "default_strategy", Strategy.FACTS.value).returncode == 0
    fake_openai.reply("Nice to meet you.")
    fake_openai.reply("this is not JSON")  # the fact extractor's answer is rejected
    result = cli(data, "send", "--new", "I live in Porto")
    assert result.returncode == 0, result.stderr
    last = result.stderr.splitlines()[-1]
    assert "memory upkeep failed" in last and "facts" in last and "JSON" in last


def test_profiles_use_and_rm_from_the_command_line(data: Path) -> None:
    assert cli(data, "profiles", "add", "Ollama", "--preset", "ollama").returncode == 0
    used = cli(data, "profiles", "use", "Ollama", "--json")
    assert used.returncode == 0
    assert [p["name"] for p in json.loads(used.stdout) if p["active"]] == ["Ollama"]
    removed = cli(
        data, "profiles", "rm", "Test", "--json", env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    )
    assert removed.returncode == 0, removed.stderr
    assert [p["name"] for p in json.loads(removed.stdout)] == ["OpenAI", "Local (built-in)", "Ollama"]
    unknown = cli(data, "profiles", "use", "Nope")
    assert unknown.returncode == 1 and "no provider profile 'Nope'" in one_line(unknown.stderr)
    assert cli(data, "profiles", "rm", "OpenAI").returncode == 0
    assert cli(data, "profiles", "rm", "Local (built-in)").returncode == 0
    last = cli(data, "profiles", "rm", "Ollama")
    assert last.returncode == 1 and "only provider profile" in one_line(last.stderr)
