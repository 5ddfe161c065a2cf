"""Logging to a file in the data folder, with every line redacted of secrets."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from desktop_chat.core.redact import RedactingFilter

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(log_file: Path, *, level: int = logging.INFO) -> logging.Handler | None:
    """Send the app's log records to ``log_file`` (rotated); secrets never reach it.

    Returns the handler, or None when the file cannot be opened (logging is then
    off: a read-only data folder must not stop the app).
    """
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        return None
    handler.setFormatter(logging.Formatter(_FORMAT))
    # On the handler, not a logger: records from every library pass through it.
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "httpx2", "httpcore2", "openai"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler
