"""What a user may do to remembered facts, and what each action means; the one place these rules live.

Every change leaves a ``fact_events`` row (the repository writes it), so the
history can be shown and undone. Never two active facts for one key and scope:
a new active value supersedes the old one, which stays in the history.
"""

from __future__ import annotations

from collections.abc import Sequence

from desktop_chat.core.errors import EmptyInput, NotAllowed
from desktop_chat.core.models import Fact, FactEvent, FactOrigin, FactStatus, Session
from desktop_chat.core.storage.facts import normalize_key
from desktop_chat.core.storage.store import Store

EDITABLE = (FactStatus.ACTIVE, FactStatus.PENDING)
# What a chat's fact list shows unless asked otherwise: what is sent, and what awaits the user's word.
SHOWN = (FactStatus.ACTIVE, FactStatus.PENDING)


def visible(store: Store, session: Session | None, statuses: Sequence[FactStatus] = SHOWN) -> list[Fact]:
    """Facts a chat sees (its own and the global ones), or every fact with ``session`` None.

    A temporary chat sees the saved global facts and has none of its own.
    """
    if session is None:
        return [f for f in store.facts.all() if f.status in statuses]
    scope = None if session.temporary else session.id
    return store.facts.visible(session_id=scope, statuses=tuple(statuses))


def require_saved_scope(session: Session | None) -> None:
    """Refuse a fact scoped to a temporary chat: such a chat never writes memory."""
    if session is not None and session.temporary:
        raise NotAllowed("A temporary chat never writes memory; add the fact as a global one.")


def _require(fact: Fact, allowed: tuple[FactStatus, ...], action: str) -> None:
    if fact.status not in allowed:
        states = " or ".join(s.value for s in allowed)
        raise NotAllowed(f"Fact {fact.id} is {fact.status.value}; only {states} facts can be {action}.")


def _supersede_active(store: Store, new: Fact, *, actor: str) -> list[Fact]:
    replaced = [f for f in store.facts.history(new.key, new.scope) if f.status is FactStatus.ACTIVE and f.id != new.id]
    for old in replaced:
        store.facts.supersede(old.id, new.id, actor=actor)
    return replaced


def remember(store: Store, key: str, value: str, *, scope: int | None = None) -> tuple[Fact, bool]:
    """A fact the user states: it supersedes the key's active value and keeps its pin. Returns (fact, created)."""
    from desktop_chat.core.memory.extractor import same_value  # with token counting: not at the window's start

    if not normalize_key(key) or not value.strip():
        raise EmptyInput("A fact needs a non-empty key and value.")
    current = [f for f in store.facts.history(key, scope) if f.status is FactStatus.ACTIVE]
    for fact in current:
        if same_value(fact.value, value):
            return fact, False
    # The user pinned this key; their own new value for it is still what they want always sent.
    pinned = any(f.pinned for f in current)
    with store.db.transaction():
        new = store.facts.add(key, value, scope=scope, origin=FactOrigin.USER, pinned=pinned, actor="user")
        _supersede_active(store, new, actor="user")
    return store.facts.get(new.id), True


def edit(store: Store, fact_id: int, *, key: str | None = None, value: str | None = None) -> Fact:
    """Change a fact's key or value; extraction never overwrites a fact the user edited."""
    if key is None and value is None:
        raise EmptyInput("Say what to change: a new key, a new value, or both.")
    if (key is not None and not normalize_key(key)) or (value is not None and not value.strip()):
        raise EmptyInput("A fact's key and value cannot be empty; delete the fact instead.")
    fact = store.facts.get(fact_id)
    _require(fact, EDITABLE, "edited")
    if key is not None:
        clash = store.facts.current(key, fact.scope)
        if clash is not None and clash.id != fact.id:
            raise NotAllowed(f"Fact {clash.id} already holds {clash.key!r} in this scope; edit or delete that one.")
    return store.facts.edit(fact.id, key=key, value=value)


def delete(store: Store, fact_id: int) -> Fact:
    """Soft delete: the fact and its history stay, so the removal can be seen and undone."""
    fact = store.facts.get(fact_id)
    if fact.status is FactStatus.DELETED:
        return fact
    return store.facts.set_status(fact.id, FactStatus.DELETED, actor="user")


def set_pinned(store: Store, fact_id: int, pinned: bool) -> Fact:
    fact = store.facts.get(fact_id)
    _require(fact, (FactStatus.ACTIVE,), "pinned" if pinned else "unpinned")
    if fact.pinned == pinned:
        return fact
    return store.facts.set_pinned(fact.id, pinned)


def approve(store: Store, fact_id: int) -> Fact:
    """Make a pending (or refused) fact active; it supersedes the key's active fact, pinned or not."""
    fact = store.facts.get(fact_id)
    _require(fact, (FactStatus.PENDING, FactStatus.REJECTED), "approved")
    with store.db.transaction():
        _supersede_active(store, fact, actor="user")
        return store.facts.set_status(fact_id, FactStatus.ACTIVE, actor="user")


def reject(store: Store, fact_id: int) -> Fact:
    """Refuse a pending fact; it stays visible as rejected, and the active one is untouched."""
    fact = store.facts.get(fact_id)
    _require(fact, (FactStatus.PENDING,), "rejected (delete others instead)")
    return store.facts.set_status(fact_id, FactStatus.REJECTED, actor="user", reason="rejected by the user")


def set_private(store: Store, fact_id: int, private: bool) -> Fact:
    """Private: the fact goes only to local models (a loopback server); undo reverts it like any change."""
    fact = store.facts.get(fact_id)
    if fact.private == private:
        return fact
    if fact.status in (FactStatus.DELETED, FactStatus.SUPERSEDED):
        raise NotAllowed(f"Fact {fact_id} is {fact.status.value}; only current facts can be made private.")
    return store.facts.set_private(fact_id, private)


def undo(store: Store, fact_id: int) -> Fact:
    """Undo the newest change to a fact, recorded in its history as ``restored``.

    Undoing its creation deletes it and brings back the value it had superseded.
    Restoring an active state supersedes whatever became active for the key since.
    """
    fact = store.facts.get(fact_id)
    last = _last_undoable(store.facts.events(fact_id))
    if last is None:
        raise NotAllowed(f"Fact {fact_id} has no change to undo.")
    with store.db.transaction():
        if last.old is None:  # its creation
            restored = store.facts.set_status(fact_id, FactStatus.DELETED, actor="user")
            for older in store.facts.history(fact.key, fact.scope):
                if older.superseded_by == fact_id and older.status is FactStatus.SUPERSEDED:
                    store.facts.reactivate(older.id, actor="user", reason=f"fact {fact_id} that replaced it was undone")
            return restored
        if FactStatus(last.old["status"]) is FactStatus.ACTIVE:
            for other in store.facts.history(str(last.old["key"]), fact.scope):
                if other.status is FactStatus.ACTIVE and other.id != fact_id:
                    store.facts.supersede(other.id, fact_id, actor="user")
        return store.facts.restore(fact_id, last.old)


def _last_undoable(events: list[FactEvent]) -> FactEvent | None:
    """The change an undo reverts: the newest one that was not itself an undo of the one before."""
    stack: list[FactEvent] = []
    for event in events:
        if event.action == "restored" and stack:
            stack.pop()  # that change was undone; undo again goes one further back
        else:
            stack.append(event)
    return stack[-1] if stack else None
