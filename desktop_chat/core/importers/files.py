"""Importing a file: a ChatGPT or Claude export, or the app's own JSON, validated whole, then written.

``import_file`` takes a file of any kind the app reads (detected by shape, see
``detect``), validates it whole, then writes other apps' exports one batch of
conversations per transaction, with progress and cancel between batches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from desktop_chat.core.importers.detect import DESKTOP_CHAT, Export, detect
from desktop_chat.core.importers.document import ImportResult, Reader
from desktop_chat.core.importers.source import open_source
from desktop_chat.core.importers.writer import Importer, import_json
from desktop_chat.core.storage.store import Store

Progress = Callable[[int, int], None]  # (conversations done, conversations in the file)
Cancel = Callable[[], bool]  # asked between batches
Committed = Callable[[tuple[int, ...]], None]  # the chats a batch just committed

BATCH_CONVERSATIONS = 100  # one transaction each: a cancel or a crash loses at most the batch being written


def import_file(
    store: Store,
    path: Path,
    *,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    committed: Committed | None = None,
    name: str | None = None,
) -> ImportResult:
    """Import a ChatGPT or Claude export (zip or conversations.json), or the app's own JSON, detected by shape.

    The whole file is validated before anything is written: a malformed one raises
    ``ImportFormatError`` (one line) and nothing is imported. Another app's export is
    then written one batch of conversations per transaction, so ``cancel`` (asked
    between batches) leaves whole conversations only, and ``progress`` is told after
    each batch. The app's own export is one transaction (its facts refer across
    chats), so cancelling it imports nothing.
    """
    found = detect(open_source(path, name))
    if found.kind == DESKTOP_CHAT:
        assert found.document is not None
        result = _import_document(store, found.document, progress=progress, cancel=cancel, committed=committed)
    else:
        result = _import_export(store, found, progress=progress, cancel=cancel, committed=committed)
    return replace(result, replaced=found.source.cleaner.replaced)


class _Cancelled(Exception):
    """Raised inside the one transaction of the app's own document to roll it back."""


def _import_document(
    store: Store,
    data: dict[str, Any],
    *,
    progress: Progress | None,
    cancel: Cancel | None,
    committed: Committed | None,
) -> ImportResult:
    total = len(data["sessions"])
    if progress:
        progress(0, total)

    def between(done: int) -> None:
        if progress:
            progress(done, total)
        if cancel is not None and done < total and cancel():
            raise _Cancelled

    try:
        result = import_json(store, data, between=between)
    except _Cancelled:
        return ImportResult((), 0, 0, conversations=total, cancelled=True)
    if committed and result.session_ids:
        committed(result.session_ids)
    return replace(result, conversations=total)


def _import_export(
    store: Store,
    found: Export,
    *,
    progress: Progress | None,
    cancel: Cancel | None,
    committed: Committed | None,
) -> ImportResult:
    # Pass 1 validates every conversation and gathers the facts, writing nothing; pass 2 writes.
    total = sum(1 for _ in found.sessions(gather=True))
    offered = found.facts()
    if progress:
        progress(0, total)
    importer = Importer(store)
    done = 0
    cancelled = False
    batch: list[tuple[int, dict[str, Any]]] = []

    def flush() -> bool:
        nonlocal done, batch
        if cancel is not None and cancel():
            return False
        first = len(importer.session_ids)
        with importer.files_kept_only_if_committed(), store.db.transaction():
            for index, session in batch:
                importer.session(session, Reader(f"{found.source.name} conversation {index}"), index)
                importer.message_map.clear()  # ids are per conversation in a converted export
                importer.carried_here = {}  # and so are its files (a big export's text is not kept in memory)
        done += len(batch)
        batch = []
        if committed and len(importer.session_ids) > first:
            committed(tuple(importer.session_ids[first:]))
        if progress:
            progress(done, total)
        return True

    for index, session in enumerate(found.sessions()):
        batch.append((index, session))
        if len(batch) >= BATCH_CONVERSATIONS and not flush():
            cancelled = True
            break
    if not cancelled and batch and not flush():
        cancelled = True
    if not cancelled and offered:
        with store.db.transaction():
            for index, raw in enumerate(offered):
                importer.fact(raw, Reader(f"{found.label} fact {index}"), scope=None, offered=True)
    return ImportResult(
        session_ids=tuple(importer.session_ids),
        messages=importer.message_count,
        facts=importer.fact_count,
        skipped=tuple(importer.skipped),
        facts_known=importer.facts_known,
        source=found.label,
        conversations=total,
        cancelled=cancelled,
        continued=tuple(importer.continued),
    )
