"""The built-in model (profile preset ``local``): its files, the catalog and downloads, its server, stopping it."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_chat.core.controller.targets import profile_for
from desktop_chat.core.errors import DesktopChatError, LocalModelError, NotAllowed
from desktop_chat.core.events import LocalModelChanged
from desktop_chat.core.facade.context import Context
from desktop_chat.core.providers.local.builtin import model_keeps_memory
from desktop_chat.core.providers.local.files import MODELS_FOLDER, find_bundled_smollm2, list_model_files

if TYPE_CHECKING:
    from desktop_chat.core.providers.local.catalog import CatalogEntry, Fit, Resources
    from desktop_chat.core.providers.local.download import DownloadProgress, Progress

# The catalog, downloads (urllib, http.client, email: ~15 ms) and the server's command are imported by the
# methods that use them: the workspace, and with it this facade, is built before the window's last chat shows.


@dataclass(frozen=True, slots=True)
class CatalogRow:
    """A catalog model as the views show it: here or not, how much of it is downloaded, whether it fits."""

    entry: CatalogEntry
    path: Path | None  # the downloaded file, or None
    partial: int  # bytes of an unfinished download kept for resuming
    fit: Fit
    keeps_memory: bool  # capable (the catalog), or marked by the user


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

    # --- the catalog and downloads ---------------------------------------------------------

    @property
    def models_folder(self) -> Path:
        """Where downloads land: ``<data dir>/models/``."""
        folder = self._ctx.data_folder
        if folder is None:
            raise LocalModelError("An in-memory workspace has no models folder.")
        return folder / MODELS_FOLDER

    def resources(self) -> Resources:
        """Free memory and free disk where models land, now."""
        from desktop_chat.core.providers.local import catalog as catalog_data

        return catalog_data.resources(self.models_folder)

    def catalog(self) -> list[CatalogRow]:
        """Every catalog model with what this computer has: downloaded or not, fits or not, keeps memory or not."""
        from desktop_chat.core.providers.local import catalog as catalog_data
        from desktop_chat.core.providers.local.download import part_paths

        folder = self.models_folder
        have = self.resources()
        settings = self._ctx.settings
        rows = []
        for entry in catalog_data.catalog():
            path = folder / entry.file
            part, _ = part_paths(folder, entry.file)
            here = path.is_file()
            rows.append(
                CatalogRow(
                    entry,
                    path if here else None,
                    part.stat().st_size if part.is_file() else 0,
                    catalog_data.fit(entry, have, downloaded=here),
                    model_keeps_memory(entry.file, settings),
                )
            )
        return rows

    def download(
        self,
        target: str,
        *,
        sha256: str | None = None,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> Path:
        """Download a catalog model (by id) or a URL into ``models/``, verified; blocks (run it in a thread).

        Resumes what an earlier run left; raises ``DownloadCancelled`` when ``cancel`` is set (the partial
        file stays for the next run), and ``LocalModelError`` in one line for everything else.
        """
        from desktop_chat.core.providers.local.download import Source, download

        return download(Source.resolve(target, sha256), self.models_folder, progress=progress, cancel=cancel)

    def download_command(self, target: str, sha256: str | None = None) -> list[str]:
        """The command that runs ``download`` in a process of its own, its progress as JSON lines on standard
        error (``DownloadProgress.from_json``), its one-line error last, exit 0 when the file is verified.

        The window uses it: in a thread of the window's process the download's Python loop competes with the
        GUI for the interpreter lock (and, lowered in priority, holds it while preempted); see benchmarks.md.
        """
        from desktop_chat.core.providers.local.server import app_command

        folder = self._ctx.data_folder
        if folder is None:
            raise LocalModelError("An in-memory workspace has no models folder.")
        command = [*app_command(), "--data-dir", str(folder), "models", "download", target, "--progress-json"]
        # At nice 10 from its first instruction (its start-up imports included): the window wins the CPU.
        nice = shutil.which("nice") if os.name == "posix" else None
        return ([nice, "-n", "10"] if nice else []) + command + (["--sha256", sha256] if sha256 else [])

    @staticmethod
    def parse_progress(line: str) -> DownloadProgress | None:
        """A progress line of ``download_command``'s process, or None (its one-line error, anything else)."""
        from desktop_chat.core.providers.local.download import DownloadProgress

        return DownloadProgress.from_json(line)

    def keeps_memory(self, file_name: str) -> bool:
        return model_keeps_memory(Path(file_name).name, self._ctx.settings)

    def mark_keeps_memory(self, file_name: str, on: bool) -> None:
        """Mark a model file able (or not) to keep memory on the built-in profile, beyond the catalog's word."""
        name = Path(file_name).name
        marked = [n for n in self._ctx.settings.local_memory_models if n != name] + ([name] if on else [])
        self._ctx.settings_changed(self._ctx.store.settings.set("local_memory_models", marked))

    def remove(self, name: str) -> int:
        """Delete a downloaded model (and any unfinished download of it) from ``models/``; returns the bytes freed.

        Refused while the built-in model answers a reply with it (in this process or another); a file the
        settings chose is unchosen (the starter model runs next) and a server running it is stopped.
        """
        from desktop_chat.core.providers.local.download import part_paths

        folder = self.models_folder
        file = Path(name).name
        path = folder / file
        part, meta = part_paths(folder, file)
        if not path.exists() and not part.exists():
            known = ", ".join(p.name for p, _ in self.files() if p.parent == folder) or "none"
            raise LocalModelError(f"There is no model {file!r} in {folder} (downloaded: {known}).")
        settings = self._ctx.settings
        chosen = Path(settings.local_model_file).expanduser() if settings.local_model_file else None
        in_use = chosen is not None and chosen.resolve() == path.resolve()
        if in_use and self._answering():
            raise NotAllowed(f"{file} is answering a reply now; remove it once the reply has ended (or stop it).")
        freed = 0
        for each in (path, part, meta):
            if each.exists():
                freed += each.stat().st_size
                each.unlink()
        if in_use:
            self._ctx.settings_changed(self._ctx.store.settings.set("local_model_file", None))
            local = self._ctx.local
            if local is not None:
                local.stop()  # its memory too: the server holds the deleted file open
        return freed

    def _answering(self) -> bool:
        """Whether a chat on the built-in profile is being answered, here or by another process."""
        ctx = self._ctx
        settings = ctx.settings
        busy = set(ctx.store.claims.live_sessions())
        for session_id in busy:
            try:
                if profile_for(ctx.session(session_id), settings).is_builtin:
                    return True
            except DesktopChatError:
                continue  # a chat deleted meanwhile answers nothing
        return any(
            ctx.is_streaming(s.id) and profile_for(s, settings).is_builtin for s in ctx.router.temporary_sessions()
        )

    async def stop(self) -> None:
        """Stop the server if it was started (in a worker thread: the child may take a moment to exit)."""
        local = self._ctx.local
        if local is None or local.pid is None:
            return
        await asyncio.to_thread(local.stop)
        self._ctx.channel.publish(LocalModelChanged("stopped", "built-in model stopped"))
