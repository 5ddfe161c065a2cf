"""One reply per chat at a time: within this process by a slot per chat, across processes by a claim row.

The window and the CLI (or two CLIs) share the database: a claim in it, heartbeated while
held, raises ``Busy`` when another live process holds the chat.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from desktop_chat.core.controller.turn import Turn
from desktop_chat.core.errors import Busy
from desktop_chat.core.storage.claims import HeldClaim
from desktop_chat.core.storage.store import Store


@dataclass(eq=False)
class Slot:
    """A chat's claim on replying; ``turn`` is set once the request is under way.

    ``claim`` is the database claim that keeps other processes out of the chat
    (None for temporary chats, which no other process can reach).
    """

    session_id: int
    turn: Turn | None = None
    claim: HeldClaim | None = None


class ReplySlots:
    """The chats busy with a reply (being set up or streaming) in this process."""

    def __init__(self) -> None:
        self._slots: dict[int, Slot] = {}

    def busy(self, session_id: int) -> bool:
        return session_id in self._slots

    def all(self) -> list[Slot]:
        return list(self._slots.values())

    @contextlib.asynccontextmanager
    async def claim(self, session_id: int, store: Store | None, on_lost: Callable[[], object]) -> AsyncIterator[Slot]:
        """The chat's slot; a second reply while one is under way is refused with ``Busy``.

        ``store``: the store to take the database claim in, None for a temporary chat (it lives in
        this process's memory: nobody else can reach it). ``on_lost`` runs if the claim is lost.
        """
        if session_id in self._slots:
            raise Busy("A reply is still streaming in this chat: wait for it or stop it first.")
        slot = Slot(session_id)
        self._slots[session_id] = slot  # before waiting for the claim: a second send meanwhile is refused
        try:
            if store is not None:
                slot.claim = await HeldClaim.take(store.claims, session_id, on_lost=on_lost)
            yield slot
        finally:
            self.release(slot)

    def release(self, slot: Slot) -> None:
        if slot.claim is not None:
            slot.claim.release()  # idempotent: called when the reply ends and again when the operation does
        # Only our own claim: the chat may already have been claimed again by the next message.
        if self._slots.get(slot.session_id) is slot:
            del self._slots[slot.session_id]
