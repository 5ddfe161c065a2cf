"""profiles: list, add, edit, remove provider profiles or choose the active one, by the settings' own rules."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from desktop_chat.cli.common import Context, UsageError, print_json, shown_line
from desktop_chat.core.profiles import PRESETS, ProviderProfile, from_preset
from desktop_chat.core.settings import edited_profile
from desktop_chat.core.workspace import Workspace


def _profile_json(profile: ProviderProfile, active: bool) -> dict[str, Any]:
    return {**profile.to_dict(), "active": active}


def _optional(kind: type) -> Any:
    """An argparse type for an optional setting: empty or ``none`` clears it; text that is no number is
    passed on as it is, for the profile rules to refuse in their own words (as the window does)."""

    def parse(text: str) -> Any:
        if text.strip().lower() in ("", "none"):
            return None
        try:
            return kind(text)
        except ValueError:
            return text

    return parse


def _cap_text(text: str) -> str | None:
    """--max-request-tokens: empty or none clears it (the setting's cap applies); else as typed (a number or
    ``window``), for the profile rule to read or refuse in its own words."""
    return None if text.strip().lower() in ("", "none") else text.strip()


CAP_HELP = "a cap on each request's tokens, over the setting max_request_tokens; window: no cap; empty: the setting's"

# option -> profile field, for `profiles edit`
_EDITS = {
    "new_name": "name",
    "base_url": "base_url",
    "model": "default_model",
    "summary_model": "summary_model",
    "context_window": "context_window",
    "temperature": "temperature",
    "max_reply_tokens": "max_reply_tokens",
    "max_request_tokens": "max_request_tokens",
    "needs_key": "needs_key",
    "use_env_key": "use_env_key",
    "price_in": "input_price",
    "price_out": "output_price",
}


def _edit_profile(workspace: Workspace, args: argparse.Namespace) -> Any:
    changes = {field: getattr(args, option) for option, field in _EDITS.items() if getattr(args, option) is not ...}
    if not changes:
        raise UsageError(
            "say what to change: --name, --base-url, --model, --summary-model, --context-window, --temperature, "
            "--max-reply-tokens, --max-request-tokens, --key, --no-key, --use-env-key, --no-env-key, --price-in "
            "or --price-out."
        )
    if changes.get("base_url") == "":
        changes["base_url"] = None  # empty: OpenAI's API (or OPENAI_BASE_URL)
    for optional in ("summary_model",):
        if isinstance(changes.get(optional), str) and not changes[optional].strip():
            changes[optional] = None
    found = workspace.settings.profile(args.name)
    profile = edited_profile(found, changes)
    settings = workspace.providers.update_profile(found.name, profile)
    print(f"Changed profile {profile.name!r}.", file=sys.stderr)
    if profile.name != found.name and asyncio.run(workspace.providers.move_api_key(found.name, profile.name)):
        print(f"Its API key now belongs to {profile.name!r}.", file=sys.stderr)
    return settings


def cmd_profiles(ctx: Context) -> int:
    args = ctx.args
    workspace = ctx.workspace
    settings = workspace.settings
    if args.action == "edit":
        settings = _edit_profile(workspace, args)
    elif args.action == "add":
        overrides: dict[str, Any] = {"name": args.name}
        for key, value in (
            ("base_url", args.base_url),
            ("default_model", args.model),
            ("summary_model", args.summary_model),
            ("context_window", args.context_window),
            ("max_request_tokens", args.max_request_tokens),
            ("input_price", args.price_in),
            ("output_price", args.price_out),
        ):
            if value is not None:
                overrides[key] = value
        if args.no_key:
            overrides["needs_key"] = False
        if args.use_env_key:
            overrides["use_env_key"] = True
        profile = ProviderProfile.from_dict(from_preset(args.preset, **overrides).to_dict())
        settings = workspace.providers.add_profile(profile, activate=args.activate)
        print(f"Added profile {profile.name!r}" + (" (active)." if args.activate else "."), file=sys.stderr)
    elif args.action == "rm":
        settings, deleted = asyncio.run(workspace.providers.forget_profile(args.name))
        key = " and its stored API key" if deleted else ""
        print(f"Removed profile {args.name!r}{key}; active: {settings.active_profile!r}.", file=sys.stderr)
    elif args.action == "use":
        settings = workspace.providers.set_active_profile(args.name)
        print(f"Active profile: {settings.active_profile!r}.", file=sys.stderr)
    if args.json:
        print_json([_profile_json(p, p.name == settings.active_profile) for p in settings.profiles])
        return 0
    for p in settings.profiles:
        mark = "*" if p.name == settings.active_profile else " "
        url = "(built-in, 127.0.0.1)" if p.is_builtin else p.base_url or "(OpenAI)"
        key = "key" if p.needs_key else "no key"
        cap = "" if p.max_request_tokens is None else f"  cap={p.max_request_tokens or 'window'}"
        price = f"  ${p.input_price:g}/${p.output_price:g} per M tokens" if p.input_price is not None else ""
        print(
            shown_line(f"{mark} {p.name}  {url}  model={p.default_model}  upkeep={p.upkeep_model}  {key}{cap}{price}")
        )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``profiles`` and its actions."""
    p = sub.add_parser("profiles", help="list provider profiles; add, edit, remove or choose the active one")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_profiles, action="list")
    psub = p.add_subparsers(dest="action", metavar="ACTION")
    a = psub.add_parser("add", help="add a provider profile from a preset")
    a.add_argument("name", metavar="NAME")
    a.add_argument("--preset", choices=[*PRESETS, "custom"], default="custom")
    a.add_argument("--base-url")
    a.add_argument("--model")
    a.add_argument("--summary-model")
    a.add_argument("--context-window", type=int)
    a.add_argument("--max-request-tokens", metavar="N", type=_cap_text, help=CAP_HELP)
    a.add_argument("--no-key", action="store_true", help="the server needs no API key")
    a.add_argument("--use-env-key", action="store_true", help="send OPENAI_API_KEY to this server too")
    a.add_argument("--price-in", metavar="USD", type=float, help="its price: dollars per million prompt tokens")
    a.add_argument("--price-out", metavar="USD", type=float, help="dollars per million reply tokens")
    a.add_argument("--activate", action="store_true", help="make it the active profile")
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=cmd_profiles, action="add")
    a = psub.add_parser(
        "edit",
        help="change a provider profile: only what you name changes",
        description="Change provider profile NAME; each value is checked by the rules the settings window uses. "
        "An empty value (or none) clears an optional one.",
    )
    a.add_argument("name", metavar="NAME")
    # ... (Ellipsis) marks an option not given, so an empty value can clear an optional field.
    a.add_argument("--name", dest="new_name", metavar="NEW", default=..., help="rename it")
    a.add_argument("--base-url", metavar="URL", default=..., help="the server's URL; empty: OpenAI's API")
    a.add_argument("--model", metavar="M", default=..., help="the model its requests use")
    a.add_argument("--summary-model", metavar="M", default=..., help="a cheaper model for summaries, facts and titles")
    a.add_argument("--context-window", metavar="N", type=_optional(int), default=..., help="tokens; none: known")
    a.add_argument("--temperature", metavar="T", type=_optional(float), default=..., help="0 to 2; none: the server's")
    a.add_argument("--max-reply-tokens", metavar="N", type=_optional(int), default=..., help="a cap on each reply")
    a.add_argument("--max-request-tokens", metavar="N", type=_cap_text, default=..., help=CAP_HELP)
    price = "dollars per million {} tokens, over the known price; none: the known price"
    a.add_argument("--price-in", metavar="USD", type=_optional(float), default=..., help=price.format("prompt"))
    a.add_argument("--price-out", metavar="USD", type=_optional(float), default=..., help=price.format("reply"))
    keys = a.add_mutually_exclusive_group()
    keys.add_argument("--key", dest="needs_key", action="store_const", const=True, default=..., help="needs an API key")
    keys.add_argument("--no-key", dest="needs_key", action="store_const", const=False, help="needs no API key")
    env = a.add_mutually_exclusive_group()
    env.add_argument(
        "--use-env-key", dest="use_env_key", action="store_const", const=True, default=..., help="send OPENAI_API_KEY"
    )
    env.add_argument(
        "--no-env-key", dest="use_env_key", action="store_const", const=False, help="never send OPENAI_API_KEY"
    )
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=cmd_profiles, action="edit")
    for name, text in (
        ("rm", "remove a provider profile and the API key stored for it"),
        ("use", "make a provider profile the active one"),
    ):
        a = psub.add_parser(name, help=text)
        a.add_argument("name", metavar="NAME")
        a.add_argument("--json", action="store_true")
        a.set_defaults(handler=cmd_profiles, action=name)
