"""The settings dialog on a real workspace (settings in the database) and the fake server."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QTabBar,
    QTabWidget,
    QWidget,
)

from desktop_chat.core.models import Role, Strategy
from desktop_chat.core.paths import database_path
from desktop_chat.core.profiles import LOCAL_PRESET, PRESETS
from desktop_chat.core.secrets import MemorySecretStore
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.store import Store
from desktop_chat.ui.settings.dialog import SettingsDialog
from desktop_chat.ui.settings.first_run import show_welcome
from desktop_chat.ui.settings.local import CHOOSE
from tests.helpers.app import App
from tests.helpers.fake_openai import DEFAULT_MODELS, FakeOpenAIServer
from tests.helpers.waiting import until
from tests.helpers.window import ui_settings

Opener = Callable[..., App]


def _chat_of(store: Store, messages: int, *, title: str = "Bookstore API") -> int:
    session = store.sessions.create(title)
    for i in range(messages):
        role = Role.USER if i % 2 == 0 else Role.ASSISTANT
        store.messages.append(session.id, role, f"Message {i} about books, authors and reviews.")
    return session.id


def test_ctrl_comma_opens_the_dialog_without_blocking_the_loop(open_app: Opener) -> None:
    app = open_app()
    QTest.keyClick(app.window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    dialog = app.window.settings_dialog
    assert isinstance(dialog, SettingsDialog) and dialog.isVisible()
    app.settle(0.1)  # the loop runs while the dialog is open: it was opened with open(), not exec()
    dialog.reject()
    app.window.settings_action.trigger()  # the menu entry reopens the same dialog
    assert app.window.settings_dialog is dialog and dialog.isVisible()


def test_each_page_shows_the_saved_values(open_app: Opener, fake_openai: FakeOpenAIServer) -> None:
    settings = ui_settings(
        fake_openai,
        default_strategy=Strategy.SUMMARY,
        window_messages=12,
        retention_days=30,
        retention_mode="delete",
        theme="dark",
        conversation_font_size=13,
    )
    app = open_app(settings)
    dialog = app.settings_dialog()
    assert dialog.providers.name_edit.text() == "Test"
    assert dialog.providers.url_edit.text() == fake_openai.base_url
    assert dialog.providers.model_box.currentText() == "fake-gpt"
    assert dialog.memory.strategy.currentData() == "summary"
    assert dialog.memory.fields["window_messages"].widget.text() == "12"  # type: ignore[attr-defined]
    assert dialog.data.fields["retention_days"].widget.text() == "30"  # type: ignore[attr-defined]
    assert dialog.data.fields["retention_mode"].widget.currentData() == "delete"  # type: ignore[attr-defined]
    assert dialog.appearance.fields["theme"].widget.currentData() == "dark"  # type: ignore[attr-defined]
    assert dialog.appearance.fields["conversation_font_size"].widget.text() == "13"  # type: ignore[attr-defined]


def test_valid_values_are_saved_and_published(open_app: Opener) -> None:
    app = open_app()
    dialog = app.settings_dialog()
    dialog.memory.strategy.setCurrentIndex(dialog.memory.strategy.findData("window"))
    dialog.memory.fields["window_messages"].widget.setText("7")  # type: ignore[attr-defined]
    dialog.data.fields["retention_days"].widget.setText("90")  # type: ignore[attr-defined]
    dialog.appearance.fields["conversation_font_size"].widget.setText("15")  # type: ignore[attr-defined]
    dialog.providers.temperature_edit.setText("0.3")
    dialog.providers.max_reply_edit.setText("256")

    assert app.run(dialog.save())

    saved = app.saved_settings()
    assert (saved.default_strategy, saved.window_messages, saved.retention_days) == (Strategy.WINDOW, 7, 90)
    assert saved.conversation_font_size == 15
    assert (saved.profile().temperature, saved.profile().max_reply_tokens) == (0.3, 256)
    assert app.settings_events and app.settings_events[-1].settings == saved
    assert dialog.status.text() == "Saved."
    assert app.window.chat.list.font().pointSize() == 15  # the appearance applies at once


def test_saved_reply_settings_reach_the_server(open_app: Opener, fake_openai: FakeOpenAIServer) -> None:
    app = open_app()
    dialog = app.settings_dialog()
    dialog.providers.temperature_edit.setText("0.25")
    dialog.providers.max_reply_edit.setText("99")
    assert app.run(dialog.save())
    dialog.reject()
    chat = app.window.current_id
    assert chat is not None

    async def send() -> None:
        async for _event in app.workspace.send(chat, "Hello"):
            pass

    app.run(send())
    body = next(r.body for r in fake_openai.chat_requests if r.body.get("stream"))  # the reply, not the title
    assert body["temperature"] == 0.25
    assert body["max_tokens"] == 99  # a local server: the field it knows (OpenAI's API gets max_completion_tokens)


def test_invalid_values_are_explained_in_place_and_nothing_is_saved(open_app: Opener) -> None:
    app = open_app()
    before = app.saved_settings()
    dialog = app.settings_dialog()
    memory = dialog.memory.fields
    memory["window_messages"].widget.setText("lots")  # type: ignore[attr-defined]
    for spin in dialog.memory.split.spins.values():
        spin.setValue(50)
    dialog.memory.fields["reserved_reply_tokens"].widget.setText("5")  # type: ignore[attr-defined]
    dialog.providers.url_edit.setText("localhost:1234")
    dialog.providers.temperature_edit.setText("3")
    dialog.appearance.fields["conversation_font_size"].widget.setText("200")  # type: ignore[attr-defined]

    assert not app.run(dialog.save())

    assert memory["window_messages"].error.text() == (
        "Setting 'window_messages' cannot be 'lots': it must be a whole number from 1 to 10000."
    )
    assert memory["window_messages"].error.isVisibleTo(dialog)
    assert "add up to 1.5; at most 0.9" in memory["hybrid_split"].error.text()
    assert "whole number from 16" in memory["reserved_reply_tokens"].error.text()
    assert "must start with http:// or https://" in dialog.providers.fields["base_url"].error.text()
    assert "'temperature' must be a number from 0 to 2" in dialog.providers.fields["temperature"].error.text()
    assert "from 6 to 48" in dialog.appearance.fields["conversation_font_size"].error.text()
    assert memory["summary_trigger"].error.text() == ""  # a good value next to bad ones is not marked
    assert "nothing was saved" in dialog.status.text()
    assert dialog.current_page() is dialog.memory  # the first page with a problem is shown
    assert app.saved_settings() == before
    assert not app.settings_events

    memory["window_messages"].widget.setText("9")  # type: ignore[attr-defined]
    for name, percent in (("facts", 10), ("summary", 20), ("recall", 20)):
        dialog.memory.split.spins[name].setValue(percent)
    memory["reserved_reply_tokens"].widget.setText("500")  # type: ignore[attr-defined]
    dialog.providers.url_edit.setText(app.server.base_url)
    dialog.providers.temperature_edit.setText("")
    dialog.appearance.fields["conversation_font_size"].widget.setText("")  # type: ignore[attr-defined]
    assert app.run(dialog.save())
    assert memory["window_messages"].error.text() == "" and app.saved_settings().window_messages == 9


def test_test_connection_answers_in_one_line(open_app: Opener, fake_openai: FakeOpenAIServer) -> None:
    app = open_app()
    page = app.settings_dialog().providers

    check = app.run(page.test_connection())
    assert check.ok and page.test_result.text() == f"Connected to {fake_openai.base_url}: 2 models."

    page.url_edit.setText("http://127.0.0.1:9/v1")  # nothing listens on the discard port
    check = app.run(page.test_connection())
    assert not check.ok
    assert page.test_result.text() == "Cannot reach http://127.0.0.1:9/v1: is the server running?"
    assert "\n" not in page.test_result.text()


def test_a_wrong_key_gets_one_line_and_is_not_shown(open_app: Opener, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.api_key = "sk-right-key-0123456789abcdef"
    app = open_app()
    page = app.settings_dialog().providers
    page.needs_key.setChecked(True)
    page.key_edit.setText("sk-wrong-key-0123456789abcdef")
    check = app.run(page.test_connection())
    assert not check.ok
    assert page.test_result.text() == f"The server at {fake_openai.base_url} rejected the API key (401); check the key."
    assert "sk-wrong" not in page.test_result.text()


def test_the_model_list_is_fetched_and_a_typed_model_is_kept(open_app: Opener) -> None:
    app = open_app()
    page = app.settings_dialog().providers
    page.model_box.setEditText("my-own-model")
    page.fetch_button.click()
    app.run(until(lambda: page.model_box.count() > 0, what="the model list"))
    assert [page.model_box.itemText(i) for i in range(page.model_box.count())] == sorted(DEFAULT_MODELS)
    assert page.model_box.currentText() == "my-own-model"  # typed by hand: still what is saved


def test_the_memory_preview_follows_the_options(open_app: Opener, fake_openai: FakeOpenAIServer) -> None:
    app = open_app(ui_settings(fake_openai, default_strategy=Strategy.WINDOW), prepare=lambda s: _chat_of(s, 31))
    memory = app.settings_dialog("memory").memory
    window = memory.fields["window_messages"].widget

    window.setText("4")  # type: ignore[attr-defined]
    four = memory.update_preview()
    window.setText("12")  # type: ignore[attr-defined]
    twelve = memory.update_preview()

    assert four is not None and twelve is not None
    recent = {plan: sum(len(p.message_ids) for p in plan.parts) for plan in (four, twelve)}
    assert (recent[four], recent[twelve]) == (4, 12)
    assert "(12 messages)" in memory.preview.text() and "Left out: 19 message(s)" in memory.preview.text()
    memory.strategy.setCurrentIndex(memory.strategy.findData("full"))
    full = memory.update_preview()
    assert full is not None and full.strategy is Strategy.FULL and "Left out" not in memory.preview.text()
    assert app.saved_settings().window_messages == ui_settings(fake_openai).window_messages  # only a preview


def test_the_preview_updates_by_itself_while_typing(open_app: Opener) -> None:
    app = open_app(prepare=lambda s: _chat_of(s, 10))
    memory = app.settings_dialog("memory").memory
    memory.strategy.setCurrentIndex(memory.strategy.findData("window"))
    edit = memory.fields["window_messages"].widget
    edit.setFocus()
    edit.selectAll()  # type: ignore[attr-defined]
    QTest.keyClicks(edit, "3")
    app.run(until(lambda: "(3 messages)" in memory.preview.text(), what="the preview"))


def _idle_chat(store: Store, title: str, days: int) -> None:
    when = datetime.now(UTC) - timedelta(days=days)
    session = store.sessions.create(title, created_at=when)
    store.messages.append(session.id, Role.USER, f"{title} question", created_at=when)


def test_purge_shows_the_dry_run_before_deleting(open_app: Opener) -> None:
    def prepare(store: Store) -> None:
        _idle_chat(store, "Old trip", 100)
        _idle_chat(store, "Recent work", 1)

    app = open_app(prepare=prepare)
    data = app.settings_dialog("data").data
    data.fields["retention_days"].widget.setText("30")  # type: ignore[attr-defined]
    data.fields["retention_mode"].widget.setCurrentIndex(1)  # type: ignore[attr-defined]
    titles = {s.title for s in app.workspace.sessions()}

    data.purge_button.click()
    assert data.purge_result.text().startswith("Would delete 1 session(s)")
    assert "“Old trip”" in data.purge_result.text()
    assert {s.title for s in app.workspace.sessions()} == titles  # nothing happened yet
    assert data.confirm_button.isVisibleTo(data) and data.confirm_button.text() == "Delete 1 chat(s) now"

    data.confirm_button.click()
    assert data.purge_result.text().startswith("Deleted 1 session(s)")
    assert {s.title for s in app.workspace.sessions()} == titles - {"Old trip"}
    assert not data.confirm_button.isVisibleTo(data)


def test_changing_the_values_after_a_dry_run_asks_for_a_new_one(open_app: Opener) -> None:
    app = open_app(prepare=lambda s: _idle_chat(s, "Old trip", 100))
    data = app.settings_dialog("data").data
    data.fields["retention_days"].widget.setText("30")  # type: ignore[attr-defined]
    data.purge_button.click()
    assert data.confirm_button.isVisibleTo(data)
    QTest.keyClicks(data.fields["retention_days"].widget, "0")  # 300 days: the dry run no longer holds
    assert not data.confirm_button.isVisibleTo(data)


def test_backup_now_and_export_all(open_app: Opener, tmp_path: Path) -> None:
    app = open_app(prepare=lambda s: _chat_of(s, 4))
    data = app.settings_dialog("data").data
    data.backup_button.click()
    backups = list((app.folder / "backups").glob("*.sqlite3"))
    assert len(backups) == 1 and data.data_result.text() == f"Backed up to {backups[0]}"
    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copy(backups[0], database_path(restored))
    copy = Store.open(restored)
    try:
        assert [s.title for s in copy.sessions.list_by_activity()] == ["Bookstore API"]
    finally:
        copy.close()

    target = tmp_path / "all.json"
    assert data.export_to(target)
    exported = json.loads(target.read_text(encoding="utf-8"))
    assert [s["title"] for s in exported["sessions"]] == ["Bookstore API"]
    assert data.data_result.text() == f"Exported every chat to {target}"


def test_profiles_add_use_and_remove(open_app: Opener) -> None:
    app = open_app()
    page = app.settings_dialog().providers
    draft = page.add("ollama")
    assert page.name_edit.text() == "Ollama" and page.url_edit.text() == "http://localhost:11434/v1"
    page.use_selected()
    assert app.run(page.window().save())  # type: ignore[attr-defined]
    saved = app.saved_settings()
    assert [p.name for p in saved.profiles] == ["Test", "Ollama"] and saved.active_profile == "Ollama"
    assert draft.original == "Ollama"

    page.select("Ollama")
    page.remove_selected()
    assert app.run(page.window().save())  # type: ignore[attr-defined]
    saved = app.saved_settings()
    assert [p.name for p in saved.profiles] == ["Test"] and saved.active_profile == "Test"

    page.remove_selected()  # the last one stays
    assert page.list_error.text() == "This is the only provider profile; add another before removing it."


def test_a_profile_removed_and_added_again_in_one_save_is_saved(open_app: Opener) -> None:
    app = open_app()
    page = app.settings_dialog().providers
    page.add("ollama")
    assert app.run(page.window().save())  # type: ignore[attr-defined]
    page.select("Ollama")
    page.remove_selected()
    page.add("ollama")  # the same name again, before saving
    page.url_edit.setText("http://127.0.0.1:11500/v1")
    assert app.run(page.window().save()), page.list_error.text()  # type: ignore[attr-defined]
    saved = {p.name: p for p in app.saved_settings().profiles}
    assert list(saved) == ["Test", "Ollama"]
    assert saved["Ollama"].base_url == "http://127.0.0.1:11500/v1"


def test_a_profile_renamed_in_settings_keeps_its_key(open_app: Opener) -> None:
    keys = MemorySecretStore()
    keys.set("Test", "sk-test-renamed0123456789abcdefghijk")  # a fake key
    app = open_app(secrets=keys)
    page = app.settings_dialog().providers
    page.select("Test")
    page.name_edit.selectAll()
    QTest.keyClicks(page.name_edit, "Work")  # typed, as a user renames it
    assert app.run(page.window().save()), page.list_error.text()  # type: ignore[attr-defined]
    assert [p.name for p in app.saved_settings().profiles] == ["Work"]
    assert keys.get("Work") == "sk-test-renamed0123456789abcdefghijk" and keys.get("Test") is None


def test_unchanged_save_publishes_nothing(open_app: Opener) -> None:
    app = open_app()
    dialog = app.settings_dialog()
    before: Settings = app.saved_settings()
    assert app.run(dialog.save())
    assert app.saved_settings() == before and not app.settings_events


def _unnamed_controls(root: QWidget) -> list[str]:
    controls = (QAbstractButton, QLineEdit, QComboBox, QListWidget, QTabWidget)
    missing = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, controls) or widget.objectName().startswith("qt_"):
            continue
        if isinstance(widget.parentWidget(), QComboBox | QLineEdit | QTabBar):
            continue  # a combo box's line edit, a line edit's clear button, the tab bar's scroll arrows
        if not widget.accessibleName() or not widget.toolTip():
            missing.append(f"{type(widget).__name__} {getattr(widget, 'text', lambda: '')()!r}")
    return missing


def test_every_control_has_an_accessible_name_and_a_tooltip(open_app: Opener) -> None:
    app = open_app()
    missing = _unnamed_controls(app.settings_dialog())
    assert missing == [], "; ".join(missing)
    welcome = show_welcome(app.window, app.workspace)
    assert welcome is not None and _unnamed_controls(welcome) == []


def _with_builtin(fake_openai: FakeOpenAIServer, **overrides: object) -> Settings:
    base = ui_settings(fake_openai, **overrides)
    return replace(base, profiles=(*base.profiles, PRESETS[LOCAL_PRESET]))


def test_the_builtin_profile_shows_its_own_fields_instead_of_url_and_key(
    open_app: Opener, fake_openai: FakeOpenAIServer
) -> None:
    app = open_app(_with_builtin(fake_openai))
    (app.folder / "models").mkdir()
    (app.folder / "models" / "mine.gguf").write_bytes(b"GGUF" + b"\0" * 2_999_996)
    dialog = app.settings_dialog()
    page = dialog.providers
    assert page.url_edit.isVisibleTo(page) and not page.local.isVisibleTo(page)

    page.select("Local (built-in)")
    assert page.local.isVisibleTo(page)
    assert not page.url_edit.isVisibleTo(page) and not page.key_edit.isVisibleTo(page)
    assert not page.window_edit.isVisibleTo(page)  # the context size below is the built-in model's window
    box = page.local.model_box
    labels = [box.itemText(i) for i in range(box.count())]
    assert labels[0].startswith("Starter model")
    assert "mine.gguf (3 MB)" in labels and labels[-1] == "Choose a file…"
    assert page.local.fields["local_threads"].widget.text() == "1"  # type: ignore[attr-defined]
    assert any(label.text() == "1 is fastest on a busy 2-core machine." for label in page.local.findChildren(QLabel))

    box.setCurrentIndex(labels.index("mine.gguf (3 MB)"))
    page.local.fields["local_threads"].widget.setText("2")  # type: ignore[attr-defined]
    page.local.fields["local_context_size"].widget.setText("8192")  # type: ignore[attr-defined]
    assert app.run(dialog.save())
    saved = app.saved_settings()
    assert saved.local_model_file == str(app.folder / "models" / "mine.gguf")
    assert (saved.local_threads, saved.local_context_size) == (2, 8192)

    page.select("Test")
    assert page.url_edit.isVisibleTo(page) and not page.local.isVisibleTo(page)


def test_a_bad_model_file_is_refused_in_place(open_app: Opener, fake_openai: FakeOpenAIServer, tmp_path: Path) -> None:
    app = open_app(_with_builtin(fake_openai))
    page = app.settings_dialog().providers
    page.select("Local (built-in)")
    fields = page.local.fields
    before = page.local.model_box.currentIndex()

    notes = tmp_path / "notes.gguf"
    notes.write_bytes(b"hello, not a model")
    assert not page.local.choose(notes)
    assert (
        fields["local_model_file"].error.text()
        == f"Local model file is not a GGUF model: {notes}; choose a .gguf file."
    )
    assert fields["local_model_file"].error.isVisibleTo(page)
    assert page.local.model_box.currentIndex() == before  # the choice is kept

    model = tmp_path / "good.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 96)
    assert page.local.choose(model)
    assert fields["local_model_file"].error.text() == ""
    assert page.local.model_box.currentData() == str(model)
    model.unlink()  # gone before the save: refused with the same line, nothing saved
    assert not app.run(page.window().save())  # type: ignore[attr-defined]
    assert fields["local_model_file"].error.text().startswith("Local model file not found")
    assert app.saved_settings().local_model_file is None


def test_bad_local_values_are_explained_in_place_and_the_builtin_profile_shown(
    open_app: Opener, fake_openai: FakeOpenAIServer
) -> None:
    app = open_app(_with_builtin(fake_openai))
    dialog = app.settings_dialog()
    page = dialog.providers
    assert page.current is not None and page.current.name == "Test"
    page.local.fields["local_threads"].widget.setText("0")  # type: ignore[attr-defined]
    page.local.fields["local_context_size"].widget.setText("100")  # type: ignore[attr-defined]
    assert not app.run(dialog.save())
    assert page.local.fields["local_threads"].error.text() == (
        "Setting 'local_threads' cannot be 0: it must be a whole number from 1 to 256."
    )
    assert "from 512" in page.local.fields["local_context_size"].error.text()
    assert page.current is not None and page.current.name == "Local (built-in)"
    assert page.local.fields["local_threads"].error.isVisibleTo(page)
    assert dialog.current_page() is page and app.saved_settings().local_threads == 1


def test_choose_a_file_opens_a_gguf_picker_without_blocking(open_app: Opener, fake_openai: FakeOpenAIServer) -> None:
    app = open_app(_with_builtin(fake_openai))
    page = app.settings_dialog().providers
    page.select("Local (built-in)")
    box = page.local.model_box
    before = box.currentIndex()
    box.activated.emit(box.findData(CHOOSE))
    picker = page.local.file_dialog
    assert picker is not None and picker.isVisible()
    app.settle(0.1)  # the loop runs while the picker is open: open(), not exec()
    assert any("*.gguf" in f for f in picker.nameFilters())
    assert box.currentIndex() == before
    picker.reject()


def test_the_starter_models_upkeep_profile_is_chosen_on_the_memory_page(
    open_app: Opener, fake_openai: FakeOpenAIServer
) -> None:
    app = open_app(_with_builtin(fake_openai))
    dialog = app.settings_dialog("memory")
    box = dialog.memory.starter_upkeep
    assert [box.itemData(i) for i in range(box.count())] == ["", "Test"]  # never the built-in profile itself
    assert box.currentData() == "" and "recall only" in box.currentText()

    box.setCurrentIndex(box.findData("Test"))
    assert app.run(dialog.save())
    assert app.saved_settings().local_upkeep_profile == "Test"
    assert dialog.memory.starter_upkeep.currentData() == "Test"  # reloaded after the save

    box.setCurrentIndex(0)
    assert app.run(dialog.save())
    assert app.saved_settings().local_upkeep_profile is None
