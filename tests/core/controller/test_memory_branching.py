"""Editing or regenerating a message the summary or the facts already took in: memory follows the new branch."""

from __future__ import annotations

from pathlib import Path

from desktop_chat.core.controller import ConversationController
from desktop_chat.core.events import Event
from desktop_chat.core.memory.branching import after_branch, retire_facts_off_branch
from desktop_chat.core.memory.extractor import extract_facts
from desktop_chat.core.memory.summarizer import update_summary
from desktop_chat.core.models import FactStatus, Role, Strategy
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.store import Store
from desktop_chat.core.storage.upkeep_state import JobStatus
from tests.helpers.controller import UPKEEP_MODEL, collect, open_store, settings_for, started, with_controller
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.upkeep import AfterReply, conversation, with_client

OLD_SUMMARY = "OLD-SUMMARY: the dog Rex is five."
NEW_SUMMARY = "NEW-SUMMARY: the dog Rex is seven."
USER_SUMMARY = "USER-SUMMARY: Rex is a beagle."


def plan_text(events: list[Event]) -> str:
    return "\n".join(m["content"] for m in started(events).plan.request_messages())


def summary_settings(server: FakeOpenAIServer) -> Settings:
    # Fold everything (no verbatim tail) as soon as more than two messages are unsummarised.
    return settings_for(server, summary_trigger=2, summary_keep_last=0)


def request_text(server: FakeOpenAIServer, index: int) -> str:
    return "\n".join(str(m["content"]) for m in server.chat_requests[index].body["messages"])


async def two_turns_and_a_summary(c: ConversationController, *, strategy: Strategy = Strategy.SUMMARY) -> int:
    sid = c.new_session(title="Rex", strategy=strategy).id
    await collect(c.send(sid, "My dog is Rex."))
    assert await c.wait_for_upkeep(10)  # two messages: not yet worth a summary
    await collect(c.send(sid, "He is five."))
    assert await c.wait_for_upkeep(10)
    summary = c.store.summaries.get(sid)
    assert summary is not None
    assert summary.text == OLD_SUMMARY
    return sid


def test_editing_a_summarised_message_drops_the_summary_and_upkeep_resummarises_the_branch(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    for text in ("Good dog.", "Nice age.", OLD_SUMMARY, "Seven, wow.", NEW_SUMMARY):
        fake_openai.reply(text)

    async def job(c: ConversationController) -> tuple[int, int, list[Event]]:
        sid = await two_turns_and_a_summary(c)
        five = c.store.messages.all(sid)[2]
        events = await collect(c.edit_and_resend(sid, five.id, "He is seven."))
        assert await c.wait_for_upkeep(10)
        return sid, five.id, events

    sid, five_id, events = with_controller(tmp_path, fake_openai, job, settings=summary_settings(fake_openai))
    # The reply to the edit was planned without the summary of the old branch.
    assert "OLD-SUMMARY" not in plan_text(events)
    assert "He is five." not in plan_text(events)
    assert "He is seven." in plan_text(events)

    fold = request_text(fake_openai, -1)  # upkeep after the edit summarised the active branch
    assert "There is no summary yet." in fold
    assert "He is seven." in fold
    assert "Seven, wow." in fold
    assert "He is five." not in fold
    assert "Nice age." not in fold

    store = open_store(tmp_path)
    try:
        summary = store.summaries.get(sid)
        assert summary is not None
        assert summary.text == NEW_SUMMARY
        assert summary.covers_through == store.messages.all(sid)[-1].id > five_id
        assert store.upkeep_state.get(sid, "summary").through_id == summary.covers_through
    finally:
        store.close()


def test_regenerating_a_summarised_reply_drops_the_summary_from_the_next_plan(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    for text in ("Good dog.", "Nice age.", OLD_SUMMARY, "Five is young."):
        fake_openai.reply(text)

    async def job(c: ConversationController) -> list[Event]:
        sid = await two_turns_and_a_summary(c)
        return await collect(c.regenerate(sid))

    events = with_controller(tmp_path, fake_openai, job, settings=summary_settings(fake_openai))
    text = plan_text(events)
    assert "OLD-SUMMARY" not in text
    assert "Nice age." not in text
    assert text.endswith("He is five.")


def test_a_user_edited_summary_survives_an_edit_as_the_base_of_the_next_fold(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    for text in ("Good dog.", "Nice age.", OLD_SUMMARY, "Seven, wow.", "He loves them.", "MERGED"):
        fake_openai.reply(text)

    async def job(c: ConversationController) -> tuple[int, list[Event]]:
        sid = await two_turns_and_a_summary(c)
        old = c.store.summaries.get(sid)
        assert old is not None
        c.store.summaries.save(  # the user rewrote the summary in the memory inspector
            sid, USER_SUMMARY, covers_through=old.covers_through, token_count=8, model=None, edited_by_user=True
        )
        five = c.store.messages.all(sid)[2]
        events = await collect(c.edit_and_resend(sid, five.id, "He is seven."))
        assert await c.wait_for_upkeep(10)
        await collect(c.send(sid, "He likes long walks."))
        assert await c.wait_for_upkeep(10)
        return sid, events

    sid, events = with_controller(tmp_path, fake_openai, job, settings=summary_settings(fake_openai))
    assert USER_SUMMARY in plan_text(events)  # kept: the user's words are never thrown away
    assert "He is seven." in plan_text(events)

    fold = request_text(fake_openai, -1)
    assert "edited by the user: authoritative" in fold
    assert USER_SUMMARY in fold
    assert "He is seven." in fold
    assert "He likes long walks." in fold
    assert "He is five." not in fold
    assert "My dog is Rex." not in fold  # already inside the user's summary

    store = open_store(tmp_path)
    try:
        summary = store.summaries.get(sid)
        assert summary is not None
        assert (summary.text, summary.edited_by_user) == ("MERGED", True)
    finally:
        store.close()


def test_facts_from_an_edited_message_leave_and_what_they_replaced_comes_back(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.reply("Nice city.")
    fake_openai.reply_json({"facts": [{"key": "city", "value": "Paris", "quote": "I live in Paris"}]})
    fake_openai.reply("Big move.")
    fake_openai.reply_json({"facts": [{"key": "city", "value": "Berlin", "quote": "I moved to Berlin"}]})
    fake_openai.reply("Sunny.")
    fake_openai.reply_json({"facts": []})

    async def job(c: ConversationController) -> tuple[int, int, list[Event]]:
        sid = c.new_session(title="Me", strategy=Strategy.FACTS).id
        await collect(c.send(sid, "I live in Paris."))
        assert await c.wait_for_upkeep(10)
        moved = started(await collect(c.send(sid, "I moved to Berlin."))).user_message_id
        assert await c.wait_for_upkeep(10)
        assert [f.value for f in c.store.facts.visible()] == ["Berlin"]
        events = await collect(c.edit_and_resend(sid, moved, "What is the weather like?"))
        assert await c.wait_for_upkeep(10)
        return sid, moved, events

    sid, moved, events = with_controller(tmp_path, fake_openai, job)
    text = plan_text(events)
    assert "Berlin" not in text
    assert "Paris" in text
    # The new message was read by the extractor; the removed one was not read again.
    extraction = [r for r in fake_openai.chat_requests if r.body.get("response_format")]
    assert len(extraction) == 3
    assert "What is the weather like?" in str(extraction[-1].body["messages"])

    store = open_store(tmp_path)
    try:
        paris, berlin = store.facts.history("city", None)
        assert (berlin.value, berlin.status, berlin.source_message_id) == ("Berlin", FactStatus.DELETED, moved)
        assert berlin.reason and f"#{moved}" in berlin.reason
        last = store.facts.events(berlin.id)[-1]
        assert (last.actor, last.action) == ("system", "deleted")
        assert (paris.value, paris.status, paris.superseded_by) == ("Paris", FactStatus.ACTIVE, None)
        assert [(e.actor, e.action) for e in store.facts.events(paris.id)][-1] == ("system", "restored")
        state = store.upkeep_state.get(sid, "facts")
        assert state.status is JobStatus.DONE
        assert state.through_id == store.messages.all(sid)[-2].id  # the edited message
    finally:
        store.close()


def test_pinned_or_user_edited_facts_from_an_edited_message_stay(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply("Noted.")
    fake_openai.reply_json(
        {
            "facts": [
                {"key": "name", "value": "Ada", "quote": "I am Ada"},
                {"key": "city", "value": "Porto", "quote": "I live in Porto"},
                {"key": "pet", "value": "Rex", "quote": "my dog Rex"},
            ]
        }
    )
    fake_openai.reply("Hello.")
    fake_openai.reply_json({"facts": []})

    async def job(c: ConversationController) -> list[tuple[str, str, FactStatus]]:
        sid = c.new_session(title="Me", strategy=Strategy.FACTS).id
        first = started(await collect(c.send(sid, "I am Ada, I live in Porto with my dog Rex."))).user_message_id
        assert await c.wait_for_upkeep(10)
        facts = {f.key: f for f in c.store.facts.visible()}
        c.store.facts.set_pinned(facts["name"].id, True)
        c.store.facts.edit(facts["city"].id, value="Porto, Portugal")
        await collect(c.edit_and_resend(sid, first, "Hi."))
        assert await c.wait_for_upkeep(10)
        return [(f.key, f.value, f.status) for f in c.store.facts.all()]

    facts = with_controller(tmp_path, fake_openai, job)
    assert facts == [
        ("name", "Ada", FactStatus.ACTIVE),
        ("city", "Porto, Portugal", FactStatus.ACTIVE),
        ("pet", "Rex", FactStatus.DELETED),
    ]


def test_a_fold_whose_messages_were_edited_away_meanwhile_is_discarded(
    fake_openai: FakeOpenAIServer, store: Store
) -> None:
    sid = store.sessions.create("Race").id
    messages = conversation(store, sid, [f"message {i} about topic{i}" for i in range(1, 13)])
    fake_openai.reply("A summary of topics 1 to 8.")

    def user_edits_message_5() -> None:
        # No summary yet, so nothing to roll back: only the fold in flight knows it read message 5.
        with store.db.transaction():
            store.messages.deactivate_from(sid, messages[4].id)
            after_branch(store, sid, messages[4].id)
        store.messages.append(sid, Role.USER, "message 5, edited")

    settings = Settings(summary_trigger=10, summary_keep_last=4)
    outcome = with_client(
        fake_openai,
        lambda client: update_summary(
            store, AfterReply(client, user_edits_message_5), sid, model=UPKEEP_MODEL, settings=settings
        ),
    )

    assert outcome.status == "conflict"
    assert store.summaries.get(sid) is None
    assert store.upkeep_state.get(sid, "summary").through_id is None


def test_after_branch_rewinds_the_facts_watermark_below_the_branch_point(store: Store) -> None:
    sid = store.sessions.create("Marks").id
    messages = conversation(store, sid, ["one", "reply one", "two", "reply two", "three", "reply three"])
    store.upkeep_state.advance(sid, "facts", messages[4].id)
    store.upkeep_state.advance(sid, "summary", messages[1].id)
    store.summaries.save(sid, "one and its reply", covers_through=messages[1].id, token_count=5, model=None)

    with store.db.transaction():
        store.messages.deactivate_from(sid, messages[2].id)
        outcome = after_branch(store, sid, messages[2].id)

    assert outcome.summary == "untouched"  # it ends before the branch point: still true
    facts = store.upkeep_state.get(sid, "facts")
    assert (facts.through_id, facts.status) == (messages[1].id, JobStatus.PENDING)
    assert store.upkeep_state.get(sid, "summary").through_id == messages[1].id
    summary = store.summaries.get(sid)
    assert summary is not None and summary.text == "one and its reply"


def test_facts_an_extraction_stored_from_a_message_edited_meanwhile_are_retired_next_time(
    fake_openai: FakeOpenAIServer, store: Store
) -> None:
    sid = store.sessions.create("Race").id
    first = conversation(store, sid, ["I live in Paris.", "Nice."])[0]
    fake_openai.reply_json({"facts": [{"key": "city", "value": "Paris", "quote": "I live in Paris"}]})

    def user_edits_the_message() -> None:
        with store.db.transaction():
            store.messages.deactivate_from(sid, first.id)
            after_branch(store, sid, first.id)

    with_client(
        fake_openai,
        lambda client: extract_facts(
            store, AfterReply(client, user_edits_the_message), sid, model=UPKEEP_MODEL, settings=Settings()
        ),
    )
    [paris] = store.facts.visible()  # the extractor cannot know the message left while it waited
    assert paris.source_message_id == first.id

    retired, restored = retire_facts_off_branch(store, sid)
    assert (retired, restored) == ([paris.id], [])
    assert store.facts.visible() == []
