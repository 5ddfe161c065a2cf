"""The bundle that runs without Python: scripts/build makes it, and the frozen app checks itself.

Slow (a PyInstaller build, about a minute on 2 cores, started in the background as the run starts: the fixture
``bundle`` in tests/helpers/bundle.py); the test command runs it.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from desktop_chat.core.about import APP_DISPLAY_NAME, VERSION
from desktop_chat.core.providers.local.files import BUNDLED_SMOLLM2_FILE
from tests.helpers.secret_service import require_secret_service
from tests.helpers.self_test import CHECKS, isolated, outcomes
from tests.helpers.x11 import xdotool

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def frozen(exe: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # No PYTHONPATH or virtualenv: the bundle must not need the checkout it was built from.
    clean = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}}
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, env={**clean, **env}, timeout=300, check=False, cwd="/"
    )


def size_on_disk(folder: Path) -> int:
    return sum(path.lstat().st_size for path in folder.rglob("*") if not path.is_dir())


@pytest.mark.keyring  # its self-test must find every part: the keyring and the local model too
@pytest.mark.llama
def test_the_frozen_app_knows_its_version_and_passes_its_self_test(
    bundle: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_secret_service()
    folder, _work = bundle
    exe = folder / "desktop-chat"
    version = frozen(exe, "--version", env={})
    assert (version.returncode, version.stdout) == (0, f"{APP_DISPLAY_NAME} {VERSION}\n")

    result = frozen(exe, "--self-test", env=isolated(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == f"{APP_DISPLAY_NAME} {VERSION} self-test (frozen bundle)"
    assert outcomes(result.stdout) == dict.fromkeys(CHECKS, "ok")
    assert str(folder) in result.stdout  # the encodings came from the bundle, not the checkout
    assert "Traceback" not in result.stderr

    size = size_on_disk(folder)
    files = sum(1 for path in folder.rglob("*") if not path.is_dir())
    with capsys.disabled():
        print(f"\nbundle: {size / 1e6:.0f} MB on disk, {files} files, in {folder}")
        print("\n".join("  " + line for line in result.stdout.splitlines()))


def test_the_bundle_carries_what_the_app_needs_and_nothing_from_tests(bundle: tuple[Path, Path]) -> None:
    folder, work = bundle
    internal = folder / "_internal"
    resources = internal / "resources"
    for needed in [
        "tiktoken/cl100k_base.tiktoken",
        "tiktoken/o200k_base.tiktoken",
        "icons/send.svg",
        "icons/app/desktop-chat.svg",
        "linux/io.github.desktopchat.DesktopChat.desktop",
        "linux/io.github.desktopchat.DesktopChat.metainfo.xml",
        f"models/{BUNDLED_SMOLLM2_FILE}",
    ]:
        assert (resources / needed).is_file(), needed
    # Python modules the executable carries, from PyInstaller's table of its archive.
    archived = (work / "PYZ-00.toc").read_text()
    for module in [
        "keyring.backends.SecretService",
        "keyring.backends.macOS",
        "keyring.backends.Windows",
        "tiktoken_ext.openai_public",
        "qasync",
        "desktop_chat.ui.window.main_window",
        # the attachment readers, imported only when a file is read
        "desktop_chat.core.attachments.readers.ooxml",
        "pypdf",
        "openpyxl.reader.excel",
    ]:
        assert f"'{module}'" in archived, module
    # lxml and Pillow are reached only by optional imports (openpyxl, pypdf, pygments): 25 MB left out.
    # python-docx and python-pptx only write the tests' files.
    for module in [
        "tests",
        "bench",
        "pytest",
        "hypothesis",
        "mypy",
        "PySide6.QtNetwork",
        "lxml",
        "PIL",
        "docx",
        "pptx",
    ]:
        assert f"'{module}'" not in archived and f"'{module}." not in archived, module
    names = {path.relative_to(internal).as_posix() for path in internal.rglob("*")}
    assert "PySide6/Qt/plugins/platforms/libqxcb.so" in names
    assert "PySide6/Qt/plugins/platforms/libqwayland.so" in names
    assert "PySide6/Qt/plugins/platforms/libqoffscreen.so" in names
    assert not any(name.startswith("PySide6/Qt/translations") for name in names)
    assert not any("libqgtk3" in name or "libgtk-3" in name for name in names)
    assert not any(name.startswith(("lxml/", "PIL/", "pillow.libs/", "docx/", "pptx/")) for name in names)
    broken = [path for path in folder.rglob("*") if path.is_symlink() and not path.exists()]
    assert broken == []  # copying with cp -L, tar -h or an AppImage tool would trip on them


def test_the_frozen_app_opens_its_window_on_a_real_x_server(
    bundle: tuple[Path, Path], x_display: dict[str, str], tmp_path: Path
) -> None:
    # The self-test runs offscreen; this is the xcb platform plugin and its libraries, as on a desktop.
    folder, _work = bundle
    env = {k: v for k, v in x_display.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["DESKTOP_CHAT_HOME"] = str(tmp_path / "home")
    proc = subprocess.Popen(
        [str(folder / "desktop-chat")], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd="/"
    )
    try:
        deadline = time.monotonic() + 60
        titles: list[str] = []
        # The window first shows "Desktop Chat", then the workspace loads and opens a new chat.
        while "Desktop Chat — New chat" not in titles:
            assert proc.poll() is None, proc.communicate()[1].decode(errors="replace")[-2000:]
            assert time.monotonic() < deadline, "no window within 60 s"
            time.sleep(0.2)
            found = xdotool(x_display, "search", "--onlyvisible", "--pid", str(proc.pid))
            titles = [xdotool(x_display, "getwindowname", window) for window in found.split()]
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=20)
    assert "qt.qpa.plugin" not in err.decode(errors="replace")  # Qt found and loaded its xcb plugin


def test_the_bundle_puts_itself_in_the_desktop_menu(bundle: tuple[Path, Path], tmp_path: Path) -> None:
    folder, _work = bundle
    exe = folder / "desktop-chat"
    env = {"XDG_DATA_HOME": str(tmp_path / "share")}
    installed = frozen(exe, "desktop-entry", "install", env=env)
    assert installed.returncode == 0, installed.stderr
    launcher = tmp_path / "share" / "applications" / "io.github.desktopchat.DesktopChat.desktop"
    assert f"Exec={exe}\n" in launcher.read_text()  # the menu starts this bundle, no Python involved
    assert (
        tmp_path / "share" / "icons" / "hicolor" / "256x256" / "apps" / "io.github.desktopchat.DesktopChat.png"
    ).is_file()
    removed = frozen(exe, "desktop-entry", "uninstall", env=env)
    assert removed.returncode == 0, removed.stderr
    assert not launcher.exists()
