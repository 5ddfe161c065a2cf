"""Every server fault ends in the right event, keeps the user's message, and retry works afterwards."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from desktop_chat.core.controller import ConversationController
from desktop_chat.core.errors import (
    AuthError,
    BadResponse,
    ConnectionFailed,
    DesktopChatError,
    ModelNotFound,
    ProviderError,
)
from desktop_chat.core.events import Event, Failed, Finished
from desktop_chat.core.models import MessageStatus
from desktop_chat.core.settings import Settings
from tests.helpers.controller import (
    KEY,
    all_messages,
    collect,
    ending,
    open_store,
    settings_for,
    text_of,
    with_controller,
)
from tests.helpers.fake_openai import FakeOpenAIServer, Fault

QUESTION = "What is the capital of Portugal?"


def send_then_retry(
    tmp_path: Path,
    server: FakeOpenAIServer,
    *,
    send_kwargs: dict[str, Any] | None = None,
    settings: Settings | None = None,
) -> tuple[list[Event], list[Event], int]:
    async def job(c: ConversationController) -> tuple[list[Event], list[Event], int]:
        session = c.new_session(title="Geography")
        first = await collect(c.send(session.id, QUESTION, **(send_kwargs or {})))
        server.reply("Lisbon.")
        second = await collect(c.retry(session.id))
        return first, second, session.id

    return with_controller(tmp_path, server, job, settings=settings)


@pytest.mark.parametrize(
    ("script", "error", "retryable", "partial"),
    [
        pytest.param({"kind": Fault.UNAUTHORIZED}, AuthError, False, "", id="401"),
        pytest.param({"kind": Fault.MODEL_NOT_FOUND}, ModelNotFound, False, "", id="unknown-model"),
        pytest.param({"kind": Fault.SERVER_ERROR, "times": 3}, ProviderError, True, "", id="500"),
        pytest.param({"kind": Fault.STALL, "seconds": 3}, ConnectionFailed, True, "", id="no-first-byte"),
        pytest.param({"kind": Fault.DROP, "after_chunks": 2}, ConnectionFailed, True, "You said: ", id="dropped"),
        pytest.param({"kind": Fault.MALFORMED, "after_chunks": 1}, BadResponse, True, "You ", id="malformed-sse"),
    ],
)
def test_fault_fails_keeps_the_message_and_retry_succeeds(  # noqa: PLR0917 - pytest passes parameters by position
    tmp_path: Path,
    fake_openai: FakeOpenAIServer,
    script: dict[str, Any],
    error: type[DesktopChatError],
    retryable: bool,
    partial: str,
) -> None:
    fake_openai.fail(**script)
    # A profile that sends the key, so the test sees it kept out of every message.
    keyed = replace(settings_for(fake_openai).profile(), needs_key=True)
    settings = settings_for(fake_openai, read_timeout=1.0, profiles=(keyed,))
    first, second, session_id = send_then_retry(tmp_path, fake_openai, settings=settings)

    failed = ending(first)
    assert isinstance(failed, Failed), first
    assert isinstance(failed.error, error), failed.error
    assert failed.retryable is retryable
    assert "\n" not in failed.message
    assert KEY not in failed.message
    assert text_of(first) == partial

    done = ending(second)
    assert isinstance(done, Finished), second
    assert done.message.content == "Lisbon."

    store = open_store(tmp_path)
    try:
        # The active branch: the one question, the one good answer.
        active = store.messages.all(session_id)
        assert [(m.role.value, m.content, m.status) for m in active] == [
            ("user", QUESTION, MessageStatus.COMPLETE),
            ("assistant", "Lisbon.", MessageStatus.COMPLETE),
        ]
        # The failed reply is kept off the branch, with its partial text and the error.
        old = store.messages.get(failed.assistant_message_id or 0)
        assert (old.status, old.active, old.content) == (MessageStatus.FAILED, False, partial)
        assert old.error == failed.message
        assert len(all_messages(store, session_id)) == 3
    finally:
        store.close()
    # The retry sent the question once, not twice, and not the failed reply.
    retried = fake_openai.chat_requests[-1].body["messages"]
    assert [m["content"] for m in retried] == [QUESTION]


def test_rate_limited_once_then_the_reply_arrives(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.fail(Fault.RATE_LIMIT)
    fake_openai.reply("Lisbon.")

    async def job(c: ConversationController) -> list[Event]:
        session = c.new_session(title="Geography")
        return await collect(c.send(session.id, QUESTION))

    events = with_controller(tmp_path, fake_openai, job)
    done = ending(events)
    assert isinstance(done, Finished)
    assert done.message.content == "Lisbon."
    assert len(fake_openai.chat_requests) == 2


def test_rate_limited_beyond_the_retries_fails_retryable(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.fail(Fault.RATE_LIMIT, times=3)
    first, second, _ = send_then_retry(tmp_path, fake_openai)
    failed = ending(first)
    assert isinstance(failed, Failed)
    assert failed.retryable
    assert "429" in failed.message
    assert isinstance(ending(second), Finished)


def test_retry_with_another_model_after_an_unknown_one(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reject_unknown_models = True

    async def job(c: ConversationController) -> tuple[list[Event], list[Event]]:
        session = c.new_session(title="Models")
        first = await collect(c.send(session.id, QUESTION, model="no-such-model"))
        fake_openai.reply("Lisbon.")
        return first, await collect(c.retry(session.id))

    first, second = with_controller(tmp_path, fake_openai, job)
    failed = ending(first)
    assert isinstance(failed, Failed)
    assert isinstance(failed.error, ModelNotFound)
    assert "fake-gpt" in failed.message  # the error names what the server does have
    assert isinstance(ending(second), Finished)


def test_retry_when_nothing_failed_is_refused(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    async def job(c: ConversationController) -> None:
        session = c.new_session(title="Fine")
        await collect(c.send(session.id, "hello"))
        with pytest.raises(DesktopChatError, match="nothing to retry"):
            await collect(c.retry(session.id))

    with_controller(tmp_path, fake_openai, job)
    assert len(fake_openai.chat_requests) == 1
