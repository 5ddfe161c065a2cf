"""What a user may do to a chat itself (its title, archiving); the facade calls these and publishes the change.

Rules for what is inside a chat live beside the memory engine (``memory/fact_rules``,
``memory/summary_rules``); these are the ones about the chat as a whole.
"""

from __future__ import annotations

from desktop_chat.core.errors import EmptyInput, NotAllowed
from desktop_chat.core.models import Session


def clean_title(title: str) -> str:
    """A title to save: trimmed, and never empty (the sidebar would show a blank row)."""
    if not title.strip():
        raise EmptyInput("A chat's title cannot be empty.")
    return title.strip()


def check_archive(session: Session, archived: bool) -> None:
    """Archiving keeps a chat out of sight, saved; a temporary chat is never saved, so it cannot be."""
    if session.temporary and archived:
        raise NotAllowed("A temporary chat is never saved, so it cannot be archived.")
