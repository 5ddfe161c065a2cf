"""Clients for provider profiles: the key from the OS keyring (opened lazily), else ``OPENAI_API_KEY``.

Key lookup order for a profile that needs a key: the secret store (OS keyring),
then the ``OPENAI_API_KEY`` environment variable, which only goes to OpenAI's API,
to ``OPENAI_BASE_URL`` when that is the profile's URL, or to a profile that allows it
(``use_env_key``; ``profiles.env_key_allowed``). A profile that needs no key
(a local server) gets none, not even the environment's, so a real key is never
sent to a server that did not ask for it. The base URL of a profile that sets
none comes from ``OPENAI_BASE_URL`` (the openai SDK's own rule), else OpenAI's.

Everything here may block on the keyring (D-Bus, an unlock prompt): call it off
the GUI thread. The controller builds clients in a worker thread.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from desktop_chat.core.errors import LocalModelError, MissingApiKey, NotAllowed, SecretStoreUnavailable
from desktop_chat.core.profiles import ENV_KEY, ProviderProfile, env_key_for
from desktop_chat.core.providers import ChatClient, OpenAIChatClient
from desktop_chat.core.providers.local.builtin import LocalChatClient, LocalModels
from desktop_chat.core.redact import register_secret
from desktop_chat.core.secrets import NO_KEYRING_SESSION, KeyFileStore, MemorySecretStore, SecretStore
from desktop_chat.core.settings import Settings

ClientFactory = Callable[[ProviderProfile, Settings], ChatClient]
KEYRING_REFUSED = "The keyring is locked or did not answer: the key is kept until you quit; unlock it and save again."


_SESSION = "until you quit"  # where a key kept in this run's memory is, told apart by identity


class SecretAccess:
    """Where keys are kept: the OS keyring (opened on first use), else memory until quit, or, when the
    user chooses it, a file readable only by them. Safe to call from worker threads; blocks on the keyring.

    ``opener`` builds the keyring store (``KeyringSecretStore`` by default; tests pass a memory
    store); ``key_file`` is the only place a key file may be (the data folder's), None for none.
    A key is looked up in this run's memory, then the keyring, then the key file; saving it in one
    place forgets it in the others, so the newest choice is the one used.
    """

    def __init__(self, opener: Callable[[], SecretStore] | None = None, *, key_file: Path | None = None) -> None:
        self._opener = opener
        self._store: SecretStore | None = None
        self._problem: SecretStoreUnavailable | None = None
        self._lock = threading.Lock()
        self._session = MemorySecretStore()
        self._file = KeyFileStore(key_file) if key_file is not None else None

    def store(self) -> SecretStore:
        """The keyring store; raises ``SecretStoreUnavailable`` (every time) when there is none."""
        with self._lock:
            if self._store is None and self._problem is None:
                try:
                    self._store = self._open()
                except SecretStoreUnavailable as exc:
                    self._problem = exc
            if self._problem is not None:
                raise self._problem
            assert self._store is not None
            return self._store

    def _open(self) -> SecretStore:
        if self._opener is not None:
            return self._opener()
        from desktop_chat.core.secrets import open_secret_store

        return open_secret_store()

    def problem(self) -> SecretStoreUnavailable | None:
        """Why there is no keyring, or None when there is one."""
        try:
            self.store()
        except SecretStoreUnavailable as exc:
            return exc
        return None

    def _found(self, profile: str) -> tuple[str, str] | None:
        """(the key, where it is kept) for ``profile``, or None."""
        key = self._session.get(profile)
        if key:
            return key, _SESSION
        with contextlib.suppress(SecretStoreUnavailable):
            store = self.store()
            key = store.get(profile)
            if key:
                return key, store.description
        if self._file is not None:
            with contextlib.suppress(SecretStoreUnavailable):  # an unreadable file: as if none
                key = self._file.get(profile)
                if key:
                    return key, self._file.description
        return None

    def get(self, profile: str) -> str | None:
        found = self._found(profile)
        return found[0] if found else None

    def save(self, profile: str, key: str, *, to_file: bool = False, session_ok: bool = True) -> str:
        """Keep ``key``: in the key file if asked, else the keyring, else (``session_ok``) memory until quit.

        Returns where, to follow "Saved the key ": "in Secret Service.", or the one line saying it is
        kept until quit. Without ``session_ok`` a missing keyring raises ``SecretStoreUnavailable``.
        """
        if to_file:
            if self._file is None:
                raise NotAllowed("This workspace has no data folder to keep a key file in.")
            self._file.set(profile, key)
            self._session.delete(profile)
            with contextlib.suppress(SecretStoreUnavailable):
                self.store().delete(profile)
            return f"in {self._file.path}: readable only by you, and not encrypted."
        missing = self.problem() is not None
        try:
            store = self.store()
            store.set(profile, key)
        except SecretStoreUnavailable:
            if not session_ok:
                raise
            self._session.set(profile, key)
            self._forget_file(profile)
            return NO_KEYRING_SESSION if missing else KEYRING_REFUSED
        self._session.delete(profile)
        self._forget_file(profile)
        return f"in {store.description}."

    def _forget_file(self, profile: str) -> None:
        if self._file is not None:
            with contextlib.suppress(SecretStoreUnavailable):
                self._file.delete(profile)

    def move(self, old: str, new: str) -> bool:
        """Keep ``old``'s key under ``new`` where it was kept (a renamed profile keeps its key); True when moved.

        A key ``new`` already has wins: nothing is moved and ``old``'s stays, so no key is lost either way.
        """
        if old == new or self._found(new) is not None:
            return False
        found = self._found(old)
        if found is None:
            return False
        key, where = found
        if where == _SESSION:
            self._session.set(new, key)
            self._session.delete(old)
        elif self._file is not None and where == self._file.description:
            self._file.set(new, key)
            self._file.delete(old)
        else:
            store = self.store()
            store.set(new, key)
            store.delete(old)
        return True

    def delete(self, profile: str) -> bool:
        """Forget the profile's key everywhere it is kept; whether there was one."""
        deleted = self._session.delete(profile)
        with contextlib.suppress(SecretStoreUnavailable):
            deleted = self.store().delete(profile) or deleted
        if self._file is not None:
            deleted = self._file.delete(profile) or deleted
        return deleted

    def describe(self, profile: ProviderProfile) -> str:
        """Where the profile's key comes from, in a few words, never the key itself."""
        if not profile.needs_key:
            return "no key needed"
        found = self._found(profile.name)
        if found is not None:
            if found[1] is _SESSION:
                return "kept until you quit (no keyring on this computer)" if self.problem() else "kept until you quit"
            return f"stored in {found[1]}"
        if env_key_for(profile, os.environ):
            return f"from {ENV_KEY}"
        if os.environ.get(ENV_KEY, "").strip():  # set, but this server is not OpenAI's: it stays home
            return f"none stored ({ENV_KEY} is only sent to OpenAI's API unless the profile allows it)"
        return "none (no keyring on this computer)" if self.problem() is not None else "none stored"


def resolve_api_key(
    profile: ProviderProfile, secrets: SecretAccess, *, environ: Mapping[str, str] | None = None
) -> str:
    """The key to send for ``profile``; "" when it needs none. Blocks on the keyring: not on the GUI thread."""
    if not profile.needs_key:
        return ""
    env = os.environ if environ is None else environ
    key = secrets.get(profile.name)
    if key:
        return key
    from_env = env_key_for(profile, env)
    if from_env:
        register_secret(from_env)
        return from_env
    if env.get(ENV_KEY, "").strip():
        raise MissingApiKey(
            f"No API key is stored for profile {profile.name!r}; {ENV_KEY} is only sent to OpenAI's API: "
            "store this server's key in Settings, or allow the environment's key for this profile."
        )
    if secrets.problem() is not None:
        raise MissingApiKey(
            f"No API key for profile {profile.name!r}, and no keyring on this computer: type the key in "
            f"Settings (kept until you quit, or in a file), or set {ENV_KEY}."
        )
    raise MissingApiKey(f"No API key is stored for profile {profile.name!r}, and {ENV_KEY} is not set.")


def client_for(
    profile: ProviderProfile,
    settings: Settings,
    secrets: SecretAccess,
    *,
    environ: Mapping[str, str] | None = None,
    max_retries: int = 3,
    backoff: float = 0.5,
) -> OpenAIChatClient:
    key = resolve_api_key(profile, secrets, environ=environ)
    client = OpenAIChatClient(
        profile.base_url,
        key,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        max_retries=max_retries,
        backoff=backoff,
        temperature=profile.temperature,
        max_reply_tokens=profile.max_reply_tokens,
    )
    return client.prepare()  # the factory runs in a worker thread: the SDK's set-up stays off the loop


def local_client_for(profile: ProviderProfile, settings: Settings, local: LocalModels) -> LocalChatClient:
    """The built-in profile's client: the server starts on its first request, not here."""

    def make(base_url: str, api_key: str) -> OpenAIChatClient:
        # Loopback, with the server's own per-run key (never the user's); no retries: a local
        # server that refused once will refuse again.
        return OpenAIChatClient(
            base_url,
            api_key,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            max_retries=0,
            temperature=profile.temperature,
            max_reply_tokens=profile.max_reply_tokens,
        ).prepare()

    return LocalChatClient(local, settings, make)


def client_factory(
    secrets: SecretAccess,
    *,
    environ: Mapping[str, str] | None = None,
    local: LocalModels | None = None,
    max_retries: int = 3,
    backoff: float = 0.5,
) -> ClientFactory:
    """A factory for the controller, which calls it in a worker thread with the current settings.

    ``local``: the built-in model's server, for profiles of the preset ``local``.
    ``max_retries``, ``backoff``: retries before a reply's first token (remote servers).
    """

    def make(profile: ProviderProfile, settings: Settings) -> ChatClient:
        if profile.is_builtin:
            if local is None:
                raise LocalModelError("The built-in model is not available in this workspace.")
            return local_client_for(profile, settings, local)
        return client_for(profile, settings, secrets, environ=environ, max_retries=max_retries, backoff=backoff)

    return make
