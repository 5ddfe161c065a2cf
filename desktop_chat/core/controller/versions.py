"""Versions of a message: what regenerate, edit-and-resend, retry and an import's branches leave behind.

A message's versions are its siblings: the messages of the same chat with the same parent and role
(the replies to one question; the user's message and its edits). One of them is on the active branch,
the others are kept off it (``active`` 0) with whatever continued from them. Choosing a version puts it,
and the newest path that continued from it, on the active branch in place of the one that was there:
the chat shows it, and the next request is planned from it. Memory follows as after an edit
(``memory.branching.after_branch``): a summary that took in what left is rolled back, facts from it
retired, and upkeep reads the chosen branch again.

The active branch stays one path from the chat's first message, in id order (a message is always
newer than its parent), so paging and counting stay index scans.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from desktop_chat.core.errors import NotAllowed, NotFound
from desktop_chat.core.memory.branching import BranchOutcome, after_branch
from desktop_chat.core.models import Message
from desktop_chat.core.storage.store import Store


@dataclass(frozen=True, slots=True)
class Versions:
    """A message's versions, oldest first, and which of them is ``message_id``."""

    message_id: int
    ids: tuple[int, ...]

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def position(self) -> int:
        """1-based, as the chat shows it ("2/3"); 0 when the message is not a version (no text, off the branch)."""
        return self.ids.index(self.message_id) + 1 if self.message_id in self.ids else 0

    @property
    def previous(self) -> int | None:
        """The version before this one, None for the first."""
        i = self.position - 1
        return self.ids[i - 1] if i > 0 else None

    @property
    def next(self) -> int | None:
        """The version after this one, None for the last."""
        i = self.position
        return self.ids[i] if 0 < i < len(self.ids) else None


def versions_of(store: Store, message_id: int) -> Versions:
    store.messages.get(message_id)  # NotFound for an unknown id
    return Versions(message_id, tuple(store.messages.version_ids(message_id)))


def in_place_of(store: Store, message: Message) -> int | None:
    """The version the chat shows where ``message`` was: itself while on the active branch, else the version of
    the same parent and role now on it (a regenerated or chosen one; ``message`` may be deleted), else None."""
    if store.messages.is_active(message.id):
        return message.id
    return store.messages.active_version(message.session_id, message.parent_id, message.role)


def check_free(store: Store, session_id: int, streaming: Callable[[int], bool]) -> None:
    """Versions change the branch a reply is written on: not while one is being written."""
    if streaming(session_id) or store.claims.held_elsewhere(session_id):
        raise NotAllowed("A reply is being written in this chat: wait for it to end (or stop it), then switch.")


def choose(store: Store, message_id: int) -> BranchOutcome | None:
    """Put the message and the newest path that continued from it on the active branch.

    Returns what memory did (None when the message was on the branch already).
    """
    chosen = store.messages.get(message_id)
    if chosen.active:
        return None
    if not chosen.content and message_id not in store.messages.version_ids(message_id):
        raise NotFound(f"Message {message_id} is not a version: it has no text to show.")
    session_id = chosen.session_id
    with store.db.transaction():
        # Up from the chosen message to the first ancestor still on the branch: the fork.
        lead: list[Message] = [chosen]
        while lead[-1].parent_id is not None and not store.messages.is_active(lead[-1].parent_id):
            lead.append(store.messages.get(lead[-1].parent_id))
        top = lead[-1]
        current = _active_sibling(store, top)
        path = [m.id for m in reversed(lead)] + _newest_path(store, chosen.id)[1:]
        if current is not None:
            store.messages.deactivate_from(session_id, current)
        store.messages.set_active(path)
        # The branch changed from the older of the two forks on: what memory took in after it is rolled back.
        point = min(top.id, current) if current is not None else top.id
        return after_branch(store, session_id, point)


def delete(store: Store, message_id: int) -> tuple[Versions, BranchOutcome | None]:
    """Delete a version and everything that continued from it; the chat keeps another version.

    A version on the active branch gives its place to its neighbour (the one before, else the one
    after) first. Returns the versions left (``message_id`` the one now on the branch) and what memory did.
    """
    versions = versions_of(store, message_id)
    if versions.count < 2 or versions.position == 0:
        raise NotAllowed("This message has no other version: there is nothing to switch to if it goes.")
    message = store.messages.get(message_id)
    with store.db.transaction():
        on_branch = [i for i in versions.ids if i != message_id and store.messages.is_active(i)]
        survivor = on_branch[0] if on_branch else (versions.previous or versions.next)
        assert survivor is not None  # two versions at least
        outcome = choose(store, survivor) if message.active else None
        store.messages.delete(sorted(store.messages.subtree(message_id), reverse=True))
    return versions_of(store, survivor), outcome


def _active_sibling(store: Store, message: Message) -> int | None:
    """The version of ``message`` on the active branch now, if any."""
    return next((i for i in store.messages.version_ids(message.id) if store.messages.is_active(i)), None)


def _newest_path(store: Store, message_id: int) -> list[int]:
    """From the message down to the newest message that continued from it: where the user left off there."""
    parents = store.messages.subtree(message_id)
    node: int | None = max(parents)
    path: list[int] = []
    while node is not None:
        path.append(node)
        if node == message_id:
            break
        node = parents[node]
    return path[::-1]
