"""desktop-entry install / uninstall: put the app in (or take it out of) the desktop's menu."""

from __future__ import annotations

import argparse

from desktop_chat.cli.common import Context
from desktop_chat.core.install.desktop_entry import (
    current_command,
    data_home,
    install_desktop_entry,
    uninstall_desktop_entry,
)


def cmd_install(ctx: Context) -> int:
    command = current_command()
    if ctx.args.data_dir:  # the launcher opens the data folder this install was told to use
        command += ["--data-dir", str(ctx.data_dir.absolute())]
    for path in install_desktop_entry(data_home(), command):
        print(f"installed {path}")
    return 0


def cmd_uninstall(_ctx: Context) -> int:
    removed = uninstall_desktop_entry(data_home())
    for path in removed:
        print(f"removed {path}")
    if not removed:
        print(f"Nothing to remove: Desktop Chat is not installed in {data_home()}.")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "desktop-entry",
        help="add Desktop Chat to (or remove it from) the desktop's application menu, for this user",
        description="Installs a launcher, icons and AppStream metadata under $XDG_DATA_HOME (default "
        "~/.local/share); the launcher runs this installation of Desktop Chat.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    install = actions.add_parser("install", help="install the launcher, icons and metadata")
    install.set_defaults(handler=cmd_install)
    uninstall = actions.add_parser("uninstall", help="remove exactly the files install wrote")
    uninstall.set_defaults(handler=cmd_uninstall)
