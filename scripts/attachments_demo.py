"""A chat with attachments, for looking at them in the window: the test server, a prepared data folder, the app.

    PYTHONPATH=$PWD .venv/bin/python scripts/attachments_demo.py FOLDER [MODEL]

Prepares FOLDER (a chat whose message carries a chart and a report, sent through the test server
to a model that reads images) and FOLDER/../files (a PDF and a photo to attach next), then runs
``python -m desktop_chat --data-dir FOLDER`` while the server answers. Used for
docs/screenshots/attachments.png with /work/shared/tools/screenshot, attaching the two files through
the paperclip's dialog (Ctrl+U, a typed folder, then the names). MODEL (default gpt-4o): the chat's
model; a text-only one (gpt-3.5-turbo) shows the composer's notice about images.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.storage.store import Store
from desktop_chat.core.workspace import Workspace
from tests.helpers.controller import make_factory
from tests.helpers.documents import pdf_bytes
from tests.helpers.fake_openai import FakeOpenAIServer

REPLY = (
    "Two things stand out:\n\n"
    "1. **September** carried the quarter: sales rose 31% over August, mostly from the new stores.\n"
    "2. The report's page 3 says returns doubled in July; the chart's dip that month matches it."
)


def chart(path: Path, bars: list[int], colour: str) -> None:
    """A bar chart drawn with Qt (offscreen: the app itself runs on the real display)."""
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter

    app = QGuiApplication.instance() or QGuiApplication(["demo", "-platform", "offscreen"])
    image = QImage(960, 600, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = QFont()
    font.setPixelSize(34)
    painter.setFont(font)
    painter.drawText(QRect(0, 20, 960, 50), Qt.AlignmentFlag.AlignCenter, "Sales by month")
    step = 900 // len(bars)
    for i, value in enumerate(bars):
        painter.fillRect(40 + i * step + 15, 560 - value * 4, step - 30, value * 4, QColor(colour))
    painter.end()
    image.save(str(path))
    del app


def prepare(folder: Path, files: Path, server: FakeOpenAIServer, model: str = "gpt-4o") -> None:
    files.mkdir(parents=True, exist_ok=True)
    chart(files / "q3-sales.png", [62, 48, 81, 90, 77, 101], "#3b7dd8")
    report = files / "q3-report.pdf"
    report.write_bytes(pdf_bytes([f"Q3 report, page {i}: returns, stores and margins." for i in range(1, 13)]))
    chart(files / "store-photo.png", [30, 55, 40, 70, 65, 88, 52], "#d8843b")
    (files / "notes.txt").write_text("Ask about the new stores' opening dates.\n", encoding="utf-8")
    store = Store.open(folder)
    profile = ProviderProfile(
        name="OpenAI (test server)",
        base_url=server.base_url,
        default_model=model,
        context_window=128_000,
        needs_key=False,
    )
    store.settings.set("profiles", [profile.to_dict()])
    store.settings.set("active_profile", profile.name)
    store.settings.set("default_strategy", "full")

    async def talk() -> None:
        workspace = Workspace(store, make_factory())
        session = workspace.new_session(title="Q3 sales review")
        files_sent = [workspace.attachments.add(files / "q3-sales.png"), workspace.attachments.add(report)]
        server.reply(REPLY)
        async for _ in workspace.send(
            session.id, "Here are Q3's chart and report: what stands out?", attachments=files_sent
        ):
            pass
        await workspace.aclose()

    asyncio.run(talk())
    store.close()


def main() -> int:
    folder = Path(sys.argv[1])
    files = folder.parent / "files"
    server = FakeOpenAIServer().start()
    try:
        prepare(folder, files, server, *sys.argv[2:3])
        server.reply("A store front, by the look of it.")
        env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
        env["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="dc-demo-config-")  # no remembered window state
        return subprocess.call([sys.executable, "-m", "desktop_chat", "--data-dir", str(folder)], env=env)
    finally:
        server.close()


if __name__ == "__main__":
    raise SystemExit(main())
