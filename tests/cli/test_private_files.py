"""Files the app writes are the user's alone, as the real command line leaves them under the usual umask."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from tests.helpers.cli import cli
from tests.helpers.import_shapes import MINIMAL

DESKTOP_UMASK = 0o022  # the usual desktop umask: 644 files, 755 folders unless the app says otherwise

pytestmark = pytest.mark.skipif(os.name != "posix", reason="permission bits are POSIX")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def readable_by_others(folder: Path) -> list[str]:
    return [
        f"{path.relative_to(folder)} {oct(mode(path))}" for path in [folder, *folder.rglob("*")] if mode(path) & 0o077
    ]


def test_the_command_line_leaves_a_private_data_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    imported = cli(data, "import", "-", stdin=json.dumps(MINIMAL), umask=DESKTOP_UMASK)
    assert imported.returncode == 0, imported.stderr
    assert mode(data) == 0o700
    assert (data / "logs" / "desktop-chat.log").exists()
    assert readable_by_others(data) == []


def test_an_install_readable_by_others_is_made_private_by_the_next_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert cli(data, "import", "-", stdin=json.dumps(MINIMAL), umask=DESKTOP_UMASK).returncode == 0
    (data / "window.ini").write_text("[General]\n")
    for path in [data, *data.rglob("*")]:  # as every earlier version left it
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    listed = cli(data, "sessions", umask=DESKTOP_UMASK)
    assert listed.returncode == 0, listed.stderr
    assert readable_by_others(data) == []


def test_an_export_written_elsewhere_keeps_the_users_umask(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert cli(data, "import", "-", stdin=json.dumps(MINIMAL), umask=DESKTOP_UMASK).returncode == 0
    target = tmp_path / "chats.md"
    exported = cli(data, "export", "-o", str(target), "1", umask=DESKTOP_UMASK)
    assert exported.returncode == 0, exported.stderr
    assert mode(target) == 0o644, "the user asked for this file outside the data folder: it is theirs to share"
