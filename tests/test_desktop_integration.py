"""Desktop integration as the desktop sees it: the shipped icon set, the .desktop and AppStream files
checked by the freedesktop validators, the identity Qt gives the OS, and desktop-entry install/uninstall."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

from desktop_chat.core.about import APP_DISPLAY_NAME, APP_ID, VERSION
from desktop_chat.core.install.desktop_entry import (
    current_command,
    exec_value,
    install_desktop_entry,
    installed_files,
    uninstall_desktop_entry,
)
from desktop_chat.core.resources import APP_ICON_SIZES as ICON_SIZES
from desktop_chat.core.resources import resources_dir
from desktop_chat.ui.app.app_identity import apply_identity
from tests.helpers.cli import cli

ICONS = resources_dir() / "icons" / "app"
SVG = ICONS / "desktop-chat.svg"
DESKTOP_FILE = resources_dir() / "linux" / f"{APP_ID}.desktop"
METAINFO = resources_dir() / "linux" / f"{APP_ID}.metainfo.xml"


def tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: install {package} (scripts/setup does)")
    return path


def desktop_file_validate(path: Path) -> subprocess.CompletedProcess[str]:
    exe = tool("desktop-file-validate", "desktop-file-utils")
    return subprocess.run([exe, str(path)], capture_output=True, text=True, timeout=30, check=False)


def appstream_validate(path: Path) -> subprocess.CompletedProcess[str]:
    exe = tool("appstreamcli", "appstream")
    return subprocess.run(
        [exe, "validate", "--no-net", "--no-color", str(path)], capture_output=True, text=True, timeout=60, check=False
    )


def desktop_keys(path: Path) -> dict[str, str]:
    keys = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            keys[key] = value
    return keys


# --- the validators ------------------------------------------------------------


def test_the_desktop_file_passes_desktop_file_validate() -> None:
    result = desktop_file_validate(DESKTOP_FILE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "", result.stdout  # not even a hint


def test_desktop_file_validate_rejects_a_broken_desktop_file(tmp_path: Path) -> None:
    broken = tmp_path / DESKTOP_FILE.name
    text = DESKTOP_FILE.read_text(encoding="utf-8").replace("Type=Application\n", "")
    broken.write_text(text.replace("Categories=Network;Chat;", "Categories=NotACategory;"), encoding="utf-8")
    result = desktop_file_validate(broken)
    assert result.returncode != 0
    assert "Type" in result.stdout


def test_the_metainfo_passes_appstreamcli_validate() -> None:
    result = appstream_validate(METAINFO)
    assert result.returncode == 0, result.stdout + result.stderr
    # Notes may remain, no errors or warnings: 0.16's validator reports <developer> (AppStream 1.0)
    # as an unknown tag, and with --pedantic the capitals in the id (reverse-DNS ids keep them, as on Flathub).
    findings = re.findall(r"^([EWIP]): \S+ (\S+)", result.stdout, flags=re.MULTILINE)
    assert {tag for level, tag in findings if level in "EW"} == set(), result.stdout


def test_appstreamcli_rejects_a_broken_metainfo(tmp_path: Path) -> None:
    broken = tmp_path / METAINFO.name
    text = re.sub(r"<summary>.*?</summary>", "", METAINFO.read_text(encoding="utf-8"))
    broken.write_text(text.replace('date="2026-11-30"', 'date="not a date"'), encoding="utf-8")
    result = appstream_validate(broken)
    assert result.returncode != 0
    assert "summary" in result.stdout


# --- ids and version agree with core/about.py -------------------------------------


def test_the_desktop_file_names_the_app_id_and_the_window_class_qt_sets() -> None:
    keys = desktop_keys(DESKTOP_FILE)
    assert DESKTOP_FILE.name == f"{APP_ID}.desktop"
    assert keys["Icon"] == APP_ID
    assert keys["Name"] == APP_DISPLAY_NAME
    assert keys["Exec"] == "desktop-chat"  # the console script; desktop-entry install makes it absolute
    # On X11 Qt sets WM_CLASS's class to the application name (apply_identity sets it).
    assert keys["StartupWMClass"] == APP_DISPLAY_NAME


def test_the_metainfo_id_launchable_and_release_agree_with_the_app() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == APP_ID
    assert root.findtext("name") == APP_DISPLAY_NAME
    assert root.findtext("project_license") == "MIT"
    launchable = root.find("launchable")
    assert launchable is not None
    assert launchable.get("type") == "desktop-id"
    assert launchable.text == DESKTOP_FILE.name
    newest = root.find("releases/release")
    assert newest is not None
    assert newest.get("version") == VERSION


# --- the icon set ------------------------------------------------------------------


def render_svg(size: int) -> QImage:
    """What scripts/render_icons.py writes for ``size``."""
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer = QSvgRenderer(str(SVG))
    assert renderer.isValid()
    renderer.render(painter)
    painter.end()
    return image


def pixels(image: QImage) -> list[QColor]:
    return [image.pixelColor(x, y) for y in range(image.height()) for x in range(image.width())]


@pytest.mark.parametrize("size", ICON_SIZES)
def test_every_png_size_is_shipped_at_its_size_and_not_blank(qapp: QApplication, size: int) -> None:
    image = QImage(str(ICONS / f"desktop-chat-{size}.png"))
    assert not image.isNull()
    assert image.size() == QSize(size, size)
    small = image.scaled(16, 16) if size > 16 else image
    colours = {c.rgba() for c in pixels(small) if c.alpha() > 0}
    assert len(colours) >= 4  # a drawing, not a flat or empty square
    assert image.pixelColor(0, 0).alpha() == 0  # rounded corners stay transparent


def test_the_shipped_png_is_a_fresh_render_of_the_svg(qapp: QApplication) -> None:
    """A PNG left stale after an SVG edit fails here: run scripts/render_icons.py."""
    shipped = QImage(str(ICONS / "desktop-chat-64.png")).convertToFormat(QImage.Format.Format_ARGB32)
    fresh = render_svg(64)
    worst = 0
    for a, b in zip(pixels(shipped), pixels(fresh), strict=True):
        channels_a = (a.red(), a.green(), a.blue(), a.alpha())
        channels_b = (b.red(), b.green(), b.blue(), b.alpha())
        worst = max(worst, *(abs(x - y) for x, y in zip(channels_a, channels_b, strict=True)))
    assert worst <= 8, f"desktop-chat-64.png differs from the SVG by up to {worst}/255; run scripts/render_icons.py"


def test_the_ico_holds_every_windows_size_as_png(qapp: QApplication) -> None:
    data = (ICONS / "desktop-chat.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind) == (0, 1)
    sizes = []
    for index in range(count):
        width, height, _, _, planes, bpp, length, offset = struct.unpack_from("<BBBBHHII", data, 6 + 16 * index)
        side = width or 256
        assert (height or 256) == side
        assert (planes, bpp) == (1, 32)
        image = QImage.fromData(data[offset : offset + length])
        assert image.size() == QSize(side, side)
        sizes.append(side)
    assert sizes == [16, 24, 32, 48, 64, 128, 256]


# --- what Qt tells the OS -----------------------------------------------------------


@pytest.fixture
def restored_identity(qapp: QApplication) -> Iterator[QApplication]:
    """apply_identity changes the one QApplication every test shares: put it back afterwards."""
    saved = (qapp.applicationName(), qapp.applicationVersion(), QGuiApplication.desktopFileName(), qapp.windowIcon())
    yield qapp
    qapp.setApplicationName(saved[0])
    qapp.setApplicationVersion(saved[1])
    QGuiApplication.setDesktopFileName(saved[2])
    QApplication.setWindowIcon(saved[3])


def test_apply_identity_gives_the_os_the_name_version_desktop_id_and_icon(restored_identity: QApplication) -> None:
    app = restored_identity
    apply_identity(app)
    assert app.applicationName() == APP_DISPLAY_NAME
    assert app.applicationDisplayName() == APP_DISPLAY_NAME
    assert app.applicationVersion() == VERSION
    assert QGuiApplication.desktopFileName() == APP_ID
    icon: QIcon = app.windowIcon()
    assert not icon.isNull()
    assert {s.width() for s in icon.availableSizes()} >= set(ICON_SIZES)
    assert icon.pixmap(QSize(32, 32)).size() == QSize(32, 32)


# --- desktop-entry install / uninstall ----------------------------------------------


def test_exec_values_are_quoted_and_escaped_as_the_spec_says() -> None:
    assert exec_value(["/usr/bin/desktop-chat"]) == "/usr/bin/desktop-chat"
    assert exec_value(["/opt/My Apps/python3", "-m", "desktop_chat"]) == '"/opt/My Apps/python3" -m desktop_chat'
    # Inside quotes " ` $ \ take a backslash; then every backslash is doubled by the string escape rule.
    assert exec_value(['/o/a"b$c']) == '"/o/a\\\\"b\\\\$c"'
    assert exec_value(["/o/100%"]) == "/o/100%%"


def test_the_command_is_the_bundle_the_venv_script_or_the_interpreter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venv_bin = tmp_path / "venv" / "bin"
    venv_bin.mkdir(parents=True)
    python = venv_bin / "python"
    python.write_text("")
    assert current_command(str(tmp_path / "bundle" / "desktop-chat"), frozen=True) == [
        str((tmp_path / "bundle" / "desktop-chat").resolve())
    ]
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert current_command(str(python), frozen=False) == [str(python), "-m", "desktop_chat"]
    script = venv_bin / "desktop-chat"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", str(venv_bin))
    assert current_command(str(python), frozen=False) == [str(script)]
    elsewhere = tmp_path / "other-python"
    assert current_command(str(elsewhere), frozen=False) == [str(elsewhere), "-m", "desktop_chat"]


def desktop_entry(data_home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``desktop-chat desktop-entry ARGS`` with ``data_home`` as XDG_DATA_HOME (and its chat data in it)."""
    return cli(data_home / "chat-data", "desktop-entry", *args, env={"XDG_DATA_HOME": str(data_home)}, home=True)


def test_desktop_entry_install_then_uninstall_as_a_user_would(tmp_path: Path) -> None:
    home = tmp_path / "share"
    neighbour = home / "applications" / "someone.else.desktop"
    neighbour.parent.mkdir(parents=True)
    neighbour.write_text("[Desktop Entry]\n", encoding="utf-8")

    installed = desktop_entry(home, "install")
    assert installed.returncode == 0, installed.stderr
    expected = installed_files(home)
    assert installed.stdout.splitlines() == [f"installed {path}" for path in expected]
    assert len(expected) == len(ICON_SIZES) + 3

    launcher = home / "applications" / f"{APP_ID}.desktop"
    result = desktop_file_validate(launcher)
    assert result.returncode == 0, result.stdout
    # From source: the venv's desktop-chat script, or this interpreter with -m; absolute either way.
    exec_line = desktop_keys(launcher)["Exec"]
    program = exec_line.split(" ")[0].strip('"')
    assert Path(program).is_absolute()
    assert Path(program).exists()
    assert (home / "icons/hicolor/48x48/apps" / f"{APP_ID}.png").read_bytes() == (
        ICONS / "desktop-chat-48.png"
    ).read_bytes()
    assert (home / "icons/hicolor/scalable/apps" / f"{APP_ID}.svg").read_bytes() == SVG.read_bytes()
    assert appstream_validate(home / "metainfo" / f"{APP_ID}.metainfo.xml").returncode == 0

    removed = desktop_entry(home, "uninstall")
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.splitlines() == [f"removed {path}" for path in expected]
    assert not any(path.exists() for path in expected)
    assert neighbour.read_text(encoding="utf-8") == "[Desktop Entry]\n"

    again = desktop_entry(home, "uninstall")
    assert again.returncode == 0
    assert again.stdout.startswith("Nothing to remove")


def test_the_installed_launcher_runs_the_given_command(tmp_path: Path) -> None:
    command = ["/opt/Desktop Chat/desktop-chat"]
    written = install_desktop_entry(tmp_path, command)
    launcher = written[0]
    assert desktop_keys(launcher)["Exec"] == '"/opt/Desktop Chat/desktop-chat"'
    # A menu hides the launcher once that program is gone (the bundle moved) instead of failing.
    assert desktop_keys(launcher)["TryExec"] == "/opt/Desktop Chat/desktop-chat"
    assert desktop_file_validate(launcher).returncode == 0
    assert uninstall_desktop_entry(tmp_path) == written


def test_a_launcher_installed_with_a_data_folder_opens_that_folder(tmp_path: Path) -> None:
    home = tmp_path / "share"
    folder = tmp_path / "My chats"
    result = cli(folder, "desktop-entry", "install", env={"XDG_DATA_HOME": str(home)})
    assert result.returncode == 0, result.stderr
    exec_line = desktop_keys(home / "applications" / f"{APP_ID}.desktop")["Exec"]
    assert exec_line.endswith(f'--data-dir "{folder}"')


def test_an_unwritable_data_home_is_one_line_and_exit_1(tmp_path: Path) -> None:
    blocker = tmp_path / "share"
    blocker.write_text("a file where the data folder should be", encoding="utf-8")
    result = desktop_entry(blocker, "install")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"desktop-chat: Could not install into {blocker}")
