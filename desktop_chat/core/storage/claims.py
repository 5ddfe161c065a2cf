"""Per-chat claims across processes: one chat answers in one place at a time.

The in-process check (the controller's busy slots) cannot see the window and a
`desktop-chat send` on the same database, or four CLI processes at once. A row
in ``chat_claims`` can: whoever holds a live claim on a chat is the only one
allowed to add a message and stream a reply there.

A claim is live while its owner refreshes ``heartbeat_at`` (every
``HEARTBEAT_INTERVAL`` seconds) and, when the owner runs on this host, its
process still exists. A claim left by a killed process is therefore taken over
at once on the same host, and after ``STALE_AFTER`` seconds from elsewhere.
Checking and taking happen in one ``BEGIN IMMEDIATE`` transaction: SQLite's
write lock orders concurrent takers, so exactly one of them wins.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from desktop_chat.core.errors import Busy, DatabaseBusy, StorageError
from desktop_chat.core.storage.db import Database, Repository, from_db_time, to_db_time, utcnow
from desktop_chat.core.storage.waiting import when_free

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL = 2.0  # seconds between refreshes while a claim is held
STALE_AFTER = 10.0  # seconds without a heartbeat after which a claim is dead
BUSY_MESSAGE = "This chat is answering elsewhere; wait for that reply or stop it there."
NOT_SENT = "your message was not sent: send it again once that program is done."

# Owners in this process that let go of their claim while another program held the lock:
# their row may linger until the release gets through, and must not keep this process out.
_let_go: set[str] = set()
_releasing: set[asyncio.Task[None]] = set()


@dataclass(frozen=True, slots=True)
class Claim:
    session_id: int
    owner: str
    pid: int
    host: str
    taken_at: datetime
    heartbeat_at: datetime


def new_owner() -> str:
    """A token naming one claim-holder: unique even for two controllers in one process."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def process_exists(pid: int) -> bool:
    """Whether a process with this id runs on this host (True when it cannot be told)."""
    if pid == os.getpid():
        return True
    if sys.platform == "win32":
        # os.kill(pid, 0) would terminate the process there; the heartbeat decides instead.
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, under another user
        return True
    return True


class ClaimRepository(Repository):
    """Take, refresh and release the claim on a chat; see the module docstring."""

    def __init__(
        self, db: Database, *, stale_after: float = STALE_AFTER, heartbeat_interval: float = HEARTBEAT_INTERVAL
    ) -> None:
        super().__init__(db)
        self.stale_after = stale_after  # judged by the reader: a claim older than this is dead
        self.heartbeat_interval = heartbeat_interval  # how often a HeldClaim refreshes its row

    def get(self, session_id: int) -> Claim | None:
        row = self._conn.execute(
            "SELECT session_id, owner, pid, host, taken_at, heartbeat_at FROM chat_claims WHERE session_id = ?",
            (session_id,),
        ).fetchone()
        if row is None:
            return None
        return Claim(row[0], row[1], row[2], row[3], from_db_time(row[4]), from_db_time(row[5]))

    def is_live(self, claim: Claim, now: datetime | None = None) -> bool:
        """Whether the claim's owner may still be answering."""
        age = (now or utcnow()) - claim.heartbeat_at
        # A heartbeat far in the future (a clock set back) does not keep a claim alive forever.
        if abs(age) > timedelta(seconds=self.stale_after) or claim.owner in _let_go:
            return False
        return not (claim.host == socket.gethostname() and not process_exists(claim.pid))

    def live_sessions(self) -> list[int]:
        """The chats someone (any process) is answering in now."""
        rows = self._conn.execute(
            "SELECT session_id, owner, pid, host, taken_at, heartbeat_at FROM chat_claims"
        ).fetchall()
        claims = [Claim(r[0], r[1], r[2], r[3], from_db_time(r[4]), from_db_time(r[5])) for r in rows]
        return [c.session_id for c in claims if self.is_live(c)]

    def held_elsewhere(self, session_id: int, owner: str | None = None) -> bool:
        """Whether someone other than ``owner`` holds a live claim on the chat."""
        claim = self.get(session_id)
        return claim is not None and claim.owner != owner and self.is_live(claim)

    def take(self, session_id: int, owner: str) -> None:
        """Claim the chat for ``owner``; raises ``Busy`` while another owner's claim is live.

        A dead or stale claim is replaced. Taking a claim ``owner`` already holds refreshes it.
        """
        self._take(session_id, owner)

    def _take(self, session_id: int, owner: str) -> None:
        now = utcnow()
        with self._db.transaction():  # BEGIN IMMEDIATE: the check and the write are one step
            current = self.get(session_id)
            if current is not None and current.owner != owner and self.is_live(current, now):
                raise Busy(BUSY_MESSAGE)
            if current is not None and current.owner != owner:
                log.info(
                    "taking over the claim on chat %s from %s (pid %s on %s): its owner is gone",
                    session_id,
                    current.owner,
                    current.pid,
                    current.host,
                )
            stamp = to_db_time(now)
            self._conn.execute(
                "INSERT INTO chat_claims(session_id, owner, pid, host, taken_at, heartbeat_at)"
                " VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(session_id) DO UPDATE SET owner = excluded.owner, pid = excluded.pid,"
                " host = excluded.host, taken_at = excluded.taken_at, heartbeat_at = excluded.heartbeat_at",
                (session_id, owner, os.getpid(), socket.gethostname(), stamp, stamp),
            )

    def heartbeat(self, session_id: int, owner: str) -> bool:
        """Refresh the claim; False when ``owner`` no longer holds it (it was taken over)."""
        cursor = self._conn.execute(
            "UPDATE chat_claims SET heartbeat_at = ? WHERE session_id = ? AND owner = ?",
            (to_db_time(utcnow()), session_id, owner),
        )
        return cursor.rowcount == 1

    def release(self, session_id: int, owner: str) -> None:
        """Drop the claim if ``owner`` still holds it (never someone else's)."""
        self._conn.execute("DELETE FROM chat_claims WHERE session_id = ? AND owner = ?", (session_id, owner))


class HeldClaim:
    """A claim this process holds: refreshed every ``claims.heartbeat_interval`` s by a task until ``release()``.

    ``on_lost`` runs (once) when a heartbeat finds the claim taken over, which
    happens only when this process stalled past ``STALE_AFTER`` (suspended,
    stopped); the caller should stop answering then.
    """

    def __init__(
        self, claims: ClaimRepository, session_id: int, *, on_lost: Callable[[], object] | None = None
    ) -> None:
        self._claims = claims
        self.session_id = session_id
        self.owner = new_owner()
        self._on_lost = on_lost
        self._task: asyncio.Task[None] | None = None
        self.released = False

    @classmethod
    async def take(
        cls, claims: ClaimRepository, session_id: int, *, on_lost: Callable[[], object] | None = None
    ) -> HeldClaim:
        """Take the claim (``Busy`` when it is live elsewhere) and start heartbeating.

        Waits, with the loop free, while another program holds the database's write lock
        (``DatabaseBusy`` after ``waiting.PATIENCE``).
        """
        held = cls(claims, session_id, on_lost=on_lost)
        await when_free(claims._db, lambda: claims.take(session_id, held.owner), giving_up=NOT_SENT)
        held._task = asyncio.get_running_loop().create_task(held._beat(), name=f"claim-{session_id}")
        return held

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self._claims.heartbeat_interval)
            try:
                still_ours = self._claims.heartbeat(self.session_id, self.owner)
            except DatabaseBusy:  # another program writes: the next beat tries again, well inside STALE_AFTER
                continue
            except StorageError as exc:
                log.warning("could not refresh the claim on chat %s: %s", self.session_id, exc)
                continue
            if not still_ours:
                log.warning("the claim on chat %s was taken over by another process; stopping here", self.session_id)
                if self._on_lost is not None:
                    self._on_lost()
                return

    def release(self) -> None:
        """Stop heartbeating and drop the claim; safe to call more than once."""
        if self.released:
            return
        self.released = True
        if self._task is not None:
            self._task.cancel()
        try:
            self._claims.release(self.session_id, self.owner)
        except DatabaseBusy:
            self._release_later()
        except StorageError:
            pass  # the database may be gone (closing app): the claim then dies by its heartbeat and pid

    def _release_later(self) -> None:
        """Drop the row once another program lets go of the lock; until then this process ignores it."""
        _let_go.add(self.owner)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop to wait on: the claim dies by its heartbeat

        async def release() -> None:
            with contextlib.suppress(StorageError):
                await when_free(
                    self._claims._db, lambda: self._claims.release(self.session_id, self.owner), forever=True
                )
            _let_go.discard(self.owner)

        task = loop.create_task(release(), name=f"release-claim-{self.session_id}")
        _releasing.add(task)
        task.add_done_callback(_releasing.discard)
