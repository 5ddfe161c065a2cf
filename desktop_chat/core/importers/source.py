"""Opening what the user picked: a file or a zip, sniffed by its first bytes, read within size caps.

Nothing is loaded blindly. ``conversations.json`` is streamed (one conversation in
memory at a time, see ``jsonstream``); the small side files of an export
(``user.json``, ``users.json``, ``memories.json``, ``projects.json``) and a JSON
document of the app's own shape are read whole, but only up to a cap, checked
against the size the zip declares and again while reading (a declared size can lie).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TextIO

from desktop_chat.core.errors import ImportFormatError
from desktop_chat.core.importers.clean import Cleaner, too_deep

MiB = 1 << 20
MAX_STREAMED_BYTES = 8 * 1024 * MiB  # conversations.json, streamed: a bound on time, not memory
MAX_ITEM_CHARS = 256 * MiB  # one conversation, the most held in memory at once
MAX_DOCUMENT_BYTES = 512 * MiB  # a whole-document JSON (the app's own export)
MAX_SIDE_FILE_BYTES = 32 * MiB  # user.json, memories.json, projects.json
EXPECTED = "not a ChatGPT, Claude or Desktop Chat export"

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
)


def refuse(name: str, found: str) -> ImportFormatError:
    """The one line for a file of the wrong kind: what was expected and what was found."""
    return ImportFormatError(f"Cannot import {name}: {EXPECTED}: found {found}; nothing was imported.")


def describe_bytes(head: bytes) -> str:  # noqa: PLR0911 - one return per kind
    """What these first bytes look like, for the refusal line."""
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    if head[4:12] in (b"ftypisom", b"ftypheic", b"ftypmp42"):
        return "a video or photo"
    if not head.strip():
        return "an empty file"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        if len(head) > 3 and head[-3:] and b"\x00" not in head:
            try:  # the head may have cut a character in two
                text = head[:-3].decode("utf-8")
            except UnicodeDecodeError:
                return "binary data"
        else:
            return "binary data"
    first = text.lstrip("\ufeff \t\r\n")[:1]
    if first in "[{":
        return "JSON"
    return "text that is not JSON"


class _Capped(io.RawIOBase):
    """A byte stream that refuses to go past ``limit`` bytes (a zip member may claim less than it holds)."""

    def __init__(self, inner: IO[bytes], limit: int, name: str) -> None:
        self._inner, self._left, self._name = inner, limit, name
        self._limit = limit

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        view = memoryview(b)
        data = self._inner.read(len(view))
        self._left -= len(data)
        if self._left < 0:
            raise ImportFormatError(
                f"Cannot import {self._name}: it is larger than {self._limit // MiB} MiB once unpacked; "
                "nothing was imported."
            )
        view[: len(data)] = data
        return len(data)


def _text(raw: IO[bytes], limit: int, name: str) -> TextIO:
    capped = io.BufferedReader(_Capped(raw, limit, name), buffer_size=MiB)
    return io.TextIOWrapper(capped, encoding="utf-8-sig")


def _load(stream: TextIO, name: str, limit: int, cleaner: Cleaner) -> Any:
    try:
        text = stream.read(limit + 1)
    except UnicodeDecodeError:
        raise ImportFormatError(f"Cannot import {name}: it is not UTF-8 text; nothing was imported.") from None
    if len(text) > limit:
        raise ImportFormatError(f"Cannot import {name}: it is larger than {limit // MiB} MiB; nothing was imported.")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFormatError(
            f"Cannot import {name}: it is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "nothing was imported."
        ) from None
    except RecursionError:  # the parser recurses once per level: "[" x 200,000 ends here
        raise too_deep(name) from None
    return cleaner.checked(value, name)


Opener = Callable[[], AbstractContextManager[TextIO]]


@dataclass
class Source:
    """Where the conversations are (a stream opened afresh for each pass) and the side files beside them."""

    name: str  # for messages: the file, or "file.zip:conversations.json"
    open: Opener
    side: dict[str, Any] = field(default_factory=dict)  # side file name -> parsed JSON
    zipped: bool = False
    cleaner: Cleaner = field(default_factory=Cleaner)  # what was read whole (and counted) passed through it

    def load_whole(self, limit: int = MAX_DOCUMENT_BYTES) -> Any:
        with self.open() as stream:
            return _load(stream, self.name, limit, self.cleaner)


def _file_opener(path: Path, name: str) -> Opener:
    @contextmanager
    def opener() -> Iterator[TextIO]:
        with path.open("rb") as raw:
            yield _text(raw, MAX_STREAMED_BYTES, name)

    return opener


def _zip_opener(path: Path, member: str, label: str) -> Opener:
    @contextmanager
    def opener() -> Iterator[TextIO]:
        with zipfile.ZipFile(path) as archive, archive.open(member) as raw:
            yield _text(raw, MAX_STREAMED_BYTES, label)

    return opener


SIDE_FILES = ("user.json", "users.json", "memories.json", "projects.json")


def _from_zip(path: Path, shown: str) -> Source:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFormatError(
            f"Cannot import {shown}: the zip archive cannot be read ({exc}); nothing was imported."
        ) from None
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        names = {i.filename for i in infos}
        # Exports unpack at the root; some re-zipped copies have one folder on top.
        main = [n for n in names if n.rsplit("/", 1)[-1] == "conversations.json" and n.count("/") <= 1]
        if not main:
            shown = ", ".join(sorted(names)[:5]) + (", ..." if len(names) > 5 else "")
            raise refuse(shown, f"a zip archive without conversations.json ({shown or 'empty'})")
        member = min(main, key=len)
        prefix = member[: -len("conversations.json")]
        side: dict[str, Any] = {}
        cleaner = Cleaner()
        for info in infos:
            base = info.filename[len(prefix) :] if info.filename.startswith(prefix) else None
            if base is None or not (base in SIDE_FILES or (base.startswith("projects/") and base.endswith(".json"))):
                continue
            label = f"{shown}:{info.filename}"
            if info.file_size > MAX_SIDE_FILE_BYTES:
                raise ImportFormatError(
                    f"Cannot import {label}: it is larger than {MAX_SIDE_FILE_BYTES // MiB} MiB; nothing was imported."
                )
            with archive.open(info) as raw:
                side[base] = _load(_text(raw, MAX_SIDE_FILE_BYTES, label), label, MAX_SIDE_FILE_BYTES, cleaner)
    label = f"{shown}:{member}"
    return Source(label, _zip_opener(path, member, label), side, zipped=True, cleaner=cleaner)


def open_source(path: Path, name: str | None = None) -> Source:
    """The file to import, opened for reading: refused with one line when it is not something to import.

    ``name`` is what messages call it (standard input spooled to a file, say); the path by default.
    """
    shown = name or str(path)
    try:
        if path.is_dir():
            raise ImportFormatError(f"Cannot import {shown}: it is a folder; pick the export's .zip or its JSON file.")
        with path.open("rb") as raw:
            head = raw.read(64)
    except FileNotFoundError:
        raise ImportFormatError(f"Cannot import: there is no file {shown}.") from None
    except OSError as exc:
        raise ImportFormatError(f"Cannot import {shown}: {exc.strerror or exc}.") from None
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _from_zip(path, shown)
    found = describe_bytes(head)
    if found != "JSON":
        raise refuse(shown, found)
    cleaner = Cleaner()
    return Source(shown, _file_opener(path, shown), _side_files_beside(path, cleaner), cleaner=cleaner)


def _side_files_beside(path: Path, cleaner: Cleaner) -> dict[str, Any]:
    """An unpacked export: the side files next to its conversations.json."""
    if path.name != "conversations.json":
        return {}
    side: dict[str, Any] = {}
    candidates = [path.parent / name for name in SIDE_FILES]
    projects = path.parent / "projects"
    if projects.is_dir():
        candidates += sorted(projects.glob("*.json"))
    for candidate in candidates:
        if candidate.is_file():
            name = candidate.relative_to(path.parent).as_posix()
            with candidate.open("rb") as raw:
                text = _text(raw, MAX_SIDE_FILE_BYTES, str(candidate))
                side[name] = _load(text, str(candidate), MAX_SIDE_FILE_BYTES, cleaner)
    return side
