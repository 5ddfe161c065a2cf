"""The window while files are attached: the GUI thread's longest stall reading a 200-page PDF, and a photo's thumbnail.

    .venv/bin/python -m bench.window_attach [--runs 3] [--pages 200]

Each run is a fresh process started through the real launcher (``run_gui``), offscreen unless
QT_QPA_PLATFORM says otherwise, on a new data folder whose profile is the project's fake server
(model ``gpt-4o``, so images are sent). Three seconds after the window is ready:

- **attach a 200-page PDF** (``tests/helpers/documents.pdf_bytes``, ~400 words a page) as a drop
  does (``ComposerAttachments.add_paths``), until its chip is ready (after a baseline: the same timer while
a worker thread does plain Python arithmetic for 0.7 s, about as long as the PDF takes, which shows
what the GIL's hand-over alone costs the window's thread): the longest gap of a 5 ms
  QTimer on the GUI thread meanwhile, how many progress steps the chip showed, the time to ready;
  the GUI thread's share: ``workspace.attachments.tokens`` for the chip, and the preview planned
  with the file (``ChatState.refresh_ms``);
- **a 4000 x 3000 JPEG photo**: attached and sent; its thumbnail decoded on a worker at its shown
  size (``Thumbnails.decode_ms``) against a full decode then scale, as the GUI thread would otherwise
  do; the longest gap from Send until the thumbnail is drawn.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WORDS = ("the", "harbour", "lights", "were", "counted", "twice", "before", "the", "ferry", "left", "for", "islands")


def prepare(folder: Path, server: Any, pages: int) -> tuple[Path, Path]:
    from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter

    from desktop_chat.core.bootstrap import open_workspace
    from desktop_chat.core.profiles import ProviderProfile
    from tests.helpers.documents import pdf_bytes

    workspace = open_workspace(folder)
    try:
        profile = ProviderProfile(
            name="Test", base_url=server.base_url, default_model="gpt-4o", context_window=128_000, needs_key=False
        )
        workspace.add_profile(profile, activate=True)
        workspace.set_setting("default_strategy", "full")
    finally:
        workspace.close()
    files = folder.parent / "files"
    files.mkdir(exist_ok=True)
    text = [" ".join(WORDS[(i + j) % len(WORDS)] for j in range(400)) for i in range(pages)]
    pdf = files / "long report.pdf"
    pdf.write_bytes(pdf_bytes(text))
    app = QGuiApplication.instance() or QGuiApplication([])
    image = QImage(4000, 3000, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    for i in range(40):  # stripes: a JPEG of real size, not a flat colour that compresses to nothing
        painter.fillRect(i * 100, 0, 100, 3000, QColor.fromHsv((i * 37) % 360, 160, 220))
    painter.end()
    photo = files / "photo.jpg"
    image.save(str(photo), "JPEG", 90)  # type: ignore[call-overload]
    del app
    return pdf, photo


def child(folder: Path, pdf: Path, photo: Path) -> int:  # noqa: PLR0915 - one scenario, its steps side by side
    import asyncio

    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QImage

    from desktop_chat.ui.app.launch import run_gui

    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        last[0] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    figures: dict[str, float] = {}

    async def until(predicate: Any, seconds: float = 120.0) -> None:
        deadline = time.monotonic() + seconds
        while not predicate():
            if time.monotonic() > deadline:
                raise SystemExit("timed out")
            await asyncio.sleep(0.005)

    async def drive(window: Any) -> None:  # noqa: PLR0915 - the scenario, step by step
        await asyncio.sleep(3.0)
        composer, attachments = window.composer, window.composer.attachments

        def arithmetic(seconds: float) -> int:  # plain Python on a worker, as long as the PDF takes
            end, n = time.perf_counter() + seconds, 0
            while time.perf_counter() < end:
                n += sum(range(200))
            return n

        gaps.clear()
        last[0] = time.perf_counter()
        timer.start()
        await asyncio.to_thread(arithmetic, 0.7)
        timer.stop()
        tick()
        figures["baseline: longest GUI stall, a worker doing plain Python for 0.7 s (ms)"] = max(gaps)
        steps: set[str] = set()
        gaps.clear()
        last[0] = began = time.perf_counter()
        timer.start()
        attachments.add_paths([pdf])
        while not (composer.chips.chips() and composer.chips.chips()[0].ready):
            chips = composer.chips.chips()
            if chips:
                steps.add(chips[0].detail.text())
            await asyncio.sleep(0.005)
        figures["pdf: time to ready (s)"] = time.perf_counter() - began
        await asyncio.sleep(0.5)  # the preview planned with it
        timer.stop()
        tick()
        figures["pdf: longest GUI stall (ms)"] = max(gaps)
        figures["pdf: progress steps shown"] = len([s for s in steps if s.startswith("reading… ")])
        attachment = composer.chips.chips()[0].attachment
        t = time.perf_counter()
        window.workspace.attachments.tokens(attachment, window.current_id)
        figures["pdf: tokens() on the GUI thread (ms)"] = (time.perf_counter() - t) * 1000
        figures["pdf: preview with it (ms)"] = window.state.refresh_ms[-1]
        attachments.clear()
        attachments.add_paths([photo])
        await until(lambda: composer.chips.chips() and composer.chips.chips()[0].ready)
        thumbs = window.chat.delegate.thumbnails
        gaps.clear()
        last[0] = time.perf_counter()
        timer.start()
        window.replies.send("What is in this photo?")
        await until(lambda: bool(thumbs.decode_ms))
        await until(lambda: not window.bridge.is_running(window.current_id))
        await asyncio.sleep(0.3)
        timer.stop()
        tick()
        figures["photo: longest GUI stall, send to thumbnail shown (ms)"] = max(gaps)
        figures["photo: thumbnail decode at its size, worker (ms)"] = thumbs.decode_ms[0]
        t = time.perf_counter()
        QImage(str(photo)).scaled(240, 180)
        figures["photo: full decode then scale, for comparison (ms)"] = (time.perf_counter() - t) * 1000
        print(json.dumps(figures), flush=True)
        window.close()

    running: list[asyncio.Future[None]] = []

    def ready(window: Any) -> None:
        running.append(asyncio.ensure_future(drive(window)))

    return run_gui(folder, on_ready=ready)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--child", nargs=3, type=Path)
    args = parser.parse_args()
    if args.child is not None:
        sys.exit(child(*args.child))
    sys.path.insert(0, str(ROOT))
    from tests.helpers.fake_openai import FakeOpenAIServer

    server = FakeOpenAIServer().start()
    base = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    base.setdefault("QT_QPA_PLATFORM", "offscreen")
    runs: list[dict[str, float]] = []
    for _ in range(args.runs):
        root = Path(tempfile.mkdtemp(prefix="dc-bench-attach-"))
        folder = root / "data"
        pdf, photo = prepare(folder, server, args.pages)
        server.reply(chunks=["A striped test card."])
        done = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "window_attach.py"), "--child", str(folder), str(pdf), str(photo)],
            env={**base, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or not lines:
            raise SystemExit(f"run failed: {done.stderr[-3000:]}")
        runs.append(json.loads(lines[-1]))
    server.close()
    print(f"platform: {base['QT_QPA_PLATFORM']}, {args.runs} runs, {args.pages}-page PDF (median, min to max)")
    print("| figure | value |\n| --- | ---: |")
    for key in runs[0]:
        values = [r[key] for r in runs]
        print(f"| {key} | {statistics.median(values):.1f} ({min(values):.1f} to {max(values):.1f}) |")


if __name__ == "__main__":
    main()
