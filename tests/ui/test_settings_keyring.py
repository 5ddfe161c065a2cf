"""Keys typed in the window go to a real Secret Service and nowhere else; a stored key is never shown.

Run under ``scripts/with-secret-service``; without a Secret Service these skip,
unless ``DESKTOP_CHAT_REQUIRE_SECRET_SERVICE=1`` makes them fail.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtTest import QTest

from desktop_chat.core.errors import SecretStoreUnavailable
from desktop_chat.core.paths import database_path
from desktop_chat.core.secrets import KeyringSecretStore, open_secret_store
from desktop_chat.core.settings import Settings
from desktop_chat.ui.settings.first_run import WelcomeDialog
from tests.helpers.app import App
from tests.helpers.secret_service import no_secret_service
from tests.helpers.waiting import until

pytestmark = pytest.mark.keyring

Opener = Callable[..., App]
TEST_SERVICE = "desktop-chat-tests"  # never the app's own entries, should this run on a real desktop
KEY = "sk-test-keyring0123456789abcdefghijKLMN"  # a fake key


@pytest.fixture
def secret_service(monkeypatch: pytest.MonkeyPatch) -> Iterator[KeyringSecretStore]:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    try:
        store = open_secret_store(service=TEST_SERVICE)
    except SecretStoreUnavailable as exc:
        why = str(exc)
    else:
        assert isinstance(store, KeyringSecretStore)
        yield store
        return
    no_secret_service(why)


@pytest.fixture
def profile_name(secret_service: KeyringSecretStore) -> Iterator[str]:
    name = f"OpenAI {uuid.uuid4().hex[:8]}"
    yield name
    secret_service.delete(name)


def _nowhere_on_disk(folder: Path, tmp_path: Path) -> None:
    for path in [database_path(folder), *folder.rglob("*"), *tmp_path.glob("*.ini")]:
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), f"the key reached {path}"


def test_a_key_saved_in_settings_is_in_the_secret_service_and_never_shown(
    open_app: Opener, secret_service: KeyringSecretStore, profile_name: str, tmp_path: Path
) -> None:
    app = open_app(Settings(), secrets=secret_service)
    dialog = app.settings_dialog("providers")
    page = dialog.providers
    page.name_edit.setText(profile_name)
    page._name_edited(profile_name)
    QTest.keyClicks(page.key_edit, KEY)

    assert app.run(dialog.save())

    assert secret_service.get(profile_name) == KEY
    assert page.key_edit.text() == ""
    assert page.key_status.text() == "Key: stored in Secret Service"
    dialog.reject()
    reopened = app.settings_dialog("providers")
    assert reopened.providers.key_edit.text() == ""  # a stored key is never read back into the window
    app.run(until(lambda: reopened.providers.key_status.text() == "Key: stored in Secret Service"))
    assert app.saved_settings().active_profile == profile_name
    _nowhere_on_disk(app.folder, tmp_path)


def test_the_welcome_stores_the_key_in_the_secret_service(
    open_app: Opener, secret_service: KeyringSecretStore, tmp_path: Path
) -> None:
    secret_service.delete("OpenAI")
    try:
        app = open_app(Settings(), secrets=secret_service)
        app.run(until(lambda: app.window.welcome is not None and app.window.welcome.isVisible(), what="the welcome"))
        welcome = app.window.welcome
        assert isinstance(welcome, WelcomeDialog)
        QTest.keyClicks(welcome.key_edit, KEY)
        assert app.run(welcome.finish())
        assert not welcome.isVisible()
        assert secret_service.get("OpenAI") == KEY
        assert app.run(app.workspace.key_status("OpenAI")) == "stored in Secret Service"
        _nowhere_on_disk(app.folder, tmp_path)
    finally:
        secret_service.delete("OpenAI")
