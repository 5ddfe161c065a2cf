"""MCP servers run from one thread of their own, on the official SDK (``mcp`` 2.x).

Why a thread: the SDK holds each connection open inside anyio task groups that must be entered and left
by the same task, and a server's traffic (JSON parsing, pipes) should not stall the window's loop. The
command line runs ``asyncio.run`` once per command; the host outlives those loops, so a server started
for ``mcp list`` or a reply is started once. Every public method may be awaited from any event loop.

A server starts when its tools are first needed and stops with ``close`` (the workspace's). A server that
cannot be started, crashes, answers with junk or not at all is reported in one line with the tail of its
stderr, and the others go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import replace
from typing import IO, Any, TypeVar

from desktop_chat.core.tool_config import BEARER, McpServerConfig
from desktop_chat.core.tools.model import ServerStatus, ToolOutcome, ToolSpec, result_text

log = logging.getLogger(__name__)
# The SDK logs a traceback for every line on a server's stdout that is not MCP; with no handler configured
# (the command line) Python would print it on the terminal. The line is reported in the server's own words.
logging.getLogger("mcp").addHandler(logging.NullHandler())

_T = TypeVar("_T")
SecretLookup = Callable[[str, str], str | None]  # (server, key) -> the secret, or None
STDERR_TAIL = 300  # characters of a failed server's stderr shown in its line


def _tail(errlog: IO[str] | None) -> str:
    if errlog is None:
        return ""
    with contextlib.suppress(OSError, ValueError):
        errlog.flush()
        errlog.seek(0)
        lines = [line.strip() for line in errlog.read().splitlines() if line.strip()]
        return " | ".join(lines)[-STDERR_TAIL:]
    return ""


def _same_launch(a: McpServerConfig, b: McpServerConfig) -> bool:
    """Whether a running server was started as ``b`` says (its policies and switch do not matter)."""
    return replace(a, enabled=True, policies=()) == replace(b, enabled=True, policies=())


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


class _Connection:
    """One server's session, held open by one task on the host's loop until stopped."""

    def __init__(self, config: McpServerConfig, secrets: dict[str, str]) -> None:
        self.config = config
        self._secrets = secrets
        self._ready: asyncio.Future[tuple[ToolSpec, ...]] = asyncio.get_running_loop().create_future()
        # A failure after the caller gave up waiting (a timeout) is reported by the caller, not by asyncio.
        self._ready.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._errlog: IO[str] | None = None
        self.session: Any = None
        self.junk: list[str] = []
        self.tools: tuple[ToolSpec, ...] = ()
        self.problem: str | None = None

    async def start(self, limit: float) -> tuple[ToolSpec, ...]:
        self._task = asyncio.get_running_loop().create_task(self._run())
        try:
            return await asyncio.wait_for(asyncio.shield(self._ready), limit)
        except TimeoutError:
            tail = _tail(self._errlog)
            await self.stop()
            raise RuntimeError(
                f"did not answer within {limit:g} s" + (f"; its stderr: {tail}" if tail else "")
            ) from None

    async def _run(self) -> None:
        from mcp.client.session import ClientSession

        try:
            async with contextlib.AsyncExitStack() as stack:
                read, write = await stack.enter_async_context(self._transport())
                session = await stack.enter_async_context(ClientSession(read, write, message_handler=self._on_message))
                await session.initialize()
                listed = await session.list_tools()
                self.session = session
                tools = tuple(
                    ToolSpec(self.config.name, t.name, t.description or "", dict(t.input_schema or {}))
                    for t in listed.tools
                )
                self._ready.set_result(tools)
                await self._stop.wait()
        except BaseException as exc:
            self.problem = self._explain(exc)
            if not self._ready.done():
                self._ready.set_exception(RuntimeError(self.problem))
            if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt | SystemExit):
                raise
        finally:
            self.session = None

    def _transport(self) -> contextlib.AbstractAsyncContextManager[Any]:
        if self.config.url:
            return self._http()
        from mcp.client.stdio import StdioServerParameters, stdio_client

        command = self.config.command or ""
        if shutil.which(command) is None:
            raise FileNotFoundError(command)
        env = dict(self.config.env) | {k: v for k, v in self._secrets.items() if k != BEARER}
        self._errlog = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115
        params = StdioServerParameters(command=command, args=list(self.config.args), env=env)
        return stdio_client(params, errlog=self._errlog)

    @contextlib.asynccontextmanager
    async def _http(self) -> AsyncIterator[Any]:
        import httpx2
        from mcp.client.streamable_http import streamable_http_client

        token = self._secrets.get(BEARER)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # Ours to close: the SDK leaves a client it was given open.
        async with (
            httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=300)) as client,
            streamable_http_client(self.config.url or "", http_client=client) as streams,
        ):
            yield streams

    async def _on_message(self, message: Any) -> None:
        # The SDK hands over what it could not read on stdout (a banner, a print) as an exception.
        if isinstance(message, Exception):
            with contextlib.suppress(Exception):
                message = repr(message.errors()[0]["input"])  # type: ignore[attr-defined]  # pydantic's
            self.junk.append(str(message).splitlines()[0][:120] if str(message) else "?")

    def _explain(self, exc: BaseException) -> str:
        tail = _tail(self._errlog)
        stderr = f"; its stderr: {tail}" if tail else ""
        if isinstance(exc, FileNotFoundError):
            return (
                f"command {self.config.command!r} was not found; give its full path or install it "
                f"(the app's PATH is searched){stderr}"
            )
        if isinstance(exc, asyncio.CancelledError):
            return "stopped"
        leaves = list(_leaves(exc))
        text = "; ".join(dict.fromkeys(" ".join(str(e).split()) or type(e).__name__ for e in leaves))
        if not self._ready.done():
            text = f"it stopped while starting ({text})"
        if self.junk:
            text += f" (it wrote something that is not MCP on stdout: {self.junk[0]})"
        return f"{text}{stderr}"

    async def call(self, tool: str, arguments: dict[str, Any], limit: float) -> ToolOutcome:
        started = time.perf_counter()
        if self.session is None:
            return ToolOutcome(f"Tool server {self.config.name!r} is not running: {self.problem}", True, 0.0)
        try:
            result = await asyncio.wait_for(self.session.call_tool(tool, arguments), limit)
        except TimeoutError:
            return ToolOutcome(f"The tool did not answer within {limit:g} s.", True, time.perf_counter() - started)
        except Exception as exc:
            reason = self.problem or " ".join(str(exc).split()) or type(exc).__name__
            tail = _tail(self._errlog)
            return ToolOutcome(
                f"The tool failed: {reason}" + (f"; its stderr: {tail}" if tail else ""),
                True,
                time.perf_counter() - started,
            )
        return ToolOutcome(result_text(result), bool(result.is_error), time.perf_counter() - started)

    @property
    def alive(self) -> bool:
        return self.session is not None and self._task is not None and not self._task.done()

    async def stop(self) -> None:
        self._stop.set()
        task = self._task
        if task is not None and not task.done() and not self._ready.done():
            task.cancel()  # still starting (a hang): nothing to close politely
        if task is not None and not task.done():
            # asyncio.wait neither raises the task's end nor cancels it: a polite close gets 5 s.
            _, pending = await asyncio.wait({task}, timeout=5)
            if pending:
                task.cancel()
                await asyncio.wait({task}, timeout=5)
        if self._errlog is not None:
            self._errlog.close()


class McpHost:
    """The running MCP servers of one workspace, on a thread of their own (started on first use)."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._connections: dict[str, _Connection] = {}
        self._starting: dict[str, asyncio.Future[ServerStatus]] = {}

    def _ensure(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                self._thread = threading.Thread(target=run, name="mcp-host", daemon=True)
                self._thread.start()
                ready.wait()
                self._loop = loop
            return self._loop

    async def _on_host(self, coro: Coroutine[Any, Any, _T]) -> _T:
        """Run ``coro`` on the host's loop; cancelling the caller cancels it there."""
        future = asyncio.run_coroutine_threadsafe(coro, self._ensure())
        return await asyncio.wrap_future(future)

    @property
    def running(self) -> tuple[str, ...]:
        return tuple(name for name, c in self._connections.items() if c.alive)

    async def servers(
        self, configs: tuple[McpServerConfig, ...], secrets: SecretLookup, limit: float
    ) -> list[ServerStatus]:
        """Each enabled server's tools, starting those not running yet (in parallel); failures in their line."""
        wanted = [c for c in configs if c.enabled]
        # Keyring reads block: done here, on the host's thread pool, never on the caller's loop.
        return await self._on_host(self._servers(wanted, secrets, limit))

    async def _servers(self, configs: list[McpServerConfig], secrets: SecretLookup, limit: float) -> list[ServerStatus]:
        return list(await asyncio.gather(*(self._status(c, secrets, limit) for c in configs)))

    async def _status(self, config: McpServerConfig, secrets: SecretLookup, limit: float) -> ServerStatus:
        current = self._connections.get(config.name)
        if current is not None and not _same_launch(current.config, config):
            await self._stop(config.name)  # edited: start it again as it is now
            current = None
        if current is not None and current.alive:
            return ServerStatus(config.name, True, current.tools, None, 0.0, tuple(current.junk))
        starting = self._starting.get(config.name)
        if starting is None:
            starting = asyncio.ensure_future(self._start(config, secrets, limit))
            self._starting[config.name] = starting
            starting.add_done_callback(lambda _: self._starting.pop(config.name, None))
        return await asyncio.shield(starting)

    async def _start(self, config: McpServerConfig, secrets: SecretLookup, limit: float) -> ServerStatus:
        started = time.perf_counter()
        try:
            values = await asyncio.to_thread(
                lambda: {k: v for k in config.secret_keys() if (v := secrets(config.name, k))}
            )
        except Exception as exc:
            return ServerStatus(config.name, False, (), f"its secrets could not be read: {exc}", 0.0)
        missing = [k for k in config.secret_keys() if k not in values]
        if missing:
            return ServerStatus(
                config.name, False, (), f"no value in the keyring for {', '.join(missing)}; add the server again", 0.0
            )
        connection = _Connection(config, values)
        self._connections[config.name] = connection
        try:
            tools = await connection.start(limit)
        except RuntimeError as exc:
            await connection.stop()
            self._connections.pop(config.name, None)
            return ServerStatus(config.name, False, (), str(exc), time.perf_counter() - started)
        connection.tools = tools
        return ServerStatus(config.name, True, tools, None, time.perf_counter() - started, tuple(connection.junk))

    async def call(self, server: str, tool: str, arguments: dict[str, Any], limit: float) -> ToolOutcome:
        return await self._on_host(self._call(server, tool, arguments, limit))

    async def _call(self, server: str, tool: str, arguments: dict[str, Any], limit: float) -> ToolOutcome:
        connection = self._connections.get(server)
        if connection is None:
            return ToolOutcome(f"Tool server {server!r} is not running.", True, 0.0)
        return await connection.call(tool, arguments, limit)

    async def stop(self, name: str) -> None:
        if self._loop is not None:
            await self._on_host(self._stop(name))

    async def _stop(self, name: str) -> None:
        connection = self._connections.pop(name, None)
        if connection is not None:
            await connection.stop()

    def close(self, limit: float = 10.0) -> None:
        """Stop every server and the host's thread (from any thread but the host's own)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return

        async def stop_all() -> None:
            await asyncio.gather(*(c.stop() for c in list(self._connections.values())), return_exceptions=True)
            self._connections.clear()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(stop_all(), loop).result(limit)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(limit)
        if not thread.is_alive():
            loop.close()

    async def aclose(self) -> None:
        await asyncio.to_thread(self.close)
