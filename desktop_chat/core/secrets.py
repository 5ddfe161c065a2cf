"""Where API keys live: the OS keyring, or memory for "this run only".

Keys are stored under the service ``desktop-chat`` with the provider profile's
name as the user name, so they show up sensibly in Seahorse / Keychain Access.

Threading: every keyring call may block on D-Bus (Secret Service) or on an
unlock prompt, so the GUI must call ``open_secret_store`` and every method of
``KeyringSecretStore`` off the GUI thread (``asyncio.to_thread``). The stores
serialise their own calls with a lock, so that is safe from any thread.

Every secret read or written is registered with ``redact`` so it is scrubbed
from every log line from then on.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from desktop_chat.core.errors import EmptyInput, SecretStoreUnavailable
from desktop_chat.core.redact import register_secret

if TYPE_CHECKING:
    import keyring.backend

__all__ = [
    "SERVICE",
    "KeyFileStore",
    "KeyringSecretStore",
    "MemorySecretStore",
    "SecretStore",
    "open_secret_store",
]

log = logging.getLogger(__name__)

SERVICE = "desktop-chat"

# Plain words for the user; keyring's own reason (D-Bus variables, backends) goes to the debug log.
_UNAVAILABLE = (
    "No keyring on this computer: install GNOME Keyring or KWallet to keep keys, "
    "or set OPENAI_API_KEY to use a key for this run only."
)
NO_KEYRING_SESSION = (
    "No keyring on this computer: the key is kept until you quit; install GNOME Keyring or KWallet to keep it."
)
KEY_FILE_NAME = "api-keys.json"
KEY_FILE_DESCRIPTION = "a file readable only by you (not encrypted)"
_THIS_RUN = "or set OPENAI_API_KEY to use a key for this run only."
_LOCKED = "The OS keyring ({name}) is locked. Unlock it and try again, " + _THIS_RUN
_FAILED = "The OS keyring ({name}) did not answer. Check that it is running, " + _THIS_RUN

# Friendlier names for the backends a user may meet; anything else shows keyring's own name.
_BACKEND_NAMES = {
    "keyring.backends.SecretService": "Secret Service",
    "keyring.backends.libsecret": "Secret Service (libsecret)",
    "keyring.backends.kwallet": "KWallet",
    "keyring.backends.macOS": "macOS Keychain",
    "keyring.backends.Windows": "Windows Credential Locker",
}


@runtime_checkable
class SecretStore(Protocol):
    """Stores one secret (an API key) per provider profile."""

    @property
    def description(self) -> str:
        """Where the keys go, for the user: "Secret Service", "this run only (in memory)"."""
        ...

    def get(self, profile: str) -> str | None:
        """The profile's key, or None when none is stored."""
        ...

    def set(self, profile: str, secret: str) -> None:
        """Store (or replace) the profile's key."""
        ...

    def delete(self, profile: str) -> bool:
        """Forget the profile's key; False when there was none."""
        ...


def clean_api_key(key: str) -> str:
    """The key a user typed or pasted, ready to keep; refuses what cannot be a key, in one line.

    Surrounding whitespace is a paste's, so it goes; whitespace inside means two things were pasted.
    """
    key = key.strip()
    if not key:
        raise EmptyInput("No key given.")
    if any(ch.isspace() for ch in key):
        raise EmptyInput("The key contains spaces or line breaks; give the key alone.")
    return key


def _check_args(profile: str, secret: str | None = None) -> None:
    # Programming errors, not user errors: the UI validates before calling.
    if not profile:
        raise ValueError("profile name must not be empty")
    if secret is not None and not secret:
        raise ValueError("secret must not be empty; delete the key instead")


class MemorySecretStore:
    """Keys kept in this process only: for tests and for "use this key for this run only"."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: dict[str, str] = {}

    @property
    def description(self) -> str:
        return "this run only (in memory)"

    def get(self, profile: str) -> str | None:
        _check_args(profile)
        with self._lock:
            return self._secrets.get(profile)

    def set(self, profile: str, secret: str) -> None:
        _check_args(profile, secret)
        register_secret(secret)
        with self._lock:
            self._secrets[profile] = secret

    def delete(self, profile: str) -> bool:
        _check_args(profile)
        with self._lock:
            return self._secrets.pop(profile, None) is not None

    def __repr__(self) -> str:
        # Profile names only: the default repr would be harmless today, but a
        # dataclass-style repr added later must not leak the keys.
        with self._lock:
            profiles = sorted(self._secrets)
        return f"MemorySecretStore(profiles={profiles!r})"


class KeyFileStore:
    """Keys in one JSON file readable only by the user (0600): the user's explicit choice without a keyring.

    Not encrypted, and said so wherever it is offered. Written whole to a new 0600 file beside it
    and renamed over it, so the file is never readable by others, not even for a moment, and a
    crash leaves the old or the new file, never half of one.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    @property
    def description(self) -> str:
        return KEY_FILE_DESCRIPTION

    def _read(self) -> dict[str, str]:
        try:
            info = self.path.lstat()
            if not stat.S_ISREG(info.st_mode):
                raise SecretStoreUnavailable(f"The key file {self.path} is not a plain file; move it aside.")
            if info.st_mode & 0o077:  # widened by hand or a copy: narrow it again before reading
                os.chmod(self.path, 0o600)
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            raise SecretStoreUnavailable(
                f"The key file {self.path} cannot be read; delete it and save the key again."
            ) from None
        keys = {str(k): v for k, v in data.items() if isinstance(v, str) and v} if isinstance(data, dict) else {}
        for secret in keys.values():
            register_secret(secret)
        return keys

    def _write(self, keys: dict[str, str]) -> None:
        if not keys:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            return
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(keys, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise SecretStoreUnavailable(
                f"Could not write the key file in {self.path.parent} ({exc.strerror or type(exc).__name__})."
            ) from None

    def get(self, profile: str) -> str | None:
        _check_args(profile)
        with self._lock:
            return self._read().get(profile)

    def set(self, profile: str, secret: str) -> None:
        _check_args(profile, secret)
        register_secret(secret)
        with self._lock:
            self._write({**self._read(), profile: secret})

    def delete(self, profile: str) -> bool:
        _check_args(profile)
        with self._lock:
            keys = self._read()
            if keys.pop(profile, None) is None:
                return False
            self._write(keys)
            return True

    def __repr__(self) -> str:
        return f"KeyFileStore(path={str(self.path)!r})"


def _keyring() -> Any:
    """The ``keyring`` package with the parts used here, imported on first use (~15 ms with importlib_metadata
    and jaraco): the window opens its workspace before any key is needed, and most starts never touch the keyring."""
    import keyring
    import keyring.backend
    import keyring.backends.chainer
    import keyring.backends.fail
    import keyring.errors

    return keyring


def _backend_name(backend: keyring.backend.KeyringBackend) -> str:
    module = type(backend).__module__
    return _BACKEND_NAMES.get(module, str(getattr(backend, "name", type(backend).__name__)))


def _unusable_reason(backend: keyring.backend.KeyringBackend) -> str | None:
    """Why ``backend`` cannot store anything, or None when it looks usable."""
    keyring = _keyring()
    if isinstance(backend, keyring.backends.fail.Keyring):
        return _why_no_secret_service()
    if isinstance(backend, keyring.backends.chainer.ChainerBackend) and not backend.backends:
        return "no usable keyring backend"
    return None


def _why_no_secret_service() -> str:
    """keyring's own reason its Secret Service backend is not usable, e.g. no daemon on D-Bus."""
    if sys.platform.startswith("linux"):
        try:
            from keyring.backends import SecretService

            SecretService.Keyring.priority  # noqa: B018 - reading it probes D-Bus and raises the reason
        except RuntimeError as exc:  # keyring's reasons are written for people
            reason = " ".join(str(exc).split())[:200]
            if reason:
                return reason[0].lower() + reason[1:]
        except Exception:  # noqa: S110 - D-Bus errors (no socket...) say less than the default
            pass
    return "no Secret Service running"


def _is_locked_error(exc: BaseException) -> bool:
    if isinstance(exc, _keyring().errors.KeyringLocked):
        return True
    # secretstorage is only there on Linux; its lock/prompt errors mean the same thing.
    return type(exc).__name__ in {"LockedException", "PromptDismissedException"}


def _is_backend_error(exc: BaseException) -> bool:
    if isinstance(exc, _keyring().errors.KeyringError | OSError):
        return True
    # secretstorage and jeepney errors (D-Bus gone, no such service) without importing them here.
    module = type(exc).__module__
    return module.startswith(("secretstorage", "jeepney", "dbus"))


class KeyringSecretStore:
    """Keys in the OS keyring through ``keyring``.

    Raises ``SecretStoreUnavailable`` (one line, never the key) when the keyring
    cannot be used, both on construction (no backend) and on any call (D-Bus
    gone, keyring locked). Calls block: run them off the GUI thread.
    """

    def __init__(self, service: str = SERVICE, backend: keyring.backend.KeyringBackend | None = None) -> None:
        self._service = service
        self._lock = threading.Lock()
        keyring = _keyring()
        try:
            # The first call probes every backend (D-Bus round trips): it blocks too.
            self._backend = backend if backend is not None else keyring.get_keyring()
        except Exception as exc:
            if not _is_backend_error(exc) and not isinstance(exc, RuntimeError):
                raise
            log.debug("keyring backend discovery failed: %s", type(exc).__name__)
            raise SecretStoreUnavailable(_UNAVAILABLE) from None
        reason = _unusable_reason(self._backend)
        if reason is not None:
            log.debug("no usable keyring: %s", reason)
            raise SecretStoreUnavailable(_UNAVAILABLE)
        self._name = _backend_name(self._backend)

    @property
    def description(self) -> str:
        return self._name

    @property
    def backend(self) -> keyring.backend.KeyringBackend:
        """The keyring backend in use (for diagnostics and tests)."""
        return self._backend

    def _call(self, operation: str, fn: Any, *args: str) -> Any:
        keyring = _keyring()
        with self._lock:
            try:
                return fn(self._service, *args)
            except keyring.errors.PasswordDeleteError:
                raise
            except Exception as exc:
                if _is_locked_error(exc):
                    message = _LOCKED.format(name=self._name)
                elif isinstance(exc, keyring.errors.NoKeyringError):
                    message = _UNAVAILABLE
                elif _is_backend_error(exc):
                    message = _FAILED.format(name=self._name)
                else:
                    raise
                # The exception's type only: its text or traceback could carry the key.
                log.debug("keyring %s failed: %s", operation, type(exc).__name__)
                raise SecretStoreUnavailable(message) from None

    def get(self, profile: str) -> str | None:
        _check_args(profile)
        secret: str | None = self._call("get", self._backend.get_password, profile)
        if secret:
            register_secret(secret)
        return secret or None

    def set(self, profile: str, secret: str) -> None:
        _check_args(profile, secret)
        register_secret(secret)
        self._call("set", self._backend.set_password, profile, secret)

    def delete(self, profile: str) -> bool:
        _check_args(profile)
        try:
            self._call("delete", self._backend.delete_password, profile)
        except _keyring().errors.PasswordDeleteError:
            return False
        return True

    def __repr__(self) -> str:
        return f"KeyringSecretStore(service={self._service!r}, backend={self._name!r})"


_PROBE_PROFILE = "desktop-chat-probe (never stored)"


def open_secret_store(prefer_memory: bool = False, service: str = SERVICE) -> SecretStore:
    """The OS keyring store, checked with one real read; blocks, so call it off the GUI thread.

    Raises ``SecretStoreUnavailable`` when the keyring cannot be used, so the
    caller can tell the user and offer ``MemorySecretStore`` instead.
    ``prefer_memory`` skips the keyring altogether (``--no-keyring``, tests).
    """
    if prefer_memory:
        return MemorySecretStore()
    store = KeyringSecretStore(service)
    # A backend can look fine and still fail on first use (D-Bus up, no daemon
    # behind it; keyring locked): find out now rather than when saving a key.
    store.get(_PROBE_PROFILE)
    return store
