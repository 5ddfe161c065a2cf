"""``desktop-chat versions``: the versions regenerate and edit-and-resend kept, and choosing one."""

from __future__ import annotations

import argparse

from desktop_chat.cli.common import Context, UsageError, id_arg, print_json, session_id_arg, shown_line
from desktop_chat.core.models import Message

_message_id = id_arg("message", "desktop-chat versions SESSION")
_PREVIEW = 70


def _preview(message: Message) -> str:
    flat = shown_line(" ".join(message.content.split()))
    return flat if len(flat) <= _PREVIEW else flat[: _PREVIEW - 1] + "…"


def cmd_versions(ctx: Context) -> int:
    args = ctx.args
    chats = ctx.workspace.chats
    if args.message is None:
        if args.choose is not None:
            raise UsageError("--choose needs the MESSAGE whose versions to choose from.")
        shown = chats.messages(args.session)
        positions = chats.version_positions(args.session, [m.id for m in shown])
        with_versions = [(m, positions[m.id]) for m in shown if positions.get(m.id, (1, 1))[1] > 1]
        if args.json:
            print_json([{"message": m.id, "role": m.role.value, "version": p, "of": n} for m, (p, n) in with_versions])
        elif not with_versions:
            print("No message of this chat has other versions (regenerate or edit one to make them).")
        for message, (position, count) in [] if args.json else with_versions:
            print(f"#{message.id:<6} {message.role.value:<9} {position}/{count}  {_preview(message)}")
        return 0
    message = chats.message(args.message)
    if message.session_id != args.session:
        raise UsageError(f"Message {args.message} is not in chat {args.session}.")
    versions = chats.versions(message.id)
    if args.choose is not None:
        if not 1 <= args.choose <= versions.count:
            raise UsageError(f"Message {message.id} has {versions.count} version(s): choose 1 to {versions.count}.")
        versions = chats.choose_version(versions.ids[args.choose - 1])
    texts = chats.messages_by_id(list(versions.ids))
    if args.json:
        print_json(
            {
                "chosen": versions.ids.index(_active(texts, versions.ids)) + 1,
                "versions": [
                    {"number": i, "message": v, "active": texts[v].active, "content": texts[v].content}
                    for i, v in enumerate(versions.ids, 1)
                ],
            }
        )
        return 0
    for number, version in enumerate(versions.ids, 1):
        mark = "*" if texts[version].active else " "
        print(f"{mark} {number}  #{version:<6} {_preview(texts[version])}")
    return 0


def _active(texts: dict[int, Message], ids: tuple[int, ...]) -> int:
    return next((i for i in ids if texts[i].active), ids[0])


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "versions",
        help="list a message's versions (kept by regenerate and edit-and-resend) or choose the one the chat continues",
        description="Without MESSAGE: the chat's messages that have other versions. With MESSAGE: its versions, "
        "* marking the one on the chat's branch. --choose N puts version N (and what continued from it) on the "
        "branch: the chat shows it and the next request is made from it.",
    )
    p.add_argument("session", metavar="SESSION", type=session_id_arg, help="the chat's id")
    p.add_argument("message", metavar="MESSAGE", type=_message_id, nargs="?", help="a message's id (see `context`)")
    p.add_argument("--choose", type=int, metavar="N", help="make version N the one the chat continues from")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_versions)
