"""Imported messages are indexed for recall by meaning in the background, and the window stays responsive."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

from desktop_chat.core.models import PartKind, Strategy
from desktop_chat.core.semantic.model import MODEL_NAME
from tests.helpers.db_lock import StallMeter
from tests.helpers.waiting import until
from tests.helpers.window import Harness

STALL = 0.05  # seconds: the bound on the event loop's longest stall while indexing
TOPICS = [
    "The meeting moved to Thursday afternoon.",
    "I repainted the garage door green.",
    "Traffic was awful on the bridge today.",
    "My sister is visiting in June.",
    "The printer jammed again.",
]


def big_export(path: Path, messages: int) -> Path:
    turns = [
        {"role": "user" if i % 2 == 0 else "assistant", "content": f"{TOPICS[i % len(TOPICS)]} (note {i})"}
        for i in range(messages)
    ]
    turns[100] = {"role": "user", "content": "We finally adopted a golden retriever puppy, he chews everything."}
    path.write_text(json.dumps({"sessions": [{"title": "A long history", "messages": turns}]}), encoding="utf-8")
    return path


def test_an_import_is_indexed_in_the_background_without_stalling_the_window(
    open_window: Callable[..., Harness], tmp_path: Path
) -> None:
    h = open_window()
    status = h.window.status_line.indexing
    seen: list[str] = []

    async def scenario() -> tuple[float, int]:
        h.workspace.memory.index_in_background()
        await until(lambda: not h.workspace.memory.indexing, what="the first pass over the empty folder")
        result = h.workspace.data.import_file(big_export(tmp_path / "export.json", 600))
        meter = StallMeter().start()
        try:
            while h.store.embeddings.count(MODEL_NAME) < result.messages:
                if status.isVisible():
                    seen.append(status.text())
                await asyncio.sleep(0.02)
            await until(lambda: not h.workspace.memory.indexing, what="the indexing pass to end")
        finally:
            worst = await meter.stop()
        return worst, result.session_ids[0]

    worst, chat = h.run(scenario(), timeout=120)
    assert worst < STALL, f"the window's event loop stalled {worst * 1000:.0f} ms while indexing"
    assert any(text.startswith("Indexing for recall:") and "of 600 messages" in text for text in seen), seen
    assert not status.isVisible()  # gone once the pass ended
    plan = h.workspace.memory.preview(chat, "Which pet did I get?", Strategy.HYBRID)
    recalled = [p for p in plan.parts if p.kind == PartKind.RECALLED]
    assert recalled and "by words only" not in recalled[0].reason
    puppy = next(m.id for m in h.workspace.chats.messages(chat) if "puppy" in m.content)
    assert puppy in recalled[0].message_ids
