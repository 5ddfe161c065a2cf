"""Child process that runs llama.cpp's OpenAI-compatible server (xllamacpp).

Started by :class:`desktop_chat.core.providers.local.server.LocalModelServer` through the app's own
entry point, ``desktop-chat --local-model-child --model FILE ...`` (``python -m
desktop_chat`` from source, the executable itself in a frozen bundle). It imports nothing
else from ``desktop_chat``, so the child costs no more than llama.cpp itself.

The first line on stdin is the API key the server demands of every client (a random
one per run, chosen by the parent; empty: none), so it never shows in ``ps`` or in
``/proc/<pid>/environ``. Protocol on stdout, one line each: ``READY <base address>`` once the model is loaded
and the server listens, or ``ERROR <one-line reason>`` before exiting (``ERROR could
not load ...`` when llama.cpp rejected the model; its log on stderr says why). stderr
carries llama.cpp's own log. The child exits by itself when stdin reaches EOF (its
parent closed it or died), when its parent process goes away, or ``--max-lifetime``
seconds after it said READY (counted from ready, so a slow load on a busy machine does
not eat the lifetime; a load that hangs is the parent's startup timeout to end).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any, NoReturn

# The argv entry point: `desktop-chat --local-model-child ...` (and a frozen bundle's executable)
# runs this module, so the built-in model starts wherever the app itself starts.
CHILD_FLAG = "--local-model-child"

EXIT_OK = 0
EXIT_NO_XLLAMACPP = 3
EXIT_LOAD_FAILED = 4
EXIT_LIFETIME = 5
_PARENT_POLL_S = 0.5
_PR_SET_PDEATHSIG = 1


def _say(kind: str, text: str) -> None:
    sys.stdout.write(f"{kind} {text}\n")
    sys.stdout.flush()


def _exit_now(code: int) -> NoReturn:
    # os._exit skips ~Server(), which waits for in-flight requests; nothing here
    # needs flushing beyond our own streams.
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def _watch_stdin() -> None:
    # EOF means the parent closed the pipe on purpose or died (the kernel closes
    # its end either way), which works on every OS.
    with contextlib.suppress(OSError, ValueError):
        while sys.stdin.buffer.read(4096):
            pass
    _exit_now(EXIT_OK)


def _watch_parent(parent_pid: int) -> None:
    # Backstop for when stdin's write end leaked into another process (a fork
    # without exec): reparenting changes our ppid.
    while os.getppid() == parent_pid:
        time.sleep(_PARENT_POLL_S)
    _exit_now(EXIT_OK)


def _expire(lifetime_s: float) -> None:
    time.sleep(lifetime_s)
    _exit_now(EXIT_LIFETIME)


def _set_pdeathsig(parent_pid: int) -> None:
    """Ask Linux to SIGTERM us when the thread that spawned us exits."""
    if not sys.platform.startswith("linux"):
        return
    libc_name = ctypes.util.find_library("c") or "libc.so.6"
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:
        # The parent died before prctl took effect.
        _exit_now(EXIT_OK)


def _start_daemon(target: Any, *args: Any) -> None:
    threading.Thread(target=target, args=args, daemon=True).start()


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run llama.cpp's OpenAI-compatible server.")
    parser.add_argument("--model", required=True, help="path of a .gguf file")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--n-ctx", type=int, default=2048)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--alias", default="", help="model id the server reports")
    parser.add_argument("--max-lifetime", type=float, default=None, help="seconds after READY")
    parser.add_argument("--parent-pid", type=int, default=None)
    parser.add_argument("--pdeathsig", action="store_true", help="Linux: SIGTERM when the parent dies")
    return parser.parse_args(argv)


def _read_api_key() -> str:
    # Before the stdin watcher starts: the key is the pipe's first line, the rest is only watched for EOF.
    try:
        line = sys.stdin.buffer.readline()
    except (OSError, ValueError):
        line = b""
    if not line.endswith(b"\n"):  # EOF before a whole line: the parent is gone
        _exit_now(EXIT_OK)
    return line.decode("ascii", "replace").strip()


def _build_params(xllamacpp: Any, args: argparse.Namespace, api_key: str) -> Any:
    params = xllamacpp.CommonParams()
    params.model.path = args.model
    # Loopback only, and keyed: any local user can reach 127.0.0.1, and CORS allows every origin.
    params.hostnames = ["127.0.0.1"]
    if api_key:
        params.api_keys = [api_key]
    params.port = args.port
    params.n_ctx = args.n_ctx
    # Two slots over one shared KV cache: a reply is answered while memory upkeep (a summary, facts, a title)
    # runs beside it on a capable model, instead of waiting for it; each may still use the whole context.
    params.n_parallel = 2
    params.kv_unified = True
    params.use_jinja = True
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    params.ui = False
    # Never reach out to Hugging Face or any other host.
    params.offline = True
    if args.alias:
        params.model_alias = {args.alias}
    return params


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    if args.pdeathsig and args.parent_pid is not None:
        _set_pdeathsig(args.parent_pid)
    api_key = _read_api_key()
    _start_daemon(_watch_stdin)
    if args.parent_pid is not None and os.name == "posix":
        _start_daemon(_watch_parent, args.parent_pid)

    try:
        import xllamacpp
    except ImportError:
        _say("ERROR", "needs xllamacpp, which is not installed; run: pip install 'desktop-chat[local]'")
        return EXIT_NO_XLLAMACPP

    try:
        server = xllamacpp.Server(_build_params(xllamacpp, args, api_key))
    except RuntimeError as exc:
        # xllamacpp's message is generic; the parent quotes llama.cpp's log line instead.
        _say("ERROR", f"could not load the model ({exc})")
        return EXIT_LOAD_FAILED
    _say("READY", str(server.listening_address))
    if args.max_lifetime is not None:
        _start_daemon(_expire, args.max_lifetime)

    # The server runs on llama.cpp's own threads; park here until a watcher exits.
    with contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()
    _exit_now(EXIT_OK)


if __name__ == "__main__":
    sys.exit(main())
