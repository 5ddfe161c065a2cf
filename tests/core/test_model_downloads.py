"""Model downloads against a real HTTP server on 127.0.0.1: whole, resumed, verified, refused, cancelled.

The server (tests/helpers/file_server.py) honours Range requests and injects faults: a connection
dropped halfway, wrong bytes, a throttle. The catalog is the one shipped in resources/.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from desktop_chat.core.errors import LocalModelError
from desktop_chat.core.providers.local.catalog import DISK_MARGIN, Resources, catalog, fit, load_catalog
from desktop_chat.core.providers.local.download import (
    DownloadCancelled,
    DownloadProgress,
    Source,
    download,
    part_paths,
)
from tests.helpers.file_server import FileServer, gguf_bytes
from tests.helpers.mounts import tmpfs

MB = 1024 * 1024


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_whole_download_lands_verified_with_progress(tmp_path: Path, file_server: FileServer) -> None:
    data = gguf_bytes(3 * MB)
    url = file_server.add("/m/tiny.gguf", data)
    seen: list[DownloadProgress] = []
    path = download(Source.resolve(url, sha(data)), tmp_path / "models", progress=seen.append)
    assert path == tmp_path / "models" / "tiny.gguf"
    assert path.read_bytes() == data
    assert leftovers(tmp_path / "models") == ["tiny.gguf"]  # no .part, no metadata, no lock left behind
    assert file_server.ranges() == [None]
    stages = [p.stage for p in seen]
    assert stages[0] == "starting" and "verifying" in stages and stages[-1] == "done"
    assert seen[-1].done == seen[-1].total == len(data)
    line = next(p for p in seen if p.stage == "downloading").line()
    assert "MB/s" in line and " of " in line


def test_a_connection_dropped_halfway_is_resumed_with_a_range_request(tmp_path: Path, file_server: FileServer) -> None:
    data = gguf_bytes(4 * MB)
    url = file_server.add("/m/half.gguf", data)
    half = len(data) // 2 + 12345
    file_server.drop_at = half
    path = download(Source.resolve(url, sha(data)), tmp_path / "models")
    assert path.read_bytes() == data
    assert file_server.ranges() == [None, f"bytes={half}-"]


def test_the_servers_lfs_sha256_checks_a_file_the_catalog_has_no_checksum_for(
    tmp_path: Path, file_server: FileServer
) -> None:
    data = gguf_bytes(MB)
    url = file_server.add("/m/lfs.gguf", data, lfs=True)
    assert download(Source.resolve(url), tmp_path / "models").read_bytes() == data


def test_a_resolve_link_redirect_gives_the_checksum_and_keeps_the_range(
    tmp_path: Path, file_server: FileServer
) -> None:
    data = gguf_bytes(3 * MB)
    file_server.add("/cdn/blob", data)  # the storage answers with no checksum of its own
    url = file_server.redirect("/org/repo/resolve/main/model.gguf", "/cdn/blob")
    file_server.drop_at = MB + 7
    assert download(Source.resolve(url), tmp_path / "models").read_bytes() == data
    # The redirect's X-Linked-Etag checked the file; the resumed request went through the redirect with its Range.
    assert [(s.path, s.range) for s in file_server.seen] == [
        ("/org/repo/resolve/main/model.gguf", None),
        ("/cdn/blob", None),
        ("/org/repo/resolve/main/model.gguf", f"bytes={MB + 7}-"),
        ("/cdn/blob", f"bytes={MB + 7}-"),
    ]


def test_without_any_checksum_the_download_is_refused_before_a_byte_is_written(
    tmp_path: Path, file_server: FileServer
) -> None:
    url = file_server.add("/m/unknown.gguf", gguf_bytes(MB))
    with pytest.raises(LocalModelError, match="No SHA-256 is known") as caught:
        download(Source.resolve(url), tmp_path / "models")
    assert "give the file's SHA-256" in str(caught.value) and "\n" not in str(caught.value)
    assert leftovers(tmp_path / "models") == []


def test_a_checksum_mismatch_is_refused_and_leaves_no_file(tmp_path: Path, file_server: FileServer) -> None:
    data = gguf_bytes(2 * MB)
    url = file_server.add("/m/bad.gguf", data)
    file_server.wrong_bytes = True
    with pytest.raises(LocalModelError, match="does not match its SHA-256") as caught:
        download(Source.resolve(url, sha(data)), tmp_path / "models")
    assert "it was removed" in str(caught.value) and "\n" not in str(caught.value)
    assert leftovers(tmp_path / "models") == []


def test_a_file_that_is_not_gguf_is_removed_even_with_a_matching_checksum(
    tmp_path: Path, file_server: FileServer
) -> None:
    data = b"<html>not a model</html>" * 1000
    url = file_server.add("/m/page.gguf", data)
    with pytest.raises(LocalModelError, match="not a GGUF model"):
        download(Source.resolve(url, sha(data)), tmp_path / "models")
    assert leftovers(tmp_path / "models") == []


def test_not_enough_disk_is_refused_before_starting(tmp_path: Path, file_server: FileServer) -> None:
    small = gguf_bytes(2 * MB, seed=2)
    big = gguf_bytes(40 * MB, seed=3)
    with tmpfs(tmp_path / "disk", size=f"{(DISK_MARGIN + 20 * MB) // MB}m") as disk:
        folder = disk / "models"
        with pytest.raises(LocalModelError, match="Not enough disk space") as caught:
            download(Source.resolve(file_server.add("/m/big.gguf", big), sha(big)), folder)
        assert "free some space" in str(caught.value) and "\n" not in str(caught.value)
        assert leftovers(folder) == []  # not a byte written
        # What fits (with the margin kept free) downloads on the same disk.
        assert download(Source.resolve(file_server.add("/m/small.gguf", small), sha(small)), folder).is_file()


def test_a_cancelled_download_keeps_its_part_and_resumes_later(tmp_path: Path, file_server: FileServer) -> None:
    data = gguf_bytes(6 * MB)
    url = file_server.add("/m/slow.gguf", data)
    file_server.bytes_per_second = 4 * MB
    cancel = threading.Event()

    def cancel_after_a_while(p: DownloadProgress) -> None:
        if p.done > MB:
            cancel.set()

    folder = tmp_path / "models"
    with pytest.raises(DownloadCancelled, match="cancelled") as caught:
        download(Source.resolve(url, sha(data)), folder, progress=cancel_after_a_while, cancel=cancel)
    assert "resume" in str(caught.value)
    part, meta = part_paths(folder, "slow.gguf")
    kept = part.stat().st_size
    assert MB < kept < len(data) and meta.is_file()
    assert not (folder / "slow.gguf").exists()

    file_server.bytes_per_second = None
    assert download(Source.resolve(url, sha(data)), folder).read_bytes() == data
    assert file_server.ranges() == [None, f"bytes={kept}-"]


def test_a_partial_file_of_another_url_is_started_over(tmp_path: Path, file_server: FileServer) -> None:
    data = gguf_bytes(MB)
    url = file_server.add("/m/same.gguf", data)
    folder = tmp_path / "models"
    folder.mkdir()
    part, meta = part_paths(folder, "same.gguf")
    part.write_bytes(b"GGUF from elsewhere")
    meta.write_text('{"url": "http://127.0.0.1:1/other/same.gguf", "sha256": null, "total": 99}')
    assert download(Source.resolve(url, sha(data)), folder).read_bytes() == data
    assert file_server.ranges() == [None]


def test_a_bad_target_or_checksum_is_one_line() -> None:
    for target, says in (
        ("nope", "neither a catalog model's id nor an http"),
        ("https://example.org/readme.txt", "does not name a .gguf file"),
    ):
        with pytest.raises(LocalModelError, match=says):
            Source.resolve(target)
    with pytest.raises(LocalModelError, match="64 hexadecimal digits"):
        Source.resolve("https://example.org/m.gguf", "abc")


def test_the_shipped_catalog_parses_with_licences_sizes_and_checksums() -> None:
    entries = catalog()
    assert {e.id for e in entries} >= {
        "qwen2.5-1.5b-instruct",
        "qwen2.5-3b-instruct",
        "qwen2.5-7b-instruct",
        "llama-3.2-3b-instruct",
        "gemma-3-4b-it",
        "phi-4-mini-instruct",
    }
    for e in entries:
        assert e.url.startswith("https://huggingface.co/") and e.url.endswith("/" + e.file)
        assert e.file.lower().endswith(".gguf") and e.licence and e.checksum_source
        assert e.memory_bytes > e.size_bytes > 500_000_000 and e.context_length >= 4096
        assert e.sha256 is None or len(e.sha256) == 64
    licences = {e.id: e.licence for e in entries}
    assert licences["llama-3.2-3b-instruct"] == "Llama 3.2 Community License"
    assert licences["phi-4-mini-instruct"] == "MIT"
    assert licences["gemma-3-4b-it"] == "Gemma Terms of Use"
    # A catalog id resolves to its pinned URL, file, checksum and size.
    qwen = Source.resolve("qwen2.5-1.5b-instruct")
    assert qwen.file == "qwen2.5-1.5b-instruct-q4_k_m.gguf" and qwen.size == 1117320736
    assert qwen.sha256 == "6a1a2eb6d15622bf3c96857206351ba97e1af16c30d7a74ee38970e434e9407e"


def test_a_damaged_catalog_is_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "local_models.json"
    broken.write_text('{"models": [{"id": "x"}]}')
    with pytest.raises(LocalModelError, match="catalog cannot be read"):
        load_catalog(broken)


def test_fit_weighs_free_memory_and_disk() -> None:
    entry = next(e for e in catalog() if e.id == "qwen2.5-7b-instruct")
    assert fit(entry, Resources(64_000_000_000, 500_000_000_000)).fits
    tight = fit(entry, Resources(2_000_000_000, 1_000_000_000))
    assert not tight.fits and "memory" in tight.reason and "disk" in tight.reason
    # Downloaded already: the disk no longer matters.
    assert fit(entry, Resources(64_000_000_000, 0), downloaded=True).fits
    assert fit(entry, Resources(None, None)).reason == "free memory unknown"
