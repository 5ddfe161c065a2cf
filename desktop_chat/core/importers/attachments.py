"""Attached files an import document carries: checked against their SHA-256 first, written when a message needs them.

The app's JSON export carries each file once in its top-level ``attachments`` list; a converted
export (Claude's extracted text) carries them in each conversation's own ``attachments``. An entry is
``{sha256, name, media_type, size, text, units, unit_name, width, height, data}`` where ``data`` is
base64 of the file's bytes (absent when the exporting app had lost its copy: the row and its text
still import). Every entry is checked before anything is written; a file is written (bytes into the
data folder, row into the database) only when an imported message refers to it, so a chat skipped
as already imported leaves nothing behind, and importing the same file twice stays idempotent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from desktop_chat.core.importers.document import Reader, value_of
from desktop_chat.core.models import Attachment
from desktop_chat.core.storage.attachment_files import AttachmentFiles
from desktop_chat.core.storage.store import Store

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class Carried:
    """One file of the document, its bytes checked: ``data`` is still base64 (decoded again when written)."""

    attachment: Attachment
    data: str | None


def carried_file(raw: Any, reader: Reader) -> Carried:
    """One entry of an ``attachments`` list, checked: its bytes must be its size and hash to its sha256."""
    if not isinstance(raw, dict):
        raise reader.fail("must be an object")
    sha = raw.get("sha256")
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
        raise reader.at(".sha256").fail("must be the file's SHA-256 (64 lowercase hex digits)")
    name = value_of(raw, "name", reader, (str,), "")
    if not name.strip():
        raise reader.at(".name").fail("must be the file's name")
    size = value_of(raw, "size", reader, (int,), 0)
    data = value_of(raw, "data", reader, (str,))
    if data is not None:
        try:
            content = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise reader.at(".data").fail(f"({name}) is not base64") from None
        if hashlib.sha256(content).hexdigest() != sha or len(content) != size:
            raise reader.fail(
                f"({name}) does not match its SHA-256 or size: the export was changed or damaged after it was "
                "made; export it again from the app that made it"
            )
    attachment = Attachment(
        sha256=sha,
        name=name,
        media_type=value_of(raw, "media_type", reader, (str,), "application/octet-stream"),
        size=size,
        text=value_of(raw, "text", reader, (str,)),
        units=value_of(raw, "units", reader, (int,)),
        unit_name=value_of(raw, "unit_name", reader, (str,), ""),
        width=value_of(raw, "width", reader, (int,)),
        height=value_of(raw, "height", reader, (int,)),
    )
    return Carried(attachment, data)


def carried_files(items: Any, reader: Reader) -> dict[str, Carried]:
    """A document's (or a conversation's) ``attachments`` list, every entry checked, by hash."""
    if items is None:
        return {}
    if not isinstance(items, list):
        raise reader.fail("must be a list")
    found: dict[str, Carried] = {}
    for index, raw in enumerate(items):
        carried = carried_file(raw, reader.at(f"[{index}]"))
        found.setdefault(carried.attachment.sha256, carried)
    return found


class FileWriter:
    """Writes the files imported messages refer to, and takes back the new ones when the import fails."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._files = AttachmentFiles.beside(store.db.path)
        self.written: list[str] = []  # new files of the transaction under way: deleted if it rolls back

    def need(self, sha: str, carried: Carried | None, reader: Reader) -> None:
        """Make sure the file ``sha`` a message refers to is here: its row, and its bytes when carried."""
        files, rows = self._files, self._store.attachments
        known = rows.has(sha)
        if carried is None:
            if known:
                return  # already here (imported before, or attached in this data folder)
            raise reader.fail(f"refers to an attached file the document does not carry (sha256 {sha[:12]}…)")
        if files is not None and carried.data is not None and not files.exists(sha):
            stored = files.put_bytes(base64.b64decode(carried.data))
            assert stored == sha  # checked when the document was read
            self.written.append(sha)
        if not known:
            rows.add(carried.attachment)

    def committed(self) -> None:
        self.written = []

    def undo(self) -> None:
        """The transaction rolled back: the files it wrote are no one's, delete them now."""
        if self._files is not None:
            for sha in self.written:
                self._files.delete(sha)
        self.written = []
