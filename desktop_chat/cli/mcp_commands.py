"""mcp: add, list, remove and import tool servers (Model Context Protocol), and each tool's policy."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path
from typing import Any

from desktop_chat.cli.common import Context, UsageError, print_json, shown_line
from desktop_chat.core.tool_config import BEARER, POLICIES, McpServerConfig, Policy
from desktop_chat.core.workspace import Workspace


def _env_pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE")
    return name.strip(), value


def _read_secrets(names: list[str]) -> dict[str, str]:
    """One value per name: hidden prompts on a terminal, else one line each from stdin (never an argument,
    which other users can read in the process list)."""
    if not names:
        return {}
    if sys.stdin.isatty():
        return {name: getpass.getpass(f"{name} (not shown): ").strip() for name in names}
    lines = sys.stdin.read().splitlines()
    if len(lines) < len(names):
        raise UsageError(f"give {len(names)} value(s) on stdin, one per line: {', '.join(names)}.")
    return {name: line.strip() for name, line in zip(names, lines, strict=False)}


def _add_options() -> argparse.ArgumentParser:
    # Parsed apart from NAME: argparse cannot take options between a positional and `-- COMMAND ARGS...`.
    p = _OptionParser(prog="desktop-chat mcp add NAME", add_help=False)
    p.add_argument("--url")
    p.add_argument("--bearer-from-stdin", action="store_true")
    p.add_argument("--env", action="append", type=_env_pair, default=[])
    p.add_argument("--secret-env", action="append", default=[])
    return p


class _OptionParser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        raise UsageError(message)


async def _add(workspace: Workspace, rest: list[str], name: str) -> str:
    # argparse drops a `--` that comes straight after NAME: then all of ``rest`` is the command.
    options_only = len(rest) if rest[:1] and rest[0].startswith("-") else -1
    cut = rest.index("--") if "--" in rest else options_only
    args = _add_options().parse_args(rest[:cut] if cut >= 0 else [])
    args.name = name
    command = rest[cut + 1 :]
    if bool(command) == bool(args.url):
        raise UsageError("give either a command after -- (a stdio server) or --url URL (Streamable HTTP).")
    names = [*args.secret_env, *([BEARER] if args.bearer_from_stdin else [])]
    if args.url:
        if args.env or args.secret_env:
            raise UsageError("--env and --secret-env are for a server started by a command.")
        config = McpServerConfig.from_dict({"name": args.name, "url": args.url, "bearer": args.bearer_from_stdin})
    else:
        if args.bearer_from_stdin:
            raise UsageError("--bearer-from-stdin is for a server at a --url.")
        config = McpServerConfig.from_dict(
            {
                "name": args.name,
                "command": command[0],
                "args": command[1:],
                "env": dict(args.env),
                "secret_env": args.secret_env,
            }
        )
    secrets = _read_secrets(names)
    # session_ok=False: this process ends now, so a secret kept "until quit" would be lost at once.
    await workspace.tools.add(config, secrets, session_ok=False)
    kept = f"; {', '.join(names)} kept in the keyring" if names else ""
    return f"Added tool server {config.name!r}: {config.describe()}{kept}. Its tools ask before running."


def _short(text: str, width: int = 100) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


async def _list(workspace: Workspace, args: argparse.Namespace) -> int:
    servers = workspace.tools.servers
    if not servers:
        print("No tool servers. Add one: desktop-chat mcp add NAME -- COMMAND [ARGS...]", file=sys.stderr)
        if args.json:
            print_json([])
        return 0
    names = tuple(s.name for s in servers if s.enabled or args.all)
    statuses = {s.name: s for s in await workspace.tools.status(names)}
    rows: list[dict[str, Any]] = []
    for server in servers:
        status = statuses.get(server.name)
        tools = [
            {"name": t.name, "description": t.description, "policy": server.policy(t.name)}
            for t in (status.tools if status else ())
        ]
        rows.append(
            {
                **server.to_dict(),
                "ok": bool(status and status.ok),
                "problem": status.problem if status else None,
                "tools": tools,
            }
        )
        if args.json:
            continue
        state = "on" if server.enabled else "off"
        print(shown_line(f"{server.name}  [{state}, {server.transport}]  {server.describe()}"))
        if status is None:
            print("    (disabled: not started; --all starts it)")
        elif not status.ok:
            print(shown_line(f"    not available: {status.problem}"))
        else:
            if status.junk:
                print(
                    shown_line(f"    note: it printed something that is not MCP on stdout (ignored): {status.junk[0]}")
                )
            for tool in tools:
                print(shown_line(f"    {tool['name']}  ({tool['policy']})  {_short(tool['description'])}"))
    if args.json:
        print_json(rows)
    return 0


def cmd_mcp(ctx: Context) -> int:
    args = ctx.args
    workspace = ctx.workspace
    action = args.action or "list"
    if action == "list":
        return asyncio.run(_list(workspace, args))
    if action == "add":
        print(asyncio.run(_add(workspace, list(args.rest), args.name)), file=sys.stderr)
    elif action == "rm":
        asyncio.run(workspace.tools.remove(args.name))
        print(f"Removed tool server {args.name!r} and its secrets.", file=sys.stderr)
    elif action == "import":
        for line in asyncio.run(workspace.tools.import_file(Path(args.file), session_ok=False)):
            print(shown_line(line), file=sys.stderr)
    elif action in ("enable", "disable"):
        asyncio.run(workspace.tools.set_enabled(args.name, action == "enable"))
        print(f"Tool server {args.name!r} {action}d.", file=sys.stderr)
    elif action == "policy":
        policy: Policy = args.policy
        workspace.tools.set_policy(args.server, args.tool, policy)
        print(f"{args.server} {args.tool}: {policy}.", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``mcp`` and its actions."""
    p = sub.add_parser("mcp", help="tool servers (Model Context Protocol): list, add, remove, import, policy")
    p.add_argument("--json", action="store_true")
    p.add_argument("--all", action="store_true", help="start disabled servers too")
    p.set_defaults(handler=cmd_mcp, action="list")
    psub = p.add_subparsers(dest="action", metavar="ACTION")
    a = psub.add_parser("list", help="the servers and their tools (starts them)")
    a.add_argument("--json", action="store_true")
    a.add_argument("--all", action="store_true", help="start disabled servers too")
    a = psub.add_parser(
        "add",
        help="add a server: NAME -- COMMAND [ARGS...] (stdio) or NAME --url URL (Streamable HTTP)",
        description="Add a tool server. Options come before --; everything after -- is the command. "
        "Secret values are read from the terminal (hidden) or stdin, one per line, and kept in the OS keyring.",
    )
    a.add_argument("name", metavar="NAME")
    a.add_argument(
        "rest",
        nargs=argparse.REMAINDER,
        metavar="[--url URL [--bearer-from-stdin] | [--env K=V]... [--secret-env K]... -- COMMAND [ARGS...]]",
        help="--url: a Streamable HTTP server (--bearer-from-stdin reads a token); --env K=V: a plain environment "
        "value; --secret-env K: a value read from the terminal or stdin, kept in the keyring",
    )
    a = psub.add_parser("rm", help="remove a server and its secrets")
    a.add_argument("name", metavar="NAME")
    a = psub.add_parser("import", help="add the servers of an mcpServers JSON file (Claude Desktop's configuration)")
    a.add_argument("file", metavar="FILE")
    for name in ("enable", "disable"):
        a = psub.add_parser(
            name, help=f"{name} a server: its tools are {'offered' if name == 'enable' else 'not offered'}"
        )
        a.add_argument("name", metavar="NAME")
    a = psub.add_parser("policy", help="whether a tool runs after asking (ask), without asking (always), or never")
    a.add_argument("server", metavar="SERVER")
    a.add_argument("tool", metavar="TOOL")
    a.add_argument("policy", choices=POLICIES)
