"""The built-in local model: llama.cpp's OpenAI-compatible server in a child process.

xllamacpp is an optional extra, so only the child imports it. The child listens on
127.0.0.1 only and exits by itself when this process dies (see local_model_child).
Any local user can reach 127.0.0.1, so the server demands a random key chosen for
each run, and the child gets only the environment it needs (never ``OPENAI_API_KEY``
or any other secret of the user's shell).
"""

from __future__ import annotations

import contextlib
import os
import queue
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from desktop_chat.core.errors import LocalModelError
from desktop_chat.core.providers.local.child import CHILD_FLAG


def app_command() -> list[str]:
    """How to run this app again: the bundle's executable when frozen, else this interpreter with ``-m``."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "desktop_chat"]


_STDERR_KEPT_LINES = 60
_MESSAGE_MAX_CHARS = 300
_PROBE_TIMEOUT_S = 2.0
_LOAD_HINT = "; choose a valid .gguf model file"

# What the child may see of our environment: where programs, libraries, home, temp and locale
# are, and llama.cpp's own (GGML_*) and GPU selection variables; a frozen bundle's own (_PYI_*).
_CHILD_ENV_NAMES = frozenset(
    {
        "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TMPDIR", "TMP", "TEMP",
        "LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH", "DYLD_FALLBACK_LIBRARY_PATH", "PYTHONPATH", "PYTHONHOME",
        "CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "OMP_NUM_THREADS",
        # Windows cannot start a process, find its DLLs or a temp folder without these.
        "SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "COMSPEC", "PATHEXT", "USERPROFILE", "APPDATA", "LOCALAPPDATA",
        "PROGRAMDATA", "NUMBER_OF_PROCESSORS", "PROCESSOR_ARCHITECTURE",
    }
)  # fmt: skip
_CHILD_ENV_PREFIXES = ("LC_", "GGML_", "_PYI_")


def child_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The allow-listed part of ``environ`` (default: ours) that the server's child process gets."""
    source = os.environ if environ is None else environ
    return {
        name: value
        for name, value in source.items()
        if name.upper() in _CHILD_ENV_NAMES or name.upper().startswith(_CHILD_ENV_PREFIXES)
    }


class LocalModelServer:
    """Runs llama.cpp's server on a .gguf file in a child process bound to 127.0.0.1.

    ``start()`` blocks until the server answers (about a second for a small model),
    so call it off the GUI thread. On Linux the child also gets SIGTERM when the
    starting thread exits, but only if that is the main thread: a worker thread may
    end long before the app does. ``max_lifetime_s`` counts from the moment the model
    is loaded and the server listens, not from the start.
    """

    def __init__(
        self,
        model_path: Path,
        *,
        port: int | None = None,
        n_ctx: int = 2048,
        threads: int = 2,
        max_lifetime_s: float | None = None,
        startup_timeout_s: float = 60,
        alias: str | None = None,
        grace_s: float = 3.0,
        api_key: str | None = None,
    ) -> None:
        self.model_path = Path(model_path)
        self.port = port
        self.n_ctx = n_ctx
        self.threads = threads
        self.max_lifetime_s = max_lifetime_s
        self.startup_timeout_s = startup_timeout_s
        # The id clients pass as ``model``; llama.cpp would otherwise report the full path.
        self.alias = alias or self.model_path.stem
        self.grace_s = grace_s
        # None: a new random key each start. "" (tests standing in for a user's own llama.cpp
        # server): none at all.
        self._fixed_key = api_key
        self._api_key = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._base_url: str | None = None
        self._stderr_tail: deque[str] = deque(maxlen=_STDERR_KEPT_LINES)
        self._readers: list[threading.Thread] = []

    # --- public -------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``, for ``openai.OpenAI(base_url=...)``."""
        if self._base_url is None:
            raise RuntimeError("LocalModelServer.start() has not succeeded yet")
        return self._base_url

    @property
    def api_key(self) -> str:
        """The key the running server demands (the ``Authorization: Bearer`` of every request); "" for none."""
        return self._api_key

    @property
    def pid(self) -> int | None:
        """The child's process id (kept after stop, for diagnostics), or None before start."""
        return self._proc.pid if self._proc is not None else None

    @property
    def model(self) -> str:
        """The model id the server reports at /v1/models."""
        return self.alias

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        if self.is_running():
            return
        # A child that died on its own (max lifetime) still holds pipes and reader threads.
        self.stop()
        if not self.model_path.is_file():
            raise LocalModelError(f"Local model file not found: {self.model_path}; choose an existing .gguf file.")
        self._stderr_tail.clear()
        self._base_url = None
        lines: queue.Queue[str | None] = queue.Queue()
        self._api_key = secrets.token_urlsafe(32) if self._fixed_key is None else self._fixed_key
        self._proc = self._spawn()
        assert self._proc.stdout is not None and self._proc.stderr is not None
        self._readers = [
            _reader(self._proc.stdout, lines.put, end=lambda: lines.put(None)),
            _reader(self._proc.stderr, self._stderr_tail.append),
        ]
        try:
            address = self._await_ready(lines, time.monotonic() + self.startup_timeout_s)
        except BaseException:
            self.stop()
            raise
        self._base_url = f"{address.rstrip('/')}/v1"

    def stop(self) -> None:
        """Close the child's stdin (it exits on EOF), then terminate, then kill. Idempotent."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(OSError):
                if proc.stdin is not None:
                    proc.stdin.close()
            try:
                proc.wait(self.grace_s)
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    proc.wait(self.grace_s)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        for thread in self._readers:
            thread.join(timeout=self.grace_s)
        self._readers = []
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._base_url = None

    def stderr_tail(self) -> list[str]:
        """The child's last log lines (llama.cpp logs to stderr)."""
        return list(self._stderr_tail)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- internals ----------------------------------------------------------

    def _command(self) -> list[str]:
        # The app's own entry point, so a frozen bundle (no separate interpreter, no .py files)
        # starts the child too.
        cmd = [
            *app_command(),
            CHILD_FLAG,
            "--model",
            str(self.model_path),
            "--port",
            str(self.port or 0),
            "--n-ctx",
            str(self.n_ctx),
            "--threads",
            str(self.threads),
            "--alias",
            self.alias,
            "--parent-pid",
            str(os.getpid()),
        ]
        if self.max_lifetime_s is not None:
            cmd += ["--max-lifetime", str(self.max_lifetime_s)]
        if threading.current_thread() is threading.main_thread():
            cmd.append("--pdeathsig")
        return cmd

    def _spawn(self) -> subprocess.Popen[bytes]:
        flags = getattr(subprocess, "CREATE_NO_WINDOW", 0) if sys.platform == "win32" else 0
        try:
            # The command is ours: this interpreter, our script, typed arguments.
            proc = subprocess.Popen(  # noqa: S603
                self._command(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                creationflags=flags,
                env=child_environment(),
            )
        except OSError as exc:
            raise LocalModelError(f"Could not start the local model server: {exc}") from exc
        # The key goes down the pipe, never in argv (any user's `ps`) or the environment.
        assert proc.stdin is not None
        try:
            proc.stdin.write(f"{self._api_key}\n".encode("ascii"))
            proc.stdin.flush()
        except OSError:
            pass  # the child died at once: its exit is reported by _await_ready
        return proc

    def _await_ready(self, lines: queue.Queue[str | None], deadline: float) -> str:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LocalModelError(
                    self._failure(f"did not start within {self.startup_timeout_s:g} s", errors_first=False)
                )
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise LocalModelError(self._failure(f"stopped early ({self._exit_status()})"))
            kind, _, text = line.strip().partition(" ")
            if kind == "ERROR" and text.startswith("could not load"):
                self._exit_status()  # the child exits next: wait for it, so its stderr (llama's reason) is all read
                raise LocalModelError(self._failure("could not load the model", hint=_LOAD_HINT))
            if kind == "ERROR":
                raise LocalModelError(_one_line(f"Local model server {text}"))
            if kind == "READY":
                self._probe(text, deadline)
                return text

    def _exit_status(self) -> str:
        if self._proc is None:
            return "never started"
        try:
            return f"exit code {self._proc.wait(self.grace_s)}"
        except subprocess.TimeoutExpired:
            return "closed its output"

    def _probe(self, address: str, deadline: float) -> None:
        """Confirm from this side that the server answers /health."""
        # An empty ProxyHandler: an http_proxy in the environment must not see loopback traffic.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while True:
            try:
                with opener.open(f"{address.rstrip('/')}/health", timeout=_PROBE_TIMEOUT_S) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise LocalModelError(self._failure(f"did not answer at {address}/health"))
            time.sleep(0.1)

    def _failure(self, what: str, *, errors_first: bool = True, hint: str = "") -> str:
        # The joined reader thread guarantees every stderr line has arrived.
        if self._proc is not None and self._proc.poll() is not None:
            for thread in self._readers:
                thread.join(timeout=1.0)
        detail = _log_detail(list(self._stderr_tail), errors_first=errors_first)
        message = f"Local model server ({self.model_path.name}) {what}"
        if detail:
            message += f": {detail}"
        return _one_line(message, suffix=hint)


def _reader(
    stream: IO[bytes], sink: Callable[[str], object], *, end: Callable[[], object] | None = None
) -> threading.Thread:
    def run() -> None:
        for raw in stream:
            sink(raw.decode("utf-8", "replace").rstrip("\r\n"))
        if end is not None:
            end()

    thread = threading.Thread(target=run, name="local-model-reader", daemon=True)
    thread.start()
    return thread


def _log_detail(lines: list[str], *, errors_first: bool) -> str:
    """The most telling log text: llama.cpp's first error line, else the last lines."""
    cleaned = [_strip_log_prefix(line) for line in lines if line.strip()]
    if errors_first:
        errors = [_strip_log_prefix(line) for line in lines if " E " in line[:20]]
        if errors:
            return errors[0]
    return " | ".join(cleaned[-3:])


def _strip_log_prefix(line: str) -> str:
    # llama.cpp lines look like "0.00.003.681 E gguf_init_from_reader: invalid magic ..."
    head, sep, rest = line.partition(" ")
    if sep and head.replace(".", "").isdigit():
        level, _, rest2 = rest.partition(" ")
        if len(level) == 1:
            return rest2.strip()
    return line.strip()


def _one_line(text: str, *, suffix: str = "") -> str:
    flat = " ".join(text.split())
    room = _MESSAGE_MAX_CHARS - len(suffix)
    if len(flat) > room:
        flat = flat[: room - 1] + "…"
    return flat + suffix
