"""``desktop-chat --self-test``: can this install (a source checkout or the frozen bundle) do its job?

Each check exercises a real part the way the app uses it, in a temporary data folder,
and answers in one line. The window check lives in ``ui/app/self_test_window.py`` (it needs
Qt); ``app.py`` runs them all through :func:`run_checks`.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from desktop_chat.core.errors import DesktopChatError, SecretStoreUnavailable
from desktop_chat.core.models import Role
from desktop_chat.core.providers.local.files import resolve_model_file
from desktop_chat.core.providers.local.server import LocalModelServer
from desktop_chat.core.resources import resources_dir
from desktop_chat.core.secrets import open_secret_store
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.store import Store
from desktop_chat.core.tokens import ENCODING_NAMES, get_encoding

# "hello world" in each bundled encoding, from OpenAI's published vocabularies: a wrong or
# truncated file cannot produce these ids.
_KNOWN_TOKENS = {"cl100k_base": [15339, 1917], "o200k_base": [24912, 2375]}
_PROBE_TEXT = "Self-test message: the quick brown fox remembers"
_LOCAL_STARTUP_TIMEOUT_S = 120.0
_LOCAL_CONTEXT = 512
NO_KEYRING_WARNING = (
    "no keyring on this computer: API keys typed in the app are kept until you quit, unless you choose "
    "to save them in a file readable only by you (not encrypted); install GNOME Keyring or KWallet to "
    "keep them, or set OPENAI_API_KEY"
)


class Outcome(StrEnum):
    OK = "ok"
    FAIL = "FAIL"
    SKIP = "skip"
    WARN = "WARN"  # works, with a limit the user should know of; not a failure


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    outcome: Outcome
    detail: str

    def line(self) -> str:
        return f"{self.outcome.value:<4}  {self.name}: {self.detail}"


Check = Callable[[Path], CheckResult]


def check_tokens(folder: Path) -> CheckResult:
    """Every bundled encoding loads from ``resources/tiktoken`` (never the network) and counts right."""
    name = "tokens"
    counted = []
    for encoding in ENCODING_NAMES:
        ids = get_encoding(encoding).encode("hello world")
        if ids != _KNOWN_TOKENS.get(encoding, ids):
            return CheckResult(name, Outcome.FAIL, f"{encoding} encoded a known text wrongly; reinstall Desktop Chat")
        counted.append(f"{encoding} ({len(ids)} tokens)")
    where = resources_dir() / "tiktoken"
    return CheckResult(name, Outcome.OK, f"counted with {', '.join(counted)} from {where}")


def check_database(folder: Path) -> CheckResult:
    """A new database gets every migration, takes a chat and a message, and finds it again after reopening."""
    name = "database"
    store = Store.open(folder)
    try:
        session = store.sessions.create("Self-test")
        store.messages.append(session.id, Role.USER, _PROBE_TEXT)
    finally:
        store.close()
    store = Store.open(folder)
    try:
        read = [m.content for m in store.messages.all(session.id)]
        found = store.sessions.search("remembers")
    finally:
        store.close()
    if read != [_PROBE_TEXT]:
        return CheckResult(name, Outcome.FAIL, "a message written was not read back")
    if not found:
        return CheckResult(name, Outcome.FAIL, "full-text search did not find the message written")
    return CheckResult(name, Outcome.OK, "created, wrote, reopened, read back and searched a new database")


def check_recall_model(folder: Path) -> CheckResult:
    """The embedding model loads and ranks a related sentence above an unrelated one (recall by meaning)."""
    del folder
    from desktop_chat.core.semantic.model import EmbeddingsUnavailable, shared_embedder

    name = "recall by meaning"
    try:
        started = time.perf_counter()
        embedder = shared_embedder()
        loaded = time.perf_counter() - started
        question, related, unrelated = embedder.embed(
            ["Which pet did I get?", "We adopted a golden retriever puppy.", "The printer jammed again."]
        )
    except EmbeddingsUnavailable as exc:
        return CheckResult(name, Outcome.FAIL, str(exc))
    if float(question @ related) <= float(question @ unrelated):
        return CheckResult(name, Outcome.FAIL, "the embedding model ranked sentences wrongly; reinstall it")
    return CheckResult(name, Outcome.OK, f"loaded {embedder.name} in {loaded:.1f} s; it ranks by meaning")


def check_keyring(folder: Path) -> CheckResult:
    """An OS keyring backend is there and answers one read (nothing is written)."""
    name = "keyring"
    if sys.platform.startswith("linux"):
        try:  # a bundle without these cannot use a keyring even where one runs: that is a broken install
            importlib.import_module("secretstorage")
        except ImportError as exc:
            return CheckResult(name, Outcome.FAIL, f"the Secret Service backend cannot load ({exc}); reinstall")
    try:
        store = open_secret_store()
    except SecretStoreUnavailable:
        return CheckResult(name, Outcome.WARN, NO_KEYRING_WARNING)
    return CheckResult(name, Outcome.OK, f"{store.description} answers")


def local_model_installed() -> bool:
    """Whether llama.cpp's server (the ``local`` extra, xllamacpp) is part of this install."""
    try:
        return importlib.util.find_spec("xllamacpp") is not None
    except (ImportError, ValueError):
        return False


def check_local_model(folder: Path) -> CheckResult:
    """The built-in model's server starts on the starter model, answers, and stops."""
    name = "local model"
    if not local_model_installed():
        return CheckResult(name, Outcome.SKIP, "not part of this install (the `local` extra, xllamacpp)")
    try:
        model_file = resolve_model_file(Settings())
    except DesktopChatError as exc:
        return CheckResult(name, Outcome.SKIP, f"llama.cpp is installed but no model to start: {exc}")
    started = time.monotonic()
    server = LocalModelServer(
        model_file, n_ctx=_LOCAL_CONTEXT, threads=1, startup_timeout_s=_LOCAL_STARTUP_TIMEOUT_S, max_lifetime_s=300
    )
    with server:
        seconds = time.monotonic() - started
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        request = urllib.request.Request(  # noqa: S310 - our own http://127.0.0.1 server
            f"{server.base_url}/models", headers={"Authorization": f"Bearer {server.api_key}"}
        )
        with opener.open(request, timeout=10) as reply:
            listed = server.model.encode() in reply.read()
    if server.is_running():
        return CheckResult(name, Outcome.FAIL, f"the server (pid {server.pid}) did not stop")
    if not listed:
        return CheckResult(name, Outcome.FAIL, f"the server did not list {server.model}")
    return CheckResult(name, Outcome.OK, f"started {model_file.name} in {seconds:.1f} s, it answered, stopped")


CORE_CHECKS: tuple[Check, ...] = (check_tokens, check_database, check_recall_model, check_keyring, check_local_model)


def run_check(check: Check, folder: Path) -> CheckResult:
    """One check; whatever it raises becomes its one-line failure (the self-test must always finish)."""
    name = check.__name__.removeprefix("check_").replace("_", " ")
    try:
        return check(folder)
    except DesktopChatError as exc:
        return CheckResult(name, Outcome.FAIL, str(exc))
    except Exception as exc:  # a broken bundle fails in ways nobody can list
        return CheckResult(name, Outcome.FAIL, f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}")


def run_checks(checks: Sequence[Check], folder: Path, out: TextIO) -> int:
    """Run ``checks`` in order in ``folder``, one line each on ``out``; 0 only if none failed."""
    results = []
    for check in checks:
        result = run_check(check, folder)
        print(result.line(), file=out, flush=True)
        results.append(result)
    failed = sum(r.outcome is Outcome.FAIL for r in results)
    skipped = sum(r.outcome is Outcome.SKIP for r in results)
    warned = sum(r.outcome is Outcome.WARN for r in results)
    passed = len(results) - failed - skipped - warned
    summary = f"self-test {'failed' if failed else 'passed'}: {passed} passed, {failed} failed, {skipped} skipped"
    summary += f", {warned} warning(s)" if warned else ""
    print(summary, file=out, flush=True)
    return 1 if failed else 0
