"""The memory inspector in the real window: the fake server behind the workspace, a real database in tmp_path."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from desktop_chat.core.models import FactOrigin, FactStatus, JobStatus, MessageStatus, PartKind, Role, Strategy
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.providers import ChatClient
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.store import Store
from desktop_chat.ui.chat.chat_view import ACTION, CONTEXT, OUT_OF_CONTEXT
from desktop_chat.ui.inspector.pane import InspectorPane
from desktop_chat.ui.inspector.plan import OMITTED, PART
from tests.helpers.controller import MODEL, make_factory
from tests.helpers.fake_openai import FakeOpenAIServer, Fault
from tests.helpers.waiting import until
from tests.helpers.window import Harness, data_dir, ui_settings

REMOTE = "https://api.example.com/v1"  # remote-looking; its requests are routed to the fake server


def seed_chat(
    tmp_path: Path, messages: int, *, strategy: Strategy | None = None, options: dict[str, Any] | None = None
) -> int:
    """A saved chat of ``messages`` alternating user/assistant messages, before the window opens."""
    store = Store.open(data_dir(tmp_path))
    try:
        session = store.sessions.create("Bookstore API", strategy=strategy, strategy_options=options or {})
        for i in range(messages):
            role = Role.USER if i % 2 == 0 else Role.ASSISTANT
            store.messages.append(session.id, role, f"message number {i + 1} about books and authors")
        return session.id
    finally:
        store.close()


def plan_shape(plan: Any) -> list[tuple[Any, ...]]:
    return [(p.kind, p.tokens, p.message_ids, p.fact_ids, p.summary_through) for p in plan.parts]


def tree_rows(inspector: InspectorPane) -> list[tuple[str, str]]:
    return [(row.text(0), row.text(1)) for row in inspector.next_request.tree.items()]


def type_draft(h: Harness, text: str) -> None:
    h.window.composer.edit.setFocus()
    QTest.keyClicks(h.window.composer.edit, text)


def reply_requests(server: FakeOpenAIServer) -> list[dict[str, Any]]:
    """Bodies of the chat replies (not background upkeep, which uses the upkeep model)."""
    return [r.body for r in server.chat_requests if r.body["model"] == MODEL]


def click_item(row: Any) -> None:
    QTest.mouseClick(row, Qt.MouseButton.LeftButton)


def test_next_request_is_the_preview_of_the_draft_and_what_the_server_receives(
    open_window: Callable[..., Harness], tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    chat = seed_chat(tmp_path, 6, strategy=Strategy.WINDOW, options={"window_messages": 4})
    h = open_window()
    inspector = h.window.inspector
    assert h.chat_id == chat
    titles = [s.title for s in inspector.sections.values()]
    assert titles == ["Next request", "Costs", "Why this reply", "Facts", "Summary", "Strategy"]

    async def typed() -> None:
        await until(lambda: inspector.plan is not None, what="the first plan")
        before = inspector.plan
        assert before is not None and plan_shape(before) == plan_shape(h.workspace.preview(chat))
        type_draft(h, "What about reviews of the books")
        await until(lambda: inspector.draft.endswith("books"), what="the draft reaching the inspector")
        expected = h.workspace.preview(chat, "What about reviews of the books")
        await until(lambda: plan_shape(inspector.plan) == plan_shape(expected), what="the plan of the draft")
        assert inspector.plan is not None and plan_shape(inspector.plan) != plan_shape(before)
        rows = tree_rows(inspector)
        assert rows[0] == ("Recent window (4)", f"≈{expected.parts[0].tokens:,}")  # 3 stored + the draft
        assert rows[-1][0].startswith("Recent window: older than the window")
        assert inspector.next_request.tree.left_out.text() == f"Left out ({len(expected.omitted)})"
        assert f"≈{expected.total_tokens:,} / {expected.budget:,} tokens" in inspector.next_request.total.text()
        bar = inspector.next_request.bar
        assert (bar.used, bar.budget, bar.reserved) == (expected.total_tokens, expected.budget, expected.reserved_reply)
        # Typing more changes it again, once typing pauses.
        QTest.keyClicks(h.window.composer.edit, " and of the authors, with every detail you can think of")
        longer = h.workspace.preview(chat, h.window.composer.text())
        await until(lambda: plan_shape(inspector.plan) == plan_shape(longer), what="the plan of the longer draft")

        shown = inspector.plan
        assert shown is not None
        fake_openai.reply("Reviews go under /books/{id}/reviews.")
        QTest.keyClick(h.window.composer.edit, Qt.Key.Key_Return)
        await until(lambda: len(reply_requests(fake_openai)) == 1, what="the request")
        await until(lambda: not h.window.composer.busy, what="the reply to end")
        sent = reply_requests(fake_openai)[0]["messages"]
        assert sent == shown.request_messages(), "the view showed exactly what was sent, part by part"
        await until(lambda: "Last reply" in inspector.next_request.last_reply.text(), what="the real count")
        assert "counted by the provider" in inspector.next_request.last_reply.text()
        # The provider's usage confirmed the counts: no more "≈" on the next plan.
        await until(lambda: not inspector.next_request.total.text().startswith("≈"), what="a confirmed count")
        assert not inspector.sections["next"].aside.text().startswith("≈")

    h.run(typed())


def test_a_strategy_or_option_change_previews_before_it_is_applied(
    open_window: Callable[..., Harness], tmp_path: Path
) -> None:
    chat = seed_chat(tmp_path, 12, strategy=Strategy.WINDOW, options={"window_messages": 4})
    h = open_window()
    inspector = h.window.inspector
    view = inspector.strategy

    async def scenario() -> None:
        await until(lambda: inspector.plan is not None, what="the first plan")
        assert view.chosen() is Strategy.WINDOW
        window = view.fields["window_messages"]
        assert window.isVisible() and window.value() == 4  # type: ignore[attr-defined]
        window.setValue(8)  # type: ignore[attr-defined]
        # 7 stored messages and the one not written yet
        assert inspector.plan is not None and len(inspector.plan.parts[-1].message_ids) == 7
        assert inspector.plan.parts[-1].count == 8
        assert "not applied yet" in inspector.next_request.note.text()
        assert view.apply_button.isVisible()
        assert h.workspace.session(chat).strategy_options == {"window_messages": 4}, "nothing applied yet"

        view.combo.setCurrentIndex(view.combo.findData(Strategy.FULL.value))
        assert inspector.plan.strategy is Strategy.FULL and len(inspector.plan.parts[-1].message_ids) == 12
        QTest.mouseClick(view.apply_button, Qt.MouseButton.LeftButton)
        session = h.workspace.session(chat)
        assert session.strategy is Strategy.FULL
        assert not view.apply_button.isVisible() and "not applied" not in inspector.next_request.note.text()
        assert plan_shape(inspector.plan) == plan_shape(h.workspace.preview(chat))
        await until(h.window.strategy_actions[Strategy.FULL].isChecked, what="the menu to follow")

    h.run(scenario())


def test_clicking_a_part_selects_its_messages_and_a_marker_opens_its_omission(
    open_window: Callable[..., Harness], tmp_path: Path, qtbot: QtBot
) -> None:
    seed_chat(tmp_path, 10, strategy=Strategy.WINDOW, options={"window_messages": 4})
    h = open_window()
    inspector = h.window.inspector

    async def scenario() -> None:
        await until(lambda: inspector.plan is not None, what="the first plan")
        plan = inspector.plan
        assert plan is not None
        recent = next(p for p in plan.parts if p.kind is PartKind.RECENT)
        tree = inspector.next_request.tree
        item = tree.item_for_record(PART, recent)
        assert item is not None
        click_item(item)
        highlighted = [r.key for r in h.window.chat.model.rows() if r.highlighted]
        assert highlighted == sorted(recent.message_ids)

        # The chat marks a left-out message; its marker is a link that opens the reason here.
        left_out = next(r for r in h.window.chat.model.rows() if r.context == OUT_OF_CONTEXT)
        assert left_out.message is not None
        html, _ = h.window.chat.delegate._html(left_out)
        href = f"{ACTION}:{CONTEXT}:{left_out.key}"
        assert href in html
        h.window.chat._on_link(href, left_out)
        current = tree.currentItem()
        assert current is not None and tree.record_of(current) is not None
        which, record = tree.record_of(current)  # type: ignore[misc]
        assert which == OMITTED and left_out.key in record.message_ids
        assert "older than the window" in current.text(0)
        assert inspector.sections["next"].body.isVisible()

    h.run(scenario())


def test_why_this_reply_shows_the_stored_plan_after_a_restart(
    open_window: Callable[..., Harness], tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    chat = seed_chat(tmp_path, 2, strategy=Strategy.FACTS)
    store = Store.open(data_dir(tmp_path))
    name = store.facts.add("name", "Alex", scope=chat)
    store.close()
    fake_openai.reply("Hello Alex.")
    h = open_window()

    async def send() -> None:
        await until(lambda: h.window.inspector.plan is not None, what="the first plan")
        type_draft(h, "Say hello")
        QTest.keyClick(h.window.composer.edit, Qt.Key.Key_Return)
        await until(lambda: len(reply_requests(fake_openai)) == 1, what="the request")
        await until(lambda: not h.window.composer.busy, what="the reply to end")

    h.run(send())
    reply = h.workspace.messages(chat)[-1]
    assert reply.role is Role.ASSISTANT and reply.status is MessageStatus.COMPLETE
    stored = h.workspace.reply_plan(reply.id)
    assert stored is not None
    # The facts upkeep after the reply talks to the server: let it finish rather than cut it off mid-request.
    assert h.run(h.workspace.wait_for_upkeep(10))
    h.run(h.window.shutdown())
    h.store.close()

    again = open_window()  # a restart: a new store, workspace and window on the same folder
    inspector = again.window.inspector
    chat_view = again.window.chat
    row = chat_view.model.row_of(reply.id)
    assert row is not None
    index = chat_view.model.index(row)
    chat_view.list.scrollTo(index)
    QTest.mouseClick(
        chat_view.list.viewport(), Qt.MouseButton.LeftButton, pos=chat_view.list.visualRect(index).center()
    )
    why = inspector.why
    assert why.message_id == reply.id and why.plan == stored
    assert why.heading.text().startswith(f"Reply #{reply.id}") and MODEL in why.heading.text()
    assert "facts memory" in why.heading.text()
    tree = why.tree
    assert [(p.text(0), p.text(1)) for p in tree.items() if p.which == PART] == [
        ("Facts (1)", f"≈{stored.parts[0].tokens:,}"),
        ("Recent window (3)", f"≈{stored.parts[1].tokens:,}"),
    ]
    assert f"name (#{name.id})" in why.used.text() and "Messages used: 3" in why.used.text()
    assert "counted by the provider" in why.tokens.text()
    # A user message has no plan of its own: the section keeps showing the reply.
    assert not inspector.show_reply(reply.id - 1) and why.message_id == reply.id


def test_facts_table_add_edit_pin_private_delete_undo(open_window: Callable[..., Harness], tmp_path: Path) -> None:
    chat = seed_chat(tmp_path, 2, strategy=Strategy.FACTS)
    h = open_window()
    inspector = h.window.inspector
    view = inspector.facts
    table = view.table

    def fact_ids_in_plan() -> list[int]:
        plan = inspector.refresh_plan()
        assert plan is not None
        return [i for p in plan.parts for i in p.fact_ids]

    async def scenario() -> None:
        await until(lambda: inspector.plan is not None, what="the first plan")
        # Add, as the user does: type key and value, press Add.
        QTest.keyClicks(view.new_key, "employer")
        QTest.keyClicks(view.new_value, "Acme Corp")
        QTest.mouseClick(view.add_button, Qt.MouseButton.LeftButton)
        (fact,) = h.workspace.facts(chat)
        assert (fact.key, fact.value, fact.scope, fact.origin) == ("employer", "Acme Corp", chat, FactOrigin.USER)
        row = view.row_of(fact.id)
        assert row is not None
        assert [table.item(row, c).text() for c in range(4)] == ["employer", "Acme Corp", "this chat", "—"]  # type: ignore[union-attr]
        assert fact.id in fact_ids_in_plan()

        # Edit the value inline.
        table.item(row, 1).setText("Initech")  # type: ignore[union-attr]
        edited = h.workspace.fact(fact.id)
        assert edited.value == "Initech" and edited.edited_by_user
        assert h.workspace.fact_history(fact.id)[-1].action == "edited"
        view.select_fact(fact.id)
        assert view.history.item(0).text().startswith(edited.updated_at.astimezone().strftime("%d %b"))
        assert "edited by you: employer=Acme Corp → employer=Initech" in view.history.item(0).text()

        # Pin, private (the lock), delete, then undo each from the stored history.
        QTest.mouseClick(view.pin_button, Qt.MouseButton.LeftButton)
        assert h.workspace.fact(fact.id).pinned
        plan = inspector.refresh_plan()
        assert plan is not None and any(p.kind is PartKind.PINNED_FACTS for p in plan.parts)
        QTest.mouseClick(view.private_button, Qt.MouseButton.LeftButton)
        assert h.workspace.fact(fact.id).private
        row = view.row_of(fact.id)
        assert row is not None and not table.item(row, 0).icon().isNull()  # type: ignore[union-attr]
        assert "private" in table.item(row, 0).toolTip()  # type: ignore[union-attr]
        assert fact.id in fact_ids_in_plan(), "the fake server is on 127.0.0.1: a local model"
        QTest.mouseClick(view.undo_button, Qt.MouseButton.LeftButton)
        assert not h.workspace.fact(fact.id).private
        QTest.mouseClick(view.delete_button, Qt.MouseButton.LeftButton)
        assert h.workspace.fact(fact.id).status is FactStatus.DELETED
        assert view.row_of(fact.id) is None and fact.id not in fact_ids_in_plan()
        assert view.undo_button.isEnabled()
        QTest.mouseClick(view.undo_button, Qt.MouseButton.LeftButton)
        back = h.workspace.fact(fact.id)
        assert back.status is FactStatus.ACTIVE and back.pinned and back.value == "Initech"
        assert view.row_of(fact.id) is not None and fact.id in fact_ids_in_plan()
        actions = [e.action for e in h.workspace.fact_history(fact.id)]
        assert actions == ["created", "edited", "pinned", "private", "restored", "deleted", "restored"]

    h.run(scenario())


def test_pending_facts_approve_reject_and_rejected_reasons(
    open_window: Callable[..., Harness], tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    chat = seed_chat(tmp_path, 4, strategy=Strategy.FACTS)
    store = Store.open(data_dir(tmp_path))
    messages = store.messages.all(chat)
    city = store.facts.add(
        "city", "Lisbon", scope=chat, origin=FactOrigin.EXTRACTED, status=FactStatus.PENDING,
        source_message_id=messages[0].id, source_quote="I live in Lisbon", actor="extractor",
    )  # fmt: skip
    pet = store.facts.add(
        "pet", "a cat", scope=chat, origin=FactOrigin.EXTRACTED, status=FactStatus.PENDING,
        source_message_id=messages[2].id, actor="extractor",
    )  # fmt: skip
    store.facts.add(
        "age", "200", scope=chat, origin=FactOrigin.EXTRACTED, status=FactStatus.REJECTED,
        reason="not stated in the message", actor="extractor",
    )  # fmt: skip
    store.close()
    h = open_window(replace(ui_settings(fake_openai), facts_require_approval=True))
    view = h.window.inspector.facts

    assert view.pending_box.isVisible() and view.pending.count() == 2
    assert view.pending.item(0).text() == "city = Lisbon"
    assert view.rejected_box.isVisible()
    assert view.rejected.item(0).text() == "age = 200 — not stated in the message"
    plan = h.window.inspector.refresh_plan()
    assert plan is not None and any(city.id in o.fact_ids and "pending" in o.reason for o in plan.omitted)

    view.pending.setCurrentRow(0)
    QTest.mouseClick(view.approve_button, Qt.MouseButton.LeftButton)
    assert h.workspace.fact(city.id).status is FactStatus.ACTIVE
    assert view.row_of(city.id) is not None and view.pending.count() == 1
    plan = h.window.inspector.refresh_plan()
    assert plan is not None and city.id in [i for p in plan.parts for i in p.fact_ids]
    # The source column jumps to the message the fact was found in.
    row = view.row_of(city.id)
    assert row is not None and view.table.item(row, 3).text() == f"#{messages[0].id} ↗"  # type: ignore[union-attr]
    view.table.cellClicked.emit(row, 3)
    assert h.window.chat.list.currentIndex().row() == h.window.chat.model.row_of(messages[0].id)

    view.pending.setCurrentRow(0)
    QTest.mouseClick(view.reject_button, Qt.MouseButton.LeftButton)
    assert h.workspace.fact(pet.id).status is FactStatus.REJECTED
    assert not view.pending_box.isVisible()
    # Undo of the approval, from the history: pending again.
    view.select_fact(city.id)
    QTest.mouseClick(view.undo_button, Qt.MouseButton.LeftButton)
    assert h.workspace.fact(city.id).status is FactStatus.PENDING and view.pending.count() == 1


def test_a_private_fact_reaches_a_local_model_and_not_a_remote_one(
    open_window: Callable[..., Harness], tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    chat = seed_chat(tmp_path, 2, strategy=Strategy.FACTS)
    local = ui_settings(fake_openai)
    remote = replace(local.profiles[0], name="Remote", base_url=REMOTE)
    app_clients = make_factory()

    def to_fake_server(profile: ProviderProfile, settings: Settings) -> ChatClient:
        # The app's own client for the profile, sent to the fake server, to see what would leave the machine.
        return app_clients(replace(profile, base_url=fake_openai.base_url), settings)

    h = open_window(replace(local, profiles=(*local.profiles, remote)), factory=to_fake_server)
    inspector = h.window.inspector
    view = inspector.facts
    fake_openai.reply("Noted.")
    fake_openai.reply("Noted again.")

    def system_text(body: dict[str, Any]) -> str:
        return "\n".join(m["content"] for m in body["messages"] if m["role"] == "system")

    async def send(text: str, count: int) -> None:
        type_draft(h, text)
        QTest.keyClick(h.window.composer.edit, Qt.Key.Key_Return)
        await until(lambda: len(reply_requests(fake_openai)) == count, what=f"request {count}")
        await until(lambda: not h.window.composer.busy, what="the reply to end")

    async def scenario() -> None:
        await until(lambda: inspector.plan is not None, what="the first plan")
        view.add("diagnosis", "asthma")
        view.add("name", "Alex")
        (secret,) = [f for f in h.workspace.facts(chat) if f.key == "diagnosis"]
        view.select_fact(secret.id)
        QTest.mouseClick(view.private_button, Qt.MouseButton.LeftButton)
        assert h.workspace.fact(secret.id).private
        await send("hello", 1)
        assert "asthma" in system_text(reply_requests(fake_openai)[0])

        h.workspace.set_session_model(chat, profile="Remote")
        plan = inspector.refresh_plan()
        assert plan is not None
        omission = next(o for o in plan.omitted if secret.id in o.fact_ids)
        assert omission.reason.startswith("private: sent only to local models")
        assert any(i.text(0).startswith("Facts: private") for i in inspector.next_request.tree.items())
        await send("and now?", 2)
        second = system_text(reply_requests(fake_openai)[1])
        assert "asthma" not in second and "Alex" in second

    h.run(scenario())


def test_summary_edit_is_the_users_and_upkeep_failure_offers_retry(
    open_window: Callable[..., Harness], tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    chat = seed_chat(tmp_path, 12, strategy=Strategy.SUMMARY, options={"summary_keep_last": 2})
    h = open_window()
    inspector = h.window.inspector
    view = inspector.summary
    assert view.coverage.text() == "No summary yet."

    async def scenario() -> None:
        await until(lambda: inspector.plan is not None, what="the first plan")
        # Upkeep fails (the server errors every time): the state says so and offers Retry.
        fake_openai.fail(Fault.SERVER_ERROR, times=10)
        QTest.mouseClick(view.now_button, Qt.MouseButton.LeftButton)
        await until(lambda: not view.tasks, seconds=15, what="summarising to end")
        assert h.workspace.upkeep_status(chat)["summary"].status is JobStatus.FAILED
        assert view.retry_button.isVisible() and "summary failed:" in view.upkeep.text()
        # Retry, with the server well again.
        while fake_openai._state.queue:
            fake_openai._state.queue.popleft()
        fake_openai.reply("Alex is designing a bookstore API.")
        QTest.mouseClick(view.retry_button, Qt.MouseButton.LeftButton)
        await until(lambda: not view.tasks, seconds=15, what="the retry to end")
        summary = h.workspace.summary(chat)
        assert summary is not None and summary.text == "Alex is designing a bookstore API."
        assert not view.retry_button.isVisible() and "summary up to date" in view.upkeep.text()
        assert view.editor.toPlainText() == summary.text
        assert view.coverage.text().startswith("Covers messages 1\u2013")

        # The user's edit: saved, marked as theirs, used in the next request.
        view.editor.setPlainText("Alex builds a bookstore REST API in Python.")
        assert view.save_button.isEnabled()
        QTest.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
        mine = h.workspace.summary(chat)
        assert mine is not None and mine.edited_by_user and mine.text == "Alex builds a bookstore REST API in Python."
        assert "edited by you" in view.coverage.text()
        plan = inspector.refresh_plan()
        assert plan is not None
        part = next(p for p in plan.parts if p.kind is PartKind.SUMMARY)
        assert "Alex builds a bookstore REST API in Python." in part.messages[0].content
        # The next summarisation builds on the user's text instead of replacing it.
        fake_openai.reply("Under discussion: FastAPI.")
        fake_openai.reply("Alex builds a bookstore REST API in Python; reviews are paginated.")
        type_draft(h, "Which framework again?")
        QTest.keyClick(h.window.composer.edit, Qt.Key.Key_Return)
        await until(lambda: not h.window.composer.busy and len(reply_requests(fake_openai)) == 1, what="a reply")
        QTest.mouseClick(view.now_button, Qt.MouseButton.LeftButton)
        await until(lambda: not view.tasks, seconds=15, what="summarising")
        upkeep = [r.body for r in fake_openai.chat_requests if r.body["model"] != MODEL][-1]
        assert "Alex builds a bookstore REST API in Python." in str(upkeep["messages"])
        folded = h.workspace.summary(chat)
        assert folded is not None and folded.edited_by_user and "reviews are paginated" in folded.text
        plan = inspector.refresh_plan()
        assert plan is not None
        part = next(p for p in plan.parts if p.kind is PartKind.SUMMARY)
        # Clicking the summary part selects the messages it stands for.
        item = inspector.next_request.tree.item_for_record(PART, part)
        assert item is not None
        click_item(item)
        highlighted = [r.key for r in h.window.chat.model.rows() if r.highlighted]
        assert highlighted and max(highlighted) == part.summary_through

    h.run(scenario())


def test_undo_brings_back_the_summary_before_an_edit_and_the_next_request_uses_it(
    open_window: Callable[..., Harness], tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    chat = seed_chat(tmp_path, 12, strategy=Strategy.SUMMARY)
    store = Store.open(data_dir(tmp_path))
    try:  # upkeep wrote the summary before the window opened
        folded = "Alex is designing a bookstore API."
        store.summaries.save(chat, folded, covers_through=10, token_count=7, model="fake-mini", by="upkeep")
        store.upkeep_state.advance(chat, "summary", 10)
    finally:
        store.close()
    h = open_window()
    inspector = h.window.inspector
    view = inspector.summary
    assert view.undo_button.accessibleName() == "Undo" and view.undo_button.toolTip()
    assert not view.undo_button.icon().isNull()

    async def scenario() -> None:
        await until(lambda: inspector.plan is not None, what="the first plan")
        assert view.editor.toPlainText() == folded and view.undo_button.isEnabled()  # upkeep's change is undoable
        view.editor.setPlainText("Alex builds a bookstore REST API in Python.")
        QTest.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
        assert "edited by you" in view.coverage.text()

        QTest.mouseClick(view.undo_button, Qt.MouseButton.LeftButton)
        assert view.editor.toPlainText() == folded and "edited by you" not in view.coverage.text()
        summary = h.workspace.summary(chat)
        assert summary is not None and summary.text == folded and not summary.edited_by_user
        fake_openai.reply("Reviews go under /books/{id}/reviews.")
        type_draft(h, "Where do reviews go?")
        QTest.keyClick(h.window.composer.edit, Qt.Key.Key_Return)
        await until(lambda: not h.window.composer.busy and len(reply_requests(fake_openai)) == 1, what="a reply")
        system = [m["content"] for m in reply_requests(fake_openai)[0]["messages"] if m["role"] == "system"]
        assert any(folded in text for text in system) and not any("REST API in Python" in t for t in system)

        # Undo again: before upkeep's summary there was none; then there is nothing left to undo.
        QTest.mouseClick(view.undo_button, Qt.MouseButton.LeftButton)
        assert h.workspace.summary(chat) is None and view.coverage.text() == "No summary yet."
        assert not view.undo_button.isEnabled()

    h.run(scenario())


def test_temporary_chat_has_no_memory_to_edit(open_window: Callable[..., Harness], tmp_path: Path) -> None:
    seed_chat(tmp_path, 2)
    h = open_window()
    h.window.new_temporary_chat()
    inspector = h.window.inspector
    assert inspector.session_id is not None and h.workspace.session(inspector.session_id).temporary
    assert inspector.summary.editor.isReadOnly() and not inspector.summary.now_button.isEnabled()
    assert not inspector.summary.undo_button.isEnabled()
    assert not inspector.facts.new_scope.isEnabled() and inspector.facts.new_scope.currentText() == "all chats"
    assert inspector.summary.upkeep.text() == "Upkeep: none for this strategy."


def test_draft_refresh_is_debounced(open_window: Callable[..., Harness], tmp_path: Path) -> None:
    seed_chat(tmp_path, 4)
    h = open_window()
    inspector = h.window.inspector

    async def scenario() -> None:
        await until(lambda: inspector.plan is not None, what="the first plan")
        await asyncio.sleep(0.4)
        before = len(inspector.refresh_ms)
        type_draft(h, "one two three four five six")
        await until(lambda: inspector.plan is not None and "six" in str(inspector.plan.request_messages()))
        assert len(inspector.refresh_ms) - before <= 2, "one refresh per pause, not per key"

    h.run(scenario())


def test_a_fact_added_by_another_process_appears_in_the_table(
    open_window: Callable[..., Harness], tmp_path: Path
) -> None:
    chat = seed_chat(tmp_path, 2, strategy=Strategy.FACTS)
    h = open_window()
    view = h.window.inspector.facts
    other = Store.open(data_dir(tmp_path))  # as the CLI's `facts add` would, from its own connection
    try:
        fact = other.facts.add("pet", "a tortoise", scope=chat)
    finally:
        other.close()
    assert view.row_of(fact.id) is None
    h.window.poll()  # the window's 1 s timer
    assert view.row_of(fact.id) is not None
