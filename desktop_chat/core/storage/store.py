"""One object that owns the database and hands out its repositories."""

from __future__ import annotations

import errno
from pathlib import Path

from desktop_chat.core.errors import DiskFull, ReadOnlyData, StorageError
from desktop_chat.core.paths import database_path, prepare_data_folder
from desktop_chat.core.storage.attachments import AttachmentRepository
from desktop_chat.core.storage.claims import ClaimRepository
from desktop_chat.core.storage.db import Database
from desktop_chat.core.storage.embeddings import EmbeddingRepository
from desktop_chat.core.storage.facts import FactRepository
from desktop_chat.core.storage.imports import ImportRepository
from desktop_chat.core.storage.messages import MessageRepository
from desktop_chat.core.storage.reply_plans import ReplyPlanRepository
from desktop_chat.core.storage.scan import ScanRepository
from desktop_chat.core.storage.sessions import SessionRepository
from desktop_chat.core.storage.settings_store import SettingsStore
from desktop_chat.core.storage.summaries import SummaryRepository
from desktop_chat.core.storage.upkeep_state import UpkeepStateRepository
from desktop_chat.core.storage.usage import UsageRepository


class Store:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.sessions = SessionRepository(db)
        self.messages = MessageRepository(db)
        self.summaries = SummaryRepository(db)
        self.facts = FactRepository(db)
        self.settings = SettingsStore(db)
        self.upkeep_state = UpkeepStateRepository(db)
        self.scan = ScanRepository(db)
        self.imports = ImportRepository(db)
        self.claims = ClaimRepository(db)
        self.reply_plans = ReplyPlanRepository(db)
        self.usage = UsageRepository(db)
        self.embeddings = EmbeddingRepository(db)
        self.attachments = AttachmentRepository(db)

    @classmethod
    def open(cls, folder: Path) -> Store:
        """Open the database in ``folder``, creating the folder (0700) and the file (0600) if needed.

        An existing data folder made readable to others by an older version is made private again.
        """
        try:
            prepare_data_folder(folder)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise DiskFull(f"The disk holding {folder.parent} is full: free some space and start again.") from exc
            if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise ReadOnlyData(
                    f"Cannot create the data folder {folder} ({(exc.strerror or str(exc)).lower()}): "
                    "choose a folder you may write to."
                ) from exc
            raise StorageError(f"Cannot create the data folder {folder}: {exc.strerror}.") from exc
        return cls(Database.open(database_path(folder)))

    @property
    def read_only(self) -> bool:
        """The data folder cannot be written: reading and exporting work, saving does not."""
        return self.db.read_only

    @property
    def notice(self) -> str | None:
        """One line for the user about how the store was opened (read-only), else None."""
        return self.db.notice

    @classmethod
    def in_memory(cls) -> Store:
        return cls(Database.in_memory())

    @classmethod
    def temporary(cls, id_base: int) -> Store:
        """An in-memory store for temporary chats: its session and message ids start above ``id_base``.

        A hidden anchor session (id ``id_base``, temporary, no active message) holds the numbering.
        """
        store = cls.in_memory()
        store.sessions.start_ids_above(id_base)
        return store

    def close(self) -> None:
        self.db.close()
