"""What a user may do to a chat's summary besides undo (``summary_undo``): edit it, see what it covers.

Kept beside ``fact_rules`` so the facade only orchestrates: it calls these and
publishes the change, and a view or a command never decides what is allowed.
"""

from __future__ import annotations

from desktop_chat.core.errors import EmptyInput, NotAllowed
from desktop_chat.core.memory.history import stored_token_count
from desktop_chat.core.models import Role, Session, Summary
from desktop_chat.core.storage.store import Store


def require_saved(session: Session) -> None:
    """A temporary chat never writes memory, so its summary has no history to show or undo."""
    if session.temporary:
        raise NotAllowed("A temporary chat never writes memory, so its summary has no history to undo.")


def edit(store: Store, session_id: int, text: str) -> Summary:
    """Save the user's own summary text, marked as theirs, so later upkeep folds into it instead of replacing it.

    A first summary written by hand covers the chat up to its newest message, and the
    summary job's watermark starts there (upkeep then summarises only what follows).
    """
    store.sessions.get(session_id)
    if not text.strip():
        raise EmptyInput("The summary cannot be empty; clear it by switching the chat to another strategy.")
    current = store.summaries.get(session_id)
    covers = current.covers_through if current else store.messages.last_id(session_id)
    if covers is None:
        raise NotAllowed("This chat has no messages yet, so there is nothing for a summary to cover.")
    saved = store.summaries.save(
        session_id,
        text.strip(),
        covers_through=covers,
        token_count=stored_token_count(Role.SYSTEM, text.strip()),
        model=current.model if current else None,
        edited_by_user=True,
        by="user",
    )
    if current is None:
        store.upkeep_state.advance(session_id, "summary", covers)
    return saved


def coverage(store: Store, session_id: int) -> tuple[int, int] | None:
    """The chat's messages the summary covers, as positions (1, n) in its active branch; None without one."""
    summary = store.summaries.get(session_id)
    if summary is None:
        return None
    covered = store.scan.active_count(session_id) - store.scan.active_count_after(session_id, summary.covers_through)
    return (1, covered) if covered > 0 else None
