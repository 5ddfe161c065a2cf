"""The app as it was before a migration, taken from git, run in a child process on a data folder.

A migration test writes a database with the previous release's own code, then opens a copy with
this release, so the upgrade is tested on a file the old code really wrote.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from io import BytesIO
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def previous_release(tmp_path: Path, migration: str) -> Path:
    """The package as of the commit before ``migration`` was added, unpacked from git."""
    added = subprocess.run(
        ["git", "log", "--format=%H", "-n1", f"-S{migration}", "--", "desktop_chat/core/storage/migrations.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if added.returncode != 0:
        pytest.skip("not a git checkout: the previous release cannot be taken from git")
    commit = f"{added.stdout.strip()}^" if added.stdout.strip() else "HEAD"
    archive = subprocess.run(["git", "archive", commit, "desktop_chat"], cwd=ROOT, capture_output=True, check=True)
    target = tmp_path / "previous-release"
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    return target


def run_old(app: Path, script: str, folder: Path, *args: str) -> dict[str, object]:
    """Run ``script`` (Python source) with the old package on the path; its last line of output is JSON."""
    done = subprocess.run(
        [sys.executable, "-c", script, str(folder), *args],
        env={"PYTHONPATH": str(app), "PATH": "/usr/bin:/bin", "HOME": str(folder)},
        cwd=folder,  # not the checkout: ``-c`` puts the working folder first on the path
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result
