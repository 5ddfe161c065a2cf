"""Where the app keeps its files: one data folder, nothing outside it (the OS keyring aside).

The folder holds private chats, so it is the user's alone: folders the app makes
are 0700 and files it makes 0600, whatever the umask (the XDG base-directory spec
asks 0700 for a folder an app creates). Files the user asks for elsewhere (an
export with ``-o``) keep the user's umask: they are the user's to share.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import stat
from pathlib import Path

import platformdirs

log = logging.getLogger(__name__)

APP_NAME = "desktop-chat"
DATA_DIR_ENV = "DESKTOP_CHAT_HOME"
DATABASE_NAME = "desktop-chat.sqlite3"
WINDOW_SETTINGS_NAME = "window.ini"

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600

# Every name the app puts in its data folder: the database with SQLite's side files, the
# backups taken before a migration, the window's geometry (and Qt's lock beside it), and
# the folders of logs, backups, local models and attached files. A folder holding nothing else is ours.
_APP_ENTRY = re.compile(
    r"desktop-chat\.sqlite3(-wal|-shm|-journal)?"
    r"|desktop-chat\.v\d+-\d{8}T\d{6}\.backup\.sqlite3(-wal|-shm|-journal)?"
    r"|window\.ini(\.lock)?"
    r"|api-keys\.json"  # only when the user chose to keep a key in a file (secrets.KeyFileStore)
    r"|logs|backups|models|attachments"
)
_APP_FOLDERS = ("logs", "backups", "models", "attachments")


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The ``--data-dir`` flag wins, then ``DESKTOP_CHAT_HOME``, then the platform's user data dir."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return default_data_dir()


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def database_path(folder: Path) -> Path:
    return folder / DATABASE_NAME


def log_path(folder: Path) -> Path:
    return folder / "logs" / f"{APP_NAME}.log"


def backup_path(folder: Path, stamp: str) -> Path:
    """Where a backup the user asks for goes: ``backups/`` in the data folder, never over an earlier one.

    ``stamp`` is the time it was taken (``%Y%m%dT%H%M%S``); two backups in one second keep both.
    """
    target = folder / "backups" / f"desktop-chat-{stamp}.sqlite3"
    suffix = 1
    while target.exists():
        suffix += 1
        target = folder / "backups" / f"desktop-chat-{stamp}-{suffix}.sqlite3"
    return target


def window_settings_path(folder: Path) -> Path:
    """The window's geometry file (QSettings), made private before Qt writes it; see ``private_file``.

    Called before the window's first paint, so the data folder may not exist yet: it is made here.
    """
    path = folder / WINDOW_SETTINGS_NAME
    with contextlib.suppress(OSError):  # a read-only folder: Qt cannot save the geometry, and nothing else is lost
        make_private_dirs(folder)
        private_file(path)
    return path


def _posix() -> bool:
    # Elsewhere (Windows) chmod only sets the read-only flag; the user's profile folder is private already.
    return os.name == "posix"


def make_private_dirs(folder: Path) -> None:
    """``mkdir -p`` where every folder made is 0700; folders that exist are left as they are.

    Raises OSError (a read-only parent, a full disk) like ``Path.mkdir``.
    """
    missing: list[Path] = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:
            continue  # made by another copy of the app at the same moment
        if _posix():
            os.chmod(path, PRIVATE_DIR_MODE)  # mkdir's mode is filtered by the umask


def private_file(path: Path) -> bool:
    """Make ``path`` an empty 0600 file if it is missing, else tighten it; True when it was made here.

    Programs that create a file with their own default mode (SQLite's 0644, Qt's 0666)
    keep the mode of a file that exists: SQLite gives ``-wal`` and ``-shm`` the mode of the
    database, QSaveFile keeps the mode of the file it replaces. Raises OSError.
    """
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        tighten(path)
        return False
    os.close(handle)
    if _posix():
        os.chmod(path, PRIVATE_FILE_MODE)  # an odd umask (0o277) could have taken the owner's bits
    return True


def private_opener(path: str, flags: int) -> int:
    """An ``opener`` for ``open()`` that creates the file 0600 (logs, key files)."""
    return os.open(path, flags, PRIVATE_FILE_MODE)


def tighten(path: Path) -> None:
    """Take every permission from group and others on ``path`` if we own it; symlinks are not followed.

    A file or folder owned by someone else (or a read-only disk) is left alone, quietly:
    the app must still start, and reading what it can is better than refusing.
    """
    if not _posix():
        return
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode) or info.st_uid != os.getuid() or not info.st_mode & 0o077:
            return
        os.chmod(path, stat.S_IMODE(info.st_mode) & 0o700)
    except FileNotFoundError:
        return
    except OSError as exc:
        log.info("could not make %s private: %s", path, exc.strerror)


def is_app_folder(folder: Path) -> bool:
    """Whether ``folder`` is the app's own data folder, whose mode the app may set.

    The platform's data folder always is. A folder the user named (``--data-dir``,
    ``DESKTOP_CHAT_HOME``) is when it holds nothing but what the app puts there: a
    folder with other files in it (a home folder, a synced folder) keeps its mode, and
    only the app's own files in it are made private.
    """
    try:
        if folder.resolve() == default_data_dir().resolve():
            return True
        with os.scandir(folder) as entries:
            return all(_APP_ENTRY.fullmatch(entry.name) for entry in entries)
    except OSError:
        return False


def prepare_data_folder(folder: Path) -> None:
    """Make the data folder if needed (0700), and private again if an older version left it readable.

    Raises OSError only when a missing folder cannot be made; tightening what exists
    never stops the app (see ``tighten``).
    """
    if not folder.exists():
        make_private_dirs(folder)
        return
    if is_app_folder(folder):
        tighten(folder)
    for entry in _scan(folder):
        if not _APP_ENTRY.fullmatch(entry.name):
            continue
        tighten(Path(entry.path))
        if entry.name in _APP_FOLDERS and entry.is_dir(follow_symlinks=False):
            for inner in _scan(Path(entry.path)):
                tighten(Path(inner.path))


def _scan(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except OSError:
        return []
