"""An API key stored with `desktop-chat key set` is sent to the server and written nowhere else.

A whole conversation runs through the CLI, as a user would run it, against the
fake OpenAI server with a real Secret Service holding the key: replies, a 401
whose body echoes the key back, a retry, upkeep, exports, the context and facts
views. Then every file in the data folder (database, WAL, SHM, backups, logs,
the exports written there) and everything each command printed is searched, as
bytes, for the key in several encodings.

Needs a Secret Service: run under ``scripts/with-secret-service``. Without one
the test skips, unless ``DESKTOP_CHAT_REQUIRE_SECRET_SERVICE=1`` makes it fail.
"""

from __future__ import annotations

import base64
import os
import secrets
import sqlite3
import string
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from desktop_chat.core.errors import SecretStoreUnavailable
from desktop_chat.core.paths import database_path, log_path
from desktop_chat.core.secrets import open_secret_store
from tests.helpers.fake_openai import FakeOpenAIServer, Fault
from tests.helpers.secret_service import no_secret_service

PROBE_SERVICE = "desktop-chat-e2e-probe"  # only read, never written


def key_shaped() -> str:
    return "sk-test-" + uuid.uuid4().hex + uuid.uuid4().hex[:8]


def plain_looking() -> str:
    # No known key shape: only the app's own registration of the key can redact it.
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(36))


def encodings(key: str) -> dict[str, bytes]:
    """The key as it could end up in a file: raw, UTF-16, hex, URL-encoded, base64 at any alignment."""
    raw = key.encode()
    forms = {
        "utf-8": raw,
        "utf-16-le": key.encode("utf-16-le"),
        "hex": raw.hex().encode(),
        "url": quote(key, safe="").encode(),
        "url-plus": quote_plus(key).encode(),
    }
    for name, encode in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode)):
        for shift in range(3):
            # The characters that only the key's bytes determine, wherever it starts in a 3-byte group.
            encoded = encode(b"\0" * shift + raw)
            forms[f"{name}+{shift}"] = encoded[4 if shift else 0 : -4]
    return forms


def leaks(blob: bytes, key: str) -> list[str]:
    return [name for name, form in encodings(key).items() if form in blob]


def test_the_scan_finds_every_encoding() -> None:
    # The scan below can fail: a key hidden in any of these forms is found.
    key = plain_looking()
    for prefix in (b"", b"x", b"xy"):
        blob = b"header " + base64.b64encode(prefix + key.encode() + b" trailer") + b" end"
        assert f"base64+{len(prefix)}" in leaks(blob, key)
    assert leaks(("note: " + key).encode("utf-16-le"), key) == ["utf-16-le"]
    assert leaks(key.encode().hex().encode(), key) == ["hex"]
    assert leaks(b"nothing here", key) == []


# --- the real run -----------------------------------------------------------------------------


@pytest.fixture
def secret_service() -> None:
    """A real Secret Service, or skip/fail saying why there is none (as in tests/core/test_secrets.py)."""
    try:
        open_secret_store(service=PROBE_SERVICE)
    except SecretStoreUnavailable as exc:
        why = str(exc)
    else:
        return
    no_secret_service(why)


class Cli:
    """Runs `desktop-chat` as a user would, keeping every byte it printed."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}  # the keyring or nothing
        self.outputs: list[tuple[str, bytes]] = []

    def __call__(self, *args: str, stdin: str | None = None, expect: int = 0) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "desktop_chat", "--data-dir", str(self.data), *args],
            capture_output=True,
            env=self.env,
            input=stdin.encode() if stdin is not None else None,
            timeout=90,
            check=False,
        )
        command = " ".join(args)
        self.outputs += [(f"stdout of `{command}`", result.stdout), (f"stderr of `{command}`", result.stderr)]
        assert result.returncode == expect, (command, result.returncode, result.stderr.decode())
        return result.stdout.decode()


@pytest.fixture(params=[key_shaped, plain_looking], ids=["key-shaped", "plain-looking"])
def key(request: pytest.FixtureRequest) -> str:
    return str(request.param())


@pytest.fixture
def server(key: str) -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(api_key=key) as fake:
        yield fake


@pytest.mark.keyring
@pytest.mark.slow
@pytest.mark.usefixtures("secret_service")
def test_the_key_reaches_the_server_and_nothing_else(tmp_path: Path, key: str, server: FakeOpenAIServer) -> None:
    data = tmp_path / "data"
    exports = data / "exports"
    profile = f"e2e-leak-{uuid.uuid4().hex[:8]}"
    cli = Cli(data)
    cli("profiles", "add", profile, "--base-url", server.base_url, "--model", "fake-gpt", "--activate")
    cli("config", "set", "default_strategy", "hybrid")  # upkeep (facts) sends requests with the key too
    # Another connection stays open, so SQLite keeps the WAL and SHM files for the scan.
    keeper = sqlite3.connect(database_path(data))
    keeper.execute("SELECT count(*) FROM sessions").fetchall()
    exports.mkdir()
    try:
        saved = cli("key", "set", profile, stdin=key + "\n")
        assert "Saved the API key" in saved
        try:
            assert "fake-gpt" in cli("models")
            cli("send", "--new", "My name is Alex and I live in Lisbon.")
            cli("send", "1", "What is my name?")
            # The server rejects the key and echoes it in the error body, as some servers do.
            server.fail(Fault.UNAUTHORIZED)
            cli("send", "1", "This request fails.", expect=1)
            cli("send", "1", "--retry")
            cli("facts", "add", "city", "Lisbon")
            for args in (
                ("sessions",),
                ("sessions", "--json"),
                ("search", "Lisbon"),
                ("context", "1"),
                ("context", "1", "--json"),
                ("facts", "list"),
                ("facts", "list", "--all-statuses", "--json"),
                ("export", "1", "--format", "md"),
                ("export", "all", "--format", "json"),
                ("export", "all", "--format", "json", "-o", str(exports / "all.json")),
                ("export", "1", "--format", "md", "-o", str(exports / "chat-1.md")),
                ("profiles", "--json"),
                ("config", "show"),
            ):
                cli(*args)
        finally:
            deleted = cli("key", "delete", profile)
        assert "Deleted" in deleted
        files = sorted(p for p in data.rglob("*") if p.is_file())
        contents = [(str(p.relative_to(data)), p.read_bytes()) for p in files]
    finally:
        keeper.close()

    # The key did its job: the server got it on every request, so there was a key to leak.
    requests = server.requests
    assert requests
    assert all(r.authorization == f"Bearer {key}" for r in requests)
    chat = server.chat_requests
    assert len(chat) >= 6  # replies, title, fact extraction, the failed one, the retry
    # What was scanned holds what the run wrote: the chat, the stored error, the log, the exports.
    names = {name for name, _ in contents}
    assert {"desktop-chat.sqlite3", "desktop-chat.sqlite3-wal", "exports/all.json", "exports/chat-1.md"} <= names
    log = log_path(data)
    assert log.is_file() and log.stat().st_size > 0
    assert b"rejected the API key" in log.read_bytes()  # the failed reply is in the scanned log
    everything = b"".join(blob for _, blob in contents)
    assert b"rejected the API key" in everything  # the failed reply's error is stored
    assert b"Lisbon" in everything

    found = [(where, leaks(blob, key)) for where, blob in contents + cli.outputs]
    assert [(where, forms) for where, forms in found if forms] == []
