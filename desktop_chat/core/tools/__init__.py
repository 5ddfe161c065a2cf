"""MCP tools: the servers (``mcp_host``) and what the reply loop hands around (``model``); see docs/tools.md."""

from desktop_chat.core.tools.mcp_host import McpHost, SecretLookup
from desktop_chat.core.tools.model import SEPARATOR, ServerStatus, ToolOutcome, ToolSpec

__all__ = ["SEPARATOR", "McpHost", "SecretLookup", "ServerStatus", "ToolOutcome", "ToolSpec"]
