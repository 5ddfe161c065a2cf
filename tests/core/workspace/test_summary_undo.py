"""Undo of summary changes from the stored history: edits, upkeep folds, restarts, branch rollbacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_chat.core.errors import NotAllowed
from desktop_chat.core.events import Event, SummaryChanged
from desktop_chat.core.memory import summary_undo
from desktop_chat.core.memory.branching import after_branch
from desktop_chat.core.models import JobStatus, PartKind, Role, Strategy
from desktop_chat.core.storage.store import Store
from desktop_chat.core.workspace import Workspace
from tests.helpers.controller import collect, data_dir
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.workspace import with_workspace

FOLDED = "Alex plans a bookstore API."
MINE = "Alex builds a bookstore REST API in Python."


def seed(tmp_path: Path, messages: int) -> tuple[int, list[int]]:
    """A saved chat (summary strategy) of alternating user and assistant messages."""
    store = Store.open(data_dir(tmp_path))
    try:
        session = store.sessions.create("Bookstore", strategy=Strategy.SUMMARY)
        ids = [
            store.messages.append(session.id, Role.USER if i % 2 == 0 else Role.ASSISTANT, f"message {i + 1}").id
            for i in range(messages)
        ]
        return session.id, ids
    finally:
        store.close()


def summary_sent(workspace: Workspace, session_id: int) -> str:
    plan = workspace.preview(session_id, "And then?")
    return "\n".join(m.content for p in plan.parts if p.kind is PartKind.SUMMARY for m in p.messages)


def test_undo_goes_back_through_edits_and_folds_with_the_watermark(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    chat, ids = seed(tmp_path, 10)
    fake_openai.reply(FOLDED)

    async def job(workspace: Workspace, events: list[Event]) -> None:
        assert workspace.summary_history(chat) == []
        with pytest.raises(NotAllowed, match="no change to undo"):
            workspace.undo_summary(chat)
        await workspace.summarise_now(chat)  # folds the older messages (the last few stay verbatim)
        first = workspace.summary(chat)
        assert first is not None and first.text == FOLDED and first.covers_through < ids[-1]
        covered = first.covers_through
        assert workspace.upkeep_status(chat)["summary"].through_id == covered

        # The user's edit, undone: the folded text and its "not edited" mark come back.
        workspace.edit_summary(chat, MINE)
        assert MINE in summary_sent(workspace, chat)
        events.clear()
        restored = workspace.undo_summary(chat)
        assert restored is not None and restored.text == FOLDED and not restored.edited_by_user
        assert events == [SummaryChanged(chat)]
        assert FOLDED in summary_sent(workspace, chat) and MINE not in summary_sent(workspace, chat)

        # An upkeep fold, undone: the summary before it and the watermark where it ended.
        fake_openai.reply("Sure.")
        fake_openai.reply("Fine.")
        await collect(workspace.send(chat, "Reviews next."))
        await collect(workspace.send(chat, "Then authors."))
        fake_openai.reply("Alex plans a bookstore API with reviews.")
        await workspace.summarise_now(chat)
        folded = workspace.summary(chat)
        assert folded is not None and folded.covers_through > covered
        assert workspace.upkeep_status(chat)["summary"].through_id == folded.covers_through
        back = workspace.undo_summary(chat)
        assert back == workspace.summary(chat)
        assert back is not None and back.text == FOLDED and back.covers_through == covered
        state = workspace.upkeep_status(chat)["summary"]
        assert state.through_id == covered and state.status is JobStatus.PENDING  # upkeep refolds what follows

        history = workspace.summary_history(chat)
        assert [(h.changed_by, h.undo_of is not None, h.undone) for h in history] == [
            ("user", True, False),  # this undo (it replaced the fold)
            ("upkeep", False, True),  # the fold, undone
            ("user", True, False),  # the first undo (it replaced the user's text)
            ("user", False, True),  # the user's edit, undone
            ("upkeep", False, False),  # the first fold: there was no summary before it
        ]
        assert history[3].text == FOLDED and history[2].text == MINE and history[4].text is None

        # Once more: no summary, as at the start, and upkeep starts from the first message.
        assert workspace.undo_summary(chat) is None
        assert workspace.summary(chat) is None and workspace.upkeep_status(chat)["summary"].through_id is None
        assert summary_sent(workspace, chat) == ""
        with pytest.raises(NotAllowed, match="no change to undo"):
            workspace.undo_summary(chat)

    with_workspace(tmp_path, fake_openai, job)


def test_the_history_survives_a_restart_and_goes_with_its_chat(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    chat, _ = seed(tmp_path, 10)
    fake_openai.reply(FOLDED)

    async def job(workspace: Workspace, events: list[Event]) -> int:
        await workspace.summarise_now(chat)
        return workspace.edit_summary(chat, MINE).covers_through  # the edit keeps what the fold covered

    covered = with_workspace(tmp_path, fake_openai, job)

    store = Store.open(data_dir(tmp_path))  # a restart: a new store and workspace on the same file
    try:
        workspace = Workspace(store, lambda *_: None)  # type: ignore[arg-type]
        assert [h.changed_by for h in workspace.summary_history(chat)] == ["user", "upkeep"]
        restored = workspace.undo_summary(chat)
        assert restored is not None and restored.text == FOLDED and not restored.edited_by_user
        assert workspace.upkeep_status(chat)["summary"].through_id == covered

        temporary = workspace.new_session(temporary=True)
        with pytest.raises(NotAllowed, match="temporary chat"):
            workspace.summary_history(temporary.id)
        with pytest.raises(NotAllowed, match="temporary chat"):
            workspace.undo_summary(temporary.id)

        workspace.delete_session(chat)
        assert store.summaries.history(chat) == [], "the history goes with its chat"
    finally:
        store.close()


def test_a_branch_rollback_is_recorded_and_what_it_dropped_stays_dropped(tmp_path: Path) -> None:
    store = Store.open(data_dir(tmp_path))
    try:
        session = store.sessions.create("Branches")
        ids = [store.messages.append(session.id, Role.USER, f"message {i}").id for i in range(6)]
        store.summaries.save(
            session.id, "About messages 0-3.", covers_through=ids[3], token_count=6, model="m", by="upkeep"
        )
        store.upkeep_state.advance(session.id, "summary", ids[3])
        unchanged = store.summaries.save(
            session.id, "About messages 0-3.", covers_through=ids[3], token_count=6, model="m", by="upkeep"
        )
        assert len(store.summaries.history(session.id)) == 1, "a save that changes nothing records nothing"

        # Editing message 2 takes 2-5 off the branch: the app's summary is dropped, as the app did it.
        with store.db.transaction():
            store.messages.deactivate_from(session.id, ids[2])
            after_branch(store, session.id, ids[2])
        assert store.summaries.get(session.id) is None
        latest = store.summaries.history(session.id)[0]
        assert latest.changed_by == "system" and latest.text == unchanged.text
        # Undo would bring back a text about messages that are no longer in the chat: refused, nothing written.
        with pytest.raises(NotAllowed, match="edited away"):
            summary_undo.undo(store, session.id)
        assert store.summaries.get(session.id) is None and len(store.summaries.history(session.id)) == 2
    finally:
        store.close()
