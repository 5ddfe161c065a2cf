"""First run: with no usable provider the window opens on a welcome, not on a keyring error at the first send."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from desktop_chat.core.paths import database_path
from desktop_chat.core.settings import Settings
from desktop_chat.ui.settings.first_run import WelcomeDialog
from tests.helpers.app import App
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.waiting import until

Opener = Callable[..., App]
KEY = "sk-test-firstrun0123456789abcdefghij"  # a fake key


@pytest.fixture(autouse=True)
def no_environment_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def _welcome(app: App) -> WelcomeDialog:
    app.run(until(lambda: app.window.welcome is not None and app.window.welcome.isVisible(), what="the welcome"))
    welcome = app.window.welcome
    assert isinstance(welcome, WelcomeDialog)
    return welcome


def test_the_welcome_opens_when_no_key_is_anywhere(open_app: Opener) -> None:
    app = open_app(Settings())  # the OpenAI profile, no key stored, none in the environment
    welcome = _welcome(app)
    assert welcome.openai.isChecked() and welcome.key_edit.echoMode() == welcome.key_edit.EchoMode.Password
    assert welcome.builtin is not None and not welcome.builtin.isChecked()  # offered, not chosen


def test_choosing_the_builtin_model_activates_its_profile(open_app: Opener) -> None:
    app = open_app(Settings())
    welcome = _welcome(app)
    assert welcome.builtin is not None
    welcome.builtin.setChecked(True)
    assert app.run(welcome.finish())
    assert not welcome.isVisible()
    assert app.workspace.settings.active_profile == "Local (built-in)"
    assert app.run(app.workspace.provider_ready())  # no key needed: the welcome will not come back


def test_no_welcome_with_openai_api_key_set(open_app: Opener, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    app = open_app(Settings())
    app.settle(0.3)
    assert app.window.welcome is None


def test_no_welcome_for_a_profile_that_needs_no_key(open_app: Opener) -> None:
    app = open_app()  # the fake server's profile: a local server, no key
    app.settle(0.3)
    assert app.window.welcome is None


def test_a_key_entered_is_stored_and_the_welcome_is_gone(open_app: Opener, tmp_path: object) -> None:
    app = open_app(Settings())
    welcome = _welcome(app)
    QTest.keyClicks(welcome.key_edit, KEY)
    assert app.run(welcome.finish())
    assert not welcome.isVisible()
    assert app.secrets.get("OpenAI") == KEY
    assert app.run(app.workspace.provider_ready())
    assert KEY.encode() not in database_path(app.folder).read_bytes()
    assert welcome.key_edit.text() == ""


def test_an_empty_key_is_explained_next_to_the_field(open_app: Opener) -> None:
    app = open_app(Settings())
    welcome = _welcome(app)
    assert not app.run(welcome.finish())
    assert welcome.isVisible()
    assert welcome.key_error.isVisibleTo(welcome) and "Paste your OpenAI API key" in welcome.key_error.text()


def test_a_local_server_is_set_up_with_a_model_it_has(open_app: Opener, fake_openai: FakeOpenAIServer) -> None:
    app = open_app(Settings())
    welcome = _welcome(app)
    welcome.local.setChecked(True)
    welcome.server_box.setCurrentIndex(0)  # Ollama
    welcome.url_edit.setText(fake_openai.base_url)
    check = app.run(welcome.check_server())
    assert (
        check.ok
        and welcome.server_result.text()
        == f"Connected to {fake_openai.base_url}: 2 models; 'llama3.2' is not among them."
    )

    assert app.run(welcome.finish())
    settings = app.saved_settings()
    profile = settings.profile()
    assert (settings.active_profile, profile.base_url, profile.needs_key) == ("Ollama", fake_openai.base_url, False)
    assert profile.default_model == "fake-gpt"  # the preset's guess replaced by a model the server has
    assert not welcome.isVisible()


def test_esc_leaves_the_welcome_and_the_menu_reopens_it(open_app: Opener) -> None:
    app = open_app(Settings())
    welcome = _welcome(app)
    QTest.keyClick(welcome, Qt.Key.Key_Escape)
    assert not welcome.isVisible() and app.window.isVisible()
    app.window.setup_action.trigger()
    assert app.window.welcome is welcome and welcome.isVisible()


def test_a_key_saved_in_settings_closes_the_welcome(open_app: Opener) -> None:
    app = open_app(Settings())
    welcome = _welcome(app)
    dialog = app.settings_dialog("providers")
    dialog.providers.key_edit.setText(KEY)
    assert app.run(dialog.save())
    app.run(until(lambda: not welcome.isVisible(), what="the welcome to close"))
    assert app.secrets.get("OpenAI") == KEY
    assert dialog.providers.key_edit.text() == ""  # never shown again
    assert dialog.providers.key_status.text() == "Key: stored in memory (this run only)" or "stored" in (
        dialog.providers.key_status.text()
    )
