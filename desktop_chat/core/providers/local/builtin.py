"""The built-in model for the profile preset ``local``: one supervised llama.cpp server, and its client.

``LocalModels`` owns at most one ``LocalModelServer``: started on first use (in a
worker thread: loading takes a second or more), restarted once if it died, started
again with the new configuration when the model file, threads or context size
changed, and stopped by ``stop()`` (``Workspace.aclose()``). ``LocalChatClient`` is
the ``ChatClient`` the controller gets for the profile: it makes sure the server runs
before each request and talks to it through the same ``OpenAIChatClient`` as every
other provider.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from desktop_chat.core.errors import LocalModelError
from desktop_chat.core.models import ChatMessage
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.providers import Completion, JsonSchema, OpenAIChatClient, StreamEvent
from desktop_chat.core.providers.local.files import BUNDLED_SMOLLM2_FILE, resolve_model_file
from desktop_chat.core.settings import Settings

if TYPE_CHECKING:
    # The server (subprocess, urllib) and the catalog (its JSON) are imported when first used: every
    # workspace imports this module, and most never start the built-in model.
    from desktop_chat.core.providers.local.server import LocalModelServer

log = logging.getLogger(__name__)

LocalState = Literal["starting", "ready", "failed", "stopped"]
Notify = Callable[[LocalState, str], None]
STARTUP_TIMEOUT_S = 120.0


@dataclass(frozen=True, slots=True)
class LocalConfig:
    """What the server is started with; a change means a new server."""

    model_path: Path
    threads: int
    n_ctx: int


def uses_starter_model(profile: ProviderProfile, settings: Settings) -> bool:
    """True for the built-in profile on the bundled SmolLM2-135M."""
    if not profile.is_builtin:
        return False
    chosen = settings.local_model_file
    return not chosen or Path(chosen).name == BUNDLED_SMOLLM2_FILE


def model_keeps_memory(file_name: str, settings: Settings) -> bool:
    """Whether the built-in model file ``file_name`` is capable of memory upkeep: the user marked it
    (``local_memory_models``), or the catalog says so. The starter model is too small (issue 14)."""
    from desktop_chat.core.providers.local.catalog import entry_for_file

    if file_name in settings.local_memory_models:
        return True
    entry = entry_for_file(file_name)
    return entry is not None and entry.capable


def keeps_no_memory(profile: ProviderProfile, settings: Settings) -> bool:
    """True for the built-in profile on a model that cannot keep memory (the starter, an unmarked file)."""
    if not profile.is_builtin:
        return False
    chosen = settings.local_model_file
    name = Path(chosen).name if chosen else BUNDLED_SMOLLM2_FILE
    return not model_keeps_memory(name, settings)


def builtin_model_name(settings: Settings) -> str:
    """The built-in model's one name everywhere: the id its server reports (the file's stem), which replies keep."""
    chosen = settings.local_model_file
    return Path(chosen).expanduser().stem if chosen else Path(BUNDLED_SMOLLM2_FILE).stem


def upkeep_profile(profile: ProviderProfile, settings: Settings) -> ProviderProfile | None:
    """The profile whose client and upkeep model keep a chat's memory (summaries, facts, titles).

    A chat's own profile (the built-in one included, on a capable model: its own server keeps the
    memory, offline), except on a built-in model that keeps none: there it is the profile named by
    ``local_upkeep_profile``, or None (no upkeep) when that is unset.
    """
    if not keeps_no_memory(profile, settings):
        if profile.is_builtin:
            # Its server answers to any name with the file's: upkeep names that one too (summaries, the inspector).
            return replace(profile, summary_model=builtin_model_name(settings))
        return profile
    return settings.starter_upkeep()


def config_for(settings: Settings) -> LocalConfig:
    return LocalConfig(resolve_model_file(settings), settings.local_threads, settings.local_context_size)


class LocalModels:
    """At most one built-in model server for a workspace. Thread-safe: ``ensure`` runs in worker threads."""

    def __init__(
        self,
        *,
        server_factory: Callable[[LocalConfig], LocalModelServer] | None = None,
        max_restarts: int = 1,
    ) -> None:
        self._factory = server_factory or _default_server
        self._max_restarts = max_restarts
        self._lock = threading.Lock()
        self._server: LocalModelServer | None = None
        self._config: LocalConfig | None = None
        self._restarts = 0
        self._closed = False
        # Set by the workspace: how a state change reaches its event channel (on the loop's thread).
        self.publish: Callable[[LocalState, str], None] | None = None

    @property
    def pid(self) -> int | None:
        """The running server's process id, or None."""
        server = self._server
        return server.pid if server is not None and server.is_running() else None

    def ensure(self, settings: Settings, notify: Notify | None = None) -> str:
        """The running server's base URL (``http://127.0.0.1:PORT/v1``), starting it if needed. Blocks."""
        return self.connect(settings, notify)[0]

    def connect(self, settings: Settings, notify: Notify | None = None) -> tuple[str, str]:
        """The running server's (base URL, API key), starting it if needed; read together, so a restart
        between them cannot pair the new server with the old key. Blocks."""
        tell = notify or (lambda state, detail: None)
        with self._lock:
            if self._closed:
                raise LocalModelError("The built-in model is shutting down.")
            config = config_for(settings)
            server = self._server
            if server is not None and self._config == config and server.is_running():
                return server.base_url, server.api_key
            if server is not None and self._config == config:
                # It died (a crash, the OOM killer): one restart, then the user hears about it.
                if self._restarts >= self._max_restarts:
                    message = "The built-in model server stopped unexpectedly again; it is not restarted a second time."
                    tell("failed", message)
                    raise LocalModelError(message)
                self._restarts += 1
                log.warning("the built-in model server (pid %s) died; restarting it", server.pid)
            elif server is not None:
                self._restarts = 0  # a new configuration starts with a fresh allowance
            if server is not None:
                server.stop()
            self._server = None
            tell("starting", f"starting the built-in model ({config.model_path.name}, {config.threads} thread(s))…")
            fresh = self._factory(config)
            try:
                fresh.start()
            except LocalModelError as exc:
                tell("failed", str(exc))
                raise
            self._server, self._config = fresh, config
            tell("ready", f"built-in model ready ({config.model_path.name})")
            return fresh.base_url, fresh.api_key

    def stop(self) -> None:
        """Stop the server (idempotent); a later ``ensure`` starts it again unless ``close`` was called."""
        with self._lock:
            server, self._server, self._config = self._server, None, None
        if server is not None:
            server.stop()

    def close(self) -> None:
        self._closed = True
        self.stop()


def _default_server(config: LocalConfig) -> LocalModelServer:
    from desktop_chat.core.providers.local.server import LocalModelServer

    return LocalModelServer(
        config.model_path, n_ctx=config.n_ctx, threads=config.threads, startup_timeout_s=STARTUP_TIMEOUT_S
    )


class LocalChatClient:
    """The ``ChatClient`` of the built-in profile: starts the server on first use, then delegates."""

    def __init__(
        self,
        models: LocalModels,
        settings: Settings,
        make_client: Callable[[str, str], OpenAIChatClient],
    ) -> None:
        self._models = models
        self._settings = settings
        self._make_client = make_client
        self._client: OpenAIChatClient | None = None
        self._endpoint: tuple[str, str] | None = None

    async def _inner(self) -> OpenAIChatClient:
        loop = asyncio.get_running_loop()
        models = self._models

        def notify(state: LocalState, detail: str) -> None:
            publish = models.publish
            if publish is not None:
                loop.call_soon_threadsafe(publish, state, detail)

        endpoint = await asyncio.to_thread(models.connect, self._settings, notify)
        if self._client is None or endpoint != self._endpoint:
            old, self._client = self._client, None
            if old is not None:
                await old.aclose()
            self._client = await asyncio.to_thread(self._make_client, *endpoint)
            self._endpoint = endpoint
        return self._client

    async def stream_chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str,
        max_tokens: int | None = None,
        temperature: float | None = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
    ) -> AsyncGenerator[StreamEvent, None]:
        client = await self._inner()
        stream = client.stream_chat(messages, model=model, max_tokens=max_tokens, temperature=temperature, tools=tools)
        try:
            async for event in stream:
                yield event
        finally:
            await stream.aclose()

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str,
        json_mode: bool = False,
        json_schema: JsonSchema | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> Completion:
        client = await self._inner()
        return await client.complete(
            messages,
            model=model,
            json_mode=json_mode,
            json_schema=json_schema,
            max_tokens=max_tokens,
            temperature=temperature,
        )

    async def list_models(self) -> list[str]:
        client = await self._inner()
        return await client.list_models()

    async def aclose(self) -> None:
        """Close the HTTP client; the server belongs to ``LocalModels`` and keeps running."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
