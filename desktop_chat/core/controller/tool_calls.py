"""Tool-call deltas of one streaming reply, put together into ``ToolCallPart``s.

OpenAI streams each call in pieces keyed by ``index``: the first carries the call's id
and function name, the rest fragments of its JSON arguments. Nothing here runs a tool.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from desktop_chat.core.models import ToolCallPart
from desktop_chat.core.providers import ToolCallDelta


@dataclass
class _Call:
    call_id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


@dataclass
class ToolCalls:
    _calls: dict[int, _Call] = field(default_factory=dict)

    def add(self, delta: ToolCallDelta) -> None:
        call = self._calls.setdefault(delta.index, _Call())
        call.call_id = call.call_id or delta.call_id
        call.name = call.name or delta.name
        if delta.arguments_fragment:
            call.arguments.append(delta.arguments_fragment)

    def parts(self) -> tuple[ToolCallPart, ...]:
        """The calls so far, in the order of their index."""
        return tuple(
            ToolCallPart(call.call_id, call.name, "".join(call.arguments)) for _, call in sorted(self._calls.items())
        )
