"""The CLI as a user runs it: real processes, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_chat.cli import run
from tests.helpers.cli import cli, one_line
from tests.helpers.import_shapes import MINIMAL


def test_import_list_search_export_as_a_user_would(tmp_path: Path) -> None:
    data = tmp_path / "home"
    source = tmp_path / "chats.json"
    source.write_text(json.dumps(MINIMAL), encoding="utf-8")

    imported = cli(data, "import", str(source), "--json", home=True)
    assert imported.returncode == 0, imported.stderr
    ids = json.loads(imported.stdout)["session_ids"]
    assert len(ids) == 2

    listed = cli(data, "sessions", "--json", home=True)
    assert {s["title"] for s in json.loads(listed.stdout)} == {"Trip to Lisbon", "Budget"}

    found = cli(data, "search", "lisbon", home=True)
    assert found.returncode == 0 and "Trip to Lisbon" in found.stdout and "[Lisbon]" in found.stdout

    exported = cli(data, "export", str(ids[0]), "--format", "json", home=True)
    document = json.loads(exported.stdout)
    assert document["sessions"][0]["messages"][0]["meta"] == {"ext": "a1"}

    # Importing the export into the same data folder adds nothing: the chat is already here.
    again = cli(data, "import", "-", stdin=exported.stdout, home=True)
    assert again.returncode == 0 and again.stdout == ""
    assert "Imported 0 session(s), 0 message(s), 0 fact(s); skipped 1 chat(s) already imported." in again.stderr
    assert len(json.loads(cli(data, "sessions", "--json", home=True).stdout)) == 2

    # Into another data folder it round-trips (from stdin) and exports the same messages.
    other = tmp_path / "other"
    moved = cli(other, "import", "-", stdin=exported.stdout, home=True)
    assert moved.returncode == 0
    new_id = int(moved.stdout.split()[0])
    second = json.loads(cli(other, "export", str(new_id), home=True).stdout)
    strip = ("id", "parent_id")
    assert second["sessions"][0]["origin"] == document["sessions"][0]["origin"]
    assert [{k: v for k, v in m.items() if k not in strip} for m in second["sessions"][0]["messages"]] == [
        {k: v for k, v in m.items() if k not in strip} for m in document["sessions"][0]["messages"]
    ]

    markdown = cli(data, "export", str(ids[0]), "--format", "md", home=True)
    assert markdown.stdout.startswith("# Trip to Lisbon") and "Pastéis de nata" in markdown.stdout


def test_data_dir_flag_overrides_the_environment(tmp_path: Path) -> None:
    flagged = tmp_path / "flag"
    result = cli(tmp_path / "env", "--data-dir", str(flagged), "sessions", home=True)
    assert result.returncode == 0
    assert (flagged / "desktop-chat.sqlite3").exists()
    assert not (tmp_path / "env").exists()


def test_errors_are_one_line_with_exit_codes(tmp_path: Path) -> None:
    data = tmp_path / "home"
    bad = tmp_path / "bad.json"
    bad.write_text('{"sessions": [{"title": "x", "messages": [{"role": "robot", "content": "beep"}]}]}')

    result = cli(data, "import", str(bad), home=True)
    assert result.returncode == 1
    assert "sessions[0].messages[0].role" in one_line(result.stderr)
    assert json.loads(cli(data, "sessions", "--json", home=True).stdout) == []

    missing = cli(data, "export", "42", home=True)
    assert (
        missing.returncode == 1
        and "no chat 42" in one_line(missing.stderr)
        and "desktop-chat sessions" in one_line(missing.stderr)
    )

    assert cli(data, "import", str(tmp_path / "nope.json"), home=True).returncode == 1
    usage = cli(data, "export", "not-a-number", home=True)
    assert usage.returncode == 2 and "not a session id" in usage.stderr
    assert cli(data, "no-such-command", home=True).returncode == 2

    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "desktop-chat.sqlite3").write_bytes(b"not a database at all" * 100)
    broken = cli(corrupt, "sessions", home=True)
    assert broken.returncode == 1
    assert str(corrupt / "desktop-chat.sqlite3") in one_line(broken.stderr)


def test_purge_dry_run_then_real(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "home")
    source = tmp_path / "old.json"
    old = {
        "sessions": [
            {
                "title": "Ancient",
                "messages": [{"role": "user", "content": "hi", "created_at": "2020-01-01T00:00:00Z"}],
            }
        ]
    }
    source.write_text(json.dumps(old))
    assert run(["--data-dir", data, "import", str(source)]) == 0
    capsys.readouterr()

    assert run(["--data-dir", data, "purge"]) == 0
    assert "keep forever" in capsys.readouterr().out

    assert run(["--data-dir", data, "config", "set", "retention_days", "30"]) == 0
    capsys.readouterr()
    assert run(["--data-dir", data, "purge", "--dry-run", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["dry_run"] and report["mode"] == "archive" and report["messages"] == 1

    assert run(["--data-dir", data, "purge", "--mode", "delete"]) == 0
    assert "Deleted 1 session(s)" in capsys.readouterr().out
    assert run(["--data-dir", data, "sessions", "--json", "--all"]) == 0
    assert json.loads(capsys.readouterr().out) == []


@pytest.mark.parametrize("days", ["0", "-1"])
def test_purge_refuses_days_below_one_and_changes_nothing(tmp_path: Path, days: str) -> None:
    data = tmp_path / "home"
    source = tmp_path / "chats.json"
    source.write_text(json.dumps(MINIMAL), encoding="utf-8")
    assert cli(data, "import", str(source), home=True).returncode == 0
    before = cli(data, "sessions", "--json", "--all", home=True).stdout

    for mode in ("archive", "delete"):
        result = cli(data, "purge", "--days", days, "--mode", mode, home=True)
        assert result.returncode in {1, 2}
        assert "1 to 36500" in one_line(result.stderr) and result.stdout == ""
    assert cli(data, "sessions", "--json", "--all", home=True).stdout == before
    assert json.loads(before) and not any(s["archived"] for s in json.loads(before))


def test_purge_archive_keeps_chats_searchable_and_exportable(tmp_path: Path) -> None:
    data = tmp_path / "home"
    source = tmp_path / "old.json"
    old = {
        "sessions": [
            {
                "title": "Ancient",
                "messages": [{"role": "user", "content": "the kayak is red", "created_at": "2020-01-01T00:00:00Z"}],
            }
        ]
    }
    source.write_text(json.dumps(old))
    assert cli(data, "import", str(source), home=True).returncode == 0

    dry = cli(data, "purge", "--days", "30", "--dry-run", home=True)
    assert dry.returncode == 0 and dry.stdout.startswith("Would archive 1 session(s)") and "keep all 1" in dry.stdout
    done = cli(data, "purge", "--days", "30", home=True)
    assert done.returncode == 0 and done.stdout.startswith("Archived 1 session(s)")
    assert "summaries and facts kept" not in dry.stdout + done.stdout

    assert json.loads(cli(data, "sessions", "--json", home=True).stdout) == []
    [listed] = json.loads(cli(data, "sessions", "--json", "--all", home=True).stdout)
    assert listed["archived"] and listed["messages"] == 1
    assert "[kayak]" in cli(data, "search", "kayak", home=True).stdout
    exported = json.loads(cli(data, "export", str(listed["id"]), home=True).stdout)
    assert [m["content"] for m in exported["sessions"][0]["messages"]] == ["the kayak is red"]


def test_config_rejects_bad_values_naming_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "home")
    assert run(["--data-dir", data, "config", "set", "default_strategy", "telepathy"]) == 1
    err = capsys.readouterr().err
    assert "default_strategy" in err and "full, window, summary, facts, recall, hybrid" in err
    assert run(["--data-dir", data, "config", "set", "retention_mode", "archive"]) == 0
    assert run(["--data-dir", data, "config", "get", "retention_mode"]) == 0
    assert capsys.readouterr().out.strip().endswith('"archive"')
