"""What the tools code hands around: a tool as the model sees it, a call's outcome, a server's state."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

SEPARATOR = "__"  # server__tool: the name the model sees, so a call goes to the server that listed it


@dataclass(frozen=True, slots=True)
class ToolSpec:
    server: str  # "" for a built-in tool
    name: str
    description: str
    schema: dict[str, Any]

    @property
    def qualified(self) -> str:
        return f"{self.server}{SEPARATOR}{self.name}" if self.server else self.name

    def openai(self) -> dict[str, Any]:
        """The tool as an OpenAI function tool in a request."""
        schema = self.schema or {"type": "object", "properties": {}}
        return {
            "type": "function",
            "function": {"name": self.qualified, "description": self.description[:1024], "parameters": schema},
        }

    def definition_text(self) -> str:
        """The text the definition adds to a request, for counting its tokens."""
        return json.dumps(self.openai(), ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    content: str
    is_error: bool
    seconds: float


@dataclass(frozen=True, slots=True)
class ServerStatus:
    name: str
    ok: bool
    tools: tuple[ToolSpec, ...]
    problem: str | None
    seconds: float  # how long it took to start (0: it was running)
    junk: tuple[str, ...] = ()  # lines on its stdout that were not MCP (ignored)

    def line(self) -> str:
        """One line for the user about this server."""
        if not self.ok:
            return f"Tool server {self.name!r} is not available: {self.problem}."
        names = ", ".join(t.name for t in self.tools) or "no tools"
        extra = f" (it printed something that is not MCP on stdout, ignored: {self.junk[0]})" if self.junk else ""
        return f"{self.name}: {names}{extra}"


def result_text(result: Any) -> str:
    """An MCP ``CallToolResult`` as the text that goes back to the model (images and files named, not sent)."""
    texts: list[str] = []
    for block in getattr(result, "content", None) or []:
        kind = getattr(block, "type", "")
        if kind == "text":
            texts.append(str(block.text))
        elif kind in ("image", "audio"):
            texts.append(f"[{kind} {getattr(block, 'mime_type', '')}: not shown to the model]")
        elif kind == "resource_link":
            texts.append(f"[resource {getattr(block, 'uri', '')}]")
        else:
            texts.append(f"[{kind or 'content'}]")
    if not texts and getattr(result, "structured_content", None) is not None:
        texts.append(json.dumps(result.structured_content, ensure_ascii=False))
    return "\n".join(texts)
