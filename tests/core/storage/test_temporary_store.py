"""The in-memory store for temporary chats: ids above a base, the temporary flag set at creation."""

from __future__ import annotations

from desktop_chat.core.models import Role
from desktop_chat.core.storage.store import Store

BASE = 1 << 40


def test_temporary_store_numbers_ids_above_the_base() -> None:
    temp = Store.temporary(BASE)
    try:
        session = temp.sessions.create("scratch", temporary=True)
        message = temp.messages.append(session.id, Role.USER, "hello")
        assert session.id > BASE and message.id > BASE
        assert session.temporary and temp.sessions.get(session.id).temporary
        assert message.parent_id is None, "the hidden anchor message is never anyone's parent"
        assert temp.messages.all(session.id) == [message]
        assert temp.db.path is None
    finally:
        temp.close()


def test_a_saved_store_can_create_temporary_flagged_sessions(store: Store) -> None:
    saved = store.sessions.create("saved")
    flagged = store.sessions.create("flagged", temporary=True)
    assert not saved.temporary and flagged.temporary
    assert saved.origin != flagged.origin
