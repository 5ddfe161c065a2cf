"""Model downloads: throughput against a local HTTP server, and the GUI's longest stall while one runs.

    .venv/bin/python -m bench.model_download [--mb 256] [--runs 3]

The server is the tests' range-capable file server (tests/helpers/file_server.py) on 127.0.0.1, in a
process of its own,
serving a generated GGUF-shaped file of ``--mb`` MiB. Throughput: ``workspace.local.download``
from the first request to the verified file (SHA-256 included), in MB/s (10^6 bytes), median of
the runs. Stall: the same download started from Settings → Local models in a real window (Qt's
offscreen platform unless QT_QPA_PLATFORM says otherwise), the longest gap between ticks of a
5 ms timer on the GUI thread from the click to the "verified" line, next to the same timer's longest gap
with nothing running for as long (what the machine's load alone costs).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import multiprocessing
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.settings_dialog import StallMeter


@contextlib.contextmanager
def served(data: bytes) -> Iterator[str]:
    """The file at a URL of a FileServer in a process of its own (as a real server is: not this one's GIL)."""
    from tests.helpers.file_server import FileServer

    urls: multiprocessing.Queue[str] = multiprocessing.Queue()
    stop = multiprocessing.Event()

    def serve() -> None:
        os.nice(10)  # a real server is another machine: here it must not take the window's CPU either
        with FileServer() as server:
            urls.put(server.add("/hf/bench.gguf", data))
            stop.wait()

    child = multiprocessing.get_context("fork").Process(target=serve, daemon=True)
    child.start()
    try:
        yield urls.get(timeout=30)
    finally:
        stop.set()
        child.join(10)


def main() -> None:  # noqa: PLR0915 - one linear script: set up, measure, print
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=256)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    import qasync
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from desktop_chat.core.secrets import MemorySecretStore
    from desktop_chat.core.services import SecretAccess, client_factory
    from desktop_chat.core.storage.store import Store
    from desktop_chat.core.workspace import Workspace
    from desktop_chat.ui.settings.dialog import open_settings
    from desktop_chat.ui.window.main_window import MainWindow
    from tests.helpers.file_server import gguf_bytes

    data = gguf_bytes(args.mb * 1024 * 1024)
    digest = hashlib.sha256(data).hexdigest()
    app = QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    folder = Path(tempfile.mkdtemp(prefix="bench-download-"))
    store = Store.open(folder / "data")
    access = SecretAccess(MemorySecretStore)
    workspace = Workspace(store, client_factory(access, environ={}), secrets=access)
    window = MainWindow(QSettings(str(folder / "window.ini"), QSettings.Format.IniFormat))
    window.show()
    window.attach(workspace)
    models = workspace.local.models_folder

    with served(data) as url:

        def clear() -> None:
            shutil.rmtree(models, ignore_errors=True)

        speeds: list[float] = []
        for _ in range(args.runs):
            clear()
            began = time.perf_counter()
            workspace.local.download(url, sha256=digest)
            speeds.append(len(data) / 1e6 / (time.perf_counter() - began))

        async def stall_once() -> tuple[float, float]:
            clear()
            dialog: Any = open_settings(window, workspace, "local_models")
            page = dialog.local_models
            page.url.setText(url)
            page.sha256.setText(digest)
            await asyncio.sleep(0.2)
            meter = StallMeter(QTimer)
            began = time.perf_counter()
            page.url_button.click()
            while page.download_process is not None:  # noqa: ASYNC110 - polls the page's download thread
                await asyncio.sleep(0.01)
            seconds = time.perf_counter() - began
            assert "verified" in page.status.text(), page.status.text()
            dialog.reject()
            return meter.stop(), seconds

        async def idle(seconds: float) -> float:
            meter = StallMeter(QTimer)
            await asyncio.sleep(seconds)
            return meter.stop()

        stalls = [loop.run_until_complete(stall_once()) for _ in range(args.runs)]
        # The same window doing nothing for as long: what the machine's load alone costs the timer.
        baseline = [loop.run_until_complete(idle(max(t for _, t in stalls))) for _ in range(args.runs)]
        loop.run_until_complete(window.shutdown())
    store.close()
    shutil.rmtree(folder, ignore_errors=True)
    print(f"file {args.mb} MiB, {args.runs} runs, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    print(f"download + verify, MB/s: median {statistics.median(speeds):.0f} (runs {[round(s) for s in speeds]})")
    print(
        f"longest GUI stall while downloading from the window, ms: max {max(s for s, _ in stalls):.1f} "
        f"(runs {[round(s, 1) for s, _ in stalls]}; window download {[round(t, 1) for _, t in stalls]} s)"
    )
    print(f"longest gap of the same timer with nothing running, ms: max {max(baseline):.1f} (runs {baseline})")


if __name__ == "__main__":
    main()
