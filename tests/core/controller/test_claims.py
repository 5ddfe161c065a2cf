"""Per-chat claims in the database: one chat answers in one place, across connections and processes."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import pytest

from desktop_chat.core.controller import ConversationController
from desktop_chat.core.errors import Busy, StorageError
from desktop_chat.core.events import Delta, Event, Failed, Finished, Started, Stopped
from desktop_chat.core.storage.claims import BUSY_MESSAGE, HeldClaim, new_owner
from desktop_chat.core.storage.db import to_db_time, utcnow
from desktop_chat.core.storage.store import Store
from tests.helpers.controller import (
    active_pairs,
    collect,
    data_dir,
    ending,
    make_factory,
    open_store,
    raw_db,
    settings_for,
)
from tests.helpers.fake_openai import FakeOpenAIServer, Fault

T = TypeVar("T")


@pytest.fixture
def two_stores(tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    """Two connections to one file: what the window and a CLI process each hold."""
    first = open_store(tmp_path)
    second = Store.open(data_dir(tmp_path))
    yield first, second
    first.close()
    second.close()


def claim_rows(tmp_path: Path) -> list[tuple[int, int]]:
    with raw_db(tmp_path) as db:
        return db.execute("SELECT session_id, pid FROM chat_claims").fetchall()


def run_two(
    server: FakeOpenAIServer,
    stores: tuple[Store, Store],
    job: Callable[[ConversationController, ConversationController], Awaitable[T]],
) -> T:
    async def go() -> T:
        settings = settings_for(server)
        a = ConversationController(stores[0], make_factory(), settings, save_interval=0.05)
        b = ConversationController(stores[1], make_factory(), settings, save_interval=0.05)
        try:
            return await job(a, b)
        finally:
            await a.aclose()
            await b.aclose()

    return asyncio.run(go())


# --- the repository ---------------------------------------------------------------------


def set_claim(store: Store, session_id: int, *, pid: int, host: str, age: float) -> None:
    stamp = to_db_time(utcnow() - timedelta(seconds=age))
    store.db._conn.execute(
        "INSERT OR REPLACE INTO chat_claims(session_id, owner, pid, host, taken_at, heartbeat_at)"
        " VALUES (?, 'someone', ?, ?, ?, ?)",
        (session_id, pid, host, stamp, stamp),
    )


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_live_claim_refuses_others_and_only_its_owner_releases_it(store: Store) -> None:
    sid = store.sessions.create("Chat").id
    mine, theirs = new_owner(), new_owner()
    store.claims.take(sid, mine)
    store.claims.take(sid, mine)  # taking one's own claim again refreshes it
    with pytest.raises(Busy) as caught:
        store.claims.take(sid, theirs)
    assert (
        str(caught.value) == BUSY_MESSAGE == "This chat is answering elsewhere; wait for that reply or stop it there."
    )
    store.claims.release(sid, theirs)  # not theirs to release
    assert store.claims.held_elsewhere(sid, theirs)
    assert not store.claims.held_elsewhere(sid, mine)
    store.claims.release(sid, mine)
    store.claims.take(sid, theirs)
    assert not store.claims.heartbeat(sid, mine)
    assert store.claims.heartbeat(sid, theirs)


def test_dead_or_stale_claims_are_taken_over_live_ones_are_not(store: Store) -> None:
    sid = store.sessions.create("Chat").id
    here = socket.gethostname()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        set_claim(store, sid, pid=sleeper.pid, host=here, age=0)
        with pytest.raises(Busy):
            store.claims.take(sid, new_owner())  # a live process on this host, fresh heartbeat
        set_claim(store, sid, pid=12345, host="another-host", age=1)
        with pytest.raises(Busy):
            store.claims.take(sid, new_owner())  # another host: only its heartbeat can tell
    finally:
        sleeper.kill()
        sleeper.wait()

    set_claim(store, sid, pid=dead_pid(), host=here, age=0)  # killed a moment ago: its pid is gone
    store.claims.take(sid, owner := new_owner())
    claim = store.claims.get(sid)
    assert claim is not None
    assert (claim.owner, claim.pid) == (owner, os.getpid())

    set_claim(store, sid, pid=12345, host="another-host", age=store.claims.stale_after + 1)
    store.claims.take(sid, new_owner())  # no heartbeat for longer than stale_after

    set_claim(store, sid, pid=12345, host="another-host", age=-3600)  # a clock set back an hour
    store.claims.take(sid, new_owner())


def test_racing_takers_on_separate_connections_exactly_one_wins(tmp_path: Path) -> None:
    setup = open_store(tmp_path)
    sid = setup.sessions.create("Chat").id
    setup.close()
    takers = 8
    barrier = threading.Barrier(takers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def take() -> None:
        store = Store.open(data_dir(tmp_path))  # one connection per thread, as one per process
        try:
            barrier.wait(10)
            try:
                store.claims.take(sid, new_owner())
                result = "won"
            except Busy:
                result = "busy"
            with lock:
                outcomes.append(result)
        finally:
            store.close()

    threads = [threading.Thread(target=take) for _ in range(takers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["busy"] * (takers - 1) + ["won"]


# --- the controller ---------------------------------------------------------------------


def test_a_second_connection_is_refused_while_a_reply_streams_then_allowed(
    tmp_path: Path, fake_openai: FakeOpenAIServer, two_stores: tuple[Store, Store]
) -> None:
    fake_openai.reply(chunks=["one ", "two ", "three"], chunk_delay=0.2)
    fake_openai.reply("Second answer.")

    async def job(a: ConversationController, b: ConversationController) -> tuple[int, list[Event], list[Event]]:
        sid = a.new_session(title="Shared").id
        events: list[Event] = []
        async for event in a.send(sid, "first question"):
            events.append(event)
            if isinstance(event, Started):
                assert claim_rows(tmp_path) == [(sid, os.getpid())]
                with pytest.raises(Busy, match="answering elsewhere"):
                    await collect(b.send(sid, "interloper"))
                with pytest.raises(Busy):
                    await collect(b.regenerate(sid))
        assert claim_rows(tmp_path) == []
        later = await collect(b.send(sid, "second question"))
        return sid, events, later

    sid, first, second = run_two(fake_openai, two_stores, job)
    assert isinstance(ending(first), Finished)
    assert isinstance(ending(second), Finished)
    assert active_pairs(two_stores[0], sid) == [
        ("user", "first question", "complete"),
        ("assistant", "one two three", "complete"),
        ("user", "second question", "complete"),
        ("assistant", "Second answer.", "complete"),
    ]
    assert len(two_stores[0].messages.all(sid, include_inactive=True)) == 4  # the refused ones wrote nothing


def test_the_heartbeat_keeps_the_claim_live_through_a_slow_reply(
    tmp_path: Path, fake_openai: FakeOpenAIServer, two_stores: tuple[Store, Store]
) -> None:
    for store in two_stores:
        store.claims.stale_after = 0.6
        store.claims.heartbeat_interval = 0.1
    fake_openai.reply(chunks=["slow ", "slow ", "slow ", "done"], chunk_delay=0.5)

    async def job(a: ConversationController, b: ConversationController) -> list[Event]:
        sid = a.new_session(title="Slow").id
        events: list[Event] = []
        async for event in a.send(sid, "take your time"):
            events.append(event)
            if isinstance(event, Started):
                await asyncio.sleep(1.2)  # twice the stale time: only the heartbeat keeps it live
                with pytest.raises(Busy):
                    await collect(b.send(sid, "interloper"))
        return events

    events = run_two(fake_openai, two_stores, job)
    assert isinstance(ending(events), Finished)


def test_a_claim_taken_over_stops_the_reply_here(
    tmp_path: Path, fake_openai: FakeOpenAIServer, two_stores: tuple[Store, Store]
) -> None:
    two_stores[0].claims.heartbeat_interval = 0.1
    fake_openai.fail(Fault.FOREVER, interval=0.05)

    async def job(a: ConversationController, b: ConversationController) -> list[Event]:
        sid = a.new_session(title="Stalled").id
        events: list[Event] = []
        async for event in a.send(sid, "go on"):
            events.append(event)
            if isinstance(event, Started):
                # As if this process had been suspended past the stale time and another took over.
                two_stores[1].db._conn.execute(
                    "UPDATE chat_claims SET owner = 'elsewhere' WHERE session_id = ?", (sid,)
                )
        return events

    events = asyncio.run(asyncio.wait_for(_run(fake_openai, two_stores, job), 20))
    assert isinstance(ending(events), Stopped)
    assert claim_rows(tmp_path) != []  # the other owner's claim is left alone


async def _run(
    server: FakeOpenAIServer,
    stores: tuple[Store, Store],
    job: Callable[[ConversationController, ConversationController], Awaitable[T]],
) -> T:
    settings = settings_for(server)
    a = ConversationController(stores[0], make_factory(), settings)
    b = ConversationController(stores[1], make_factory(), settings)
    try:
        return await job(a, b)
    finally:
        await a.aclose()
        await b.aclose()


@pytest.mark.parametrize("ending_kind", ["finished", "failed", "stopped", "cancelled", "too_large"])
def test_the_claim_is_released_on_every_exit_path(
    tmp_path: Path, fake_openai: FakeOpenAIServer, two_stores: tuple[Store, Store], ending_kind: str
) -> None:
    if ending_kind == "failed":
        fake_openai.fail(Fault.SERVER_ERROR, times=5)
    elif ending_kind in ("stopped", "cancelled"):
        fake_openai.fail(Fault.FOREVER, interval=0.05)
    text = "word " * 20000 if ending_kind == "too_large" else "hello"

    async def job(a: ConversationController, b: ConversationController) -> type[Event] | None:
        sid = a.new_session(title="Paths").id
        last: type[Event] | None = None

        async def iterate() -> None:
            nonlocal last
            async for event in a.send(sid, text):
                last = type(event)
                if isinstance(event, Delta) and ending_kind == "stopped":
                    a.stop(sid)
                if isinstance(event, Started) and ending_kind == "cancelled":
                    raise asyncio.CancelledError

        task = asyncio.create_task(iterate())
        await asyncio.wait({task})
        assert claim_rows(tmp_path) == []
        # The other connection can take the chat at once.
        b.store.claims.take(sid, new_owner())
        return last

    last = run_two(fake_openai, two_stores, job)
    expected = {"finished": Finished, "failed": Failed, "stopped": Stopped, "too_large": Failed}
    if ending_kind in expected:
        assert last is expected[ending_kind]


def test_a_temporary_chat_takes_no_database_claim(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply(chunks=["a ", "b"], chunk_delay=0.1)
    store = open_store(tmp_path)

    async def job() -> list[Event]:
        c = ConversationController(store, make_factory(), settings_for(fake_openai))
        try:
            sid = c.new_session(temporary=True).id
            events: list[Event] = []
            async for event in c.send(sid, "hi"):
                events.append(event)
                assert claim_rows(tmp_path) == []
            return events
        finally:
            await c.aclose()

    try:
        events = asyncio.run(job())
    finally:
        store.close()
    assert isinstance(ending(events), Finished)


def test_the_claims_table_cascades_with_its_chat(store: Store) -> None:
    sid = store.sessions.create("Gone").id
    store.claims.take(sid, new_owner())
    store.sessions.delete(sid)
    assert store.claims.get(sid) is None
    with pytest.raises(StorageError):
        store.claims.take(10_000, new_owner())  # no such chat


def test_a_database_locked_past_the_busy_timeout_is_one_line(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    sid = store.sessions.create("Locked").id
    store.db._conn.execute("PRAGMA busy_timeout=100")
    with raw_db(tmp_path) as other:
        other.execute("BEGIN IMMEDIATE")  # another process in the middle of a long write
        try:
            with pytest.raises(StorageError, match="is busy"):
                store.claims.take(sid, new_owner())
        finally:
            other.execute("ROLLBACK")
    store.claims.take(sid, new_owner())
    store.close()


def test_a_busy_database_neither_ends_the_heartbeat_nor_breaks_the_release(tmp_path: Path) -> None:
    """Repositories raise StorageError (not sqlite3's errors): a locked moment must not end the claim's upkeep."""
    store = open_store(tmp_path)
    sid = store.sessions.create("Busy moment").id
    store.db._conn.execute("PRAGMA busy_timeout=20")
    store.claims.heartbeat_interval = 0.05

    async def go() -> tuple[bool, bool]:
        held = await HeldClaim.take(store.claims, sid)
        beating = next(t for t in asyncio.all_tasks() if t.get_name() == f"claim-{sid}")
        with raw_db(tmp_path) as other:
            other.execute("BEGIN IMMEDIATE")  # another process writing: every beat meanwhile fails
            await asyncio.sleep(0.3)
            alive_through_the_lock = not beating.done()
            held.release()  # the claim then dies by its heartbeat; the reply's end must not fail
            other.execute("ROLLBACK")
        return alive_through_the_lock, held.released

    try:
        assert asyncio.run(go()) == (True, True)
    finally:
        store.close()
