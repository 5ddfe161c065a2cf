"""Imported messages are indexed for recall by meaning in the background, and the window stays responsive."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

from desktop_chat.core.models import PartKind, Strategy
from desktop_chat.core.semantic.indexer import BATCH
from desktop_chat.core.semantic.model import MODEL_NAME
from tests.helpers.chats import PUPPY, long_history, note
from tests.helpers.db_lock import StallMeter
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.waiting import until
from tests.helpers.window import Harness, data_dir, ui_settings

# Two batches (the indexer reports progress and hands its vectors to the window's connection a batch at a time):
# the window must stay responsive through a whole batch's write and between batches. ~7 s of embedding.
MESSAGES = BATCH + 64
# Seconds. Indexing on the GUI thread would freeze it for seconds (320 messages at ~50 a second; one batch
# alone takes hundreds of ms), so a stall this long means the work left its thread. The 50 ms aim itself is a
# figure for bench/window_stalls.py: on a loaded 2-core machine the loop misses 50 ms for want of CPU alone.
STALL = 0.25


def big_export(path: Path, messages: int) -> Path:
    turns = [{"role": "user" if i % 2 == 0 else "assistant", "content": note(i)} for i in range(messages)]
    turns[100] = {"role": "user", "content": PUPPY}
    path.write_text(json.dumps({"sessions": [{"title": "A long history", "messages": turns}]}), encoding="utf-8")
    return path


def test_an_import_is_indexed_in_the_background_without_stalling_the_window(
    open_window: Callable[..., Harness], tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    # A cap the imported chat overflows (its recent turns fill it), so a question about an early turn recalls.
    h = open_window(ui_settings(fake_openai, max_request_tokens=1500))
    status = h.window.status_line.indexing
    seen: list[str] = []
    reloads: list[int] = []

    async def scenario() -> tuple[float, int]:
        h.workspace.memory.index_in_background()
        await until(lambda: not h.workspace.memory.indexing, what="the first pass over the empty folder")
        result = h.workspace.data.import_file(big_export(tmp_path / "export.json", MESSAGES))
        # The vectors are this window's own writes: none may look like another program's change.
        bridge = h.window.bridge
        assert bridge is not None
        bridge.externalChange.connect(lambda: reloads.append(1))
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
    assert reloads == [], "the window reloaded as if another program had written the vectors"
    assert any(text.startswith("Indexing for recall:") and f"of {MESSAGES} messages" in text for text in seen), seen
    assert not status.isVisible()  # gone once the pass ended
    plan = h.workspace.memory.preview(chat, "Which pet did I get?", Strategy.HYBRID)
    recalled = [p for p in plan.parts if p.kind == PartKind.RECALLED]
    assert recalled and "by words only" not in recalled[0].reason
    puppy = next(m.id for m in h.workspace.chats.messages(chat) if "puppy" in m.content)
    assert puppy in recalled[0].message_ids


def test_the_next_request_is_planned_again_by_meaning_once_indexing_ends(
    open_window: Callable[..., Harness], tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    long_history(data_dir(tmp_path))
    # A small cap: the recent window cannot hold the whole chat, so the next request recalls.
    h = open_window(ui_settings(fake_openai, default_strategy=Strategy.HYBRID, max_request_tokens=600))
    state = h.window.state

    def recalled_reason() -> str:
        plan = state.plan
        parts = [p for p in plan.parts if p.kind == PartKind.RECALLED] if plan is not None else []
        return parts[0].reason if parts else ""

    async def scenario() -> None:
        state.set_draft("Which pet did I get? And is the printer fixed?")  # "printer": words find something
        await until(lambda: "by words only" in recalled_reason(), what="a first plan, before any vector")
        h.workspace.memory.index_in_background()
        # Nothing else changes: only the end of the indexing pass can make the window plan again.
        await until(lambda: "by words and meaning" in recalled_reason(), seconds=60, what="the plan made again")

    h.run(scenario(), timeout=90)
    assert state.plan is not None
    puppy = next(m.id for m in h.workspace.chats.messages(h.chat_id) if m.content == PUPPY)
    assert puppy in {i for p in state.plan.parts if p.kind == PartKind.RECALLED for i in p.message_ids}
