"""A renamed profile keeps its API key, wherever the key is kept (keyring, this run's memory, the 0600 file)."""

from __future__ import annotations

import json
from pathlib import Path

from desktop_chat.core.errors import SecretStoreUnavailable
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.secrets import KEY_FILE_NAME, MemorySecretStore, SecretStore
from desktop_chat.core.services import SecretAccess

KEY = "sk-test-rename0123456789abcdefghijklm"  # a fake key
OTHER = "sk-test-other0123456789abcdefghijklmn"  # a fake key


def _no_keyring() -> SecretStore:
    raise SecretStoreUnavailable("No keyring on this computer.")


def test_a_key_in_the_keyring_moves_to_the_new_name() -> None:
    keyring = MemorySecretStore()
    access = SecretAccess(lambda: keyring)
    access.save("Work", KEY)

    assert access.move("Work", "Office")

    assert keyring.get("Office") == KEY and keyring.get("Work") is None
    assert access.get("Office") == KEY and access.get("Work") is None


def test_a_key_kept_until_quit_moves_in_memory() -> None:
    access = SecretAccess(_no_keyring)
    access.save("Work", KEY)  # no keyring: kept for this run

    assert access.move("Work", "Office")

    assert access.get("Office") == KEY and access.get("Work") is None
    assert access.describe(ProviderProfile(name="Office")).startswith("kept until you quit")


def test_a_key_in_the_file_moves_in_the_file_which_stays_private(tmp_path: Path) -> None:
    key_file = tmp_path / KEY_FILE_NAME
    access = SecretAccess(_no_keyring, key_file=key_file)
    access.save("Work", KEY, to_file=True)

    assert access.move("Work", "Office")

    assert json.loads(key_file.read_text(encoding="utf-8")).keys() == {"Office"}
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert SecretAccess(_no_keyring, key_file=key_file).get("Office") == KEY  # the next start reads it


def test_a_key_the_new_name_already_has_wins_and_nothing_is_lost() -> None:
    keyring = MemorySecretStore()
    access = SecretAccess(lambda: keyring)
    access.save("Work", KEY)
    access.save("Office", OTHER)

    assert not access.move("Work", "Office")

    assert access.get("Office") == OTHER and access.get("Work") == KEY


def test_nothing_to_move_is_not_an_error() -> None:
    access = SecretAccess(MemorySecretStore)
    assert not access.move("Work", "Office")
    assert not access.move("Work", "Work")
