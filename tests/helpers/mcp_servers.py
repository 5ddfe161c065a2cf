"""Tool servers for the tests: configurations that run ``tests/helpers/mcp_server.py`` (a real MCP server
built with the SDK) with this venv's python, and the same server over Streamable HTTP on 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_chat.core.tool_config import McpServerConfig

SCRIPT = str(Path(__file__).with_name("mcp_server.py"))


def stdio_server(name: str = "test", *flags: str, **fields: object) -> McpServerConfig:
    return McpServerConfig.from_dict({"name": name, "command": sys.executable, "args": [SCRIPT, *flags], **fields})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def http_server_url() -> Iterator[str]:
    """The test server over Streamable HTTP, in a process of its own; its URL."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, SCRIPT, "--http", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "exited"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stderr is not None:
            proc.stderr.close()
