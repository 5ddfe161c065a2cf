"""The running summary through the real client and the fake server: trigger, cap, interruption, resume."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from desktop_chat.core.errors import ProviderError, SummaryRejected
from desktop_chat.core.memory.summarizer import _PAGE, DEFAULT_CHUNK_TOKENS, SummaryOutcome, update_summary
from desktop_chat.core.models import Message, MessageStatus, Role
from desktop_chat.core.providers import OpenAIChatClient
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.store import Store
from desktop_chat.core.tokens import TokenCounter
from tests.helpers.fake_openai import FakeOpenAIServer, Fault
from tests.helpers.upkeep import MODEL, AfterReply, conversation, with_client

SETTINGS = Settings(summary_trigger=10, summary_keep_last=4, summary_max_tokens=200)


def summarise(
    server: FakeOpenAIServer,
    store: Store,
    session_id: int,
    settings: Settings = SETTINGS,
    *,
    chunk_tokens: int = DEFAULT_CHUNK_TOKENS,
) -> SummaryOutcome:
    return with_client(
        server,
        lambda client: update_summary(
            store, client, session_id, model=MODEL, settings=settings, chunk_tokens=chunk_tokens
        ),
    )


def prompt_of(server: FakeOpenAIServer, index: int = -1) -> str:
    return str(server.chat_requests[index].body["messages"][-1]["content"])


@pytest.fixture
def session_id(store: Store) -> int:
    return store.sessions.create("summary").id


def chat(store: Store, session_id: int, n: int, start: int = 1) -> list[Message]:
    return conversation(store, session_id, [f"message number {i} about topic{i}" for i in range(start, start + n)])


def test_nothing_happens_until_more_than_the_trigger_is_unsummarised(
    fake_openai: FakeOpenAIServer, store: Store, session_id: int
) -> None:
    chat(store, session_id, 10)

    outcome = summarise(fake_openai, store, session_id)

    assert outcome.status == "skipped"
    assert fake_openai.chat_requests == []
    assert store.summaries.get(session_id) is None


def test_older_messages_are_folded_and_the_last_ones_kept_out(
    fake_openai: FakeOpenAIServer, store: Store, session_id: int
) -> None:
    messages = chat(store, session_id, 12)
    fake_openai.reply("The user discussed topics 1 to 8.", completion_tokens=9)

    outcome = summarise(fake_openai, store, session_id)

    summary = store.summaries.get(session_id)
    assert summary is not None
    assert summary.text == "The user discussed topics 1 to 8."
    assert summary.covers_through == messages[7].id  # 12 - keep_last 4
    assert summary.model == MODEL
    assert summary.token_count == TokenCounter.for_model(MODEL).count_text(summary.text)
    assert outcome.status == "updated" and outcome.folded_ids == tuple(m.id for m in messages[:8])
    prompt = prompt_of(fake_openai)
    assert "topic8" in prompt and "topic9" not in prompt and "topic12" not in prompt
    system = fake_openai.chat_requests[-1].body["messages"][0]["content"]
    for must_keep in ("name", "number", "date", "code", "decision", "commitment", "promise"):
        assert must_keep in system.lower()
    assert fake_openai.chat_requests[-1].body["max_tokens"] == 200
    assert store.upkeep_state.get(session_id, "summary").through_id == messages[7].id


def test_the_previous_user_edited_summary_is_in_the_prompt_and_stays_marked(
    fake_openai: FakeOpenAIServer, store: Store, session_id: int
) -> None:
    first = chat(store, session_id, 2)
    store.summaries.save(
        session_id,
        "The user's name is Ada; the deadline is 3 March.",
        covers_through=first[-1].id,
        token_count=12,
        model=None,
        edited_by_user=True,
    )
    chat(store, session_id, 11, start=3)
    fake_openai.reply("Ada (deadline 3 March) discussed topics 3 to 9.")

    summarise(fake_openai, store, session_id)

    prompt = prompt_of(fake_openai)
    assert "The user's name is Ada; the deadline is 3 March." in prompt
    assert "edited by the user" in prompt
    assert (
        "topic3" in prompt and "topic1\n" not in prompt and "topic2\n" not in prompt
    )  # already covered: not sent again
    summary = store.summaries.get(session_id)
    assert summary is not None and summary.edited_by_user


def test_a_summary_over_the_cap_is_truncated_to_it(
    fake_openai: FakeOpenAIServer, store: Store, session_id: int
) -> None:
    chat(store, session_id, 12)
    long_answer = " ".join(f"point{i} was decided." for i in range(400))
    fake_openai.reply(long_answer)
    settings = replace(SETTINGS, summary_max_tokens=40)

    outcome = summarise(fake_openai, store, session_id, settings)

    summary = store.summaries.get(session_id)
    assert summary is not None
    counter = TokenCounter.for_model(MODEL)
    assert counter.count_text(summary.text) <= 40
    assert summary.token_count <= 40
    assert long_answer.startswith(summary.text)
    assert outcome.truncated
    assert fake_openai.chat_requests[-1].body["max_tokens"] == 40


def test_a_failing_server_leaves_the_old_summary_and_the_next_run_completes(
    fake_openai: FakeOpenAIServer, store: Store, session_id: int
) -> None:
    messages = chat(store, session_id, 12)
    fake_openai.reply("Topics 1 to 8.")
    summarise(fake_openai, store, session_id)
    old = store.summaries.get(session_id)
    messages += chat(store, session_id, 11, start=13)  # 15 unsummarised now

    fake_openai.fail(Fault.SERVER_ERROR)
    with pytest.raises(ProviderError):
        summarise(fake_openai, store, session_id)
    assert store.summaries.get(session_id) == old

    fake_openai.reply("Topics 1 to 19.")
    summarise(fake_openai, store, session_id)
    summary = store.summaries.get(session_id)
    assert summary is not None and summary.text == "Topics 1 to 19."
    assert summary.covers_through == messages[-5].id  # the last 4 stay verbatim
    prompt = prompt_of(fake_openai)
    assert "Topics 1 to 8." in prompt and "topic9\n" in prompt and "topic19" in prompt


def test_a_job_cancelled_after_the_request_leaves_the_old_summary(
    fake_openai: FakeOpenAIServer, store: Store, session_id: int
) -> None:
    messages = chat(store, session_id, 12)
    fake_openai.reply("This answer arrives but is never saved.")

    async def cancel_mid_job(client: OpenAIChatClient) -> None:
        answered = asyncio.Event()

        async def hang() -> None:
            answered.set()
            await asyncio.Event().wait()  # the save never comes: the task is cancelled here

        job = asyncio.create_task(
            update_summary(store, AfterReply(client, hang), session_id, model=MODEL, settings=SETTINGS)
        )
        await answered.wait()
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job

    with_client(fake_openai, cancel_mid_job)
    assert len(fake_openai.chat_requests) == 1
    assert store.summaries.get(session_id) is None
    assert store.upkeep_state.get(session_id, "summary").through_id is None

    fake_openai.reply("Topics 1 to 8.")
    summarise(fake_openai, store, session_id)
    summary = store.summaries.get(session_id)
    assert summary is not None and summary.covers_through == messages[7].id


def test_an_empty_answer_is_rejected(fake_openai: FakeOpenAIServer, store: Store, session_id: int) -> None:
    chat(store, session_id, 12)
    fake_openai.reply("  \n\t ")

    with pytest.raises(SummaryRejected, match="empty summary"):
        summarise(fake_openai, store, session_id)
    assert store.summaries.get(session_id) is None


def test_a_user_edit_during_the_request_is_not_overwritten(
    fake_openai: FakeOpenAIServer, store: Store, session_id: int
) -> None:
    messages = chat(store, session_id, 12)
    fake_openai.reply("The model's summary.")

    def user_edits() -> None:
        store.summaries.save(
            session_id, "My own summary.", covers_through=messages[2].id, token_count=4, model=None, edited_by_user=True
        )

    outcome = with_client(
        fake_openai,
        lambda client: update_summary(
            store, AfterReply(client, user_edits), session_id, model=MODEL, settings=SETTINGS
        ),
    )

    assert outcome.status == "conflict"
    summary = store.summaries.get(session_id)
    assert summary is not None and summary.text == "My own summary."


def test_a_span_too_long_for_one_request_is_folded_in_chunks(
    fake_openai: FakeOpenAIServer, store: Store, session_id: int
) -> None:
    texts = [f"message {i}: " + ("lorem ipsum dolor " * 60) + f"marker{i}" for i in range(1, 17)]
    messages = conversation(store, session_id, texts)
    fake_openai.reply("FOLD-ONE")
    fake_openai.reply("FOLD-TWO")
    fake_openai.reply("FOLD-THREE")
    fake_openai.reply("FOLD-FOUR")

    outcome = summarise(fake_openai, store, session_id, chunk_tokens=1200)

    assert outcome.requests >= 2
    prompts = [prompt_of(fake_openai, i) for i in range(outcome.requests)]
    # Each fold builds on the previous one, and every message is sent exactly once.
    for previous_answer, prompt in zip(["FOLD-ONE", "FOLD-TWO", "FOLD-THREE"], prompts[1:], strict=False):
        assert previous_answer in prompt
    for i in range(1, 13):
        assert sum(p.count(f"marker{i}\n") for p in prompts) == 1
    assert not any(f"marker{i}\n" in p for p in prompts for i in range(13, 17))  # the kept last 4
    summary = store.summaries.get(session_id)
    assert summary is not None and summary.covers_through == messages[11].id


def test_a_span_longer_than_a_read_page_is_folded_whole_and_a_streaming_reply_still_ends_it(
    fake_openai: FakeOpenAIServer, store: Store, session_id: int
) -> None:
    # The span is read a page at a time (the loop runs between pages): pages join into the same span.
    n = 2 * _PAGE + 7
    messages = chat(store, session_id, n)
    store.messages.append(session_id, Role.ASSISTANT, "still streaming", status=MessageStatus.STREAMING)
    chat(store, session_id, 3, start=n + 1)  # after the streaming reply: not part of the span
    for _ in range(8):
        fake_openai.reply("FOLDED")

    outcome = summarise(fake_openai, store, session_id)

    assert outcome.status == "updated"
    assert outcome.folded_ids == tuple(m.id for m in messages[: n - SETTINGS.summary_keep_last])
    prompts = "".join(prompt_of(fake_openai, i) for i in range(outcome.requests))
    assert f"topic{n - SETTINGS.summary_keep_last}\n" in prompts
    assert f"topic{n - SETTINGS.summary_keep_last + 1}\n" not in prompts
    summary = store.summaries.get(session_id)
    assert summary is not None and summary.covers_through == messages[n - SETTINGS.summary_keep_last - 1].id


def test_a_message_edited_away_in_a_long_span_while_the_model_works_discards_the_fold(
    fake_openai: FakeOpenAIServer, store: Store, session_id: int
) -> None:
    messages = chat(store, session_id, _PAGE + 20)
    fake_openai.reply("FOLDED")
    # Taken off the branch once the request has its answer, as an edit in the window would, mid-run.
    outcome = with_client(
        fake_openai,
        lambda client: update_summary(
            store,
            AfterReply(client, lambda: store.messages.deactivate_from(session_id, messages[3].id)),
            session_id,
            model=MODEL,
            settings=SETTINGS,
        ),
    )

    assert outcome.status == "conflict"
    assert store.summaries.get(session_id) is None
