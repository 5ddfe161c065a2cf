"""Another program holding the database's write lock never freezes the window (issue 19, item 12).

A second process holds ``BEGIN IMMEDIATE`` while the user sends a message and goes on
typing; a 10 ms ticker on the qasync loop records the longest stall.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from desktop_chat.core.models import MessageStatus
from desktop_chat.core.paths import database_path
from tests.helpers.db_lock import LockHolder, StallMeter
from tests.helpers.waiting import until
from tests.helpers.window import Harness

STALL = 0.1  # seconds: the bound on the longest stall under a held lock


def test_typing_and_sending_while_another_program_holds_the_lock_keeps_the_window_responsive(
    open_window: Callable[..., Harness],
) -> None:
    h = open_window()
    edit = h.window.composer.edit
    lock = LockHolder(database_path(h.folder))

    async def send(text: str) -> None:
        edit.setFocus()
        QTest.keyClicks(edit, text)
        QTest.keyClick(edit, Qt.Key.Key_Return)
        await until(lambda: h.window.composer.busy, what="busy")

    async def scenario() -> float:
        await send("Warm up")  # the first reply loads the SDK's modules and the token encodings
        await until(lambda: not h.window.composer.busy, what="the warm-up reply")
        await asyncio.to_thread(lock.hold)
        meter = StallMeter().start()
        try:
            await send("Sent under the lock")
            for letter in "typing on":  # the user goes on typing the next message meanwhile
                QTest.keyClicks(edit, letter)
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.5)  # the window's timers (the next request's plan, the change poll) run
        finally:
            await asyncio.to_thread(lock.release)
        await until(lambda: not h.window.composer.busy, seconds=10, what="the reply after the lock")
        return await meter.stop()

    worst = h.run(scenario())
    assert worst < STALL, f"the window froze {worst * 1000:.0f} ms while another program held the database"
    assert h.window.composer.text() == "typing on"
    saved = [(m.content, m.status) for m in h.workspace.messages(h.chat_id)][-2:]
    # The fake server echoes: the message was saved, answered and the answer saved once the lock went.
    assert saved == [
        ("Sent under the lock", MessageStatus.COMPLETE),
        ("You said: Sent under the lock", MessageStatus.COMPLETE),
    ]
