"""Start the window. A placeholder until the main-window issue lands."""

from __future__ import annotations

import sys
from pathlib import Path

from desktop_chat.core.logs import setup_logging
from desktop_chat.core.paths import log_path


def run_gui(folder: Path) -> int:
    from PySide6.QtWidgets import QApplication

    from desktop_chat.ui.placeholder_window import PlaceholderWindow

    setup_logging(log_path(folder))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Desktop Chat")
    window = PlaceholderWindow(folder)
    window.show()
    return int(app.exec())
