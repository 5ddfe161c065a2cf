"""The request cap in the window: the composer's room for the draft, the inspector's budget and why, the chat's
own cap in the Strategy section, the Memory page's and a profile's cap in Settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from desktop_chat.core.models import Role, Strategy
from desktop_chat.core.request_cap import BudgetLimit
from desktop_chat.core.storage.store import Store
from tests.helpers.app import App
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.waiting import until
from tests.helpers.window import Harness, data_dir, ui_settings

# The fake profile's window is 8,192 tokens: its budget is 8,192 - 1,000 - 50 = 7,142 without a smaller cap.
WINDOW_BUDGET = 7142
TEXT = "message {} about the harbour, the ferry timetable and the lighthouse keeper's dog"


def fill(store: Store, messages: int) -> int:
    session = store.sessions.create("Long chat")
    with store.db.transaction():
        for i in range(messages):
            store.messages.append(session.id, Role.USER if i % 2 == 0 else Role.ASSISTANT, TEXT.format(i))
    return session.id


def long_chat(folder: Path, messages: int = 600) -> int:
    """A chat whose history alone is far larger than the window, before the window opens."""
    store = Store.open(folder)
    try:
        return fill(store, messages)
    finally:
        store.close()


def shown_left(h: Harness) -> int:
    text = h.window.composer.count.text()  # "≈12 tok · ≈7,120 left"
    return int(text.split("·")[1].strip().lstrip("≈").split(" ")[0].replace(",", ""))


def test_the_composer_shows_the_room_for_the_draft_not_the_unused_budget(
    open_window: Callable[..., Harness], tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    long_chat(data_dir(tmp_path))
    h = open_window(ui_settings(fake_openai, default_strategy=Strategy.HYBRID))
    state = h.window.state

    async def scenario() -> None:
        h.window.composer.edit.setFocus()
        QTest.keyClicks(h.window.composer.edit, "And what was the dog called?")
        await until(lambda: state.plan is not None and state.plan.draft_tokens > 4, what="the draft's plan")

    h.run(scenario())
    plan = state.plan
    assert plan is not None and plan.budget == WINDOW_BUDGET
    # The history fills the window: the plan has (almost) nothing unused ...
    assert plan.budget - plan.total_tokens < 40
    # ... and yet the draft may grow by nearly the whole budget, the history making way for it.
    left = shown_left(h)
    assert left == plan.draft_room == plan.budget - plan.fixed_tokens - plan.draft_tokens
    assert left > WINDOW_BUDGET - 30
    assert "may have before the request is too large" in h.window.composer.count.toolTip()


def test_the_inspector_shows_the_budget_the_cap_and_why(
    open_window: Callable[..., Harness], tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    chat = long_chat(data_dir(tmp_path), 40)
    h = open_window(ui_settings(fake_openai, default_strategy=Strategy.HYBRID))
    inspector = h.window.inspector
    view = inspector.strategy
    caption = inspector.next_request.bar_caption

    notices: list[str] = []
    view.notice.connect(notices.append)

    async def scenario() -> None:
        await until(lambda: inspector.plan is not None, what="the first plan")
        # The default cap (16,000) is larger than this window: the window is the limit, and it says so.
        assert caption.text().startswith("Budget 7,142: the model's window (smaller than the cap 16,000 (Settings))")
        assert view.cap.text() == "" and view.cap.placeholderText() == "16,000 (Settings)"

        view.cap.setFocus()
        QTest.keyClicks(view.cap, "3000")  # the chat's own cap: previewed before it is applied
        await until(lambda: inspector.plan is not None and inspector.plan.budget == 3000, what="the what-if")
        assert caption.text().startswith("Budget 3,000: cap 3,000 (this chat)")
        assert h.workspace.session(chat).strategy_options == {}, "nothing applied yet"
        QTest.mouseClick(view.apply_button, Qt.MouseButton.LeftButton)
        assert h.workspace.session(chat).strategy_options == {"max_request_tokens": 3000}
        assert not view.apply_button.isVisible(), "the applied cap is not a pending change"
        await until(lambda: inspector.plan is not None and inspector.plan.budget_limit is BudgetLimit.CAP)

        view.cap.selectAll()
        QTest.keyClicks(view.cap, "window")  # no cap for this chat: the model's window
        QTest.mouseClick(view.apply_button, Qt.MouseButton.LeftButton)
        assert h.workspace.session(chat).strategy_options == {"max_request_tokens": 0}
        await until(lambda: caption.text().startswith("Budget 7,142: the model's window (this chat has no cap)"))

        view.cap.selectAll()
        QTest.keyClicks(view.cap, "lots")
        QTest.mouseClick(view.apply_button, Qt.MouseButton.LeftButton)
        assert notices and "Chat option 'max_request_tokens' cannot be 'lots'" in notices[-1]
        assert h.workspace.session(chat).strategy_options == {"max_request_tokens": 0}, "nothing changed"

    h.run(scenario())


def test_the_memory_page_edits_the_cap_and_its_preview_follows(open_app: Callable[..., App]) -> None:
    app = open_app(prepare=lambda store: fill(store, 200))
    dialog = app.settings_dialog("memory")
    memory = dialog.memory
    field = memory.fields["max_request_tokens"]
    assert field.widget.text() == "16000"  # type: ignore[attr-defined]
    assert field.widget.accessibleName() == "Request cap"

    field.widget.setText("5000")  # type: ignore[attr-defined]
    plan = memory.update_preview()  # planned with the value as typed, before it is saved
    assert plan is not None and plan.budget == 5000 and "(cap 5,000 (Settings))" in memory.preview.text()
    assert app.saved_settings().max_request_tokens == 16_000

    field.widget.setText("lots")  # type: ignore[attr-defined]
    assert not app.run(dialog.save())
    assert "'max_request_tokens' cannot be 'lots'" in field.error.text() and "\n" not in field.error.text()
    assert app.saved_settings().max_request_tokens == 16_000

    field.widget.setText("5000")  # type: ignore[attr-defined]
    assert app.run(dialog.save())
    assert app.saved_settings().max_request_tokens == 5000
    field.widget.setText("")  # type: ignore[attr-defined]
    assert app.run(dialog.save())
    assert app.saved_settings().max_request_tokens is None  # empty: the model's window


def test_the_profile_editor_edits_the_profiles_cap(open_app: Callable[..., App], fake_openai: FakeOpenAIServer) -> None:
    settings = ui_settings(fake_openai)
    settings = replace(settings, profiles=(replace(settings.profiles[0], max_request_tokens=0),))
    app = open_app(settings)
    page = app.settings_dialog().providers
    page.select("Test")
    assert page.request_cap_edit.text() == "window"  # stored as 0: this profile lifts the cap
    assert page.request_cap_edit.accessibleName() == "Request cap"

    page.request_cap_edit.setText("12")
    assert not app.run(page.window().save())  # type: ignore[attr-defined]
    assert "'max_request_tokens' must be" in page.fields["max_request_tokens"].error.text()

    page.request_cap_edit.setText("4000")
    assert app.run(page.window().save()), page.list_error.text()  # type: ignore[attr-defined]
    assert app.saved_settings().profile("Test").max_request_tokens == 4000
    chat = app.window.current_id
    assert chat is not None
    plan = app.workspace.preview(chat, "hello")
    assert (plan.budget, plan.budget_reason) == (4000, "cap 4,000 (profile Test)")
