"""One object that owns the database and hands out its repositories."""

from __future__ import annotations

from pathlib import Path

from desktop_chat.core.errors import StorageError
from desktop_chat.core.paths import database_path
from desktop_chat.core.settings import SettingsStore
from desktop_chat.core.storage.claims import ClaimRepository
from desktop_chat.core.storage.db import Database
from desktop_chat.core.storage.facts import FactRepository
from desktop_chat.core.storage.messages import MessageRepository
from desktop_chat.core.storage.sessions import SessionRepository
from desktop_chat.core.storage.summaries import SummaryRepository
from desktop_chat.core.storage.upkeep_state import UpkeepStateRepository


class Store:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.sessions = SessionRepository(db)
        self.messages = MessageRepository(db)
        self.summaries = SummaryRepository(db)
        self.facts = FactRepository(db)
        self.settings = SettingsStore(db)
        self.upkeep_state = UpkeepStateRepository(db)
        self.claims = ClaimRepository(db)

    @classmethod
    def open(cls, folder: Path) -> Store:
        """Open the database in ``folder``, creating the folder and the file if needed."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"Cannot create the data folder {folder}: {exc.strerror}.") from exc
        return cls(Database.open(database_path(folder)))

    @classmethod
    def in_memory(cls) -> Store:
        return cls(Database.in_memory())

    def close(self) -> None:
        self.db.close()
