"""The chat's model picker, its instructions editor, "New chat with…" and the Instructions and Assistants pages,
driven through the window; the fake server records what each request carried."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox

from desktop_chat.core.models import ContextPlan, PartKind
from desktop_chat.core.profiles import LOCAL_PRESET, PRESETS, ProviderProfile
from desktop_chat.core.settings import Settings
from desktop_chat.ui.chat.setup_dialogs import InstructionsDialog, ModelDialog
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.waiting import until
from tests.helpers.window import Harness, ui_settings


def two_profiles(server: FakeOpenAIServer) -> Settings:
    settings = ui_settings(server)
    small = ProviderProfile(
        name="Small", base_url=server.base_url, default_model="small-default", context_window=2048, needs_key=False
    )
    return replace(settings, profiles=(*settings.profiles, small))


def send(h: Harness, text: str) -> None:
    edit = h.window.composer.edit
    edit.setFocus()
    QTest.keyClicks(edit, text)
    QTest.keyClick(edit, Qt.Key.Key_Return)
    h.run(until(lambda: h.window.composer.busy, what="the reply to start"))
    h.run(until(lambda: not h.window.composer.busy, what="the reply to end"))


def request_for(h: Harness, text: str) -> dict[str, Any]:
    """The body of the reply request that answered ``text`` (titles and memory upkeep send their own)."""
    body: dict[str, Any] = next(
        r.body for r in reversed(h.server.chat_requests) if r.body["messages"][-1] == {"role": "user", "content": text}
    )
    return body


def plan_of(h: Harness) -> ContextPlan:
    plan = h.window.inspector.plan
    assert plan is not None
    return plan


def click_save(dialog: ModelDialog | InstructionsDialog) -> None:
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()


def test_the_picker_lists_the_servers_models_and_the_next_request_uses_the_choice(
    open_window: Callable[..., Harness],
) -> None:
    h = open_window()
    window = h.window
    h.run(until(lambda: window.inspector.plan is not None, what="the first plan"))
    h.window.chat_setup.model_button.click()
    dialog = window.chat_setup.model_dialog
    assert isinstance(dialog, ModelDialog) and dialog.isVisible()
    h.run(until(lambda: dialog.model.count() == 2, what="the server's models"))
    assert [dialog.model.itemText(i) for i in range(2)] == ["fake-gpt", "fake-mini"]
    assert dialog.status.text() == "2 model(s) listed by Test's server."
    dialog.model.setCurrentIndex(dialog.model.findText("fake-mini"))
    click_save(dialog)
    assert not dialog.isVisible()
    assert h.workspace.session(h.chat_id).model == "fake-mini"
    h.run(until(lambda: plan_of(h).model == "fake-mini", what="the inspector to plan for fake-mini"))
    assert "fake-mini on profile Test" in window.chat_setup.model_button.toolTip()
    assert window.chat.details.text().startswith("fake-mini · ")
    send(h, "hello")
    assert request_for(h, "hello")["model"] == "fake-mini"


def test_another_profile_replans_for_its_window_and_a_typed_model_is_kept(
    open_window: Callable[..., Harness], fake_openai: FakeOpenAIServer
) -> None:
    h = open_window(two_profiles(fake_openai))
    window = h.window
    h.run(until(lambda: window.inspector.plan is not None, what="the first plan"))
    dialog = window.chat_setup.choose_model()
    assert dialog is not None
    dialog.profile.setCurrentIndex(dialog.profile.findData("Small"))
    assert dialog.line.placeholderText() == "the profile's default: small-default"
    dialog.model.setEditText("typed-model")
    click_save(dialog)
    h.run(until(lambda: plan_of(h).context_window == 2048, what="a plan for the Small profile's window"))
    assert plan_of(h).model == "typed-model"
    session = h.workspace.session(h.chat_id)
    assert (session.profile, session.model) == ("Small", "typed-model")
    tip = window.sidebar.model.data(window.sidebar.model.chat_index(h.chat_id), Qt.ItemDataRole.ToolTipRole)
    assert "Model: typed-model · profile Small" in tip
    send(h, "hi")
    assert request_for(h, "hi")["model"] == "typed-model"


def test_the_instructions_editor_and_custom_instructions_open_every_request(
    open_window: Callable[..., Harness],
) -> None:
    h = open_window()
    window = h.window
    window.open_settings("instructions")
    settings = window.settings_dialog
    settings.instructions.editor.setPlainText("I am Ada. Answer briefly.")
    assert h.run(settings.save())
    settings.reject()
    window.chat_setup.instructions_button.click()
    dialog = window.chat_setup.instructions_dialog
    assert isinstance(dialog, InstructionsDialog) and dialog.isVisible()
    dialog.editor.setPlainText("You are a pirate.")
    click_save(dialog)
    assert not dialog.isVisible()
    assert window.chat_setup.instructions_button.text() == "Instructions ✓"

    def kinds() -> list[PartKind]:
        return [p.kind for p in plan_of(h).parts]

    h.run(until(lambda: kinds()[:2] == [PartKind.INSTRUCTIONS, PartKind.SYSTEM_PROMPT], what="the instruction parts"))
    send(h, "hello")
    messages = request_for(h, "hello")["messages"]
    assert messages[:2] == [
        {"role": "system", "content": "I am Ada. Answer briefly."},
        {"role": "system", "content": "You are a pirate."},
    ]


def test_a_too_long_instruction_is_refused_in_one_line_where_it_was_typed(
    open_window: Callable[..., Harness], fake_openai: FakeOpenAIServer
) -> None:
    h = open_window(ui_settings(fake_openai, max_request_tokens=300))
    window = h.window
    dialog = window.chat_setup.edit_instructions()
    assert dialog is not None
    dialog.editor.setPlainText("Be kind. " * 200)
    click_save(dialog)
    assert dialog.isVisible() and dialog.problem.isVisible()
    line = dialog.problem.text()
    assert "\n" not in line and line.startswith("The instructions are ") and "budget is 300" in line
    assert h.workspace.session(h.chat_id).system_prompt == ""
    dialog.reject()
    window.open_settings("instructions")
    settings = window.settings_dialog
    settings.instructions.editor.setPlainText("Always " * 400)
    assert not h.run(settings.save())
    assert settings.status.text().startswith("The instructions are ") and "\n" not in settings.status.text()
    assert h.workspace.settings.custom_instructions == ""


def test_new_chat_with_an_assistant_starts_it_with_its_settings(open_window: Callable[..., Harness]) -> None:
    h = open_window()
    window = h.window
    before = h.chat_id
    setup = window.chat_setup
    setup.fill_assistants()
    names = [a.text() for a in setup.assistants_menu.actions() if not a.isSeparator()]
    assert names[:4] == ["Writing editor", "Code reviewer", "Translator", "Tutor"]
    assert names[-1] == "Manage Assistants…"
    assert setup.new_with_button.menu() is setup.assistants_menu
    assert setup.assistants_menu.menuAction() in window.file_menu.actions()
    tutor = next(a for a in setup.assistants_menu.actions() if a.text() == "Tutor")
    tutor.trigger()
    assert window.current_id != before
    session = h.workspace.session(h.chat_id)
    assert session.system_prompt == h.workspace.assistants.get("Tutor").system_prompt
    assert session.strategy is not None and session.strategy.value == "hybrid"
    send(h, "teach me fractions")
    first = request_for(h, "teach me fractions")["messages"][0]
    assert first == {"role": "system", "content": session.system_prompt}


def test_the_assistants_page_adds_changes_removes_exports_and_imports(
    open_window: Callable[..., Harness], tmp_path: Path
) -> None:
    h = open_window()
    h.window.open_settings("assistants")
    page = h.window.settings_dialog.assistants
    page.new_button.click()
    page.name.setText("Pirate")
    page.prompt.setPlainText("Speak like a pirate.")
    page.model.setText("fake-mini")
    page.strategy.setCurrentIndex(page.strategy.findData("window"))
    page.options.setText('{"window_messages": 4}')
    page.save_button.click()
    assert page.result.text() == "Saved assistant “Pirate”."
    pirate = h.workspace.assistants.get("Pirate")
    assert (pirate.model, pirate.strategy_options) == ("fake-mini", {"window_messages": 4})
    page.options.setText("lots")
    page.save_button.click()
    assert page.result.text().startswith("Memory options must be a JSON object")
    page.options.setText('{"window_messages": 6}')
    page.name.setText("Captain")  # a rename keeps its place
    page.save_button.click()
    assert [a.name for a in h.workspace.assistants.list()][-1] == "Captain"
    file = tmp_path / "assistants.json"
    assert page.export_to(file)
    assert page.result.text() == f"Exported 5 assistant(s) to {file}."
    page.remove_button.click()
    assert page.result.text() == "Removed assistant “Captain”."
    assert page.import_from(file)
    assert page.result.text() == "Imported from assistants.json: 1 added, 4 replaced."
    assert h.workspace.assistants.get("Captain").strategy_options == {"window_messages": 6}
    (tmp_path / "other.json").write_text(json.dumps({"format": "something-else", "sessions": []}))
    assert not page.import_from(tmp_path / "other.json")
    assert "holds no assistants" in page.result.text()
    h.run(asyncio.sleep(0))


def test_the_built_in_profile_takes_no_model_name(
    open_window: Callable[..., Harness], fake_openai: FakeOpenAIServer
) -> None:
    settings = ui_settings(fake_openai)
    h = open_window(replace(settings, profiles=(*settings.profiles, PRESETS[LOCAL_PRESET])))
    dialog = h.window.chat_setup.choose_model()
    assert dialog is not None
    dialog.model.setEditText("fake-mini")
    dialog.profile.setCurrentIndex(dialog.profile.findData(PRESETS[LOCAL_PRESET].name))
    assert not dialog.model.isEnabled() and dialog.model_name() == ""
    assert dialog.status.text() == "The built-in model runs the file chosen in Settings → Providers."
    click_save(dialog)
    session = h.workspace.session(h.chat_id)
    assert (session.profile, session.model) == (PRESETS[LOCAL_PRESET].name, None)
