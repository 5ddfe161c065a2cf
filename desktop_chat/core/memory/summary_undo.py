"""Undo a chat's summary changes, from the history ``SummaryRepository`` keeps.

Every save or delete of a summary (the user's edit, an upkeep fold, an edit's
branch rollback) records the state it replaced. Undo brings back the state
before the newest change not undone yet and is itself recorded as the user's
change, marked as the undo of that entry, so undoing again goes one change
further back (as a fact's undo does). The summary job's watermark follows the
restored summary, so upkeep resumes right after what it covers.
"""

from __future__ import annotations

from desktop_chat.core.errors import NotAllowed
from desktop_chat.core.models import Summary
from desktop_chat.core.storage.store import Store


def undo(store: Store, session_id: int) -> Summary | None:
    """Restore the summary as it was before its newest change; None when it had none then."""
    with store.db.transaction():
        entry = next((s for s in store.summaries.history(session_id) if s.undoable), None)
        if entry is None:
            raise NotAllowed("This chat's summary has no change to undo.")
        if entry.text is None:
            store.summaries.delete(session_id, by="user", undo_of=entry.id)
            restored = None
        else:
            assert entry.covers_through is not None and entry.token_count is not None
            if entry.covers_through and not store.messages.is_active(entry.covers_through):
                # An edit or a regenerate took the messages it describes off the chat (a branch rollback).
                raise NotAllowed(
                    "The summary before that change described messages that were later edited away, "
                    "so it cannot come back."
                )
            restored = store.summaries.save(
                session_id,
                entry.text,
                covers_through=entry.covers_through,
                token_count=entry.token_count,
                model=entry.model,
                edited_by_user=entry.edited_by_user,
                by="user",
                undo_of=entry.id,
            )
        # covers_through 0 (a user's text rebased before every message) covers nothing: no watermark.
        _follow(store, session_id, (restored.covers_through or None) if restored is not None else None)
    return restored


def _follow(store: Store, session_id: int, through: int | None) -> None:
    """Put the summary job's watermark where the restored summary ends (back, or forward)."""
    current = store.upkeep_state.get(session_id, "summary").through_id
    if through == current:
        return
    if through is None or (current is not None and through < current):
        store.upkeep_state.rewind(session_id, "summary", through)
    else:
        store.upkeep_state.advance(session_id, "summary", through)
