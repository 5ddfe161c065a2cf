"""Naming chats: after a chat's first reply, a title from the model that keeps its memory, in the background."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable

from desktop_chat.core.errors import DesktopChatError
from desktop_chat.core.events import EventChannel, SessionChanged, TitleChanged
from desktop_chat.core.metering import Meter
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.providers import ChatClient
from desktop_chat.core.storage.store import Store
from desktop_chat.core.storage.waiting import when_free
from desktop_chat.core.titles import fallback_title, make_title

log = logging.getLogger(__name__)


class ChatNamer:
    """One naming task per chat at a time; ``client_for`` builds a client for the profile that names it."""

    def __init__(
        self,
        channel: EventChannel,
        client_for: Callable[[ProviderProfile], Awaitable[ChatClient]],
        meter: Meter | None = None,
        *,
        timeout: float,
    ) -> None:
        self._channel = channel
        self._client_for = client_for
        self._meter = meter  # records the title request's usage and cost
        self._timeout = timeout
        self._tasks: dict[int, asyncio.Task[None]] = {}

    def pending(self) -> list[asyncio.Task[None]]:
        return [t for t in self._tasks.values() if not t.done()]

    def name_later(
        self,
        store: Store,
        session_id: int,
        keeper: ProviderProfile | None,
        client: ChatClient | None,
        *,
        user_text: str,
        reply: str,
    ) -> None:
        """Name the chat in the background (the caller is done at Finished; the title arrives as an event)."""
        if session_id in self._tasks:
            return
        self._tasks[session_id] = asyncio.create_task(
            self._name(store, session_id, keeper, client, user_text=user_text, reply=reply),
            name=f"title-{session_id}",
        )

    async def _name(
        self,
        store: Store,
        session_id: int,
        keeper: ProviderProfile | None,
        client: ChatClient | None,
        *,
        user_text: str,
        reply: str,
    ) -> None:
        """Name the chat with the model that keeps its memory; without one, with the user's first words.

        The starter model is too small to summarise an exchange in a few words (it answers things like
        "The user's response is a perfect example of"), so its chats are named like a failed title
        request, unless ``local_upkeep_profile`` names a profile to do it.
        """
        try:
            title = fallback_title(user_text)
            if keeper is not None:
                with contextlib.suppress(DesktopChatError):
                    client = client or await self._client_for(keeper)
                if client is not None:
                    if self._meter is not None:
                        client = self._meter.bound(keeper).wrap(client, "title", session_id)
                    title, _ = await make_title(client, keeper.upkeep_model, user_text, reply, seconds=self._timeout)
            # Checked again after the wait: the user may have named the chat (or deleted it) meanwhile.
            if not store.sessions.exists(session_id) or store.sessions.get(session_id).title:
                return
            rename = functools.partial(store.sessions.update, session_id, title=title)
            session = await when_free(store.db, rename)
            self._channel.publish(TitleChanged(session_id, title))
            self._channel.publish(SessionChanged(session))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("naming chat %s failed", session_id)
        finally:
            self._tasks.pop(session_id, None)
