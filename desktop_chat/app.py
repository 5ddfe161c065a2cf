"""The console-script entry: picks the window or the command line, and imports neither until chosen.

Kept light on purpose (no CLI, openai, keyring or tiktoken here): the window's
first paint must not wait for them. The application core is composed in
``core/bootstrap.py``, which both front ends use.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from desktop_chat.core.about import APP_DISPLAY_NAME, VERSION
from desktop_chat.core.paths import data_dir, log_path

# core/providers/local/child.CHILD_FLAG, spelled out: importing that module here would cost the window's first
# paint ~15 ms (ctypes), and a test keeps the two equal.
LOCAL_MODEL_CHILD_FLAG = "--local-model-child"


def _split_global_options(argv: Sequence[str]) -> tuple[str | None, list[str]]:
    """The ``--data-dir`` option and whatever else was given."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--data-dir")
    known, rest = pre.parse_known_args(list(argv))
    return known.data_dir, rest


def run_self_test() -> int:
    """``--self-test``: every part this install needs, in a temporary data folder, one line each."""
    import tempfile

    from desktop_chat.core.install.self_test import CORE_CHECKS, run_checks
    from desktop_chat.ui.app.self_test_window import check_window

    print(f"{APP_DISPLAY_NAME} {VERSION} self-test ({'frozen bundle' if getattr(sys, 'frozen', False) else 'source'})")
    with tempfile.TemporaryDirectory(prefix="desktop-chat-self-test-") as folder:
        try:
            return run_checks([check_window, *CORE_CHECKS], Path(folder), sys.stdout)
        except BrokenPipeError:
            # Whoever read the lines (`| head`) stopped early; Python's docs' way to exit quietly.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == [LOCAL_MODEL_CHILD_FLAG]:  # the built-in model's server, started by core/providers/local/server.py
        from desktop_chat.core.providers.local.child import main as run_local_model_child

        return run_local_model_child(argv[1:])
    folder, rest = _split_global_options(argv)
    if rest == ["--version"]:
        print(f"{APP_DISPLAY_NAME} {VERSION}")
        return 0
    if rest == ["--self-test"]:  # in a temporary data folder, whatever --data-dir says
        return run_self_test()
    if not rest:
        from desktop_chat.ui.app.launch import run_gui

        return run_gui(data_dir(folder))
    from desktop_chat.cli import run as run_cli
    from desktop_chat.core.logs import setup_logging

    setup_logging(log_path(data_dir(folder)))
    return run_cli(argv)


if __name__ == "__main__":
    sys.exit(main())
