"""``AttachmentRepository``: attached files' rows (what was read from them) and which message refers to which.

``messages.append`` records the references (``message_attachments``) with the message, in its transaction.

The bytes are not here: ``storage/attachment_files.py`` keeps them in the data folder under their hash.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from desktop_chat.core.errors import NotFound
from desktop_chat.core.models import Attachment
from desktop_chat.core.storage.db import Repository, to_db_time, utcnow

_COLUMNS = "sha256, name, media_type, size, text, units, unit_name, width, height"


def _attachment(row: Sequence[Any]) -> Attachment:
    return Attachment(*row)


class AttachmentRepository(Repository):
    def add(self, attachment: Attachment, *, at: datetime | None = None) -> None:
        """Keep ``attachment``'s row; the same content added again (under any name) keeps the first row."""
        a = attachment
        with self._db.transaction():
            self._conn.execute(
                f"INSERT OR IGNORE INTO attachments({_COLUMNS}, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (a.sha256, a.name, a.media_type, a.size, a.text, a.units, a.unit_name, a.width, a.height,
                 to_db_time(at or utcnow())),
            )  # fmt: skip

    def get(self, sha256: str) -> Attachment:
        row = self._conn.execute(f"SELECT {_COLUMNS} FROM attachments WHERE sha256 = ?", (sha256,)).fetchone()
        if row is None:
            raise NotFound(f"The attached file {sha256[:12]} is no longer stored: attach it again.", kind="attachment")
        return _attachment(row)

    def has(self, sha256: str) -> bool:
        return self._conn.execute("SELECT 1 FROM attachments WHERE sha256 = ?", (sha256,)).fetchone() is not None

    def of_messages(self, message_ids: Sequence[int]) -> dict[int, list[Attachment]]:
        """The attachments each of ``message_ids`` refers to, in order (messages without any left out)."""
        found: dict[int, list[Attachment]] = {}
        for start in range(0, len(message_ids), 500):
            chunk = list(message_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT l.message_id, {', '.join('a.' + c.strip() for c in _COLUMNS.split(','))}"
                " FROM message_attachments l JOIN attachments a ON a.sha256 = l.sha256"
                f" WHERE l.message_id IN ({marks}) ORDER BY l.message_id, l.position",
                chunk,
            ).fetchall()
            for row in rows:
                found.setdefault(row[0], []).append(_attachment(row[1:]))
        return found

    def referenced(self) -> set[str]:
        """Every stored row's hash (the files the data folder must keep)."""
        return {row[0] for row in self._conn.execute("SELECT sha256 FROM attachments")}

    def abandoned(self, before: datetime) -> list[str]:
        """Rows no message refers to, added before ``before``: attachments left in a composer and never sent."""
        rows = self._conn.execute(
            "SELECT sha256 FROM attachments a WHERE created_at < ?"
            " AND NOT EXISTS (SELECT 1 FROM message_attachments l WHERE l.sha256 = a.sha256)",
            (to_db_time(before),),
        )
        return [row[0] for row in rows]

    def delete(self, shas: Sequence[str]) -> None:
        """Forget rows no message refers to (a row still referred to is kept)."""
        with self._db.transaction():
            self._conn.executemany(
                "DELETE FROM attachments WHERE sha256 = ?"
                " AND NOT EXISTS (SELECT 1 FROM message_attachments WHERE sha256 = ?)",
                [(sha, sha) for sha in shas],
            )
