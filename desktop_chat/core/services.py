"""Build a ``ChatClient`` for a provider profile: its key from the keyring, the timeouts from settings.

Key lookup order for a profile that needs a key: the secret store (OS keyring),
then the ``OPENAI_API_KEY`` environment variable. A profile that needs no key
(a local server) gets none, not even the environment's, so a real key is never
sent to a server that did not ask for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from desktop_chat.core.errors import AuthError, SecretStoreUnavailable
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.providers import ChatClient, OpenAIChatClient
from desktop_chat.core.redact import register_secret
from desktop_chat.core.secrets import SecretStore
from desktop_chat.core.settings import Settings

ClientFactory = Callable[[ProviderProfile], ChatClient]
ENV_KEY = "OPENAI_API_KEY"


class MissingApiKey(AuthError):
    """The profile needs an API key and none is stored or set."""


def resolve_api_key(
    profile: ProviderProfile,
    secrets: SecretStore | None,
    *,
    keyring_error: SecretStoreUnavailable | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The key to send for ``profile``; "" when it needs none. Blocks on the keyring: not on the GUI thread.

    ``secrets`` None with ``keyring_error`` set means the keyring could not be opened.
    """
    if not profile.needs_key:
        return ""
    env = os.environ if environ is None else environ
    problem = keyring_error
    if secrets is not None:
        try:
            key = secrets.get(profile.name)
        except SecretStoreUnavailable as exc:
            problem = exc
        else:
            if key:
                return key
    from_env = env.get(ENV_KEY, "").strip()
    if from_env:
        register_secret(from_env)
        return from_env
    if problem is not None:
        raise MissingApiKey(f"{problem} Alternatively set {ENV_KEY} for profile {profile.name!r}.")
    raise MissingApiKey(
        f"No API key is stored for profile {profile.name!r}: run `desktop-chat key set {profile.name}` "
        f"(or add it in Settings), or set {ENV_KEY}."
    )


def client_for(
    profile: ProviderProfile,
    settings: Settings,
    secrets: SecretStore | None,
    *,
    keyring_error: SecretStoreUnavailable | None = None,
    max_retries: int = 3,
    backoff: float = 0.5,
) -> OpenAIChatClient:
    key = resolve_api_key(profile, secrets, keyring_error=keyring_error)
    return OpenAIChatClient(
        profile.base_url,
        key,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        max_retries=max_retries,
        backoff=backoff,
    )


def client_factory(
    settings: Settings | Callable[[], Settings],
    secrets: SecretStore | None,
    *,
    keyring_error: SecretStoreUnavailable | None = None,
    max_retries: int = 3,
    backoff: float = 0.5,
) -> ClientFactory:
    """A factory for ``ConversationController``; ``settings`` may be a callable so timeouts stay current."""

    def make(profile: ProviderProfile) -> ChatClient:
        current = settings() if callable(settings) else settings
        return client_for(
            profile, current, secrets, keyring_error=keyring_error, max_retries=max_retries, backoff=backoff
        )

    return make
