"""sessions, export, import, search, purge, config: the stored conversations from a terminal."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from desktop_chat.cli.common import Context, UsageError, print_json, session_id_arg
from desktop_chat.core.errors import ImportFormatError
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
        "pinned": session.pinned,
        "archived": session.archived,
    }


def cmd_sessions(ctx: Context) -> int:
    sessions = ctx.workspace.sessions(include_archived=ctx.args.all)
    if ctx.args.json:
        print_json([_session_json(s) for s in sessions])
        return 0
    if not sessions:
        print("No chats yet. Start one with `desktop-chat send --new TEXT` or import one.")
        return 0
    for s in sessions:
        flags = ("★" if s.pinned else " ") + ("A" if s.archived else " ")
        title = s.title or "Untitled chat"
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
        text = ctx.workspace.export_markdown(ids[0])
    else:
        text = json.dumps(ctx.workspace.export_json(ids), ensure_ascii=False, indent=2) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"Exported to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_import(ctx: Context) -> int:
    path = Path(ctx.args.file)
    try:
        text = sys.stdin.read() if ctx.args.file == "-" else path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ImportFormatError(f"Cannot import: there is no file {path}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFormatError(f"Cannot import {path}: {exc}.") from None
    result = ctx.workspace.import_text(text)
    if ctx.args.json:
        print_json({"session_ids": list(result.session_ids), "messages": result.messages, "facts": result.facts})
    else:
        for session_id in result.session_ids:
            print(session_id)
        print(
            f"Imported {len(result.session_ids)} session(s), {result.messages} message(s), {result.facts} fact(s); "
            f"skipped {len(result.skipped)} chat(s) already imported.",
            file=sys.stderr,
        )
    return 0


def cmd_search(ctx: Context) -> int:
    hits = ctx.workspace.search(ctx.args.query, limit=ctx.args.limit)
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
        print(f"{hit.session_id:>6}  {hit.session_title or 'Untitled chat'}  ({where}): {hit.snippet}")
    return 0


def cmd_purge(ctx: Context) -> int:
    report = ctx.workspace.purge(days=ctx.args.days, mode=ctx.args.mode, dry_run=ctx.args.dry_run)
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
        print(f"{s.id:>6}  {s.last_activity[:10]}  {s.messages:>5} msgs  {s.title or 'Untitled chat'}")
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
        print_json(as_json(workspace.set_setting(key, parse_text(key, args.value)))[key])
    elif args.action == "reset":
        key = _known_key(args.key, "reset")
        if args.value is not None:
            raise UsageError("config reset takes one KEY and no value.")
        print_json(as_json(workspace.reset_setting(key))[key])
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sessions", help="list chats, most recently active first")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--all", action="store_true", help="include archived chats")
    p.set_defaults(handler=cmd_sessions)

    p = sub.add_parser("export", help="export a chat (or 'all') with its memory")
    p.add_argument("session", metavar="SESSION", help="a session id, or 'all' (JSON only)")
    p.add_argument("--format", choices=["md", "json"], default="json")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("import", help="import chats from a JSON export or the minimal shape")
    p.add_argument("file", metavar="FILE.json", help="the file to import, or - for standard input")
    p.add_argument("--json", action="store_true", help="print the created session ids as JSON")
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("search", help="full-text search over messages and titles")
    p.add_argument("query", metavar="QUERY")
    p.add_argument("--limit", type=int, default=20)
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
