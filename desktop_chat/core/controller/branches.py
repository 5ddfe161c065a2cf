"""The messages a reply is made from and what it supersedes: the branch rules of send, retry, regenerate."""

from __future__ import annotations

from collections.abc import Callable

from desktop_chat.core.errors import NotFound
from desktop_chat.core.memory.branching import after_branch
from desktop_chat.core.models import ContextPlan, Message, MessageStatus, Role
from desktop_chat.core.storage.store import Store

INTERRUPTED_NOTE = "Interrupted: the app closed while this reply was streaming."


def supersede(store: Store, reply: Message) -> None:
    """Take a reply off the active branch (kept in the database, reachable through parent_id)."""
    with store.db.transaction():
        if reply.status is MessageStatus.STREAMING:  # left by a crash: record how it ended
            store.messages.finish(reply.id, MessageStatus.STOPPED, error=INTERRUPTED_NOTE)
        store.messages.deactivate_from(reply.session_id, reply.id)
        # A summary (keep_last 0) may already hold the reply that just left the branch.
        after_branch(store, reply.session_id, reply.id)


def last_message(store: Store, session_id: int) -> Message:
    newest = store.messages.newest(session_id, 1)
    if not newest:
        raise NotFound(f"Chat {session_id} has no messages yet: send one first.")
    return newest[0]


def user_before(store: Store, reply: Message) -> Message:
    user = store.messages.get(reply.parent_id) if reply.parent_id is not None else None
    if user is None or user.role is not Role.USER or not user.active:
        raise NotFound(f"The reply {reply.id} does not follow a message of yours; send a new message instead.")
    return user


def begin_reply(store: Store, user: Message, plan: ContextPlan, model: str) -> Message:
    """The reply's row (streaming, empty) and the plan it is made from, in one step."""
    with store.db.transaction():
        assistant = store.messages.append(
            user.session_id, Role.ASSISTANT, "", status=MessageStatus.STREAMING, parent_id=user.id, model=model
        )
        store.reply_plans.save(assistant.id, user.session_id, plan)  # "why this reply", kept with the reply
        return assistant


def recover_interrupted(store: Store, session_id: int | None, *, busy: Callable[[int], bool]) -> list[Message]:
    """Mark replies left ``streaming`` by a crash as stopped, keeping their text (``busy``: chats this
    process is answering in, left alone). Without ``session_id``, jobs left running become pending."""
    recovered = []
    for message in store.messages.interrupted():
        if session_id is not None and message.session_id != session_id:
            continue
        if busy(message.session_id):
            continue
        if store.claims.held_elsewhere(message.session_id):
            continue  # another process is streaming it right now: not interrupted
        recovered.append(store.messages.finish(message.id, MessageStatus.STOPPED, error=INTERRUPTED_NOTE))
    if session_id is None:
        store.upkeep_state.reset_interrupted()
    return recovered
