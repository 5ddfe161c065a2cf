"""The local model catalog: instruct GGUF models the built-in profile can download, and what this computer has.

The catalog is data shipped with the app (``resources/local_models.json``, beside ``prices.json``):
each entry's file, source URL, size, SHA-256 (where a public record pins it), the memory it needs,
its context length, its licence and whether it is capable of memory upkeep. Where each figure
came from is written in the entry (``checksum_source``) and in docs/local-models.md.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from desktop_chat.core.errors import LocalModelError
from desktop_chat.core.resources import resources_dir

CATALOG_FILE = "local_models.json"
# Beyond the file itself, a download keeps this much disk free (the database, logs, the OS).
DISK_MARGIN = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    id: str
    name: str
    file: str
    url: str
    quantization: str
    size_bytes: int
    size_exact: bool
    sha256: str | None
    checksum_source: str
    memory_bytes: int
    context_length: int
    licence: str
    capable: bool

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> CatalogEntry:
        sha = raw.get("sha256")
        if sha is not None and (len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha)):
            raise ValueError(f"catalog entry {raw.get('id')!r}: sha256 is not 64 lowercase hex digits")
        return cls(
            id=str(raw["id"]),
            name=str(raw["name"]),
            file=str(raw["file"]),
            url=str(raw["url"]),
            quantization=str(raw["quantization"]),
            size_bytes=int(raw["size_bytes"]),
            size_exact=bool(raw["size_exact"]),
            sha256=sha,
            checksum_source=str(raw["checksum_source"]),
            memory_bytes=int(raw["memory_bytes"]),
            context_length=int(raw["context_length"]),
            licence=str(raw["licence"]),
            capable=bool(raw["capable"]),
        )


@dataclass(frozen=True, slots=True)
class Resources:
    """What this computer has free now: memory (MemAvailable) and disk where models land; None: unknown."""

    memory_free: int | None
    disk_free: int | None


@dataclass(frozen=True, slots=True)
class Fit:
    """Whether a catalog model fits this computer, and if not why, in a few words."""

    fits: bool
    reason: str


def load_catalog(path: Path | None = None) -> tuple[CatalogEntry, ...]:
    """The catalog's entries; a missing or damaged catalog file is one clear line."""
    where = path or resources_dir() / CATALOG_FILE
    try:
        raw = json.loads(where.read_text(encoding="utf-8"))
        return tuple(CatalogEntry.from_dict(item) for item in raw["models"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LocalModelError(
            f"The local model catalog cannot be read ({where.name}: {exc}); reinstall the app."
        ) from None


@cache
def catalog() -> tuple[CatalogEntry, ...]:
    """The shipped catalog, read once."""
    return load_catalog()


def find_entry(catalog_id: str) -> CatalogEntry | None:
    return next((e for e in catalog() if e.id == catalog_id), None)


def entry_for_file(name: str) -> CatalogEntry | None:
    """The catalog entry whose file is ``name`` (a file name, case as downloaded), or None."""
    return next((e for e in catalog() if e.file == name), None)


def memory_available() -> int | None:
    """Free memory in bytes: MemAvailable from /proc/meminfo (what can be had without swapping), else sysconf."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def disk_free(folder: Path) -> int | None:
    """Free bytes on the disk holding ``folder`` (its nearest existing parent), or None."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        return shutil.disk_usage(probe).free
    except OSError:
        return None


def resources(models_folder: Path) -> Resources:
    return Resources(memory_available(), disk_free(models_folder))


def fit(entry: CatalogEntry, have: Resources, *, downloaded: bool = False) -> Fit:
    """Whether ``entry`` fits: its memory estimate within free memory, its file within free disk (unless here)."""
    short: list[str] = []
    if have.memory_free is not None and entry.memory_bytes > have.memory_free:
        short.append(f"needs {gb(entry.memory_bytes)} memory, {gb(have.memory_free)} free")
    if not downloaded and have.disk_free is not None and entry.size_bytes + DISK_MARGIN > have.disk_free:
        short.append(f"needs {gb(entry.size_bytes)} disk, {gb(have.disk_free)} free")
    if short:
        return Fit(False, "; ".join(short))
    if have.memory_free is None:
        return Fit(True, "free memory unknown")
    return Fit(True, "fits this computer")


def gb(size: int) -> str:
    return f"{size / 1e9:.1f} GB" if size >= 1e9 else f"{size / 1e6:.0f} MB"
