"""`desktop-chat --version` and `--self-test` from a source install, as a user runs them."""

from __future__ import annotations

import importlib.metadata
import io
from pathlib import Path

import pytest

from desktop_chat.core.about import APP_DISPLAY_NAME, VERSION
from desktop_chat.core.errors import DesktopChatError
from desktop_chat.core.install.self_test import CheckResult, Outcome, check_database, check_tokens, run_checks
from tests.helpers.secret_service import require_secret_service
from tests.helpers.self_test import CHECKS, desktop_chat, isolated, outcomes


def test_version_is_the_installed_version() -> None:
    result = desktop_chat("--version")
    assert result.returncode == 0
    assert result.stdout == f"{APP_DISPLAY_NAME} {VERSION}\n"
    assert importlib.metadata.version("desktop-chat") == VERSION


@pytest.mark.keyring
@pytest.mark.llama
@pytest.mark.slow
def test_self_test_passes_every_check_and_leaves_nothing_behind(tmp_path: Path) -> None:
    require_secret_service()
    env = isolated(tmp_path)
    result = desktop_chat("--self-test", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == f"{APP_DISPLAY_NAME} {VERSION} self-test (source)"
    assert outcomes(result.stdout) == dict.fromkeys(CHECKS, "ok")
    assert result.stdout.splitlines()[-1] == "self-test passed: 6 passed, 0 failed, 0 skipped"
    assert result.stderr == ""
    # The temporary data folder is gone and the user's own data folder was never touched.
    assert list((tmp_path / "tmp").iterdir()) == []
    assert not (tmp_path / "home").exists()


@pytest.mark.llama
@pytest.mark.slow
def test_without_a_keyring_the_self_test_warns_what_it_means_and_passes(tmp_path: Path) -> None:
    env = {**isolated(tmp_path), "DBUS_SESSION_BUS_ADDRESS": f"unix:path={tmp_path}/no-bus"}
    result = desktop_chat("--self-test", env=env)
    assert result.returncode == 0, result.stdout + result.stderr  # the app works: keys are kept until quit
    assert "Traceback" not in result.stdout + result.stderr
    assert outcomes(result.stdout) == {**dict.fromkeys(CHECKS, "ok"), "keyring": "WARN"}
    keyring_line = next(line for line in result.stdout.splitlines() if "keyring:" in line)
    assert keyring_line.startswith("WARN  keyring: no keyring on this computer")
    assert "kept until you quit" in keyring_line and "file" in keyring_line  # what it means, and the choice
    assert "DBUS" not in keyring_line and "SecretService" not in keyring_line  # no D-Bus jargon
    assert result.stdout.splitlines()[-1] == "self-test passed: 5 passed, 0 failed, 0 skipped, 1 warning(s)"


def test_without_the_local_extra_the_local_model_is_skipped_not_failed(tmp_path: Path) -> None:
    # As in `pip install desktop-chat` without [local]: xllamacpp cannot be imported.
    result = desktop_chat("--self-test", env=isolated(tmp_path), prelude="import sys; sys.modules['xllamacpp'] = None")
    assert result.returncode == 0, result.stdout + result.stderr
    assert outcomes(result.stdout)["local model"] == "skip"
    assert "not part of this install" in result.stdout


def test_a_check_that_breaks_fails_in_one_line_and_the_rest_still_run(tmp_path: Path) -> None:
    def check_broken(folder: Path) -> CheckResult:
        raise OSError("libfoo.so.1: cannot open shared object file\n  more detail")

    def check_refused(folder: Path) -> CheckResult:
        raise DesktopChatError("Token encoding file x is damaged (checksum mismatch); reinstall Desktop Chat.")

    out = io.StringIO()
    code = run_checks([check_broken, check_refused, check_tokens, check_database], tmp_path, out)
    lines = out.getvalue().splitlines()
    assert code == 1
    assert lines[0] == "FAIL  broken: OSError: libfoo.so.1: cannot open shared object file more detail"
    assert lines[1] == "FAIL  refused: Token encoding file x is damaged (checksum mismatch); reinstall Desktop Chat."
    assert outcomes(out.getvalue()) == {"broken": "FAIL", "refused": "FAIL", "tokens": "ok", "database": "ok"}
    assert lines[-1] == "self-test failed: 2 passed, 2 failed, 0 skipped"
    assert CheckResult("x", Outcome.SKIP, "y").line() == "skip  x: y"
