"""The open chat's ChatState owns the next request: one preview per change, one plan every view shows."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtTest import QTest

from desktop_chat.core.models import ContextPlan, Strategy
from desktop_chat.ui.state.chat_state import TYPING_MS
from tests.helpers.waiting import until
from tests.helpers.window import Harness
from tests.ui.test_inspector import seed_chat


def count_previews(h: Harness) -> list[tuple[Any, ...]]:
    """Plan through the real ``workspace.preview``, wrapped to record each call's arguments."""
    calls: list[tuple[Any, ...]] = []
    preview = h.workspace.preview

    def counting(*args: Any, **kwargs: Any) -> ContextPlan:
        calls.append(args)
        return preview(*args, **kwargs)

    h.window.state.set_preview(counting)
    return calls


def shown_everywhere(h: Harness) -> ContextPlan:
    """The one plan of the state, which the inspector, the chat's marks and the composer's count all show."""
    state, window = h.window.state, h.window
    plan = state.plan
    assert plan is not None
    assert window.inspector.plan is plan
    assert window.chat.model.plan is plan
    left = plan.draft_room
    tokens = plan.draft_tokens if state.draft.strip() else 0
    assert window.composer.count.text() == f"≈{tokens:,} tok · ≈{left:,} left"
    return plan


def test_one_preview_per_memory_change_with_a_draft_typed(open_window: Callable[..., Harness], tmp_path: Path) -> None:
    chat = seed_chat(tmp_path, 6, strategy=Strategy.FACTS)
    h = open_window()
    calls = count_previews(h)

    async def scenario() -> None:
        QTest.keyClicks(h.window.composer.edit, "Where should I stay in Lisbon?")
        await until(lambda: len(calls) == 1, what="the draft's preview")
        await asyncio.sleep(0.4)
        assert len(calls) == 1
        calls.clear()
        h.workspace.add_fact("city", "Lisbon", scope=chat)  # one memory change
        await until(lambda: len(calls) >= 1, what="the preview after the change")
        await asyncio.sleep(0.4)  # nothing else previews: not the window, not the inspector, not the composer
        assert calls == [(chat, "Where should I stay in Lisbon?", None, None)]
        plan = shown_everywhere(h)
        assert any(part.fact_ids for part in plan.parts) and "Lisbon" in str(plan.request_messages())

    h.run(scenario())


def test_typing_quickly_makes_one_preview_after_the_pause(open_window: Callable[..., Harness], tmp_path: Path) -> None:
    seed_chat(tmp_path, 4)
    h = open_window()
    calls = count_previews(h)

    async def scenario() -> None:
        QTest.keyClicks(h.window.composer.edit, "hello")  # five keys at once
        assert h.window.state.draft == "hello" and calls == [], "nothing is planned while typing"
        await asyncio.sleep(TYPING_MS / 1000 + 0.4)
        assert [args[1] for args in calls] == ["hello"]
        assert "hello" in str(shown_everywhere(h).request_messages())

    h.run(scenario())


def test_switching_chats_shows_the_new_chats_plan(open_window: Callable[..., Harness], tmp_path: Path) -> None:
    first = seed_chat(tmp_path, 4)
    second = seed_chat(tmp_path, 8)
    h = open_window()
    h.window.open_session(first)
    before = shown_everywhere(h)
    calls = count_previews(h)
    h.window.open_session(second)
    assert len(calls) == 1, "the switch plans once, at once"
    after = shown_everywhere(h)
    assert after is not before and h.window.state.session_id == second
    assert h.window.inspector.session_id == second
    ids = {i for part in after.parts for i in part.message_ids}
    assert ids and ids <= {m.id for m in h.workspace.messages(second)}
