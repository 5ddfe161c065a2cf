"""The built-in model (profile preset ``local``): which files it can run, its server's process, stopping it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from desktop_chat.core.events import LocalModelChanged
from desktop_chat.core.facade.context import Context
from desktop_chat.core.providers.local.files import find_bundled_smollm2, list_model_files


class LocalFacade:
    """``workspace.local``: the server itself is started by the first request (``LocalModels.ensure``)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        local = ctx.local
        if local is not None:
            # The server's state reaches every view through the channel, whoever started it.
            local.publish = lambda state, detail: ctx.channel.publish(LocalModelChanged(state, detail))

    @property
    def pid(self) -> int | None:
        """The built-in model server's process id while it runs, else None."""
        return self._ctx.local.pid if self._ctx.local is not None else None

    def files(self) -> list[tuple[Path, int]]:
        """The .gguf files the built-in profile can run, with sizes in bytes: the starter model, then
        those in ``models/`` of the data folder."""
        return list_model_files(self._ctx.data_folder)

    def in_use(self) -> Path | None:
        """The .gguf file the built-in profile runs with the current settings (None: the starter is not installed)."""
        chosen = self._ctx.settings.local_model_file
        return Path(chosen).expanduser() if chosen else find_bundled_smollm2()

    async def stop(self) -> None:
        """Stop the server if it was started (in a worker thread: the child may take a moment to exit)."""
        local = self._ctx.local
        if local is None or local.pid is None:
            return
        await asyncio.to_thread(local.stop)
        self._ctx.channel.publish(LocalModelChanged("stopped", "built-in model stopped"))
