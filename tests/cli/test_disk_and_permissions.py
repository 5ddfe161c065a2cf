"""A full disk and a read-only data folder, as a user meets them: real mounts, the real CLI, one line each.

A tmpfs of 1-2 MB is a disk that really fills; a read-only bind mount is a folder that
even root cannot write (root ignores permission bits, so chmod alone proves nothing here).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_chat.core.paths import database_path
from tests.helpers.cli import cli, configure_cli
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.import_shapes import MINIMAL
from tests.helpers.mounts import fill, read_only_view, tmpfs

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="tmpfs and bind mounts are Linux")

FULL_AT_START = "is full: free some space and start again."
FULL_WHILE_SAVING = "is full; free some disk space and try again."


def lines(stderr: str) -> list[str]:
    assert "Traceback" not in stderr, stderr
    return stderr.strip().splitlines()


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB disk of its own."""
    with tmpfs(tmp_path / "disk", "2m") as mounted:
        yield mounted


def with_chats(data: Path) -> None:
    import json

    result = cli(data, "import", "-", stdin=json.dumps(MINIMAL))
    assert result.returncode == 0, result.stderr


# --- a full disk ------------------------------------------------------------------------------


def test_a_new_data_folder_on_a_full_disk_says_the_disk_is_full_not_damaged(disk: Path) -> None:
    fill(disk)
    result = cli(disk / "data", "sessions")
    assert result.returncode == 1
    said = lines(result.stderr)
    assert said[-1] == f"desktop-chat: The disk holding {disk / 'data'} {FULL_AT_START}"
    # The log cannot be written either: it says so once, and the app goes on.
    assert said[:-1] in (
        [],
        [f"Logging stopped: the disk is full ({disk}/data/logs/desktop-chat.log); the app goes on without a log."],
    )
    assert "damaged" not in result.stderr
    assert not database_path(disk / "data").exists(), "no empty database is left behind to confuse the next start"


def test_chats_on_a_full_disk_can_still_be_listed_and_exported(disk: Path) -> None:
    data = disk / "data"
    with_chats(data)
    fill(disk)
    listed = cli(data, "sessions")
    assert listed.returncode == 0, listed.stderr
    assert "Trip to Lisbon" in listed.stdout
    note = (
        f"desktop-chat: The disk holding {data} is full: chats can be read and exported, "
        "but nothing can be saved until some space is freed."
    )
    assert lines(listed.stderr) == [note]
    exported = cli(data, "export", "--format", "json", "1")
    assert exported.returncode == 0, exported.stderr
    assert "Pastéis de nata" in exported.stdout
    assert lines(exported.stderr) == [note]


def test_the_disk_filling_mid_reply_is_one_line_about_the_disk_and_one_about_the_log(
    disk: Path, fake_openai: FakeOpenAIServer
) -> None:
    data = disk / "data"
    configure_cli(data, fake_openai)
    filler = fill(disk)
    os.truncate(filler, filler.stat().st_size - 200_000)  # room for the question, not for the answer
    words = [f"word{number} " for number in range(60_000)]  # ~600 KB of reply, in many small pieces
    fake_openai.reply(chunks=["".join(words[i : i + 200]) for i in range(0, len(words), 200)], chunk_delay=0.002)
    result = cli(data, "send", "--new", "tell me a long story")
    assert result.returncode == 1
    said = lines(result.stderr)
    assert len(said) <= 3, result.stderr  # "session N", the log's one line, the save's one line
    assert said[-1].startswith("desktop-chat: The disk holding the database") and said[-1].endswith(FULL_WHILE_SAVING)
    assert sum(line.startswith("Logging stopped: the disk is full") for line in said) <= 1
    assert "damaged" not in result.stderr


# --- a read-only data folder ------------------------------------------------------------------


def test_a_read_only_data_folder_still_lists_searches_and_exports_with_one_line_about_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with_chats(data)
    with read_only_view(data, tmp_path / "read-only") as view:
        note = (
            f"desktop-chat: The data folder {view} is read-only: chats can be read and exported, "
            "but nothing can be saved until it is writable again."
        )
        listed = cli(view, "sessions")
        assert listed.returncode == 0, listed.stderr
        assert "Trip to Lisbon" in listed.stdout and "Budget" in listed.stdout
        assert lines(listed.stderr) == [note]
        found = cli(view, "search", "Lisbon")
        assert found.returncode == 0, found.stderr
        assert "Lisbon" in found.stdout
        exported = cli(view, "export", "-o", str(tmp_path / "chats.md"), "1")
        assert exported.returncode == 0, exported.stderr
        assert "Pastéis de nata" in (tmp_path / "chats.md").read_text(encoding="utf-8")
        planned = cli(view, "context", "1")  # plans without caching its token counts
        assert planned.returncode == 0, planned.stderr
        assert "msgs #1..#2" in planned.stdout
        # Saving says what is true: the folder cannot be written, nothing about damage.
        renamed = cli(view, "config", "set", "default_strategy", "recall")
        assert renamed.returncode == 1
        said = lines(renamed.stderr)
        assert said[0] == note and len(said) == 2
        assert "cannot be written" in said[1] and "damaged" not in said[1]


def test_a_read_only_folder_without_chats_says_it_is_read_only(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with read_only_view(empty, tmp_path / "read-only") as view:
        result = cli(view, "sessions")
    assert result.returncode == 1
    assert lines(result.stderr) == [
        f"desktop-chat: The data folder {view} is read-only and holds no chats yet: "
        "make it writable or choose another data folder."
    ]


def test_a_data_folder_that_cannot_be_created_says_so(tmp_path: Path) -> None:
    parent = tmp_path / "parent"
    parent.mkdir()
    with read_only_view(parent, tmp_path / "read-only") as view:
        result = cli(view / "data", "sessions")
    assert result.returncode == 1
    (line,) = lines(result.stderr)
    assert line.startswith(f"desktop-chat: Cannot create the data folder {view / 'data'} (read-only file system)")


def test_only_a_really_damaged_file_is_called_damaged(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with_chats(data)
    path = database_path(data)
    raw = bytearray(path.read_bytes())
    raw[100:4096] = b"\xff" * (4096 - 100)  # the first page's b-tree, past the header
    path.write_bytes(bytes(raw))
    result = cli(data, "sessions")
    assert result.returncode == 1
    (line,) = lines(result.stderr)
    assert "is damaged" in line and "move it aside or restore a backup" in line
