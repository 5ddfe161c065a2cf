"""The client pool: one ``ChatClient`` per provider profile, built by the client factory, cached, closed.

Every client the controller uses comes from here, and every one here comes from the factory
(``services.client_factory`` in the app; tests point the same factory at their fake server).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.providers import ChatClient
from desktop_chat.core.services import ClientFactory
from desktop_chat.core.settings import Settings


class ClientPool:
    """Clients keyed by profile name and base URL; ``settings`` gives the current settings when one is built."""

    def __init__(self, factory: ClientFactory, settings: Callable[[], Settings]) -> None:
        self._factory = factory
        self._settings = settings
        self._clients: dict[tuple[str, str | None], ChatClient] = {}

    async def client_for(self, profile: ProviderProfile) -> ChatClient:
        key = (profile.name, profile.base_url)
        client = self._clients.get(key)
        if client is None:
            # The factory may read the OS keyring, which blocks: keep it off the loop's thread.
            # Settings are read here: the database has one owner, the loop's thread.
            client = await asyncio.to_thread(self._factory, profile, self._settings())
            client = self._clients.setdefault(key, client)
        return client

    async def forget(self) -> None:
        """Close every cached client (a key or a base URL changed; closing); the next request builds anew."""
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()
