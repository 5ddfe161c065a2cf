"""API keys in the OS keyring (a real Secret Service) and in memory.

The ``keyring`` tests need a Secret Service: run them under
``scripts/with-secret-service``. Without one they skip, unless
``DESKTOP_CHAT_REQUIRE_SECRET_SERVICE=1`` (the official test command) makes
them fail, so CI cannot pass by silently skipping them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import keyring
import keyring.backends.fail
import keyring.backends.SecretService
import pytest

from desktop_chat.core.errors import SecretStoreUnavailable
from desktop_chat.core.redact import redact
from desktop_chat.core.secrets import (
    KeyringSecretStore,
    MemorySecretStore,
    SecretStore,
    open_secret_store,
)
from tests.helpers.secret_service import no_secret_service

# A separate service name: should these tests ever run against a user's real
# keyring, they only touch entries of their own, and remove them.
TEST_SERVICE = "desktop-chat-tests"
FAKE_KEY = "sk-test-fake0123456789abcdefghijKLMNOP"
OTHER_FAKE_KEY = "sk-proj-test-fake9876543210zyxwvutsrq"


def _one_line(message: str) -> None:
    assert message
    assert "\n" not in message
    assert "Traceback" not in message


@pytest.fixture
def secret_service() -> KeyringSecretStore:
    """A keyring store on a real Secret Service, or skip/fail saying why there is none."""
    try:
        store = open_secret_store(service=TEST_SERVICE)
    except SecretStoreUnavailable as exc:
        why = str(exc)
    else:
        assert isinstance(store, KeyringSecretStore)
        return store
    # Outside the except block, so the report is one line and not a chained traceback.
    no_secret_service(why)


@pytest.fixture
def profile(secret_service: KeyringSecretStore) -> Iterator[str]:
    name = f"profile-{uuid.uuid4().hex[:8]}"
    yield name
    secret_service.delete(name)


@pytest.fixture
def fail_backend() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        keyring.set_keyring(previous)


# --- the real Secret Service --------------------------------------------------


@pytest.mark.keyring
def test_backend_is_secret_service(secret_service: KeyringSecretStore) -> None:
    assert type(secret_service.backend).__module__ == "keyring.backends.SecretService"
    assert secret_service.description == "Secret Service"


@pytest.mark.keyring
def test_set_read_replace_delete(secret_service: KeyringSecretStore, profile: str) -> None:
    assert secret_service.get(profile) is None

    secret_service.set(profile, FAKE_KEY)
    assert secret_service.get(profile) == FAKE_KEY

    secret_service.set(profile, OTHER_FAKE_KEY)
    assert secret_service.get(profile) == OTHER_FAKE_KEY

    assert secret_service.delete(profile) is True
    assert secret_service.get(profile) is None
    assert secret_service.delete(profile) is False


@pytest.mark.keyring
def test_key_is_visible_to_a_fresh_store_and_raw_keyring(secret_service: KeyringSecretStore, profile: str) -> None:
    # Another store (as after an app restart) and keyring itself see the same entry,
    # under the documented service and user name.
    secret_service.set(profile, FAKE_KEY)
    assert KeyringSecretStore(TEST_SERVICE).get(profile) == FAKE_KEY
    assert keyring.get_password(TEST_SERVICE, profile) == FAKE_KEY


@pytest.mark.keyring
def test_profiles_do_not_share_keys(secret_service: KeyringSecretStore, profile: str) -> None:
    other = f"{profile}-other"
    try:
        secret_service.set(profile, FAKE_KEY)
        secret_service.set(other, OTHER_FAKE_KEY)
        secret_service.delete(profile)
        assert secret_service.get(other) == OTHER_FAKE_KEY
    finally:
        secret_service.delete(other)


@pytest.mark.keyring
def test_key_never_in_repr_or_str(secret_service: KeyringSecretStore, profile: str) -> None:
    secret_service.set(profile, FAKE_KEY)
    assert secret_service.get(profile) == FAKE_KEY
    for text in (repr(secret_service), str(secret_service)):
        assert FAKE_KEY not in text


@pytest.mark.keyring
def test_loaded_key_is_redacted_from_logs_afterwards(secret_service: KeyringSecretStore, profile: str) -> None:
    # Stored through plain keyring, so only our get() can have registered it.
    shapeless = f"plainsecret{uuid.uuid4().hex}"
    keyring.set_password(TEST_SERVICE, profile, shapeless)
    assert secret_service.get(profile) == shapeless
    assert shapeless not in redact(f"request failed with key {shapeless} attached")


# --- no Secret Service ---------------------------------------------------------


@pytest.mark.usefixtures("fail_backend")
def test_fail_backend_raises_one_actionable_line() -> None:
    with pytest.raises(SecretStoreUnavailable) as info:
        KeyringSecretStore()
    message = str(info.value)
    _one_line(message)
    assert "keyring" in message
    assert "OPENAI_API_KEY" in message and "this run only" in message  # names the way to do it


@pytest.mark.usefixtures("fail_backend")
def test_open_secret_store_raises_and_memory_is_offered() -> None:
    with pytest.raises(SecretStoreUnavailable) as info:
        open_secret_store()
    _one_line(str(info.value))
    assert isinstance(open_secret_store(prefer_memory=True), MemorySecretStore)


def test_calls_when_dbus_is_gone_raise_without_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    # The real Secret Service backend, whose session bus has gone away since start-up.
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/desktop-chat-test-bus")
    store = KeyringSecretStore(TEST_SERVICE, backend=keyring.backends.SecretService.Keyring())  # type: ignore[no-untyped-call]
    for call in (lambda: store.set("p", FAKE_KEY), lambda: store.get("p"), lambda: store.delete("p")):
        with pytest.raises(SecretStoreUnavailable) as info:
            call()
        _one_line(str(info.value))
        assert FAKE_KEY not in str(info.value)
        assert info.value.__cause__ is None
        assert info.value.__suppress_context__


# --- in memory -------------------------------------------------------------------


def test_memory_store_round_trip() -> None:
    store: SecretStore = MemorySecretStore()
    assert store.get("work") is None
    store.set("work", FAKE_KEY)
    store.set("home", OTHER_FAKE_KEY)
    assert store.get("work") == FAKE_KEY
    store.set("work", OTHER_FAKE_KEY)
    assert store.get("work") == OTHER_FAKE_KEY
    assert store.delete("work") is True
    assert store.delete("work") is False
    assert store.get("work") is None
    assert store.get("home") == OTHER_FAKE_KEY
    assert "this run only" in store.description


def test_memory_store_never_shows_the_key() -> None:
    store = MemorySecretStore()
    store.set("work", FAKE_KEY)
    assert FAKE_KEY not in repr(store)
    assert FAKE_KEY not in str(store)
    assert "work" in repr(store)


def test_memory_stores_are_separate() -> None:
    first, second = MemorySecretStore(), MemorySecretStore()
    first.set("work", FAKE_KEY)
    assert second.get("work") is None


def test_empty_secret_or_profile_is_refused() -> None:
    store = MemorySecretStore()
    with pytest.raises(ValueError, match="empty"):
        store.set("work", "")
    with pytest.raises(ValueError, match="empty"):
        store.get("")
