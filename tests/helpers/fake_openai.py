"""An OpenAI-compatible HTTP server for tests: real sockets, real SSE, scripted replies and faults.

It runs in-process on a background thread, bound to 127.0.0.1 on an ephemeral port, so
the real ``openai`` SDK (and a subprocess on the same machine) can talk to it.

    server.reply("Hello there", chunks=["Hel", "lo ", "there"])
    server.reply_json({"facts": []})
    server.fail(Fault.RATE_LIMIT, times=2)       # two 429s, then the next reply
    server.fail(Fault.DROP, after_chunks=2)      # two chunks, then the socket closes

Each chat request takes the next queued item; an empty queue gives the default reply,
"You said: <last user message>" split into word chunks. Every request is recorded in
``server.requests``; client disconnects during a stream are counted in ``server.disconnects``
and signalled by ``server.disconnected``.

Standalone: ``python -m tests.helpers.fake_openai --port 8080 [--api-key KEY]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

DEFAULT_MODELS = ("fake-gpt", "fake-mini")
CONTEXT_MESSAGE = (
    "This model's maximum context length is {limit} tokens. However, your messages resulted in "
    "{tokens} tokens. Please reduce the length of the messages."
)


class Fault(StrEnum):
    UNAUTHORIZED = "unauthorized"  # 401
    MODEL_NOT_FOUND = "model_not_found"  # 404, code model_not_found
    RATE_LIMIT = "rate_limit"  # 429 with retry-after-ms
    SERVER_ERROR = "server_error"  # 500
    STALL = "stall"  # send nothing for `seconds`
    DROP = "drop"  # send `after_chunks` content chunks, then close the socket mid-body
    MALFORMED = "malformed"  # `data: {not json` after `after_chunks` chunks (or a non-JSON body)
    FOREVER = "forever"  # chunks every `interval` s until the client goes away
    CONTEXT_LENGTH = "context_length"  # 400 context_length_exceeded (8192 / 9000 tokens)


@dataclass(frozen=True)
class Reply:
    text: str | None = None  # None: the default echo reply
    chunks: tuple[str, ...] | None = None
    chunk_delay: float = 0.0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str = "stop"
    # Tool calls streamed after the text, as OpenAI does: (call id, name, argument fragments).
    tool_calls: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    cached_tokens: int = 0  # of the prompt tokens, read from the provider's cache (OpenAI reports it)
    # Set: the stream starts (role chunk sent) and its text waits until the test sets the event.
    hold: threading.Event | None = None


@dataclass
class FaultSpec:
    kind: Fault
    times: int = 1
    seconds: float = 5.0
    after_chunks: int = 0
    interval: float = 0.05
    retry_after_ms: int = 10


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: Any  # parsed JSON, or None

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    queue: deque[Reply | FaultSpec] = field(default_factory=deque)
    requests: list[RecordedRequest] = field(default_factory=list)
    disconnects: int = 0
    completed_streams: int = 0


def prompt_tokens_for(messages: list[dict[str, Any]]) -> int:
    """A deterministic stand-in for tokenisation: 3 per message + 1 per 4 characters + 3 priming."""
    return 3 + sum(3 + max(1, len(str(m.get("content", ""))) // 4) for m in messages)


def default_reply_text(messages: list[dict[str, Any]]) -> str:
    last_user = next((str(m.get("content", "")) for m in reversed(messages) if m.get("role") == "user"), "")
    short = " ".join(last_user.split())[:60]
    return f"You said: {short}" if short else "Hello from the fake server."


def _split_words(text: str) -> tuple[str, ...]:
    words = text.split(" ")
    parts = [w + " " for w in words[:-1]] + [words[-1]]
    return tuple(p for p in parts if p)


class FakeOpenAIServer:
    """The server; use :meth:`start` / :meth:`close` or the ``fake_openai`` fixture."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        models: tuple[str, ...] = DEFAULT_MODELS,
        port: int = 0,
    ) -> None:
        self.api_key = api_key
        self.models = models
        self.reject_unknown_models = False  # only `models` are served; others get 404
        self.reject_json_schema = False  # response_format json_schema -> 400, as some servers do
        self.reject_stream_options = False  # stream_options -> 400, as some older servers do
        self.send_usage = True  # False: no usage chunk even when asked (a server that ignores stream_options)
        # The answer to a JSON-mode request when nothing is queued (None: the echo, which is no JSON).
        self.default_json: str | None = None
        self.context_limit: int | None = None  # prompts over this many tokens get a real 400
        self.disconnected = threading.Event()
        self._state = _State()
        self._stop = threading.Event()
        self._active: set[socket.socket] = set()
        self._httpd = _HTTPServer(("127.0.0.1", port), _Handler, self)
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeOpenAIServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-openai", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        # Unblock handlers parked on keep-alive reads so server_close() can join them.
        with self._state.lock:
            active = list(self._active)
        for sock in active:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- scripting --------------------------------------------------------------

    def reply(
        self,
        text: str | None = None,
        *,
        chunks: list[str] | tuple[str, ...] | None = None,
        chunk_delay: float = 0.0,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        finish_reason: str = "stop",
        tool_calls: list[tuple[str, str, list[str]]] | None = None,
        cached_tokens: int = 0,
        hold: threading.Event | None = None,
    ) -> None:
        """Queue one reply. ``chunks`` alone sets the text to their concatenation.

        ``hold``: the reply starts streaming, then waits for the event before its text (a reply that lasts as long
        as the test needs, not a guessed number of seconds).

        ``tool_calls``: (call id, function name, argument fragments) streamed after the text
        in OpenAI's ``delta.tool_calls`` format (the finish reason becomes ``tool_calls``).
        """
        if text is None and chunks is not None:
            text = "".join(chunks)
        item = Reply(
            text,
            tuple(chunks) if chunks else None,
            chunk_delay,
            prompt_tokens,
            completion_tokens,
            "tool_calls" if tool_calls else finish_reason,
            tuple((call_id, name, tuple(fragments)) for call_id, name, fragments in tool_calls or ()),
            cached_tokens,
            hold,
        )
        with self._state.lock:
            self._state.queue.append(item)

    def reply_json(self, obj: Any, **kwargs: Any) -> None:
        self.reply(json.dumps(obj), **kwargs)

    def fail(
        self,
        kind: Fault | str,
        *,
        times: int = 1,
        seconds: float = 5.0,
        after_chunks: int = 0,
        interval: float = 0.05,
        retry_after_ms: int = 10,
    ) -> None:
        """Queue a fault for the next ``times`` chat requests."""
        spec = FaultSpec(Fault(kind), times, seconds, after_chunks, interval, retry_after_ms)
        with self._state.lock:
            self._state.queue.append(spec)

    # --- what happened ------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._state.lock:
            return list(self._state.requests)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def disconnects(self) -> int:
        with self._state.lock:
            return self._state.disconnects

    @property
    def completed_streams(self) -> int:
        with self._state.lock:
            return self._state.completed_streams

    # --- used by the handler --------------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._state.lock:
            self._state.requests.append(request)

    def _next_item(self) -> Reply | FaultSpec | None:
        with self._state.lock:
            if not self._state.queue:
                return None
            item = self._state.queue[0]
            if isinstance(item, FaultSpec) and item.times > 1:
                item.times -= 1
            else:
                self._state.queue.popleft()
            return item

    def _note_disconnect(self) -> None:
        with self._state.lock:
            self._state.disconnects += 1
        self.disconnected.set()

    def _note_stream_done(self) -> None:
        with self._state.lock:
            self._state.completed_streams += 1

    def _track(self, sock: socket.socket, *, add: bool) -> None:
        with self._state.lock:
            if add:
                self._active.add(sock)
            else:
                self._active.discard(sock)


class _HTTPServer(ThreadingHTTPServer):
    # Non-daemon handler threads so server_close() joins them: no thread outlives the fixture.
    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], owner: FakeOpenAIServer):
        self.owner = owner
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up is an expected event here, not something to print.
        pass


class _ClientGone(Exception):
    pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: with Nagle on, each reply waits ~40 ms for a delayed ACK.
    disable_nagle_algorithm = True
    server: _HTTPServer

    # --- plumbing -------------------------------------------------------------------

    @property
    def owner(self) -> FakeOpenAIServer:
        return self.server.owner

    def setup(self) -> None:
        super().setup()
        self.owner._track(self.connection, add=True)

    def finish(self) -> None:
        self.owner._track(self.connection, add=False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _read_body(self) -> Any:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return None

    def _record(self, body: Any) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.owner._record(RecordedRequest(self.command, self.path, headers, body))

    def _send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_error(
        self,
        status: int,
        message: str,
        *,
        type_: str,
        code: str | None,
        headers: dict[str, str] | None = None,
    ) -> None:
        error = {"message": message, "type": type_, "param": None, "code": code}
        self._send_json(status, {"error": error}, headers)

    def _check_key(self) -> bool:
        expected = self.owner.api_key
        if expected is None:
            return True
        got = self.headers.get("authorization", "")
        if got == f"Bearer {expected}":
            return True
        sent = got.removeprefix("Bearer ").strip()
        # Some servers echo the key they were sent; the client must never pass it on.
        self._send_error(
            401,
            f"Incorrect API key provided: {sent or '(none)'}. You can find your API key in your account.",
            type_="invalid_request_error",
            code="invalid_api_key",
        )
        return False

    # --- routes -----------------------------------------------------------------------

    def do_GET(self) -> None:
        self._record(None)
        if not self._check_key():
            return
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in self.owner.models]
            self._send_json(200, {"object": "list", "data": data})
        else:
            self._send_error(404, f"No route for GET {self.path}", type_="invalid_request_error", code=None)

    def do_POST(self) -> None:
        body = self._read_body()
        self._record(body)
        if not self._check_key():
            return
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self._send_error(404, f"No route for POST {self.path}", type_="invalid_request_error", code=None)
            return
        if not isinstance(body, dict):
            self._send_error(400, "The request body is not valid JSON.", type_="invalid_request_error", code=None)
            return
        try:
            self._chat(body)
        except _ClientGone:
            if not self.owner._stop.is_set():
                self.owner._note_disconnect()
            self.close_connection = True
        except OSError:
            self.close_connection = True

    def _chat(self, body: dict[str, Any]) -> None:  # noqa: PLR0911 - each rejection answers and returns
        owner = self.owner
        model = str(body.get("model", ""))
        messages = body.get("messages") or []
        stream = bool(body.get("stream"))
        if owner.reject_stream_options and "stream_options" in body:
            self._send_error(
                400,
                "Unrecognized request argument supplied: stream_options",
                type_="invalid_request_error",
                code=None,
            )
            return
        fmt = body.get("response_format") or {}
        if owner.reject_json_schema and fmt.get("type") == "json_schema":
            self._send_error(
                400,
                "response_format type 'json_schema' is not supported",
                type_="invalid_request_error",
                code=None,
            )
            return
        if owner.reject_unknown_models and model not in owner.models:
            self._model_not_found(model)
            return
        prompt_tokens = prompt_tokens_for(messages)
        if owner.context_limit is not None and prompt_tokens > owner.context_limit:
            self._context_length(owner.context_limit, prompt_tokens)
            return

        item = owner._next_item()
        if isinstance(item, FaultSpec):
            self._fault(item, model, messages, stream)
            return
        reply = item or Reply(owner.default_json if fmt.get("type") and owner.default_json is not None else None)
        text = reply.text if reply.text is not None else default_reply_text(messages)
        chunks = reply.chunks or _split_words(text) or ("",)
        usage: dict[str, Any] = {
            "prompt_tokens": reply.prompt_tokens if reply.prompt_tokens is not None else prompt_tokens,
            "completion_tokens": (reply.completion_tokens if reply.completion_tokens is not None else len(chunks)),
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        usage["prompt_tokens_details"] = {"cached_tokens": reply.cached_tokens}  # as OpenAI sends it
        if not stream:
            self._send_json(200, _completion(model, text, reply.finish_reason, usage))
            return
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        self._start_sse()
        self._sse(_chunk(model, {"role": "assistant", "content": ""}))
        if not self._held(reply):
            return
        for piece in chunks:
            if reply.chunk_delay and owner._stop.wait(reply.chunk_delay):
                self.close_connection = True
                return
            self._sse(_chunk(model, {"content": piece}))
        for index, (call_id, name, fragments) in enumerate(reply.tool_calls):
            first = {"index": index, "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}
            self._sse(_chunk(model, {"tool_calls": [first]}))
            for fragment in fragments:
                self._sse(_chunk(model, {"tool_calls": [{"index": index, "function": {"arguments": fragment}}]}))
        self._sse(_chunk(model, {}, finish_reason=reply.finish_reason))
        if include_usage and owner.send_usage:
            self._sse({**_chunk(model, {}), "choices": [], "usage": usage})
        self._sse_raw(b"data: [DONE]\n\n")
        self._end_chunked()
        owner._note_stream_done()

    # --- faults -------------------------------------------------------------------------

    def _held(self, reply: Reply) -> bool:
        """Wait for the reply's ``hold`` event; False when the server stops first."""
        while reply.hold is not None and not reply.hold.wait(0.05):
            if self.owner._stop.is_set():
                self.close_connection = True
                return False
        return True

    def _model_not_found(self, model: str) -> None:
        self._send_error(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            type_="invalid_request_error",
            code="model_not_found",
        )

    def _context_length(self, limit: int, tokens: int) -> None:
        self._send_error(
            400,
            CONTEXT_MESSAGE.format(limit=limit, tokens=tokens),
            type_="invalid_request_error",
            code="context_length_exceeded",
        )

    def _fault(self, spec: FaultSpec, model: str, messages: list[dict[str, Any]], stream: bool) -> None:
        owner = self.owner
        kind = spec.kind
        if kind is Fault.UNAUTHORIZED:
            sent = self.headers.get("authorization", "").removeprefix("Bearer ")
            self._send_error(
                401,
                f"Incorrect API key provided: {sent}.",
                type_="invalid_request_error",
                code="invalid_api_key",
            )
        elif kind is Fault.MODEL_NOT_FOUND:
            self._model_not_found(model)
        elif kind is Fault.RATE_LIMIT:
            self._send_error(
                429,
                "Rate limit reached for requests. Please try again shortly.",
                type_="requests",
                code="rate_limit_exceeded",
                headers={"retry-after-ms": str(spec.retry_after_ms)},
            )
        elif kind is Fault.SERVER_ERROR:
            self._send_error(
                500, "The server had an error while processing your request.", type_="server_error", code=None
            )
        elif kind is Fault.CONTEXT_LENGTH:
            self._context_length(8192, 9000)
        elif kind is Fault.STALL:
            owner._stop.wait(spec.seconds)
            self.close_connection = True
        elif kind is Fault.MALFORMED and not stream:
            data = b"{not json"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif kind in (Fault.DROP, Fault.MALFORMED, Fault.FOREVER):
            self._streaming_fault(spec, model, messages)

    def _streaming_fault(self, spec: FaultSpec, model: str, messages: list[dict[str, Any]]) -> None:
        owner = self.owner
        words = _split_words(default_reply_text(messages)) or ("x",)
        self._start_sse()
        self._sse(_chunk(model, {"role": "assistant", "content": ""}))
        if spec.kind is Fault.FOREVER:
            n = 0
            while not owner._stop.is_set():
                self._sse(_chunk(model, {"content": f"tick{n} "}))
                n += 1
                owner._stop.wait(spec.interval)
            self.close_connection = True
            return
        for i in range(spec.after_chunks):
            self._sse(_chunk(model, {"content": words[i % len(words)]}))
        if spec.kind is Fault.MALFORMED:
            self._sse_raw(b"data: {not json\n\n")
            self._sse_raw(b"data: [DONE]\n\n")
            self._end_chunked()
            return
        # DROP: an abrupt close in the middle of a chunked body, which the client sees as an error.
        self.wfile.flush()
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True

    # --- SSE over chunked transfer-encoding -------------------------------------------

    def _start_sse(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def _sse(self, obj: Any) -> None:
        self._sse_raw(b"data: " + json.dumps(obj).encode() + b"\n\n")

    def _sse_raw(self, data: bytes) -> None:
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
        except OSError as exc:
            raise _ClientGone from exc

    def _end_chunked(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


_ids = iter(range(1, 1 << 62))


def _chunk(model: str, delta: dict[str, Any], *, finish_reason: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": None,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }


def _completion(model: str, text: str, finish_reason: str, usage: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-fake-{next(_ids)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": None,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": usage,
    }


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAIServer]:
    """A running fake server on 127.0.0.1; closed (threads joined) at teardown."""
    with FakeOpenAIServer() as server:
        yield server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the fake OpenAI-compatible server.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", default=None)
    args = parser.parse_args(argv)
    server = FakeOpenAIServer(api_key=args.api_key, port=args.port).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(server.base_url, flush=True)  # the caller reads the URL from stdout
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


if __name__ == "__main__":
    main()
