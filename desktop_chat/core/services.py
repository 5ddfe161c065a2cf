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

import os
import threading
from collections.abc import Callable, Mapping

from desktop_chat.core.errors import LocalModelError, MissingApiKey, SecretStoreUnavailable
from desktop_chat.core.local_models import LocalChatClient, LocalModels
from desktop_chat.core.profiles import ENV_KEY, ProviderProfile, env_key_for
from desktop_chat.core.providers import ChatClient, OpenAIChatClient
from desktop_chat.core.redact import register_secret
from desktop_chat.core.secrets import SecretStore
from desktop_chat.core.settings import Settings

ClientFactory = Callable[[ProviderProfile, Settings], ChatClient]


class SecretAccess:
    """The OS keyring, opened on first use and then kept; remembers why it could not be opened.

    ``opener`` builds the store (``KeyringSecretStore`` by default; tests pass a
    memory store). Safe to call from worker threads.
    """

    def __init__(self, opener: Callable[[], SecretStore] | None = None) -> None:
        self._opener = opener
        self._store: SecretStore | None = None
        self._problem: SecretStoreUnavailable | None = None
        self._lock = threading.Lock()

    def store(self) -> SecretStore:
        """The secret store; raises ``SecretStoreUnavailable`` (every time) when there is none."""
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

    def describe(self, profile: ProviderProfile) -> str:
        """Where the profile's key comes from, in a few words, never the key itself."""
        if not profile.needs_key:
            return "no key needed"
        try:
            store = self.store()
            stored = store.get(profile.name)
        except SecretStoreUnavailable:
            stored = None
            where = "no keyring"
        else:
            where = store.description
        if stored:
            return f"stored in {where}"
        if env_key_for(profile, os.environ):
            return f"from {ENV_KEY}"
        if os.environ.get(ENV_KEY, "").strip():  # set, but this server is not OpenAI's: it stays home
            return f"none stored in {where} ({ENV_KEY} is only sent to OpenAI's API unless the profile allows it)"
        return f"none ({where}; set {ENV_KEY})" if where == "no keyring" else f"none stored in {where}"


def resolve_api_key(
    profile: ProviderProfile, secrets: SecretAccess, *, environ: Mapping[str, str] | None = None
) -> str:
    """The key to send for ``profile``; "" when it needs none. Blocks on the keyring: not on the GUI thread."""
    if not profile.needs_key:
        return ""
    env = os.environ if environ is None else environ
    problem: SecretStoreUnavailable | None = None
    try:
        key = secrets.store().get(profile.name)
    except SecretStoreUnavailable as exc:
        problem = exc
    else:
        if key:
            return key
    from_env = env_key_for(profile, env)
    if from_env:
        register_secret(from_env)
        return from_env
    if problem is not None:
        raise MissingApiKey(f"No API key for profile {profile.name!r}: {problem}")
    if env.get(ENV_KEY, "").strip():
        raise MissingApiKey(
            f"No API key is stored for profile {profile.name!r}; {ENV_KEY} is only sent to OpenAI's API: "
            "store this server's key in Settings, or allow the environment's key for this profile."
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
    secrets: SecretAccess, *, environ: Mapping[str, str] | None = None, local: LocalModels | None = None
) -> ClientFactory:
    """A factory for the controller, which calls it in a worker thread with the current settings.

    ``local``: the built-in model's server, for profiles of the preset ``local``.
    """

    def make(profile: ProviderProfile, settings: Settings) -> ChatClient:
        if profile.is_builtin:
            if local is None:
                raise LocalModelError("The built-in model is not available in this workspace.")
            return local_client_for(profile, settings, local)
        return client_for(profile, settings, secrets, environ=environ)

    return make
