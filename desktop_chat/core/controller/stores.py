"""The store router: which ``Store`` a chat lives in, the data folder's or the in-memory one of temporary chats.

Temporary chats live in an in-memory database made on first use, whose ids start above
``TEMPORARY_ID_BASE``, so a session or message id never means two things to the window.
"""

from __future__ import annotations

from desktop_chat.core.models import Session
from desktop_chat.core.storage.store import Store

TEMPORARY_ID_BASE = 1_000_000_000_000


class StoreRouter:
    """Routes ids to stores; owns (and closes) the temporary store."""

    def __init__(self, saved: Store) -> None:
        self._saved = saved
        self._temporary: Store | None = None

    @property
    def saved(self) -> Store:
        """The data folder's store."""
        return self._saved

    def for_session(self, session_id: int) -> Store:
        """The store that holds ``session_id``: the in-memory one for temporary chats."""
        temp = self._temporary
        if session_id > TEMPORARY_ID_BASE and temp is not None and temp.sessions.exists(session_id):
            return temp
        return self._saved

    def for_message(self, message_id: int) -> Store:
        temp = self._temporary
        if message_id > TEMPORARY_ID_BASE and temp is not None:
            return temp
        return self._saved

    def for_new(self, *, temporary: bool) -> Store:
        """Where a new chat goes; the temporary store is made on first use."""
        if not temporary:
            return self._saved
        if self._temporary is None:
            self._temporary = Store.temporary(TEMPORARY_ID_BASE)
        return self._temporary

    def is_saved(self, store: Store) -> bool:
        """Whether ``store`` is on disk (other processes can reach its chats)."""
        return store is self._saved

    def temporary_sessions(self) -> list[Session]:
        if self._temporary is None:
            return []
        return [s for s in self._temporary.sessions.list_by_activity() if s.id != TEMPORARY_ID_BASE]

    def stores(self) -> list[Store]:
        """Every open store: the data folder's, and the temporary one when a temporary chat was made."""
        return [self._saved] if self._temporary is None else [self._saved, self._temporary]

    def close(self) -> None:
        """Close the temporary store (its chats are gone); the saved one stays open, its owner closes it."""
        if self._temporary is not None:
            self._temporary.close()
            self._temporary = None
