"""What every sub-facade shares: the store, the controller, the event channel, and the chat lookups they all need.

The reply engine (``ConversationController``: the planner, the strategies, naming, metering: ~60 ms of
imports) is made on first use: reading chats, their settings and where their requests go (what the window's
first screen shows) needs only the store, the store router and ``controller/targets``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_chat.core.controller.stores import StoreRouter
from desktop_chat.core.controller.targets import Target, profile_for, target_for
from desktop_chat.core.errors import DesktopChatError
from desktop_chat.core.events import EventChannel, SettingsChanged
from desktop_chat.core.models import Session
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.providers.local.builtin import LocalModels
from desktop_chat.core.services import SecretAccess
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.store import Store
from desktop_chat.core.tools import McpHost

if TYPE_CHECKING:
    from desktop_chat.core.controller.replies import ConversationController
    from desktop_chat.core.controller.tool_loop import ToolBox
    from desktop_chat.core.facade.indexing import BackgroundIndexer

# Makes the reply engine over the context's store router (``Workspace`` passes its own arguments along).
ControllerMaker = Callable[[StoreRouter], "ConversationController"]


@dataclass(eq=False)
class Context:
    """One workspace's parts, handed to each sub-facade (they hold no state of their own beyond it)."""

    store: Store
    make_controller: ControllerMaker
    channel: EventChannel
    secrets: SecretAccess | None = None
    # Fixed settings (tests, the command line's one-off runs); None: the store's current ones.
    fixed_settings: Settings | None = None
    # The MCP tools the reply engine runs its tool loop with (set by ``ToolsFacade``).
    tools: ToolBox | None = None
    local: LocalModels | None = None
    # The settings last published, so an external writer's change is published once (``DataFacade.poll``).
    known_settings: Settings | None = None
    # The loop keeps only a weak reference to a task: hold background tasks until they are done.
    background: set[asyncio.Task[None]] = field(default_factory=set)
    # The window's semantic indexing (``MemoryFacade.index_in_background``); None until started.
    indexer: BackgroundIndexer | None = None
    # The MCP servers (a thread of their own, started on first use, stopped by the workspace).
    mcp: McpHost = field(default_factory=McpHost)
    # The settings previews plan with, and the database's data_version they were read at: a preview per
    # keystroke must not read and validate every setting again. Dropped by ``settings_changed`` (this
    # process's writes); another process's commit changes data_version.
    _preview_settings: tuple[int, Settings] | None = None
    router: StoreRouter = field(init=False)
    _controller: ConversationController | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.router = StoreRouter(self.store)

    @property
    def controller(self) -> ConversationController:
        """The reply engine, made on first use (a send, a preview, upkeep, a client)."""
        if self._controller is None:
            self._controller = self.make_controller(self.router)
            self._controller.tools = self.tools
        return self._controller

    @property
    def engine_started(self) -> bool:
        """Whether the reply engine exists (until then nothing streams, nothing runs in the background)."""
        return self._controller is not None

    @property
    def settings(self) -> Settings:
        return self.fixed_settings if self.fixed_settings is not None else self.store.settings.load()

    def is_streaming(self, session_id: int) -> bool:
        return self._controller is not None and self._controller.is_streaming(session_id)

    def profile_for(self, session: Session, settings: Settings | None = None) -> ProviderProfile:
        return profile_for(session, settings or self.settings)

    def target(self, session: Session, settings: Settings | None = None, model: str | None = None) -> Target:
        """The profile and model a chat's next request uses: the override, else the chat's, else the profile's."""
        return target_for(session, settings or self.settings, model)

    @property
    def data_folder(self) -> Path | None:
        """The folder holding the database (None for an in-memory workspace)."""
        path = self.store.db.path
        return path.parent if path is not None else None

    def store_for(self, session_id: int) -> Store:
        """The store the chat lives in (temporary chats have one in memory): the one routing rule, the router's."""
        return self.router.for_session(session_id)

    def store_for_message(self, message_id: int) -> Store:
        return self.router.for_message(message_id)

    def session(self, session_id: int) -> Session:
        return self.store_for(session_id).sessions.get(session_id)

    def current_settings(self) -> Settings:
        """The settings as ``settings`` reads them, from a cache kept until they change (for previews)."""
        version = self.store.db.data_version()
        cached = self._preview_settings
        if cached is None or cached[0] != version:
            cached = self._preview_settings = (version, self.settings)
        return cached[1]

    def remember_settings(self) -> None:
        with contextlib.suppress(DesktopChatError):  # damaged settings: the first poll publishes them
            self.known_settings = self.settings

    def settings_changed(self, settings: Settings) -> Settings:
        self.known_settings = settings
        self._preview_settings = None
        self.channel.publish(SettingsChanged(settings))
        return settings

    def forget_clients_later(self) -> None:
        """Close the clients built from old settings, in the background; the next request builds new ones."""
        # No loop (a synchronous caller such as the CLI): clients are built afresh on the next run anyway.
        if self._controller is None:
            return  # no engine yet, no client built
        with contextlib.suppress(RuntimeError):
            task = asyncio.get_running_loop().create_task(self.controller.forget_clients())
            self.background.add(task)
            task.add_done_callback(self.background.discard)
