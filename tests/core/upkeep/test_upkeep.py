"""run_upkeep: state the GUI can show (running, failed with a reason, done), resumable after failures."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from desktop_chat.core.errors import NotFound
from desktop_chat.core.memory.upkeep import JobStatus, UpkeepReport, jobs_for, run_upkeep, upkeep_status
from desktop_chat.core.models import FactStatus, JobName, Strategy
from desktop_chat.core.providers import OpenAIChatClient
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.store import Store
from tests.helpers.fake_openai import FakeOpenAIServer, Fault
from tests.helpers.upkeep import MODEL, AfterReply, conversation, open_store, with_client

SETTINGS = Settings(summary_trigger=2, summary_keep_last=1)


def upkeep(
    server: FakeOpenAIServer, store: Store, session_id: int, jobs: tuple[JobName, ...] = ("summary", "facts")
) -> UpkeepReport:
    return with_client(
        server,
        lambda client: run_upkeep(store, client, session_id, model=MODEL, settings=SETTINGS, jobs=jobs),
    )


@pytest.fixture
def session_id(store: Store) -> int:
    return store.sessions.create("upkeep").id


def test_jobs_follow_the_strategy() -> None:
    assert jobs_for(Strategy.SUMMARY) == ("summary",)
    assert jobs_for("facts") == ("facts",)
    assert jobs_for(Strategy.HYBRID) == ("summary", "facts")
    for strategy in (Strategy.FULL, Strategy.WINDOW, Strategy.RECALL):
        assert jobs_for(strategy) == ()


def test_a_job_that_never_ran_is_pending(store: Store, session_id: int) -> None:
    status = upkeep_status(store, session_id)
    assert {job: s.status for job, s in status.items()} == {"summary": JobStatus.PENDING, "facts": JobStatus.PENDING}
    assert all(s.through_id is None for s in status.values())


def test_failure_is_recorded_with_a_reason_then_done_after_a_good_run(
    fake_openai: FakeOpenAIServer, store: Store, session_id: int
) -> None:
    messages = conversation(store, session_id, ["My name is Ada.", "Hi Ada.", "I live in Porto.", "Nice."])
    fake_openai.fail(Fault.SERVER_ERROR)  # the summary request
    fake_openai.reply("not json")  # the first extraction

    report = upkeep(fake_openai, store, session_id)

    assert not report.ok
    status = upkeep_status(store, session_id)
    summary, facts = status["summary"], status["facts"]
    assert summary.status is JobStatus.FAILED
    assert summary.error and "\n" not in summary.error and "server" in summary.error.lower()
    assert facts.status is JobStatus.FAILED
    assert facts.error and "not valid JSON" in facts.error and "will be retried" in facts.error
    assert store.summaries.get(session_id) is None and store.facts.all() == []

    fake_openai.reply("Ada introduced herself and said she lives in Porto.")
    fake_openai.reply_json({"facts": [{"key": "name", "value": "Ada", "quote": "My name is Ada"}]})
    fake_openai.reply_json({"facts": [{"key": "city", "value": "Porto", "quote": "I live in Porto"}]})

    report = upkeep(fake_openai, store, session_id)

    assert report.ok, report
    status = upkeep_status(store, session_id)
    assert {job: (s.status, s.error) for job, s in status.items()} == {
        "summary": (JobStatus.DONE, None),
        "facts": (JobStatus.DONE, None),
    }
    assert status["summary"].through_id == messages[2].id  # keep_last 1
    assert status["facts"].through_id == messages[2].id  # the last user message
    assert sorted(f.value for f in store.facts.all()) == ["Ada", "Porto"]


def test_committed_work_survives_a_failure_and_is_not_redone(
    fake_openai: FakeOpenAIServer, store: Store, session_id: int
) -> None:
    first, _, second = conversation(store, session_id, ["My name is Ada.", "Hi.", "I live in Porto."])
    fake_openai.reply_json({"facts": [{"key": "name", "value": "Ada", "quote": None}]})
    fake_openai.fail(Fault.SERVER_ERROR)

    upkeep(fake_openai, store, session_id, jobs=("facts",))

    state = upkeep_status(store, session_id)["facts"]
    assert (state.status, state.through_id) == (JobStatus.FAILED, first.id)
    assert [f.value for f in store.facts.all()] == ["Ada"]

    fake_openai.reply_json({"facts": [{"key": "city", "value": "Porto", "quote": None}]})
    upkeep(fake_openai, store, session_id, jobs=("facts",))

    contents = [json.dumps(r.body["messages"][-1]["content"]) for r in fake_openai.chat_requests]
    assert sum("My name is Ada." in c for c in contents) == 1  # the first message was not asked about again
    assert upkeep_status(store, session_id)["facts"].through_id == second.id
    assert [f.value for f in store.facts.all() if f.status is FactStatus.ACTIVE] == ["Ada", "Porto"]


def test_state_survives_a_restart_and_an_interrupted_run_becomes_pending(
    fake_openai: FakeOpenAIServer, tmp_path: Path
) -> None:
    store = open_store(tmp_path)
    session_id = store.sessions.create("restart").id
    (message,) = conversation(store, session_id, ["I play the cello."])
    fake_openai.reply_json({"facts": [{"key": "instrument", "value": "cello", "quote": None}]})
    upkeep(fake_openai, store, session_id, jobs=("facts",))
    store.upkeep_state.mark(session_id, "summary", JobStatus.RUNNING)  # as a crash would leave it
    store.close()

    store = open_store(tmp_path)
    try:
        assert store.upkeep_state.reset_interrupted() == 1
        status = upkeep_status(store, session_id)
        assert (status["facts"].status, status["facts"].through_id) == (JobStatus.DONE, message.id)
        assert status["summary"].status is JobStatus.PENDING
    finally:
        store.close()


def test_a_summary_below_the_trigger_is_done_without_a_request(
    fake_openai: FakeOpenAIServer, store: Store, session_id: int
) -> None:
    conversation(store, session_id, ["Hello"])

    report = upkeep(fake_openai, store, session_id, jobs=("summary",))

    assert report.results["summary"].status == "skipped"
    assert upkeep_status(store, session_id)["summary"].status is JobStatus.DONE
    assert fake_openai.chat_requests == []


def test_an_unknown_session_is_refused(fake_openai: FakeOpenAIServer, store: Store) -> None:
    with pytest.raises(NotFound, match="no chat 999"):
        upkeep(fake_openai, store, 999)


def test_a_cancelled_run_is_pending_with_its_committed_work_kept(
    fake_openai: FakeOpenAIServer, store: Store, session_id: int
) -> None:
    first, _, _ = conversation(store, session_id, ["My name is Ada.", "Hi.", "I live in Porto."])
    fake_openai.reply_json({"facts": [{"key": "name", "value": "Ada", "quote": None}]})
    fake_openai.reply_json({"facts": [{"key": "city", "value": "Porto", "quote": None}]})
    calls = 0

    async def cancel_during_second(client: OpenAIChatClient) -> None:
        second_answered = asyncio.Event()

        async def maybe_hang() -> None:
            nonlocal calls
            calls += 1
            if calls == 2:
                second_answered.set()
                await asyncio.Event().wait()

        task = asyncio.create_task(
            run_upkeep(
                store, AfterReply(client, maybe_hang), session_id, model=MODEL, settings=SETTINGS, jobs=("facts",)
            )
        )
        await second_answered.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with_client(fake_openai, cancel_during_second)

    state = upkeep_status(store, session_id)["facts"]
    assert (state.status, state.through_id) == (JobStatus.PENDING, first.id)
    assert state.error is not None and "interrupted" in state.error
    assert [f.value for f in store.facts.all()] == ["Ada"]
