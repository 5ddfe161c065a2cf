"""The database update at start, shown while it runs: a line and a progress bar in the status bar.

An update of a large history (a full-text index rebuilt, say) can take many seconds; it runs in a
worker thread with a connection of its own, so the window keeps painting and says what is happening.
"""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QProgressBar

if TYPE_CHECKING:
    from desktop_chat.ui.window.main_window import MainWindow


class MigrationNotice:
    """The status bar's line and bar for the update; ``close`` takes them away."""

    def __init__(self, window: MainWindow, steps: int) -> None:
        bar = window.statusBar()
        self.label = QLabel(f"Updating your chats for this version ({steps} step{'s' if steps != 1 else ''})…")
        self.label.setAccessibleName("Database update")
        self.bar = QProgressBar()
        self.bar.setAccessibleName("Database update progress")
        self.bar.setRange(0, steps + 1)  # the backup, then each step
        self.bar.setMaximumWidth(200)
        bar.addPermanentWidget(self.label, 1)
        bar.addPermanentWidget(self.bar)

    def show_step(self, step: int, steps: int, what: str) -> None:
        self.label.setText(f"Updating your chats for this version: step {step} of {steps} ({what})…")
        if step == 0:
            self.label.setText(f"Updating your chats for this version: {what}…")
        self.bar.setValue(step)

    def close(self) -> None:
        for widget in (self.label, self.bar):
            widget.hide()
            widget.deleteLater()


async def migrate_with_progress(window: MainWindow, folder: Path, steps: int) -> None:
    """Run the core's ``migrate`` in a worker thread, its progress in the status bar; errors propagate."""
    from desktop_chat.core.bootstrap import migrate

    loop = asyncio.get_running_loop()
    notice = MigrationNotice(window, steps)

    def progress(step: int, total: int, what: str) -> None:  # on the worker's thread
        loop.call_soon_threadsafe(partial(notice.show_step, step, total, what))

    try:
        await asyncio.to_thread(migrate, folder, progress)
    finally:
        notice.close()
