"""`desktop-chat models download / rm / catalog / mark` as a user runs them: real processes, a real HTTP server."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from desktop_chat.core.models import Strategy
from desktop_chat.core.storage.claims import new_owner
from desktop_chat.core.storage.store import Store
from tests.helpers.cli import cli, cli_env, command, one_line
from tests.helpers.file_server import FileServer, gguf_bytes

MB = 1024 * 1024


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_download_lands_in_models_and_is_listed_then_rm_frees_it(tmp_path: Path, file_server: FileServer) -> None:
    data = gguf_bytes(3 * MB)
    url = file_server.add("/hf/my-model.Q4_K_M.gguf", data)
    done = cli(tmp_path, "models", "download", url, "--sha256", sha(data))
    assert done.returncode == 0, done.stderr
    path = tmp_path / "models" / "my-model.Q4_K_M.gguf"
    assert path.read_bytes() == data
    assert f"Downloaded and verified {path}" in done.stdout
    assert "MB/s" in done.stderr  # progress lines (standard error is not a terminal here)

    listed = cli(tmp_path, "models", "--profile", "local", "--json")
    assert str(path) in [row["path"] for row in json.loads(listed.stdout)]

    removed = cli(tmp_path, "models", "rm", "my-model.Q4_K_M.gguf")
    assert removed.returncode == 0 and "3 MB freed" in removed.stdout
    assert not path.exists()
    gone = cli(tmp_path, "models", "rm", "my-model.Q4_K_M.gguf")
    assert gone.returncode == 1 and "There is no model" in one_line(gone.stderr)


@pytest.mark.slow
def test_a_download_killed_midway_resumes_with_a_range_request_when_run_again(
    tmp_path: Path, file_server: FileServer
) -> None:
    data = gguf_bytes(12 * MB)
    url = file_server.add("/hf/big.gguf", data)
    file_server.bytes_per_second = 3 * MB
    part = tmp_path / "models" / "big.gguf.part"
    child = subprocess.Popen(
        command(tmp_path, "models", "download", url, "--sha256", sha(data)),
        env=cli_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not (part.exists() and part.stat().st_size > 2 * MB):
            assert time.monotonic() < deadline and child.poll() is None, "the download never got going"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)  # the app dies mid-download: no handler runs
    finally:
        child.wait(10)
    kept = part.stat().st_size
    assert 2 * MB < kept < len(data)

    file_server.bytes_per_second = None
    again = cli(tmp_path, "models", "download", url, "--sha256", sha(data))
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "models" / "big.gguf").read_bytes() == data
    assert file_server.ranges()[-1] == f"bytes={kept}-"
    assert not part.exists()


def test_a_checksum_mismatch_is_one_line_and_leaves_nothing(tmp_path: Path, file_server: FileServer) -> None:
    data = gguf_bytes(MB)
    url = file_server.add("/hf/m.gguf", data)
    wrong = cli(tmp_path, "models", "download", url, "--sha256", "0" * 64)
    assert wrong.returncode == 1
    assert "does not match its SHA-256" in one_line(wrong.stderr.splitlines()[-1])
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == []


def test_a_download_without_a_checksum_says_how_to_give_one(tmp_path: Path, file_server: FileServer) -> None:
    url = file_server.add("/hf/m.gguf", gguf_bytes(MB))
    refused = cli(tmp_path, "models", "download", url)
    assert refused.returncode == 1
    assert "--sha256 HEX" in one_line(refused.stderr)


def test_the_catalog_lists_models_with_fit_and_licence(tmp_path: Path) -> None:
    shown = cli(tmp_path, "models", "catalog", "--json")
    rows = {r["id"]: r for r in json.loads(shown.stdout)}
    assert rows["llama-3.2-3b-instruct"]["licence"] == "Llama 3.2 Community License"
    assert all(isinstance(r["fits"], bool) and r["fit"] for r in rows.values())
    text = cli(tmp_path, "models", "catalog")
    assert text.stdout.startswith("Free memory ") and "phi-4-mini-instruct" in text.stdout


def test_a_model_answering_a_reply_cannot_be_removed_under_it(tmp_path: Path) -> None:
    folder = tmp_path / "models"
    folder.mkdir(parents=True)
    model = folder / "qwen2.5-1.5b-instruct-q4_k_m.gguf"
    model.write_bytes(gguf_bytes(MB))
    store = Store.open(tmp_path)
    try:
        store.settings.set("local_model_file", str(model))
        session = store.sessions.create("on the built-in model", strategy=Strategy.RECALL, profile="Local (built-in)")
        store.claims.take(session.id, new_owner())  # this test process answers in it, as the window would
        refused = cli(tmp_path, "models", "rm", model.name)
        assert refused.returncode == 1
        assert "is answering a reply now" in one_line(refused.stderr)
        assert model.exists()
    finally:
        store.close()
