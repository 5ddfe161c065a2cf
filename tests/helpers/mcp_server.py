"""A real MCP server built with the SDK, for the tests and the benchmark: run it with the venv's python.

    python tests/helpers/mcp_server.py [--banner] [--crash] [--hang] [--http PORT]

Tools: ``add`` (two numbers), ``echo`` (text back), ``slow`` (sleeps, then answers), ``env`` (an
environment variable's value: proves the client passed it). ``--banner`` prints a line that is not MCP on
stdout first (as some servers do), ``--crash`` writes to stderr and exits 3 before answering, ``--hang``
never answers the handshake, ``--http`` serves Streamable HTTP on 127.0.0.1:PORT/mcp instead of stdio.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time


def fail_early(argv: list[str]) -> None:
    """``--crash`` and ``--hang``, done before the SDK is imported: its import takes a second or more of CPU on a
    loaded machine, and a client's start limit (a test's, a couple of seconds) must find their line on stderr."""
    if "--crash" in argv:
        print("test-tools: cannot open the database /nonexistent/db", file=sys.stderr)
        sys.exit(3)
    if "--hang" in argv:
        print("test-tools: waiting for ever", file=sys.stderr, flush=True)
        time.sleep(3600)


if __name__ == "__main__":
    fail_early(sys.argv[1:])

from mcp.server.mcpserver import MCPServer  # noqa: E402

server = MCPServer("test-tools")


@server.tool()
def add(a: float, b: float) -> str:
    """Add two numbers."""
    return f"{a + b:g}"


@server.tool()
def echo(text: str) -> str:
    """Say the text back."""
    return text


@server.tool()
async def slow(seconds: float) -> str:
    """Wait this many seconds, then answer."""
    await asyncio.sleep(seconds)
    return f"waited {seconds:g} s"


@server.tool()
def env(name: str) -> str:
    """The value of an environment variable of the server."""
    return os.environ.get(name, "(unset)")


def main(argv: list[str]) -> None:
    if "--banner" in argv:
        print("Welcome to test-tools 1.0 (this line is not MCP)", flush=True)
    if "--http" in argv:
        port = int(argv[argv.index("--http") + 1])
        server.run("streamable-http", host="127.0.0.1", port=port)
        return
    server.run()


if __name__ == "__main__":
    main(sys.argv[1:])
