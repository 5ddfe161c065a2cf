"""send, models, key: chat with a model from a terminal, on the controller the window uses."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import sys
from collections.abc import AsyncGenerator
from pathlib import Path

from desktop_chat.cli import models_commands, tool_prompt
from desktop_chat.cli.common import Context, UsageError, index_for_recall, print_json, session_id_arg, shown, shown_line
from desktop_chat.cli.hints import with_hint
from desktop_chat.core.errors import SecretStoreUnavailable
from desktop_chat.core.events import (
    Delta,
    Event,
    Failed,
    Finished,
    LocalModelChanged,
    ReplyEvent,
    Stopped,
    ToolActivity,
)
from desktop_chat.core.models import Strategy
from desktop_chat.core.workspace import Workspace

EXIT_INTERRUPTED = 130
# After the reply, `send` gives memory upkeep (summary, facts) and the chat's title this long, then leaves
# what is unfinished for next time: a small model can take minutes, and the reply is already saved.
UPKEEP_WAIT = 5.0


# --- send -------------------------------------------------------------------------------


def _parse_send(args: argparse.Namespace) -> tuple[int | None, str | None]:
    """(session id or None for --new, text or None for --retry) from the positional words."""
    words: list[str] = list(args.words)
    session: int | None = None
    if not args.new:
        if not words:
            raise UsageError("say which chat: `desktop-chat send SESSION TEXT`, or start one with --new.")
        try:
            session = session_id_arg(words.pop(0))
        except argparse.ArgumentTypeError as exc:
            raise UsageError(str(exc)) from None
    elif args.retry:
        raise UsageError("--retry needs the chat to retry in, not --new.")
    if args.temporary and not args.new:
        raise UsageError("--temporary starts a new chat: use it with --new.")
    if args.assistant and not args.new:
        raise UsageError("--assistant starts a new chat: use it with --new.")
    if args.retry:
        if words:
            raise UsageError("--retry sends your last message again: give no TEXT.")
        if args.attach:
            raise UsageError("--retry sends your last message as it was: attach files to a new message instead.")
        return session, None
    if len(words) != 1:
        raise UsageError("give the message as one argument (quote it), or - to read it from standard input.")
    text = sys.stdin.read() if words[0] == "-" else words[0]
    if not text.strip() and not args.attach:
        raise UsageError("the message is empty.")
    return session, text


def cmd_send(ctx: Context) -> int:
    args = ctx.args
    session_id, text = _parse_send(args)
    workspace = ctx.workspace
    if args.profile:
        # Refuses an unknown profile, naming the known ones; `local` names the built-in model.
        args.profile = workspace.settings.profile(args.profile).name
    strategy = Strategy(args.strategy) if args.strategy else None
    if session_id is not None:
        workspace.chats.session(session_id)  # an unknown chat is refused before any file is read
    # Read and stored before any chat is made or request sent: a file that cannot be read is one line, exit 1.
    args.attachments = [workspace.attachments.add(Path(name)) for name in args.attach or ()]
    return asyncio.run(_send(workspace, args, session_id, text, strategy=strategy))


async def _send(
    workspace: Workspace,
    args: argparse.Namespace,
    session_id: int | None,
    text: str | None,
    *,
    strategy: Strategy | None,
) -> int:
    sid = session_id
    unsubscribe = workspace.subscribe(_local_model_progress)
    workspace.tools.set_mode(args.tools)
    # "ask" prompts on a terminal; without one (stdin piped) such calls are denied, and each line says so.
    workspace.tools.set_approver(tool_prompt.ask_on_terminal if sys.stdin.isatty() else None)
    try:
        if sid is None and args.assistant:
            session = workspace.assistants.start_chat(args.assistant, temporary=args.temporary)
            if args.model or args.profile or strategy:  # given beside the assistant: they win
                session = workspace.chats.edit_session(
                    session.id,
                    model=args.model or session.model,
                    profile=args.profile or session.profile,
                    strategy=strategy or session.strategy,
                )
            sid = session.id
            label = "temporary session (not saved)" if args.temporary else f"session {sid}"
            name = workspace.assistants.get(args.assistant).name
            print(f"{label}, assistant {shown_line(name)}", file=sys.stderr, flush=True)
        elif sid is None:
            session = workspace.chats.new_session(
                temporary=args.temporary, strategy=strategy, model=args.model, profile=args.profile
            )
            sid = session.id
            label = "temporary session (not saved)" if args.temporary else f"session {sid}"
            print(label, file=sys.stderr, flush=True)
        else:
            workspace.chats.session(sid)
            if args.profile:
                workspace.chats.set_session_model(sid, model=workspace.chats.session(sid).model, profile=args.profile)
            # A reply this chat left streaming when a previous run was killed is stopped, not resumed.
            workspace.replies.recover_interrupted(sid)
        if not args.temporary:
            index_for_recall(workspace, sid, strategy)
        if text is None:
            events = workspace.replies.retry(sid, model=args.model, strategy=strategy)
        else:
            events = workspace.replies.send(
                sid, text, model=args.model, strategy=strategy, attachments=args.attachments
            )
        code = await _print_reply(events, sid, temporary=args.temporary)
        for line in workspace.tools.problems():  # the chat went on without these servers
            print(f"desktop-chat: {shown_line(line)}", file=sys.stderr)
        if code == 0:
            await _finish_upkeep(workspace, sid)
        return code
    except asyncio.CancelledError:
        # Ctrl-C: asyncio.run cancelled us; the controller has saved the partial reply as stopped.
        sys.stdout.write("\n")
        sys.stdout.flush()
        where = "" if sid is None or args.temporary else f" in session {sid}"
        print(f"desktop-chat: stopped; what had arrived is saved{where}.", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        unsubscribe()
        await workspace.aclose()


def _local_model_progress(event: Event) -> None:
    """One line while the built-in model loads (a second or more), so the wait is not silent."""
    if isinstance(event, LocalModelChanged) and event.state == "starting":
        print(f"desktop-chat: {event.detail}", file=sys.stderr, flush=True)


async def _finish_upkeep(workspace: Workspace, session_id: int) -> None:
    """Give memory upkeep a short while, then say in one line how it stands; never wait long."""
    try:
        done = await workspace.wait_for_upkeep(UPKEEP_WAIT)
    except asyncio.CancelledError:  # Ctrl-C: the reply is saved; upkeep resumes after the next reply
        return
    failed = [
        f"{job}: {state.error}"
        for job, state in workspace.memory.upkeep_status(session_id).items()
        if state.error and state.status in ("failed", "pending")
    ]
    if failed:
        print(
            f"desktop-chat: memory upkeep failed ({'; '.join(failed)}); it is retried after the next reply.",
            file=sys.stderr,
        )
    elif not done:
        print("desktop-chat: memory upkeep is still running; it continues after the next reply.", file=sys.stderr)


async def _print_reply(events: AsyncGenerator[ReplyEvent, None], session_id: int, *, temporary: bool) -> int:
    wrote = ""
    code = 0
    # On a terminal the reply's control characters are shown escaped; piped on, the reply is exact.
    show = shown if sys.stdout.isatty() else str
    async with contextlib.aclosing(events) as stream:
        async for event in stream:
            if isinstance(event, ToolActivity):
                if wrote and not wrote.endswith("\n"):
                    sys.stdout.write("\n")
                    wrote = "\n"
                tool_prompt.show(event)
            elif isinstance(event, Delta):
                sys.stdout.write(show(event.text))
                sys.stdout.flush()  # per delta: the user sees the reply as it arrives
                wrote = event.text or wrote
            elif isinstance(event, Finished | Stopped | Failed) and wrote and not wrote.endswith("\n"):
                sys.stdout.write("\n")
                sys.stdout.flush()
            if isinstance(event, Failed):
                hint = (
                    ""
                    if temporary
                    else f" Your message is saved: `desktop-chat send {session_id} --retry` sends it again."
                )
                print(f"desktop-chat: {shown_line(with_hint(event.error))}{hint}", file=sys.stderr)
                code = 1
            elif isinstance(event, Stopped):
                print("desktop-chat: the reply was stopped; what had arrived is saved.", file=sys.stderr)
                code = EXIT_INTERRUPTED
    return code


# --- models -------------------------------------------------------------------------------


def cmd_models(ctx: Context) -> int:
    workspace = ctx.workspace
    profile = workspace.settings.profile(ctx.args.profile)

    if profile.is_builtin:
        return _print_local_models(workspace, json_output=ctx.args.json)

    async def fetch() -> list[str]:
        try:
            return await workspace.providers.list_models(profile.name)
        finally:
            await workspace.aclose()

    models = asyncio.run(fetch())
    if ctx.args.json:
        print_json(models)
    elif not models:
        print(f"The server of profile {profile.name!r} lists no models.")
    else:
        for model in models:
            marks = [
                m
                for m, on in (("default", model == profile.default_model), ("upkeep", model == profile.upkeep_model))
                if on
            ]
            print(shown_line(model) + (f"  ({', '.join(marks)})" if marks else ""))
    return 0


def _print_local_models(workspace: Workspace, *, json_output: bool) -> int:
    """The .gguf files the built-in profile can run (the starter, then ``models/`` in the data folder)."""
    files = workspace.local.files()
    in_use = workspace.local.in_use()
    if json_output:
        print_json(
            [
                {
                    "path": str(p),
                    "bytes": size,
                    "in_use": p == in_use,
                    "keeps_memory": workspace.local.keeps_memory(p.name),
                }
                for p, size in files
            ]
        )
        return 0
    if not files:
        print("No .gguf model files: install the starter model or put one in the data folder's models/.")
    for path, size in files:
        marks = [
            m for m, on in (("in use", path == in_use), ("keeps memory", workspace.local.keeps_memory(path.name))) if on
        ]
        print(f"{path}  {size / 1_000_000:.0f} MB" + (f"  ({', '.join(marks)})" if marks else ""))
    if in_use is not None and all(p != in_use for p, _ in files):
        print(f"{in_use}  (in use; set by local_model_file)")
    return 0


# --- key ----------------------------------------------------------------------------------


def _read_key(profile: str) -> str:
    # Never from argv: it would land in the shell history and in `ps` for every user to see.
    if sys.stdin.isatty():
        return getpass.getpass(f"API key for {profile} (not shown): ").strip()
    return sys.stdin.read().strip()


def cmd_key(ctx: Context) -> int:
    name = ctx.args.profile
    if ctx.args.argv_key:
        raise UsageError(
            "the key is never taken from the command line (it would stay in your shell history): "
            "pipe it on standard input or type it at the prompt; clear that history line."
        )
    workspace = ctx.workspace
    if ctx.args.action == "set":
        workspace.settings.profile(name)  # a key for a profile that does not exist is a typo
        key = _read_key(name)
        if not key:
            raise UsageError("no key given: pipe it on standard input or type it at the prompt.")
        if any(ch.isspace() for ch in key):
            raise UsageError("the key contains spaces or line breaks; give the key alone.")
        try:
            # Memory would be gone when this command ends: a key file is the user's call, not ours.
            where = asyncio.run(workspace.providers.set_api_key(name, key, to_file=ctx.args.file, session_ok=False))
        except SecretStoreUnavailable as exc:
            raise SecretStoreUnavailable(
                f"{exc} Or keep it in a file readable only by you (not encrypted): "
                f"`desktop-chat key set {name} --file`."
            ) from None
        print(f"Saved the API key for {name!r} {where}")
        return 0
    deleted, _ = asyncio.run(workspace.providers.delete_api_key(name))
    print(f"Deleted the API key for {name!r}." if deleted else f"No API key was stored for {name!r}.")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this module's subcommands."""
    strategies = [s.value for s in Strategy]
    p = sub.add_parser(
        "send",
        help="send a message and stream the reply",
        description="Send TEXT to chat SESSION (or a new chat with --new) and stream the reply to standard output.",
    )
    p.add_argument(
        "words",
        nargs="*",
        metavar="[SESSION] TEXT",
        help="the chat id (unless --new) and the message; - reads it from standard input",
    )
    p.add_argument("--new", action="store_true", help="start a new chat; its id is printed on standard error")
    p.add_argument("--retry", action="store_true", help="send your last message again after a failed or stopped reply")
    p.add_argument("--strategy", choices=strategies, help="memory strategy (for --new: of the chat; else: this reply)")
    p.add_argument("--model", help="model (for --new: of the chat; else: this reply)")
    p.add_argument("--profile", help="provider profile (see `desktop-chat profiles`)")
    p.add_argument("--temporary", action="store_true", help="with --new: a chat that is never saved")
    p.add_argument(
        "--attach",
        action="append",
        metavar="FILE",
        help="attach a file (repeatable): a document goes whole when it fits the budget, else the excerpts that "
        "answer the message; an image goes to models that read images (TEXT may then be empty)",
    )
    p.add_argument(
        "--assistant", metavar="NAME", help="with --new: start from this assistant (see `desktop-chat assistants`)"
    )
    p.add_argument(
        "--tools",
        choices=["auto", "ask", "off"],
        help="tool servers (desktop-chat mcp): auto: each tool's policy; ask: ask for every call; off: none offered "
        "(default: the setting tools_mode). Asking needs a terminal; without one such calls are denied",
    )
    p.set_defaults(handler=cmd_send)

    p = sub.add_parser(
        "models",
        help="list the models a provider offers; download, remove and mark the built-in model's files",
        description="Without ACTION: the models of a profile (for the built-in one: its .gguf files).",
    )
    p.add_argument("--profile", help="provider profile (default: the active one)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_models)
    models_commands.register(p)

    p = sub.add_parser("key", help="store or delete a profile's API key in the OS keyring (or a key file)")
    p.add_argument("action", choices=["set", "delete"])
    p.add_argument("profile", metavar="PROFILE")
    p.add_argument(
        "--file",
        action="store_true",
        help="keep the key in a file in the data folder readable only by you (0600), NOT encrypted",
    )
    # Caught here rather than by argparse, whose "unrecognized arguments" error would print the key.
    p.add_argument("argv_key", nargs="*", help=argparse.SUPPRESS)
    p.set_defaults(handler=cmd_key)
