"""Real small and read-only filesystems for storage tests: a tmpfs of a given size, a read-only view.

Mounting needs root (CAP_SYS_ADMIN); where it is refused the test is skipped with the reason.
Every mount is undone on exit, lazily if a test left a file open in it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, check=False)


def _umount(path: Path) -> None:
    if _run("umount", str(path)).returncode != 0:
        _run("umount", "-l", str(path))


@contextmanager
def tmpfs(path: Path, size: str = "1m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``path`` (made if missing)."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = _run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or 'mount refused'}")
    try:
        yield path
    finally:
        _umount(path)


@contextmanager
def read_only_view(source: Path, target: Path) -> Iterator[Path]:
    """``source`` seen read-only at ``target`` (a read-only bind mount): even root cannot write through it."""
    target.mkdir(parents=True, exist_ok=True)
    bound = _run("mount", "--bind", str(source), str(target))
    if bound.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {bound.stderr.strip() or 'mount refused'}")
    try:
        remounted = _run("mount", "-o", "remount,bind,ro", str(target))
        if remounted.returncode != 0:
            pytest.skip(f"cannot make a bind mount read-only here: {remounted.stderr.strip()}")
        yield target
    finally:
        _umount(target)


def fill(folder: Path) -> Path:
    """Write one file in ``folder`` until its disk refuses another byte; returns the file."""
    filler = folder / "filler"
    handle = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        block = b"\0" * 4096
        while True:
            try:
                os.write(handle, block)
            except OSError:
                break
        while True:  # the last partial block
            try:
                os.write(handle, b"\0")
            except OSError:
                break
    finally:
        os.close(handle)
    return filler
