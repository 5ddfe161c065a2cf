"""The composition root: builds the workspace both front ends drive, in one place.

The store, the secret access (the OS keyring, opened lazily and only off the GUI
thread, when a profile needs a key; without one, memory until quit or the data
folder's 0600 key file when the user chooses it), the client factory (keyring, then
``OPENAI_API_KEY``; ``OPENAI_BASE_URL`` for profiles without a base URL) and the
facade, and the built-in model's server (started only when its profile is used).
Importing this module loads neither openai, nor keyring, nor the built-in model's
server (each when first used); the window imports it after its first paint, on a
worker thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from desktop_chat.core.providers.local.builtin import LocalModels
from desktop_chat.core.secrets import KEY_FILE_NAME, SecretStore
from desktop_chat.core.services import SecretAccess, client_factory
from desktop_chat.core.storage.db import Database, MigrationProgress
from desktop_chat.core.storage.db import pending_migrations as _pending
from desktop_chat.core.storage.store import Store
from desktop_chat.core.workspace import Workspace


def open_workspace(
    data_dir: Path,
    *,
    environ: Mapping[str, str] | None = None,
    secrets: Callable[[], SecretStore] | None = None,
) -> Workspace:
    """The workspace of the data folder ``data_dir`` (created if needed).

    ``secrets`` builds the secret store (default: the OS keyring); ``environ``
    replaces ``os.environ`` for the key lookup (tests).
    """
    store = Store.open(data_dir)
    # The key file, if the user chooses one, lives in the data folder and nowhere else.
    access = SecretAccess(secrets, key_file=data_dir / KEY_FILE_NAME)
    local = LocalModels()  # the built-in model's server: started on first use, stopped by aclose()
    return Workspace(store, client_factory(access, environ=environ, local=local), secrets=access, local=local)


def load_provider_sdk() -> None:
    """Import the providers' SDK (openai, ~0.4 s) and warm it on the calling thread: a worker, before a first
    request would pay for it on the loop. Safe beside a client being built in another worker."""
    from desktop_chat.core.providers.openai_client import load_sdk

    load_sdk()


def pending_migrations(data_dir: Path) -> int:
    """How many schema migrations the data folder's database waits for (0 for a new or current one)."""
    from desktop_chat.core.paths import database_path

    return _pending(database_path(data_dir))


def migrate(data_dir: Path, progress: MigrationProgress | None = None) -> None:
    """Bring the data folder's database up to date on the calling thread (a worker: it may take a while).

    Opens a connection of its own and closes it: the workspace then opens the up-to-date file at once.
    Errors are ``open_workspace``'s own (one line each).
    """
    from desktop_chat.core.paths import database_path

    Database.open(database_path(data_dir), progress=progress).close()
