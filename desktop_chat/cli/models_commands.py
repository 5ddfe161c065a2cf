"""models catalog / download / rm / mark: the built-in model's files from a terminal (`models` alone lists)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from types import FrameType
from typing import Any

from desktop_chat.cli.common import Context, print_json, shown_line

PROGRESS_LINES_EVERY = 2.0  # seconds between progress lines when standard error is not a terminal


def cmd_catalog(ctx: Context) -> int:
    rows = ctx.workspace.local.catalog()
    have = ctx.workspace.local.resources()
    if ctx.args.json:
        print_json([_row_json(r) for r in rows])
        return 0
    free_mem = f"{have.memory_free / 1e9:.1f} GB" if have.memory_free is not None else "unknown"
    free_disk = f"{have.disk_free / 1e9:.1f} GB" if have.disk_free is not None else "unknown"
    print(f"Free memory {free_mem}, free disk {free_disk}.")
    for row in rows:
        e = row.entry
        state = "downloaded" if row.path else (f"{row.partial / 1e6:.0f} MB kept, resumable" if row.partial else "")
        marks = ", ".join(m for m in (state, "keeps memory" if row.keeps_memory else "", row.fit.reason) if m)
        approx = "" if e.size_exact else "~"
        print(
            f"{e.id}  {e.name}  {approx}{e.size_bytes / 1e9:.1f} GB file, {e.memory_bytes / 1e9:.1f} GB memory, "
            f"{e.context_length // 1024}k context, {e.licence}  ({marks})"
        )
    return 0


def _row_json(row: Any) -> dict[str, Any]:
    e = row.entry
    return {
        "id": e.id,
        "name": e.name,
        "file": e.file,
        "url": e.url,
        "size_bytes": e.size_bytes,
        "size_exact": e.size_exact,
        "sha256": e.sha256,
        "memory_bytes": e.memory_bytes,
        "context_length": e.context_length,
        "licence": e.licence,
        "capable": e.capable,
        "keeps_memory": row.keeps_memory,
        "downloaded": str(row.path) if row.path else None,
        "partial_bytes": row.partial,
        "fits": row.fit.fits,
        "fit": row.fit.reason,
    }


def cmd_download(ctx: Context) -> int:
    cancel = threading.Event()
    tty = sys.stderr.isatty()
    last = [0.0]

    def progress(p: Any) -> None:  # a DownloadProgress (the core's providers are not imported here)
        now = time.monotonic()
        if ctx.args.progress_json:
            print(p.to_json(), file=sys.stderr, flush=True)
        elif tty and p.stage != "starting":
            sys.stderr.write(f"\r\033[K{shown_line(p.line())}")
            sys.stderr.flush()
        elif p.stage == "verifying" or (p.stage == "downloading" and now - last[0] >= PROGRESS_LINES_EVERY):
            last[0] = now
            print(shown_line(p.line()), file=sys.stderr, flush=True)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        cancel.set()  # the download stops at the next chunk and keeps what it has for a later resume

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        path = ctx.workspace.local.download(ctx.args.target, sha256=ctx.args.sha256, progress=progress, cancel=cancel)
    except KeyboardInterrupt:
        cancel.set()
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
        if tty and not ctx.args.progress_json:
            sys.stderr.write("\n")
    print(f"Downloaded and verified {path}")
    print(f"Use it with `desktop-chat config set local_model_file {path}`.")
    return 0


def cmd_rm(ctx: Context) -> int:
    freed = ctx.workspace.local.remove(ctx.args.name)
    print(f"Removed {ctx.args.name}; {freed / 1e6:.0f} MB freed.")
    return 0


def cmd_mark(ctx: Context) -> int:
    on = not ctx.args.off
    ctx.workspace.local.mark_keeps_memory(ctx.args.name, on)
    if on:
        print(f"{ctx.args.name} keeps memory on the built-in profile (summaries, facts and titles run on it).")
    else:
        print(f"{ctx.args.name} is not marked to keep memory (the catalog's word applies).")
    return 0


def register(models: argparse.ArgumentParser) -> None:
    """The actions under `models` (without one, `models` lists a profile's models)."""
    actions = models.add_subparsers(dest="action", metavar="ACTION")
    p = actions.add_parser("catalog", help="the models the built-in profile can download, and whether they fit")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_catalog)

    p = actions.add_parser(
        "download",
        help="download a catalog model or a .gguf URL into the data folder's models/, resumable and verified",
    )
    p.add_argument("target", metavar="URL|CATALOG-ID")
    p.add_argument("--sha256", metavar="HEX", help="the file's SHA-256 (needed when neither catalog nor server has it)")
    p.add_argument("--progress-json", action="store_true", help=argparse.SUPPRESS)  # for the window
    p.set_defaults(handler=cmd_download)

    p = actions.add_parser("rm", help="remove a downloaded model (or an unfinished download) from models/")
    p.add_argument("name", metavar="NAME", help="the file name, as `desktop-chat models --profile local` lists it")
    p.set_defaults(handler=cmd_rm)

    p = actions.add_parser("mark", help="mark a model file able to keep memory on the built-in profile")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--off", action="store_true", help="remove the mark")
    p.set_defaults(handler=cmd_mark)
