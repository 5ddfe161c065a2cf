"""Start, send, stream, stop, regenerate, edit and resend, fail inline then retry: through the window."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from desktop_chat.core.models import MessageStatus, Role
from desktop_chat.core.storage.store import Store
from desktop_chat.ui.chat.chat_view import OUT_OF_CONTEXT, RETRY, SETTINGS
from tests.helpers.fake_openai import FakeOpenAIServer, Fault
from tests.helpers.waiting import until
from tests.helpers.window import Harness, data_dir, ui_settings


def _prepare(tmp_path: Path) -> tuple[int, int]:
    store = Store.open(data_dir(tmp_path))
    try:
        older = store.sessions.create("Trip to Lisbon")
        store.messages.append(older.id, Role.USER, "Where should I stay?")
        newer = store.sessions.create("Bookstore API")
        store.messages.append(newer.id, Role.USER, "Endpoints for books")
        return older.id, newer.id
    finally:
        store.close()


def _rows(h: Harness) -> list[tuple[str, str, MessageStatus]]:
    return [(str(r.message.role), r.text, r.status) for r in h.window.chat.model.rows() if r.message is not None]


def _type_and_enter(qtbot: QtBot, h: Harness, text: str) -> None:
    edit = h.window.composer.edit
    edit.setFocus()
    QTest.keyClicks(edit, text)
    QTest.keyClick(edit, Qt.Key.Key_Return)


def test_start_reopens_the_last_chat_with_focus_in_the_composer(
    open_window: Callable[..., Harness], tmp_path: Path
) -> None:
    older, _newer = _prepare(tmp_path)
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    settings.setValue("last_session", older)
    settings.sync()

    h = open_window()

    assert h.window.current_id == older
    assert h.window.windowTitle() == "Desktop Chat — Trip to Lisbon"
    assert _rows(h) == [("user", "Where should I stay?", MessageStatus.COMPLETE)]
    assert h.window.focusWidget() is h.window.composer.edit
    assert h.window.sidebar.titles() == ["Bookstore API", "Trip to Lisbon"]


def test_start_without_a_remembered_chat_opens_the_newest_else_a_new_one(
    open_window: Callable[..., Harness], tmp_path: Path
) -> None:
    h = open_window()
    assert h.window.current_id is not None
    assert h.workspace.session(h.window.current_id).title == ""
    assert h.window.sidebar.titles() == ["New chat"]


def test_enter_sends_and_the_reply_streams_in(open_window: Callable[..., Harness], qtbot: QtBot) -> None:
    h = open_window()
    h.server.reply(chunks=["Hello ", "there, ", "Ada."], chunk_delay=0.05)

    async def scenario() -> None:
        _type_and_enter(qtbot, h, "Hi, I am Ada")
        await until(lambda: h.window.composer.busy, what="busy")
        assert h.window.composer.text() == ""
        assert h.window.composer.button.text() == "Stop"
        await until(lambda: not h.window.composer.busy, what="reply end")

    h.run(scenario())
    assert _rows(h) == [
        ("user", "Hi, I am Ada", MessageStatus.COMPLETE),
        ("assistant", "Hello there, Ada.", MessageStatus.COMPLETE),
    ]
    assert "prompt" in h.window.usage_label.text()
    assert h.window.connection_label.text() == "● Connected"

    async def planned() -> None:
        # The inspector plans on its own as well, so its tree may fill before the chat's marks follow the reply.
        await until(lambda: h.window.inspector.parts.topLevelItemCount() > 0, what="the next request")
        await until(lambda: [r.context for r in h.window.chat.model.rows()] == ["", ""], what="the chat's marks")

    h.run(planned())


def test_a_refused_retry_does_not_put_an_answered_message_back_in_the_composer(
    open_window: Callable[..., Harness], qtbot: QtBot
) -> None:
    h = open_window()
    h.server.reply("Hello, Ada.")

    async def scenario() -> None:
        _type_and_enter(qtbot, h, "Hi, I am Ada")
        await until(lambda: h.window.composer.busy, what="busy")
        await until(lambda: not h.window.composer.busy, what="reply end")
        h.window.replies.retry()  # Ctrl+Shift+R after a good reply: nothing to retry
        await until(lambda: h.window.statusBar().currentMessage() != "", what="the refusal")

    h.run(scenario())
    assert h.window.composer.text() == ""  # one Enter would otherwise send "Hi, I am Ada" twice
    assert len(_rows(h)) == 2


def test_shift_enter_adds_a_line_instead_of_sending(open_window: Callable[..., Harness], qtbot: QtBot) -> None:
    h = open_window()
    edit = h.window.composer.edit
    QTest.keyClicks(edit, "one")
    QTest.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClicks(edit, "two")
    assert h.window.composer.text() == "one\ntwo"
    assert not h.window.composer.busy


def test_escape_stops_mid_stream_and_keeps_the_partial_reply(open_window: Callable[..., Harness], qtbot: QtBot) -> None:
    h = open_window()
    h.server.fail(Fault.FOREVER, interval=0.05)

    async def scenario() -> None:
        _type_and_enter(qtbot, h, "Tell me everything")
        await until(lambda: any(r.text for r in h.window.chat.model.rows() if r.status is MessageStatus.STREAMING))
        QTest.keyClick(h.window.composer.edit, Qt.Key.Key_Escape)
        await until(lambda: not h.window.composer.busy, what="stopped")

    h.run(scenario())
    rows = _rows(h)
    assert rows[-1][0] == "assistant" and rows[-1][2] is MessageStatus.STOPPED and rows[-1][1]
    stored = h.workspace.messages(h.chat_id)
    assert stored[-1].status is MessageStatus.STOPPED and stored[-1].content == rows[-1][1]


def test_regenerate_replaces_the_last_reply(open_window: Callable[..., Harness], qtbot: QtBot) -> None:
    h = open_window()
    h.workspace.rename_session(h.chat_id, "Titled")  # no title request takes a queued reply
    h.server.reply("First answer")
    h.server.reply("Second answer")

    async def scenario() -> None:
        _type_and_enter(qtbot, h, "Question")
        await until(lambda: _rows(h)[-1:] == [("assistant", "First answer", MessageStatus.COMPLETE)])
        await until(lambda: not h.window.composer.busy)
        h.window.regenerate_action.trigger()
        await until(lambda: _rows(h)[-1:] == [("assistant", "Second answer", MessageStatus.COMPLETE)])

    h.run(scenario())
    assert [r[1] for r in _rows(h)] == ["Question", "Second answer"]


def test_edit_and_resend_replaces_the_message_and_what_followed(
    open_window: Callable[..., Harness], qtbot: QtBot
) -> None:
    h = open_window()
    h.workspace.rename_session(h.chat_id, "Titled")
    h.server.reply("About cats")
    h.server.reply("About dogs")

    async def scenario() -> None:
        _type_and_enter(qtbot, h, "Tell me about cats")
        await until(lambda: [r[1] for r in _rows(h)] == ["Tell me about cats", "About cats"])
        await until(lambda: not h.window.composer.busy)
        user = h.window.chat.model.rows()[0].message
        assert user is not None
        h.window.chat.action.emit("edit", user.id)
        assert h.window.composer.text() == "Tell me about cats"
        h.window.composer.edit.selectAll()
        _type_and_enter(qtbot, h, "Tell me about dogs")
        await until(lambda: [r[1] for r in _rows(h)] == ["Tell me about dogs", "About dogs"])

    h.run(scenario())
    assert h.window.composer.editing is None


def test_an_error_shows_inline_and_retry_answers(open_window: Callable[..., Harness], qtbot: QtBot) -> None:
    h = open_window()
    h.workspace.rename_session(h.chat_id, "Titled")
    h.server.fail(Fault.SERVER_ERROR, times=5)
    h.server.reply("It works now")

    async def scenario() -> None:
        _type_and_enter(qtbot, h, "Hello?")
        await until(lambda: not h.window.composer.busy and any(r.error for r in h.window.chat.model.rows()))

    h.run(scenario())
    failed = [r for r in h.window.chat.model.rows() if r.error]
    assert failed and failed[-1].retry
    html, _ = h.window.chat.delegate._html(failed[-1])
    assert f"{RETRY}:" in html and "Retry" in html
    assert "Not connected" in h.window.connection_label.text()

    async def again() -> None:
        h.window.chat.action.emit(RETRY, failed[-1].key)
        await until(lambda: _rows(h)[-1:] == [("assistant", "It works now", MessageStatus.COMPLETE)])

    h.run(again())
    assert not any(r.error for r in h.window.chat.model.rows())


def test_a_refused_key_offers_open_settings(open_window: Callable[..., Harness], qtbot: QtBot) -> None:
    h = open_window()
    h.server.fail(Fault.UNAUTHORIZED)

    async def scenario() -> None:
        _type_and_enter(qtbot, h, "Hello?")
        await until(lambda: not h.window.composer.busy and any(r.error for r in h.window.chat.model.rows()))

    h.run(scenario())
    failed = [r for r in h.window.chat.model.rows() if r.error][-1]
    html, _ = h.window.chat.delegate._html(failed)
    assert f"{SETTINGS}:" in html and "Open Settings" in html
    assert f"{RETRY}:" in html  # the next step once the key is fixed
    h.window.chat.action.emit(SETTINGS, failed.key)
    dialog = h.window.settings_dialog
    assert dialog.isVisible() and dialog.current_page() is dialog.providers  # the page that fixes it
    dialog.reject()


def test_not_in_context_marks_follow_a_strategy_change(
    open_window: Callable[..., Harness], tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    from desktop_chat.core.models import Strategy

    store = Store.open(data_dir(tmp_path))
    try:
        chat = store.sessions.create("Long chat")
        for i in range(12):
            store.messages.append(chat.id, Role.USER if i % 2 == 0 else Role.ASSISTANT, f"message {i}")
    finally:
        store.close()
    h = open_window(ui_settings(fake_openai, window_messages=4))
    h.window.open_session(chat.id)

    def marks() -> list[str]:
        return [r.context for r in h.window.chat.model.rows()]

    assert set(marks()) == {""}
    h.window.strategy_actions[Strategy.WINDOW].trigger()
    plan = h.workspace.preview(chat.id)
    kept = {i for p in plan.parts for i in p.message_ids}
    assert len(kept) == 3  # a window of 4: the 3 newest messages, then the next one, not written yet
    ids = [r.key for r in h.window.chat.model.rows()]
    # Everything before the kept window is dimmed; the last reply is in it.
    assert marks() == [OUT_OF_CONTEXT if i < min(kept) else "" for i in ids], marks()
    assert marks().count(OUT_OF_CONTEXT) >= 7
    h.window.strategy_actions[Strategy.FULL].trigger()
    assert set(marks()) == {""}


def test_messages_covered_by_the_summary_are_marked_and_counted(
    open_window: Callable[..., Harness], tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    from desktop_chat.core.models import Strategy
    from desktop_chat.ui.chat.chat_view import SUMMARISED

    store = Store.open(data_dir(tmp_path))
    try:
        chat = store.sessions.create("Summarised chat", strategy=Strategy.SUMMARY)
        for i in range(12):
            store.messages.append(chat.id, Role.USER if i % 2 == 0 else Role.ASSISTANT, f"message {i}")
    finally:
        store.close()
    h = open_window(ui_settings(fake_openai, summary_keep_last=4))
    h.window.open_session(chat.id)
    assert h.window.chat.banner.isHidden()
    h.workspace.edit_summary(chat.id, "Alex is planning a bookstore API.")

    async def marked() -> None:
        await until(lambda: not h.window.chat.banner.isHidden())

    h.run(marked())
    plan = h.workspace.preview(chat.id)
    kept = {i for p in plan.parts for i in p.message_ids}
    rows = h.window.chat.model.rows()
    answered = max(r.key for r in rows if r.message is not None and r.message.role is Role.USER)
    # Older than the kept window: summarised; the last reply follows the message being answered.
    assert [r.context for r in rows] == [SUMMARISED if r.key not in kept and r.key < answered else "" for r in rows]
    summarised = [r.context for r in rows].count(SUMMARISED)
    assert summarised >= 6
    assert h.window.chat.banner.text() == f"⋮ {summarised} earlier messages summarised  ▸"
    h.window.chat.banner.click()
    assert h.window.inspector.isVisible()

    # Once every message the summary covers is in the request anyway, there is nothing to announce.
    h.workspace.set_strategy(chat.id, Strategy.SUMMARY, {"summary_keep_last": 50})

    async def all_in_context() -> None:
        await until(lambda: SUMMARISED not in [r.context for r in h.window.chat.model.rows()])

    h.run(all_in_context())
    assert any(p.summary_through is not None for p in h.workspace.preview(chat.id).parts)
    assert h.window.chat.banner.isHidden(), h.window.chat.banner.text()


def test_a_reply_streaming_in_another_chat_shows_in_full_when_its_chat_is_reopened(
    open_window: Callable[..., Harness], qtbot: QtBot
) -> None:
    h = open_window()
    h.workspace.rename_session(h.chat_id, "Streaming chat")
    streaming = h.chat_id
    chunks = [f"part{i} " for i in range(60)]
    h.server.reply(chunks=chunks, chunk_delay=0.03)

    async def scenario() -> None:
        _type_and_enter(qtbot, h, "Long answer please")
        await until(lambda: any(r.text for r in h.window.chat.model.rows() if r.status is MessageStatus.STREAMING))
        h.window.new_chat()
        await asyncio.sleep(0.5)  # text arrives while another chat is open
        h.window.open_session(streaming)
        await asyncio.sleep(0.3)  # and more arrives after the chat is open again
        row = next(r for r in h.window.chat.model.rows() if r.status is MessageStatus.STREAMING)
        shown = len(row.text.split())
        assert row.text == "".join(chunks[:shown])  # no gap: every part so far, in order
        assert 10 <= shown < len(chunks)
        await until(lambda: not h.window.bridge.is_running(streaming), seconds=10)  # type: ignore[union-attr]

    h.run(scenario())
    assert _rows(h)[-1] == ("assistant", "".join(chunks), MessageStatus.COMPLETE)


def test_pasting_long_text_keeps_the_composer_bounded_and_counts_it(open_window: Callable[..., Harness]) -> None:
    from PySide6.QtGui import QGuiApplication

    h = open_window()
    composer = h.window.composer
    small = composer.edit.height()
    text = "\n".join(f"line {i} of a long log that was pasted" for i in range(2000))
    QGuiApplication.clipboard().setText(text)
    composer.edit.paste()
    assert composer.text() == text
    assert small < composer.edit.height() <= 14 * composer.edit.fontMetrics().lineSpacing() + 40

    async def counted() -> None:
        await until(lambda: "over the budget" in composer.count.text(), seconds=10)

    h.run(counted())  # 2,000 lines do not fit the test model's 8,192-token window
    assert len(composer.count.text()) < 60
    assert "budget" in composer.count.toolTip()


def test_the_composer_counts_the_drafts_own_tokens(open_window: Callable[..., Harness], qtbot: QtBot) -> None:
    """After a long reply, typing two words shows what those two words cost, not the whole history's growth."""
    h = open_window()
    h.server.reply("A long answer. " * 120)

    async def scenario() -> None:
        _type_and_enter(qtbot, h, "Tell me a lot")
        await until(lambda: not h.window.composer.busy and len(_rows(h)) == 2, what="the reply")
        QTest.keyClicks(h.window.composer.edit, "hello there")
        await until(lambda: "left" in h.window.composer.count.text() and "0 tok" not in h.window.composer.count.text())

    h.run(scenario())
    shown = h.window.composer.count.text()
    tokens = int(shown.split(" tok")[0].lstrip("≈").replace(",", ""))
    assert 2 <= tokens <= 10, shown  # "hello there" and a message's overhead; the reply is not counted

    async def erased() -> None:
        h.window.composer.edit.selectAll()
        QTest.keyClick(h.window.composer.edit, Qt.Key.Key_Delete)
        await until(lambda: h.window.composer.count.text().lstrip("≈").startswith("0 tok"), what="the count of nothing")

    h.run(erased())
