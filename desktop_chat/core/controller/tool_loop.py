"""The tool loop of one reply (issue 24): offer the tools, run the calls the model makes, send the results
back, until the model answers without calling one, or the rounds run out.

Nothing runs without consent: each call goes through its tool's policy (ask / always / never, default ask)
and the mode of the reply (``tools_mode``, or the command line's ``--tools``). "ask" waits for the
``approver`` (the window's Approve / Deny, the terminal's prompt); without one the call is denied and the
model is told so. A call whose arguments hold a private fact is withheld from a remote provider's model.
Every step is a ``ToolActivity`` (asking, running, done, denied), yielded by the reply and published.

The whole reply is one assistant message: its parts are each round's text, calls and results, in order
(``Turn.close_round``), so a stop at any point keeps what was said and done so far.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from desktop_chat.core.controller.targets import reply_limit
from desktop_chat.core.events import ToolActivity, ToolState
from desktop_chat.core.locality import is_local_profile
from desktop_chat.core.models import (
    ChatMessage,
    FactStatus,
    Role,
    ToolCallPart,
    ToolResultPart,
    Usage,
)
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.providers import ChatClient, StreamEnd
from desktop_chat.core.settings import Settings, ToolsMode
from desktop_chat.core.storage.store import Store
from desktop_chat.core.tool_config import McpServerConfig, Policy
from desktop_chat.core.tools import McpHost, SecretLookup, ServerStatus, ToolOutcome, ToolSpec

if TYPE_CHECKING:  # a reply's turn (metering, token counts) is the reply engine's; the tool box is made without it
    from desktop_chat.core.controller.turn import Turn

ToolApprover = Callable[[ToolActivity], Awaitable[bool]]

HISTORY_TOOL = ToolSpec(
    "",
    "search_my_history",
    "Search all of the user's earlier chats for words and get dated quotes with each chat's title. "
    "Use it when the user refers to something said in another conversation.",
    {
        "type": "object",
        "properties": {"query": {"type": "string", "description": "the words to look for"}},
        "required": ["query"],
    },
)
HISTORY_HITS = 8
DENIED_NO_TERMINAL = "Denied: nobody could be asked (no terminal, no window); the user's policy for it is ask."


@dataclass
class ToolBox:
    """The tools of a workspace: the MCP host, the last listing of each server, who is asked, and the mode.

    ``approver`` and ``mode_override`` are set by the front end (the window once; the command line per
    ``send --tools``)."""

    host: McpHost
    secrets: SecretLookup
    approver: ToolApprover | None = None
    mode_override: ToolsMode | None = None
    store: Store | None = None  # the saved chats: what "search my history" searches, and the private facts
    listed: dict[str, tuple[ToolSpec, ...]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # the last start's failures, one line each
    # Servers that failed to start, as they were configured then: a reply does not wait for them again
    # (a hung one would cost every reply the start timeout) until they are edited or tested.
    failed: dict[str, tuple[McpServerConfig, str]] = field(default_factory=dict)

    def mode(self, settings: Settings) -> ToolsMode:
        return self.mode_override or settings.tools_mode

    async def start(self, settings: Settings) -> list[str]:
        """Start the enabled servers not running yet (in parallel) and keep their listings; one line per failure."""
        enabled = [s for s in settings.mcp_servers if s.enabled]
        if self.mode(settings) == "off" or not enabled:
            self.problems = []
            return []
        known = [s for s in enabled if s.name in self.failed and self.failed[s.name][0] == s]
        self.problems = [self.failed[s.name][1] for s in known]
        wanted = tuple(s for s in enabled if s not in known)
        try:
            statuses = await self.host.servers(wanted, self.secrets, settings.mcp_start_timeout)
        except Exception as exc:
            self.problems.append(f"The tool servers could not be started: {exc}")
            return list(self.problems)
        configs = {s.name: s for s in wanted}
        for status in statuses:
            self.note(status, configs[status.name])
            if not status.ok:
                self.problems.append(status.line())
        return list(self.problems)

    def note(self, status: ServerStatus, config: McpServerConfig) -> None:
        """Keep a server's listing, or its failure (not tried again by replies until edited or tested)."""
        if status.ok:
            self.listed[status.name] = status.tools
            self.failed.pop(status.name, None)
        else:
            self.listed.pop(status.name, None)
            self.failed[status.name] = (config, status.line())

    def offered(self, settings: Settings) -> tuple[ToolSpec, ...]:
        """What the next request offers, from the listings known (no server is started here: the plan
        preview calls it on every keystroke). A tool whose policy is never is not offered at all."""
        if self.mode(settings) == "off":
            return ()
        specs = [
            spec
            for server in settings.mcp_servers
            if server.enabled
            for spec in self.listed.get(server.name, ())
            if server.policy(spec.name) != "never"
        ]
        if settings.history_tool:
            specs.append(HISTORY_TOOL)
        return tuple(specs)

    def policy(self, settings: Settings, spec: ToolSpec) -> Policy:
        if not spec.server:
            return "always" if self.mode(settings) == "auto" else "ask"  # built in: reads only this app's chats
        server = next((s for s in settings.mcp_servers if s.name == spec.server), None)
        chosen: Policy = server.policy(spec.name) if server is not None else "never"
        return "ask" if chosen == "always" and self.mode(settings) == "ask" else chosen


@dataclass
class ToolLoop:
    """One reply's rounds; ``run`` is the reply's pump body (``Turn.read(body=...)``)."""

    box: ToolBox
    turn: Turn
    client: ChatClient
    request: list[ChatMessage]
    max_tokens: int | None
    settings: Settings
    specs: tuple[ToolSpec, ...]
    store: Store  # where the chats are: "search my history", and the private facts
    local: bool  # the model runs on this machine: private facts may go to it
    usage: list[Usage] = field(default_factory=list)

    async def run(self) -> None:
        messages = list(self.request)
        by_name = {spec.qualified: spec for spec in self.specs}
        wire = [spec.openai() for spec in self.specs]
        rounds = self.settings.tool_rounds
        for round_number in range(rounds + 1):
            # The last round offers no tools: the model must answer with what it has.
            await self.turn.stream(self.client, messages, self.max_tokens, wire if round_number < rounds else None)
            self._count_usage()
            calls = self.turn.tool_calls.parts()
            if not calls:
                return
            text = self.turn.round_text()
            results = [await self._one(call, by_name.get(call.name)) for call in calls]
            self.turn.close_round(calls, results)
            messages.append(ChatMessage(Role.ASSISTANT, text, tool_calls=calls))
            messages += [ChatMessage(Role.TOOL, r.content, tool_call_id=r.call_id) for r in results]

    def _count_usage(self) -> None:
        # The reply's cost is every round's: the meter records their sum once, at the end. The message
        # keeps the first request's usage, the one its plan describes (the calibration compares the two).
        end = self.turn.end
        if end is None or end.usage is None:
            return
        self.usage.append(end.usage)
        self.turn.billed = Usage(
            sum(u.prompt_tokens for u in self.usage),
            sum(u.completion_tokens for u in self.usage),
            sum(u.cached_tokens for u in self.usage),
        )
        self.turn.end = StreamEnd(self.usage[0], end.finish_reason, end.model)

    def _activity(self, call: ToolCallPart, state: ToolState, **more: Any) -> ToolActivity:
        return ToolActivity(
            self.turn.session_id, self.turn.assistant_id, call.call_id, call.name, call.arguments_json, state, **more
        )

    def _deny(self, call: ToolCallPart, why: str) -> ToolResultPart:
        self.turn.show(self._activity(call, "denied", result=why, is_error=True))
        return ToolResultPart(call.call_id, why, is_error=True)

    def _refusal(self, call: ToolCallPart, spec: ToolSpec | None) -> str | None:
        """Why the call cannot run whatever the user says, or None."""
        if spec is None:
            return f"Error: there is no tool {call.name!r} here."
        try:
            arguments = json.loads(call.arguments_json or "{}")
        except ValueError:
            arguments = None
        if not isinstance(arguments, dict):
            return "Error: the arguments are not a JSON object; call the tool again with one."
        leak = None if self.local else self._private_fact_in(call.arguments_json)
        if leak is not None:
            return f"Withheld: the arguments contain a private fact ({leak}), kept from remote models."
        if self.box.policy(self.settings, spec) == "never":
            return "Denied: the user does not allow this tool."
        return None

    async def _one(self, call: ToolCallPart, spec: ToolSpec | None) -> ToolResultPart:
        refused = self._refusal(call, spec)
        if refused is not None or spec is None:
            return self._deny(call, refused or "")
        arguments = json.loads(call.arguments_json or "{}")
        policy = self.box.policy(self.settings, spec)
        if policy == "ask":
            approver = self.box.approver
            if approver is None:
                return self._deny(call, DENIED_NO_TERMINAL)
            asking = self._activity(call, "asking")
            self.turn.show(asking)  # the chat shows the call waiting for the answer
            if not await approver(asking):
                return self._deny(call, "Denied by the user.")
        self.turn.show(self._activity(call, "running"))
        outcome = await self._execute(spec, arguments)
        self.turn.show(
            self._activity(call, "done", result=outcome.content, is_error=outcome.is_error, seconds=outcome.seconds)
        )
        return ToolResultPart(call.call_id, outcome.content, outcome.is_error, outcome.seconds)

    async def _execute(self, spec: ToolSpec, arguments: dict[str, Any]) -> ToolOutcome:
        if not spec.server:
            started = time.perf_counter()
            text = search_history(self.store, str(arguments.get("query", "")))
            return ToolOutcome(text, False, time.perf_counter() - started)
        return await self.box.host.call(spec.server, spec.name, arguments, self.settings.tool_timeout)

    def _private_fact_in(self, arguments: str) -> str | None:
        """The key of a private fact whose value appears in ``arguments`` (case-insensitive), if any."""
        lowered = arguments.lower()
        for fact in self.store.facts.all():
            found = fact.private and fact.status is FactStatus.ACTIVE and len(fact.value) >= 3
            if found and fact.value.lower() in lowered:
                return fact.key
        return None


async def start_tools(box: ToolBox | None, settings: Settings) -> None:
    """Before a reply is planned: start the tool servers not running yet (failures kept as ``box.problems``)."""
    if box is not None:
        await box.start(settings)


def tool_rounds(
    box: ToolBox | None,
    turn: Turn,
    client: ChatClient,
    request: list[ChatMessage],
    *,
    settings: Settings,
    profile: ProviderProfile,
) -> Callable[[], Awaitable[None]] | None:
    """The reply's pump body when tools are offered (None: a plain reply, one stream)."""
    specs = box.offered(settings) if box is not None else ()
    if box is None or box.store is None or not specs:
        return None
    local = is_local_profile(profile)
    return ToolLoop(box, turn, client, request, reply_limit(turn.plan), settings, specs, box.store, local).run


def search_history(store: Store, query: str, limit: int = HISTORY_HITS) -> str:
    """The built-in tool: full-text search over every saved chat, as dated quotes the model can cite."""
    if not query.strip():
        return "Give some words to search for."
    hits = [h for h in store.sessions.search(query, limit=limit) if h.message_id is not None]
    if not hits:
        return f"Nothing in the user's chats matches {query!r}."
    found = {m.id: m for m in store.messages.by_ids([h.message_id for h in hits if h.message_id is not None])}
    lines = []
    for hit in hits:
        message = found.get(hit.message_id) if hit.message_id is not None else None
        if message is None:
            continue
        when = message.created_at.strftime("%Y-%m-%d")
        text = " ".join(message.content.split())
        quote = text if len(text) <= 300 else text[:299] + "…"
        lines.append(f"[{when}, chat {hit.session_title or hit.session_id!r}, {message.role.value}] {quote}")
    return "\n".join(lines) or f"Nothing in the user's chats matches {query!r}."


__all__ = ["HISTORY_TOOL", "ToolApprover", "ToolBox", "ToolLoop", "search_history", "start_tools", "tool_rounds"]
