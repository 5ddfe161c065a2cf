"""Logging to a file in the data folder, with every line redacted of secrets.

The log is private (0600 in a 0700 folder, rotated files too) and never gets in
the way: when the file cannot be written (a full disk) the handler says so once,
in one line on stderr, and stops, instead of printing a traceback per record.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import logging.handlers
import sys
from io import TextIOWrapper
from pathlib import Path
from typing import IO

from desktop_chat.core.paths import make_private_dirs, private_opener, tighten
from desktop_chat.core.redact import RedactingFilter

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_MAX_BYTES = 2_000_000
_BACKUP_COUNT = 3


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotated log whose files are 0600, and which stops quietly when the disk refuses it.

    ``stopped`` says it has given up; it does not retry: a disk that filled while the
    app ran is the user's to fix, and the app goes on without a log until next start.
    """

    def __init__(self, filename: Path, *, stderr: IO[str] | None = None) -> None:
        self.stopped = False
        self._stderr = stderr
        super().__init__(filename, maxBytes=_MAX_BYTES, backupCount=_BACKUP_COUNT, encoding="utf-8")

    def _open(self) -> TextIOWrapper:
        # Rotation opens a new file each time; each must be private from its first byte. Always
        # appended to ("a", as RotatingFileHandler requires): a restart continues the log.
        return open(self.baseFilename, "a", encoding=self.encoding, errors=self.errors, opener=private_opener)

    def emit(self, record: logging.LogRecord) -> None:
        if not self.stopped:
            super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:
        """One line on stderr instead of logging's traceback; a disk that refuses writes stops the log."""
        error = sys.exc_info()[1]
        out = self._stderr or sys.stderr
        if isinstance(error, OSError):
            self._stop()
            reason = "the disk is full" if error.errno == errno.ENOSPC else (error.strerror or str(error)).lower()
            line = f"Logging stopped: {reason} ({self.baseFilename}); the app goes on without a log."
        else:
            line = f"A log record could not be written ({type(error).__name__}: {error}); logging goes on."
        try:
            out.write(line + "\n")
            out.flush()
        except (OSError, ValueError):
            pass  # stderr is gone too; nothing is left to tell

    def _stop(self) -> None:
        self.stopped = True
        stream, self.stream = self.stream, None
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):
                stream.close()  # flushes what the disk refused once more, and fails again


def setup_logging(log_file: Path, *, level: int = logging.INFO) -> logging.Handler | None:
    """Send the app's log records to ``log_file`` (rotated); secrets never reach it.

    Returns the handler, or None when the file cannot be opened (logging is then
    off: a read-only data folder must not stop the app).
    """
    try:
        make_private_dirs(log_file.parent)
        tighten(log_file.parent)
        for number in range(_BACKUP_COUNT + 1):
            tighten(log_file.with_name(f"{log_file.name}.{number}") if number else log_file)
        handler: logging.Handler = PrivateRotatingFileHandler(log_file)
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
