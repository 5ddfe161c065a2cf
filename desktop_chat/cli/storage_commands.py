"""sessions, export, import, search, purge, config: the stored conversations from a terminal (``sessions edit``:
``chat_setup_commands``)."""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from desktop_chat.cli.chat_setup_commands import register_sessions_edit
from desktop_chat.cli.common import (
    Context,
    UsageError,
    count_arg,
    print_json,
    session_id_arg,
    shown,
    shown_line,
)
from desktop_chat.core.models import Session
from desktop_chat.core.settings import as_json, parse_text, setting_names


def _session_json(session: Session) -> dict[str, Any]:
    return {
        "id": session.id,
        "title": session.title,
        "created_at": session.created_at.isoformat(),
        "updated_at": session.updated_at.isoformat(),
        "messages": session.message_count,
        "strategy": session.strategy.value if session.strategy else None,
        "model": session.model,
        "profile": session.profile,
        "system_prompt": session.system_prompt,
        "pinned": session.pinned,
        "archived": session.archived,
    }


def cmd_sessions(ctx: Context) -> int:
    sessions = ctx.workspace.chats.sessions(include_archived=ctx.args.all)
    if ctx.args.json:
        print_json([_session_json(s) for s in sessions])
        return 0
    if not sessions:
        print("No chats yet. Start one with `desktop-chat send --new TEXT` or import one.")
        return 0
    for s in sessions:
        flags = ("★" if s.pinned else " ") + ("A" if s.archived else " ")
        title = shown_line(s.title or "Untitled chat")
        print(f"{s.id:>6} {flags} {s.updated_at:%Y-%m-%d %H:%M} {s.message_count:>5} msgs  {title}")
    return 0


def cmd_export(ctx: Context) -> int:
    args = ctx.args
    if args.session == "all":
        ids = None
    else:
        try:
            ids = [session_id_arg(args.session)]
        except argparse.ArgumentTypeError as exc:
            raise UsageError(str(exc)) from None
    if args.format == "md":
        if ids is None:
            raise UsageError("Markdown export takes one session id; use --format json to export all.")
        text = ctx.workspace.data.export_markdown(ids[0])
    else:
        text = json.dumps(ctx.workspace.data.export_json(ids), ensure_ascii=False, indent=2) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"Exported to {args.output}", file=sys.stderr)
    else:
        # Read on a terminal, the chats' control characters are shown escaped; piped on, the export is exact.
        sys.stdout.write(shown(text) if args.format == "md" and sys.stdout.isatty() else text)
    return 0


class _Progress:
    """One line on a terminal, rewritten in place: how many conversations are done."""

    def __init__(self) -> None:
        self.shown = False

    def start(self) -> None:
        # The whole file is read and checked before the first conversation is written: say so meanwhile.
        sys.stderr.write("Reading and checking the file...")
        sys.stderr.flush()
        self.shown = True

    def __call__(self, done: int, total: int) -> None:
        sys.stderr.write(f"\r\033[KImporting: {done:,} of {total:,} conversation(s)")
        sys.stderr.flush()
        self.shown = True

    def end(self, *, failed: bool) -> None:
        if self.shown:  # on failure the line is cleared, so the error stays the one line shown
            sys.stderr.write("\r\033[K" if failed else "\n")


class _CtrlC:
    """The first Ctrl-C asks the import to stop between batches (whole chats only); a second one interrupts."""

    def __init__(self) -> None:
        self.asked = False

    def __enter__(self) -> _CtrlC:
        self._before = signal.getsignal(signal.SIGINT)
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: object) -> None:
        if self.asked:
            raise KeyboardInterrupt
        self.asked = True

    def __exit__(self, *exc: object) -> None:
        if threading.current_thread() is threading.main_thread() and self._before is not None:
            signal.signal(signal.SIGINT, self._before)

    def __call__(self) -> bool:
        return self.asked


@contextmanager
def _spooled(file: str) -> Iterator[tuple[Path, str | None]]:
    """The file to import; standard input is spooled to one, so it is detected and streamed like any file."""
    if file != "-":
        yield Path(file), None
        return
    with tempfile.TemporaryDirectory(prefix="desktop-chat-import-") as folder:
        spooled = Path(folder) / "stdin"
        with spooled.open("wb") as out:
            shutil.copyfileobj(sys.stdin.buffer, out)
        yield spooled, "standard input"


def cmd_import(ctx: Context) -> int:
    progress = _Progress() if sys.stderr.isatty() and not ctx.args.json else None
    try:
        with _spooled(ctx.args.file) as (path, name), _CtrlC() as stop:
            if progress is not None:
                progress.start()
            result = ctx.workspace.data.import_file(path, progress=progress, cancel=stop, name=name)
    except BaseException:
        if progress is not None:
            progress.end(failed=True)
        raise
    if progress is not None:
        progress.end(failed=False)
    if ctx.args.json:
        print_json(
            {
                "session_ids": list(result.session_ids),
                "messages": result.messages,
                "facts": result.facts,
                "source": result.source,
                "conversations": result.conversations,
                "skipped": [{"index": s.index, "title": s.title, "existing_id": s.existing_id} for s in result.skipped],
                "continued": [
                    {"index": c.index, "title": c.title, "session_id": c.session_id, "messages": c.messages}
                    for c in result.continued
                ],
                "cancelled": result.cancelled,
                "replaced_characters": result.replaced,
            }
        )
        return 0
    for session_id in result.session_ids:
        print(session_id)
    print(
        f"Imported {len(result.session_ids)} session(s), {result.messages} message(s), {result.facts} fact(s); "
        f"skipped {len(result.skipped)} chat(s) already imported. ({result.source})",
        file=sys.stderr,
    )
    if result.replaced:
        print(
            f"Replaced {result.replaced} character(s) that were not text (lone UTF-16 surrogates) with "
            "U+FFFD, the replacement character; the rest of their text is kept.",
            file=sys.stderr,
        )
    for continued in result.continued:
        print(
            f"Added {continued.messages} newer message(s) to chat {continued.session_id}, "
            f"“{shown_line(continued.title)}”.",
            file=sys.stderr,
        )
    if result.source != "Desktop Chat export" and result.facts:
        print(
            f"{result.facts} fact(s) from the export wait for your approval: desktop-chat facts list, "
            "then facts approve ID or facts reject ID.",
            file=sys.stderr,
        )
    if result.cancelled:
        print(
            "Cancelled between batches: every chat above is whole; import the file again to add the rest.",
            file=sys.stderr,
        )
    return 0


def cmd_search(ctx: Context) -> int:
    if not ctx.args.query.strip():
        raise UsageError("give the words to search for; an empty QUERY matches nothing.")
    hits = ctx.workspace.chats.search(ctx.args.query, limit=ctx.args.limit)
    if ctx.args.json:
        print_json(
            [
                {
                    "session_id": h.session_id,
                    "session_title": h.session_title,
                    "message_id": h.message_id,
                    "snippet": h.snippet,
                }
                for h in hits
            ]
        )
        return 0
    if not hits:
        print("No matches.")
    for hit in hits:
        where = f"message {hit.message_id}" if hit.message_id else "title"
        title = shown_line(hit.session_title or "Untitled chat")
        print(f"{hit.session_id:>6}  {title}  ({where}): {shown_line(hit.snippet)}")
    return 0


def cmd_purge(ctx: Context) -> int:
    report = ctx.workspace.data.purge(days=ctx.args.days, mode=ctx.args.mode, dry_run=ctx.args.dry_run)
    if ctx.args.json:
        print_json(
            {
                "mode": report.mode,
                "days": report.days,
                "dry_run": report.dry_run,
                "messages": report.messages,
                "sessions": [
                    {"id": s.id, "title": s.title, "last_activity": s.last_activity, "messages": s.messages}
                    for s in report.sessions
                ],
            }
        )
        return 0
    print(report.describe())
    for s in report.sessions:
        print(f"{s.id:>6}  {s.last_activity[:10]}  {s.messages:>5} msgs  {shown_line(s.title or 'Untitled chat')}")
    return 0


def _known_key(key: str | None, action: str) -> str:
    if key is None:
        raise UsageError(f"config {action} needs a KEY; known settings: {', '.join(setting_names())}.")
    if key not in setting_names():
        raise UsageError(f"unknown setting {key!r}; known settings: {', '.join(setting_names())}.")
    return key


def cmd_config(ctx: Context) -> int:
    workspace = ctx.workspace
    args = ctx.args
    if args.action in ("show", "get") and args.value is not None:
        raise UsageError(f"config {args.action} takes at most one KEY.")
    if args.action == "show" and args.key is None:
        print_json(as_json(workspace.settings))
    elif args.action in ("show", "get"):
        print_json(as_json(workspace.settings)[_known_key(args.key, args.action)])
    elif args.action == "set":
        key = _known_key(args.key, "set")
        if args.value is None:
            raise UsageError("config set needs a KEY and a VALUE.")
        print_json(as_json(workspace.config.set_setting(key, parse_text(key, args.value)))[key])
    elif args.action == "reset":
        key = _known_key(args.key, "reset")
        if args.value is not None:
            raise UsageError("config reset takes one KEY and no value.")
        print_json(as_json(workspace.config.reset_setting(key))[key])
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "sessions",
        help="list chats, most recently active first; `sessions edit` changes one",
        description="List chats, most recently active first; `desktop-chat sessions edit SESSION ...` changes one.",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--all", action="store_true", help="include archived chats")
    p.set_defaults(handler=cmd_sessions)
    register_sessions_edit(p)

    p = sub.add_parser("export", help="export a chat (or 'all') with its memory")
    p.add_argument("session", metavar="SESSION", help="a session id, or 'all' (JSON only)")
    p.add_argument("--format", choices=["md", "json"], default="json")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser(
        "import", help="import chats: a ChatGPT or Claude export (.zip or conversations.json), or this app's JSON"
    )
    p.add_argument(
        "file", metavar="FILE", help="the export's .zip or JSON file, or - for standard input; the kind is detected"
    )
    p.add_argument("--json", action="store_true", help="print the created session ids (and what was skipped) as JSON")
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("search", help="full-text search over messages, titles and attached files")
    p.add_argument("query", metavar="QUERY")
    p.add_argument("--limit", type=count_arg, default=20, help="at most this many results (default 20)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_search)

    p = sub.add_parser("purge", help="apply the retention rule (delete or archive idle chats)")
    p.add_argument("--dry-run", action="store_true", help="say what would happen, change nothing")
    p.add_argument("--days", type=int, help="override the retention setting (idle days)")
    p.add_argument("--mode", choices=["delete", "archive"], help="override the retention mode")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_purge)

    p = sub.add_parser("config", help="show or change settings")
    p.add_argument("action", choices=["show", "get", "set", "reset"])
    p.add_argument("key", nargs="?", default=None)
    p.add_argument("value", nargs="?", default=None)
    p.set_defaults(handler=cmd_config)
