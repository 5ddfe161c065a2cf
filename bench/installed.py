"""A checkout timed as an installed copy runs: its package copied aside with every module compiled.

Python compiles a module from its source when no bytecode cache lies beside it. An installed
package has one (pip compiles at install time); a checkout may have none: a fresh clone, or
``PYTHONDONTWRITEBYTECODE=1`` (set on the machine these benchmarks ran on), and then every start
compiles ~120 modules, ~120 ms of the GUI thread's start-up that no installed copy pays. The
window benchmarks time a copy of each checkout's ``desktop_chat/`` (nothing is written into the
checkout), compiled beforehand; ``--from-source`` times the checkout itself, as before.
"""

from __future__ import annotations

import compileall
import shutil
import tempfile
from pathlib import Path


def compiled_copies(roots: list[Path]) -> dict[Path, Path]:
    """Each root's ``desktop_chat/`` copied into a new temporary folder and compiled; root -> the copy's root."""
    into = Path(tempfile.mkdtemp(prefix="desktop-chat-compiled-"))
    copies: dict[Path, Path] = {}
    for i, root in enumerate(roots):
        copy = into / f"{i}-{root.name}"
        shutil.copytree(root / "desktop_chat", copy / "desktop_chat", ignore=shutil.ignore_patterns("__pycache__"))
        (copy / "resources").symlink_to(root / "resources")  # icons, catalogs: read beside the package
        if not compileall.compile_dir(copy / "desktop_chat", quiet=1):
            raise SystemExit(f"{root}: some modules do not compile")
        copies[root] = copy
    return copies
