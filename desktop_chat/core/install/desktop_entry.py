"""Install the app into the user's desktop menu: the .desktop file, icons and AppStream metadata.

Freedesktop layout under ``$XDG_DATA_HOME`` (``~/.local/share``), every file named by the app id
so the shell matches the running window (Wayland app_id, Qt's desktop file name) to its launcher.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from desktop_chat.core.about import APP_ID
from desktop_chat.core.errors import DesktopIntegrationError
from desktop_chat.core.resources import APP_ICON_SIZES, app_icon_dir, resources_dir

# Characters that force an Exec argument into double quotes (Desktop Entry spec, "The Exec key").
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")
# Inside double quotes these four need a backslash.
_QUOTED_ESCAPES = {'"': '\\"', "`": "\\`", "$": "\\$", "\\": "\\\\"}
_CACHE_TOOL_TIMEOUT_S = 20


def data_home(environ: dict[str, str] | None = None) -> Path:
    """``$XDG_DATA_HOME`` when it is an absolute path (the spec ignores a relative one), else ~/.local/share."""
    env = os.environ if environ is None else environ
    value = env.get("XDG_DATA_HOME", "")
    if value and Path(value).is_absolute():
        return Path(value)
    return Path.home() / ".local" / "share"


def current_command(executable: str | None = None, *, frozen: bool | None = None) -> list[str]:
    """The absolute command that starts this very installation, for a launcher's Exec line.

    A frozen bundle is its own executable. From source, the ``desktop-chat`` script on PATH
    when it sits beside this interpreter (same venv); else this interpreter with ``-m``.
    """
    python = executable or sys.executable
    if frozen if frozen is not None else bool(getattr(sys, "frozen", False)):
        return [str(Path(python).resolve())]
    script = shutil.which("desktop-chat")
    if script is not None and Path(script).resolve().parent == Path(python).parent.resolve():
        return [str(Path(script).absolute())]
    return [str(Path(python).absolute()), "-m", "desktop_chat"]


def exec_value(command: list[str]) -> str:
    """``command`` as a Desktop Entry Exec value: quoted per the spec, then string-escaped."""
    args = []
    for arg in command:
        quoted = arg
        if arg == "" or any(ch in _RESERVED for ch in arg):
            quoted = '"' + "".join(_QUOTED_ESCAPES.get(ch, ch) for ch in arg) + '"'
        # Field codes start with %, so a literal one is doubled.
        args.append(quoted.replace("%", "%%"))
    # The string escape rule applies before the quoting rule, so every backslash is doubled again.
    return " ".join(args).replace("\\", "\\\\")


def installed_files(data_home: Path) -> list[Path]:
    """Every file ``install_desktop_entry`` writes, and nothing else (uninstall removes these)."""
    files = [data_home / "applications" / f"{APP_ID}.desktop"]
    files += [data_home / "icons" / "hicolor" / f"{n}x{n}" / "apps" / f"{APP_ID}.png" for n in APP_ICON_SIZES]
    files.append(data_home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg")
    files.append(data_home / "metainfo" / f"{APP_ID}.metainfo.xml")
    return files


def _sources() -> list[Path]:
    """The shipped file behind each of ``installed_files``, in the same order."""
    root = resources_dir()
    icons = app_icon_dir()
    files = [root / "linux" / f"{APP_ID}.desktop"]
    files += [icons / f"desktop-chat-{n}.png" for n in APP_ICON_SIZES]
    files.append(icons / "desktop-chat.svg")
    files.append(root / "linux" / f"{APP_ID}.metainfo.xml")
    return files


def _with_exec(desktop_text: str, command: list[str]) -> str:
    lines = desktop_text.splitlines()
    if not any(line.startswith("Exec=") for line in lines):
        raise DesktopIntegrationError("The shipped .desktop file has no Exec line; reinstall Desktop Chat.")
    replaced = []
    for line in lines:
        if line.startswith("TryExec="):
            continue
        if line.startswith("Exec="):
            replaced.append(f"Exec={exec_value(command)}")
            # Menus hide a launcher whose program is gone (the bundle moved or deleted) instead of
            # offering one that fails.
            replaced.append("TryExec=" + command[0].replace("\\", "\\\\"))
        else:
            replaced.append(line)
    return "\n".join(replaced) + "\n"


def install_desktop_entry(data_home: Path, command: list[str]) -> list[Path]:
    """Write the launcher (its Exec line running ``command``), icons and metadata; returns the files written."""
    if not command:
        raise ValueError("command must name the program to run")
    sources = _sources()
    missing = [path for path in sources if not path.is_file()]
    if missing:
        raise DesktopIntegrationError(f"This installation lacks its desktop files ({missing[0]}); reinstall it.")
    targets = installed_files(data_home)
    try:
        for source, target in zip(sources, targets, strict=True):
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.suffix == ".desktop":
                data = _with_exec(source.read_text(encoding="utf-8"), command).encode("utf-8")
            else:
                data = source.read_bytes()
            # Written beside the target, then renamed: a menu never reads half a file.
            partial = target.with_name(f".{target.name}.partial")
            partial.write_bytes(data)
            partial.replace(target)
    except OSError as exc:
        raise DesktopIntegrationError(f"Could not install into {data_home}: {exc.strerror or exc}") from exc
    refresh_caches(data_home)
    return targets


def uninstall_desktop_entry(data_home: Path) -> list[Path]:
    """Remove what ``install_desktop_entry`` wrote; returns the files that were there and are now gone."""
    removed = []
    try:
        for target in installed_files(data_home):
            if target.is_file() or target.is_symlink():
                target.unlink()
                removed.append(target)
    except OSError as exc:
        raise DesktopIntegrationError(
            f"Could not remove the desktop files from {data_home}: {exc.strerror or exc}"
        ) from exc
    if removed:
        refresh_caches(data_home)
    return removed


def refresh_caches(data_home: Path) -> None:
    """Best effort: tell the menu and icon caches, when their tools exist. Never fails.

    Menus also notice a new .desktop file by themselves; the caches only make it quicker.
    gtk-update-icon-cache refuses a theme folder without index.theme (the usual case under
    ~/.local/share), and then there is no cache to go stale either.
    """
    jobs = [
        ("update-desktop-database", [str(data_home / "applications")]),
        ("gtk-update-icon-cache", ["--quiet", str(data_home / "icons" / "hicolor")]),
    ]
    for tool, args in jobs:
        path = shutil.which(tool)
        if path is None:
            continue
        try:
            subprocess.run(  # noqa: S603 - a fixed tool found on PATH, our own folder as argument
                [path, *args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=_CACHE_TOOL_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            continue
