"""No OS keyring (no D-Bus session): a key typed in the window is kept until quit, said plainly, and used;
the explicit key file is 0600 in the data folder and read back on the next start.

The keyring is resolved for real (keyring's own backend discovery) in an environment without
``DBUS_SESSION_BUS_ADDRESS``, as on a desktop without a Secret Service.
"""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring.backend
import keyring.core
import pytest
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel

from desktop_chat.core.bootstrap import open_workspace
from desktop_chat.core.paths import database_path
from desktop_chat.core.secrets import KEY_FILE_NAME
from desktop_chat.core.services import SecretAccess
from desktop_chat.core.settings import Settings
from desktop_chat.ui.settings.first_run import WelcomeDialog
from tests.helpers.app import App
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.waiting import until
from tests.helpers.window import data_dir

Opener = Callable[..., App]
KEY = "sk-test-nokeyring0123456789abcdefghij"  # a fake key
NOTICE = "No keyring on this computer: the key is kept until you quit; install GNOME Keyring or KWallet to keep it."


@pytest.fixture(autouse=True)
def no_dbus(monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAIServer) -> Iterator[None]:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    # The OpenAI profile (no base URL of its own) reaches the fake server; it demands the key.
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    fake_openai.api_key = KEY
    # keyring resolves its backend, and the list of viable backends, once per process: resolve both
    # again in this environment, and again after it (the patch's undo restores the backend).
    _forget_viable_backends()
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    yield
    _forget_viable_backends()


def _forget_viable_backends() -> None:
    # keyring.backend.get_all_keyring is cached by jaraco's @once, whose reset() fails when nothing is saved.
    vars(keyring.backend.get_all_keyring).pop("saved_result", None)


def _real_access(tmp_path: Path) -> SecretAccess:
    return SecretAccess(key_file=data_dir(tmp_path) / KEY_FILE_NAME)


def _fits(label: QLabel) -> bool:
    """The whole wrapped text shows: as tall as its text needs at its width, on one visible row."""
    return label.isVisible() and label.wordWrap() and label.height() >= label.heightForWidth(label.width())


def _welcome(app: App) -> WelcomeDialog:
    app.run(until(lambda: app.window.welcome is not None and app.window.welcome.isVisible(), what="the welcome"))
    welcome = app.window.welcome
    assert isinstance(welcome, WelcomeDialog)
    return welcome


def test_first_run_keeps_the_key_until_quit_says_so_and_uses_it(
    open_app: Opener, tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    app = open_app(Settings(), access=_real_access(tmp_path))
    welcome = _welcome(app)
    app.run(until(lambda: welcome.keyring_note.text() == NOTICE, what="the keyring note"))
    assert "system keyring" not in welcome.key_hint.text()  # the hint must not contradict the note
    app.run(until(lambda: _fits(welcome.keyring_note), what="the note to fit"))
    assert not welcome.key_file.isChecked()  # the file is a choice, never the default

    QTest.keyClicks(welcome.key_edit, KEY)
    assert app.run(welcome.finish())
    assert not welcome.isVisible() and welcome.saved_where == NOTICE
    assert "until you quit" in app.window.statusBar().currentMessage()

    assert app.run(app.workspace.key_status("OpenAI")) == "kept until you quit (no keyring on this computer)"
    assert app.run(app.workspace.list_models()) == ["fake-gpt", "fake-mini"]
    assert fake_openai.requests[-1].authorization == f"Bearer {KEY}"
    assert not (data_dir(tmp_path) / KEY_FILE_NAME).exists()  # memory only: nothing on disk
    assert KEY.encode() not in database_path(app.folder).read_bytes()


def test_a_long_error_under_the_key_wraps_instead_of_being_clipped(open_app: Opener, tmp_path: Path) -> None:
    app = open_app(Settings(), access=_real_access(tmp_path))
    welcome = _welcome(app)
    welcome.key_error.setText("A long explanation of what went wrong with the key and what to do about it. " * 3)
    welcome.key_error.show()
    app.run(until(lambda: _fits(welcome.key_error), what="the error to fit"))


def test_settings_keep_the_key_in_a_0600_file_when_chosen_and_the_next_start_reads_it(
    open_app: Opener, tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    app = open_app(Settings(), access=_real_access(tmp_path))
    if app.window.welcome is not None:
        app.window.welcome.reject()
    dialog = app.settings_dialog("providers")
    page = dialog.providers
    app.run(until(lambda: page.keyring_note.text() == NOTICE, what="the keyring note"))
    assert _fits(page.keyring_note)
    assert "not encrypted" in page.key_file.text()
    QTest.keyClicks(page.key_edit, KEY)
    page.key_file.setChecked(True)

    assert app.run(dialog.save())

    key_file = data_dir(tmp_path) / KEY_FILE_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert KEY in key_file.read_text()
    assert page.key_status.text() == "Key: stored in a file readable only by you (not encrypted)"
    others = [p for p in app.folder.rglob("*") if p.is_file() and p != key_file]
    assert all(KEY.encode() not in p.read_bytes() for p in others)  # database, logs: never

    # The next start: a new workspace on the same data folder, still no keyring.
    workspace = open_workspace(data_dir(tmp_path))
    try:
        assert app.run(workspace.list_models()) == ["fake-gpt", "fake-mini"]
    finally:
        app.run(workspace.aclose())
        workspace.close()
    assert fake_openai.requests[-1].authorization == f"Bearer {KEY}"


def test_without_the_file_settings_keep_the_key_until_quit(
    open_app: Opener, tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    app = open_app(Settings(), access=_real_access(tmp_path))
    if app.window.welcome is not None:
        app.window.welcome.reject()
    dialog = app.settings_dialog("providers")
    page = dialog.providers
    QTest.keyClicks(page.key_edit, KEY)
    assert app.run(dialog.save())
    assert page.key_status.text() == "Key: kept until you quit (no keyring on this computer)"
    assert app.run(app.workspace.list_models()) == ["fake-gpt", "fake-mini"]
    assert fake_openai.requests[-1].authorization == f"Bearer {KEY}"
    assert not (data_dir(tmp_path) / KEY_FILE_NAME).exists()
