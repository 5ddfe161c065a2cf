"""Costs in the window: a real reply's cost on the reply and in the status bar, the inspector's totals and the
next request's price, and the price fields of the profile editor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from desktop_chat.core.models import Role, Strategy
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.ui.chat.message_model import spoken
from desktop_chat.ui.settings.drafts import Draft, field_errors
from tests.helpers.waiting import until
from tests.helpers.window import Harness


def _send(h: Harness, text: str) -> None:
    edit = h.window.composer.edit
    edit.setFocus()
    QTest.keyClicks(edit, text)
    QTest.keyClick(edit, Qt.Key.Key_Return)


def test_a_replys_cost_shows_on_the_reply_and_in_the_inspector(
    open_window: Callable[..., Harness], qtbot: QtBot
) -> None:
    h = open_window()
    profile = replace(h.workspace.settings.profiles[0], input_price=3.0, output_price=15.0)
    h.workspace.update_profile(profile.name, profile)
    h.workspace.set_strategy(h.chat_id, Strategy.FACTS)
    h.server.reply("Lisbon is sunny.", prompt_tokens=2000, completion_tokens=100)

    async def scenario() -> None:
        _send(h, "I live in Lisbon")
        await until(lambda: h.window.composer.busy, what="busy")
        await until(lambda: not h.window.composer.busy, what="reply end")
        await until(lambda: any(r.cost for r in h.window.chat.model.rows()), what="the reply's cost on the reply")
        await h.workspace.wait_for_upkeep(10)
        await until(lambda: "Memory upkeep: $" in h.window.inspector.costs.upkeep.text(), what="upkeep counted")
        # The next request is planned again once the reply has ended (and the price was set).
        await until(lambda: h.window.inspector.costs.next.text().startswith("Next request ≤ $"), what="its price")

    h.run(scenario())
    reply = next(r for r in h.window.chat.model.rows() if r.message is not None and r.message.role is Role.ASSISTANT)
    # $0.006 for 2,000 prompt tokens at $3/M, $0.0015 for 100 reply tokens at $15/M.
    assert reply.cost == "$0.0075 · 2,000 → 100 tokens"
    assert "cost $0.0075" in spoken(reply)  # a screen reader hears it too
    assert h.window.usage_label.text().endswith("· $0.0075")
    costs = h.window.inspector.costs
    assert costs.chat.text().startswith("This chat: $0.")
    assert "replies $0.0075 in 1 request" in costs.chat.text()
    assert "fact extraction 1" in costs.upkeep.text() and "model fake-mini" in costs.upkeep.text()
    assert costs.month.text().startswith("This month: $0.")
    assert costs.next.text().startswith("Next request ≤ $") and "up to 1,000 out" in costs.next.text()
    assert h.window.inspector.sections["costs"].toggle.accessibleName() == "Costs"


def test_a_local_server_is_free_in_the_inspector(open_window: Callable[..., Harness], qtbot: QtBot) -> None:
    h = open_window()

    async def scenario() -> None:
        _send(h, "Hello")
        await until(lambda: h.window.composer.busy, what="busy")
        await until(lambda: not h.window.composer.busy, what="reply end")
        await until(lambda: h.window.inspector.costs.next.text().startswith("Next request free (local)"), what="free")

    h.run(scenario())
    reply = next(r for r in h.window.chat.model.rows() if r.message is not None and r.message.role is Role.ASSISTANT)
    assert reply.cost.startswith("free · ")
    assert h.window.inspector.costs.chat.text().startswith("This chat: free")


def test_the_profile_editor_checks_the_prices_as_a_pair() -> None:
    draft = Draft.of(ProviderProfile("Test", base_url="https://api.openai.com/v1"), original="Test")
    assert (draft.values["input_price"], draft.values["output_price"]) == ("", "")
    draft.values["input_price"] = "3"
    errors = field_errors(draft)
    assert "give both" in errors["output_price"] and "input_price" not in errors
    draft.values["output_price"] = "-1"
    assert "from 0 to 10000" in field_errors(draft)["output_price"]
    draft.values["output_price"] = "15"
    assert "input_price" not in field_errors(draft) and "output_price" not in field_errors(draft)
