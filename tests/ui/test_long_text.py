"""A huge unbroken string does not freeze the window: the chat opens at once, the whole text stays available."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication

from desktop_chat.core.memory.history import stored_token_count
from desktop_chat.core.models import Role
from desktop_chat.core.storage.store import Store
from desktop_chat.core.tokens import TokenCounter
from desktop_chat.ui.chat.message_model import ACTION, COPY_MESSAGE, MORE, SHOWN_CHARS
from tests.helpers.waiting import run
from tests.helpers.window import Harness, data_dir

SIZE = 1_500_000


def _chat_with_a_long_word(tmp_path: Path, size: int = SIZE) -> tuple[int, str]:
    word = "".join(chr(ord("a") + i % 26) for i in range(size))
    store = Store.open(data_dir(tmp_path))
    try:
        chat = store.sessions.create("Long word")
        # Counted once when first planned and cached, as the app does (tokenising is not the view's cost).
        counted = len(word) // 3
        store.messages.append(chat.id, Role.USER, "Repeat this: " + word[:50])
        store.messages.append(chat.id, Role.ASSISTANT, word, token_count=counted)
        store.messages.append(chat.id, Role.USER, word, token_count=counted)
        return chat.id, word
    finally:
        store.close()


class StallMeter:
    """A timer ticking every 10 ms: the longest gap between ticks is how long the GUI was busy."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.last = time.perf_counter()
        self.longest = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self.last)
        self.last = now

    def start(self) -> None:
        self.last = time.perf_counter()
        self.timer.start()


def test_a_chat_holding_a_huge_unbroken_string_opens_in_under_a_second(
    open_window: Callable[..., Harness], tmp_path: Path, qloop: asyncio.AbstractEventLoop
) -> None:
    chat, word = _chat_with_a_long_word(tmp_path)
    # The app loads the encodings on a worker thread before its first plan; so does the test.
    TokenCounter.for_model("fake-gpt")
    stored_token_count(Role.USER, "")
    meter = StallMeter()
    opened: list[Harness] = []

    async def scenario() -> None:
        meter.start()
        await asyncio.sleep(0.05)
        opened.append(open_window())  # the newest chat, the long one, reopens at start
        h = opened[0]
        assert h.chat_id == chat
        await asyncio.sleep(0.3)  # paint, scroll to the bottom, plan
        h.window.chat.list.verticalScrollBar().setValue(0)
        await asyncio.sleep(0.1)
        h.window.chat.list.scrollToBottom()
        await asyncio.sleep(0.3)
        meter.timer.stop()

    run(qloop, scenario())
    assert meter.longest < 1.0, f"the GUI was busy for {meter.longest:.2f} s"
    h = opened[0]
    rows = h.window.chat.model.rows()
    assert [r.text for r in rows][1:] == [word, word]  # the model keeps the whole text

    # Copy takes the whole message, not the part shown.
    chat_view = h.window.chat
    html, _ = chat_view.delegate._html(rows[1])
    assert f"Showing the first {SHOWN_CHARS:,} of {SIZE:,} characters" in html
    assert f"{ACTION}:{COPY_MESSAGE}:{rows[1].key}" in html and f"{ACTION}:{MORE}:{rows[1].key}" in html
    chat_view._on_link(f"{ACTION}:{COPY_MESSAGE}:{rows[1].key}", rows[1])
    assert QGuiApplication.clipboard().text() == word

    # "Show more" lays out the next part, still without a long stall.
    meter.start()
    chat_view._on_link(f"{ACTION}:{MORE}:{rows[1].key}", rows[1])
    run(qloop, asyncio.sleep(0.3))
    meter.timer.stop()
    assert meter.longest < 1.0
    assert chat_view.model.rows()[1].shown == 2 * SHOWN_CHARS
    html, _ = chat_view.delegate._html(chat_view.model.rows()[1])
    assert f"Showing the first {2 * SHOWN_CHARS:,} of" in html
