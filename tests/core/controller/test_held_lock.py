"""Another program holding the database's write lock never stalls the event loop (issue 19, item 12).

The lock is held by a real second process (``BEGIN IMMEDIATE``); the loop's stall is
measured by a 10 ms ticker. Every write the loop cannot drop waits with the loop free and
lands once the lock is gone; past the patience, one line says what happened.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from desktop_chat.core.controller import ConversationController
from desktop_chat.core.errors import DatabaseBusy
from desktop_chat.core.events import Event, Finished, Started
from desktop_chat.core.paths import database_path
from desktop_chat.core.storage import waiting
from desktop_chat.core.storage.claims import HeldClaim
from desktop_chat.core.workspace import Workspace
from tests.helpers.controller import (
    active_pairs,
    collect,
    data_dir,
    ending,
    make_factory,
    open_store,
    settings_for,
    with_controller,
)
from tests.helpers.db_lock import LockHolder, StallMeter
from tests.helpers.fake_openai import FakeOpenAIServer

STALL = 0.1  # seconds: the bound on the longest event-loop stall under a held lock


def holder(tmp_path: Path, seconds: float = 30.0) -> LockHolder:
    return LockHolder(database_path(data_dir(tmp_path)), seconds)


async def warm_up(controller: ConversationController) -> None:
    """One reply before measuring: the first one loads the SDK's modules and token encodings."""
    await collect(controller.send(controller.new_session(title="Warm-up").id, "Hi"))


def test_a_reply_streams_and_is_all_saved_while_another_program_holds_the_lock(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    words = [f"word{i} " for i in range(30)]
    fake_openai.reply("Warm")
    fake_openai.reply(chunks=words, chunk_delay=0.03)

    async def job(controller: ConversationController) -> tuple[float, list[Event], list[tuple[str, str, str]]]:
        await warm_up(controller)
        sid = controller.new_session(title="Held").id
        lock = holder(tmp_path)
        meter = StallMeter().start()
        events: list[Event] = []
        try:
            async for event in controller.send(sid, "Tell me a long story"):
                events.append(event)
                if isinstance(event, Started):
                    await asyncio.to_thread(lock.hold)  # from here on every save meets the lock
                    lock.release_after(1.5)  # past the stream's end: the final save waits too
        finally:
            lock.release()
        worst = await meter.stop()
        return worst, events, active_pairs(controller.store, sid)

    worst, events, saved = with_controller(tmp_path, fake_openai, job, save_interval=0.05)
    assert isinstance(ending(events), Finished)
    # Nothing lost: the whole reply is saved, complete, once the lock is gone.
    assert saved == [("user", "Tell me a long story", "complete"), ("assistant", "".join(words), "complete")]
    assert worst < STALL, f"the event loop stalled {worst * 1000:.0f} ms under another program's lock"


def test_sending_waits_for_the_lock_with_the_loop_free_and_saves_the_message(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.reply("Warm")
    fake_openai.reply("Hello back")

    async def job(controller: ConversationController) -> tuple[float, float, list[Event]]:
        await warm_up(controller)
        sid = controller.new_session(title="Held").id
        lock = holder(tmp_path)
        await asyncio.to_thread(lock.hold)
        meter = StallMeter().start()
        lock.release_after(1.0)
        began = time.monotonic()
        try:
            events = await collect(controller.send(sid, "Are you there?"))
        finally:
            lock.release()
        waited = time.monotonic() - began
        worst = await meter.stop()
        assert active_pairs(controller.store, sid) == [
            ("user", "Are you there?", "complete"),
            ("assistant", "Hello back", "complete"),
        ]
        return worst, waited, events

    worst, waited, events = with_controller(tmp_path, fake_openai, job)
    assert isinstance(ending(events), Finished)
    assert waited >= 0.9, "the message was sent while the lock was held?"
    assert worst < STALL, f"the event loop stalled {worst * 1000:.0f} ms under another program's lock"


def test_a_lock_held_past_the_patience_says_so_in_one_line_and_frees_the_chat(
    tmp_path: Path, fake_openai: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(waiting, "PATIENCE", 0.5)
    fake_openai.reply("Warm")
    fake_openai.reply("Now it works")

    async def job(controller: ConversationController) -> tuple[float, str]:
        await warm_up(controller)
        sid = controller.new_session(title="Held").id
        meter = StallMeter().start()
        with await asyncio.to_thread(holder(tmp_path, 10).hold):
            with pytest.raises(DatabaseBusy) as refused:
                await collect(controller.send(sid, "Kept for later"))
            assert not controller.is_streaming(sid)
        worst = await meter.stop()
        assert active_pairs(controller.store, sid) == []  # nothing half-saved
        # The words were handed back (the caller keeps them): sent again, they are saved.
        events = await collect(controller.send(sid, "Kept for later"))
        assert isinstance(ending(events), Finished)
        assert [m[:2] for m in active_pairs(controller.store, sid)] == [
            ("user", "Kept for later"),
            ("assistant", "Now it works"),
        ]
        return worst, str(refused.value)

    worst, line = with_controller(tmp_path, fake_openai, job)
    assert "\n" not in line and "locked" in line and "send it again" in line, line
    assert worst < STALL, f"the event loop stalled {worst * 1000:.0f} ms under another program's lock"


def test_editing_a_fact_under_the_lock_answers_at_once_and_works_after(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    store = open_store(tmp_path)
    workspace = Workspace(store, make_factory(), settings=settings_for(fake_openai))
    fact, _ = workspace.add_fact("name", "Ada")

    async def go() -> tuple[float, float, str]:
        meter = StallMeter().start()
        with await asyncio.to_thread(holder(tmp_path).hold):
            began = time.monotonic()
            with pytest.raises(DatabaseBusy) as refused:
                workspace.edit_fact(fact.id, value="Grace")
            took = time.monotonic() - began
            await asyncio.sleep(0.2)
        worst = await meter.stop()
        assert workspace.fact(fact.id).value == "Ada"  # unchanged while locked
        workspace.edit_fact(fact.id, value="Grace")
        await workspace.aclose()
        return worst, took, str(refused.value)

    try:
        worst, took, line = asyncio.run(go())
        assert store.facts.visible(session_id=None)[0].value == "Grace"
    finally:
        store.close()
    assert "\n" not in line and "busy" in line, line
    assert took < STALL and worst < STALL, f"editing a fact stalled the loop {max(took, worst) * 1000:.0f} ms"


def test_the_claim_heartbeat_and_release_never_wait_on_the_loop(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    sid = store.sessions.create("Beating").id
    store.claims.heartbeat_interval = 0.05

    async def go() -> tuple[float, bool, bool]:
        held = await HeldClaim.take(store.claims, sid)
        meter = StallMeter().start()
        lock = await asyncio.to_thread(holder(tmp_path).hold)
        await asyncio.sleep(0.6)  # a dozen beats meet the lock
        held.release()  # meets it too: dropped later, and ignored by this process meanwhile
        free_here = not store.claims.held_elsewhere(sid)
        await asyncio.to_thread(lock.release)
        for _ in range(100):
            if store.claims.get(sid) is None:
                break
            await asyncio.sleep(0.05)
        worst = await meter.stop()
        return worst, free_here, store.claims.get(sid) is None

    try:
        worst, free_here, gone = asyncio.run(go())
    finally:
        store.close()
    assert free_here, "a claim this process let go of must not keep it out of the chat"
    assert gone, "the claim's row must go once the lock is free"
    assert worst < STALL, f"the heartbeat stalled the loop {worst * 1000:.0f} ms under another program's lock"


def test_off_a_loop_a_write_still_waits_for_the_lock(tmp_path: Path) -> None:
    """The command line has no loop to keep free: its writes wait for a short lock as before."""
    store = open_store(tmp_path)
    try:
        with holder(tmp_path) as lock:
            lock.release_after(0.5)
            session = store.sessions.create("Waited")
        assert store.sessions.get(session.id).title == "Waited"
    finally:
        store.close()
