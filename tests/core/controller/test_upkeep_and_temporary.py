"""Memory upkeep runs behind the reply, never delays it, reports its state; temporary chats leave no trace."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from desktop_chat.core.controller import ConversationController
from desktop_chat.core.events import Event, Finished, TitleChanged, UpkeepChanged
from desktop_chat.core.models import JobStatus, Strategy
from tests.helpers.controller import (
    UPKEEP_MODEL,
    collect,
    data_dir,
    ending,
    raw_db,
    settings_for,
    text_of,
    with_controller,
)
from tests.helpers.fake_openai import FakeOpenAIServer, Fault

NAME = "My name is Ada and I live in Porto."
FACTS = {"facts": [{"key": "name", "value": "Ada", "quote": "My name is Ada"}]}


def test_upkeep_runs_after_the_reply_without_delaying_it(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply("Nice to meet you, Ada.")
    fake_openai.fail(Fault.STALL, seconds=1.5)  # the fact extraction request hangs, then fails
    notices: list[UpkeepChanged] = []

    async def job(c: ConversationController) -> tuple[float, bool, dict[str, JobStatus], str | None]:
        c.subscribe(lambda e: notices.append(e) if isinstance(e, UpkeepChanged) else None)
        session = c.new_session(title="Me", strategy=Strategy.FACTS)
        begun = time.monotonic()
        async for event in c.send(session.id, NAME):
            if isinstance(event, Finished):
                took = time.monotonic() - begun
                running = c.upkeep_running(session.id)
        await c.wait_for_upkeep(10)
        states = c.upkeep_status(session.id)
        return took, running, {k: v.status for k, v in states.items()}, states["facts"].error

    took, running_at_finish, states, error = with_controller(
        tmp_path, fake_openai, job, settings=settings_for(fake_openai, read_timeout=1.0)
    )
    assert took < 1.0  # the upkeep (stalling 1.5 s) was not waited for
    assert running_at_finish
    assert states["facts"] is JobStatus.FAILED
    assert states["summary"] is JobStatus.PENDING  # the facts strategy needs no summary
    assert error and "\n" not in error
    assert [n.running for n in notices] == [True, False]
    assert notices[-1].states["facts"].status is JobStatus.FAILED
    assert fake_openai.chat_requests[1].body["model"] == UPKEEP_MODEL


def test_upkeep_stores_facts_from_the_reply_turn(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply("Nice to meet you, Ada.")
    fake_openai.reply_json(FACTS)

    async def job(c: ConversationController) -> list[tuple[str, str]]:
        session = c.new_session(title="Me", strategy=Strategy.FACTS)
        await collect(c.send(session.id, NAME))
        assert await c.wait_for_upkeep(10)
        return [(f.key, f.value) for f in c.store.facts.all()]

    facts = with_controller(tmp_path, fake_openai, job)
    assert facts == [("name", "Ada")]


def test_aclose_cancels_running_upkeep_cleanly(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply("Hi.")
    fake_openai.fail(Fault.STALL, seconds=5)

    async def job(c: ConversationController) -> int:
        session = c.new_session(title="Me", strategy=Strategy.FACTS)
        await collect(c.send(session.id, NAME))
        assert c.upkeep_running(session.id)
        for _ in range(500):  # until the extraction request is out and hanging
            if len(fake_openai.chat_requests) == 2:
                break
            await asyncio.sleep(0.01)
        assert c.upkeep_status(session.id)["facts"].status is JobStatus.RUNNING
        begun = time.monotonic()
        await c.aclose()
        assert time.monotonic() - begun < 2
        assert not c.upkeep_running(session.id)
        return session.id

    session_id = with_controller(tmp_path, fake_openai, job)
    with raw_db(tmp_path) as db:
        status, error = db.execute(
            "SELECT status, error FROM upkeep_state WHERE session_id = ? AND job = 'facts'", (session_id,)
        ).fetchone()
    assert status == "pending"  # picked up again next time
    assert "interrupted" in error


def test_temporary_chat_writes_nothing_to_disk_and_extracts_no_facts(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.reply("Nice to meet you, Ada.")
    fake_openai.reply("Meeting Ada")  # the title
    fake_openai.reply("Sure.")

    def snapshot() -> tuple[int, int, int, int]:
        with raw_db(tmp_path) as db:
            counts = tuple(
                db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in ("sessions", "messages", "facts", "upkeep_state")
            )
        return counts

    store_files: list[set[str]] = []
    titles: list[Event] = []

    async def job(c: ConversationController) -> tuple[list[Event], list[Event], int, bool]:
        store_files.append({p.name for p in data_dir(tmp_path).iterdir()})
        before = snapshot()
        session = c.new_session(temporary=True, strategy=Strategy.HYBRID)
        c.subscribe(lambda e: titles.append(e) if isinstance(e, TitleChanged) else None)
        first = await collect(c.send(session.id, NAME))
        await c.wait_for_upkeep(10)  # the title, made in the background
        second = await collect(c.send(session.id, "What is my name?"))
        await c.wait_for_upkeep(10)
        assert snapshot() == before
        listed = [s.id for s in c.temporary_sessions()]
        return first, second, session.id, listed == [session.id] and session.temporary

    settings = settings_for(fake_openai, summary_trigger=100)  # no summary either, to keep requests countable
    first, second, session_id, listed = with_controller(tmp_path, fake_openai, job, settings=settings)
    assert listed
    assert text_of(first) == "Nice to meet you, Ada."
    assert isinstance(ending(second), Finished)
    assert titles == [TitleChanged(session_id, "Meeting Ada")]
    # Three requests: two replies and the title; nothing asked for facts (JSON mode).
    bodies = [r.body for r in fake_openai.chat_requests]
    assert len(bodies) == 3
    assert not any(b.get("response_format") for b in bodies)
    # The history still reaches the server within the temporary chat.
    assert [m["content"] for m in bodies[2]["messages"]][-3:] == [NAME, "Nice to meet you, Ada.", "What is my name?"]
    assert {p.name for p in data_dir(tmp_path).iterdir()} == store_files[0]
    assert session_id > 1_000_000_000_000  # never confused with a saved chat's id
