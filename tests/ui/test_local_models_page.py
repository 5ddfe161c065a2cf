"""Settings → Local models in the window: the catalog with fit, a download's progress, cancel, remove."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest

from desktop_chat.core.providers.local.catalog import catalog
from desktop_chat.ui.settings.local_models import LocalModelsPage
from tests.helpers.app import App
from tests.helpers.file_server import FileServer, gguf_bytes
from tests.helpers.waiting import until

Opener = Callable[..., App]
MB = 1024 * 1024


def cell(page: LocalModelsPage, row: int, column: int) -> str:
    item = page.table.item(row, column)
    assert item is not None
    return item.text()


def page_of(app: App) -> LocalModelsPage:
    dialog = app.settings_dialog("local_models")
    assert dialog.current_page() is dialog.local_models
    return dialog.local_models


def test_the_catalog_is_listed_with_sizes_licences_and_fit(open_app: Opener) -> None:
    page = page_of(open_app())
    assert page.table.rowCount() == len(catalog())
    names = [cell(page, i, 0) for i in range(page.table.rowCount())]
    assert "Llama 3.2 3B Instruct" in names and "Phi-4-mini Instruct" in names
    for i in range(page.table.rowCount()):
        assert cell(page, i, 6)[0] in "✓✗"  # fits this computer, or why not
        assert cell(page, i, 4)  # the licence
    assert page.free.text().startswith("Free memory ") and "free disk" in page.free.text()
    assert not page.download_button.isEnabled()  # nothing selected yet
    page.table.selectRow(0)
    assert page.download_button.isEnabled() and not page.remove_button.isEnabled()


@pytest.mark.slow  # the download runs in a child process: its start-up takes seconds on a busy machine
def test_a_download_shows_progress_and_lands_then_remove_frees_it(open_app: Opener, file_server: FileServer) -> None:
    app = open_app()
    page = page_of(app)
    data = gguf_bytes(6 * MB)
    file_server.bytes_per_second = 4 * MB
    page.url.setText(file_server.add("/hf/qwen2.5-1.5b-instruct-q4_k_m.gguf", data))
    page.sha256.setText(hashlib.sha256(data).hexdigest())
    seen: list[tuple[int, str]] = []
    page.progressed.connect(lambda p: seen.append((page.bar.value(), page.status.text())))
    page.url_button.click()
    assert page.cancel_button.isEnabled() and not page.url_button.isEnabled()
    app.run(until(lambda: page.download_process is None, seconds=120, what="the download's end"), timeout=130)
    assert "Downloaded and verified qwen2.5-1.5b-instruct-q4_k_m.gguf" in page.status.text()
    assert any("MB/s" in text and " of " in text and "left" in text for _, text in seen)
    assert any(0 < value < 1000 for value, _ in seen) and page.bar.value() == 1000
    path = app.workspace.local.models_folder / "qwen2.5-1.5b-instruct-q4_k_m.gguf"
    assert path.read_bytes() == data
    # It is the catalog's Qwen2.5 1.5B (same file name): its row says so, and the Providers page lists it.
    row = next(i for i, r in enumerate(page.rows) if r.path == path)
    assert "downloaded" in cell(page, row, 6)
    dialog = app.window.settings_dialog
    assert dialog.providers.local.model_box.findData(str(path)) >= 0

    page.table.selectRow(row)
    assert page.remove_button.isEnabled()
    page.remove_button.click()
    assert not path.exists() and "freed" in page.status.text()


@pytest.mark.slow
def test_cancel_keeps_what_arrived_for_a_later_resume(open_app: Opener, file_server: FileServer) -> None:
    app = open_app()
    page = page_of(app)
    data = gguf_bytes(8 * MB)
    file_server.bytes_per_second = 2 * MB
    page.url.setText(file_server.add("/hf/slow.gguf", data))
    page.sha256.setText(hashlib.sha256(data).hexdigest())
    page.url_button.click()
    part = app.workspace.local.models_folder / "slow.gguf.part"
    app.run(until(lambda: part.exists() and part.stat().st_size > MB, seconds=120, what="some bytes"), timeout=130)
    page.cancel_button.click()
    app.run(until(lambda: page.download_process is None, seconds=60, what="the cancel"), timeout=70)
    assert "cancelled" in page.status.text() and "resume" in page.status.text()
    assert part.exists() and not (app.workspace.local.models_folder / "slow.gguf").exists()
