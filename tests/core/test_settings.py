"""Settings are typed, validated with a clear message, persisted, and never hold a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_chat.core.errors import SettingsError
from desktop_chat.core.models import Strategy
from desktop_chat.core.profiles import ProviderProfile, from_preset
from desktop_chat.core.settings import HybridSplit, Settings, parse_text, validate
from desktop_chat.core.storage.store import Store


def test_defaults_then_persisted_changes(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    assert store.settings.load() == Settings()
    store.settings.set("default_strategy", "summary")
    store.settings.set("window_tokens", 3000)
    store.settings.set("hybrid_split", "facts=0.1,summary=0.3,recall=0.1")
    store.close()
    reopened = Store.open(tmp_path)
    settings = reopened.settings.load()
    assert settings.default_strategy is Strategy.SUMMARY
    assert settings.window_tokens == 3000
    assert settings.hybrid_split == HybridSplit(facts=0.1, summary=0.3, recall=0.1)
    assert reopened.settings.reset("window_tokens").window_tokens is None
    reopened.close()


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("reserved_reply_tokens", -5, "a whole number from 16"),
        ("reserved_reply_tokens", True, "a whole number"),
        ("retention_mode", "shred", "one of delete, archive"),
        ("facts_require_approval", "yes", "true or false"),
        ("hybrid_split", "facts=0.5,summary=0.5,recall=0.5", "at most 0.9"),
        ("colour", "blue", "Unknown setting 'colour'"),
    ],
)
def test_bad_values_name_the_key_and_allowed_values(key: str, value: object, expected: str) -> None:
    with pytest.raises(SettingsError) as caught:
        validate(key, value)
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_command_line_text_is_parsed_by_type() -> None:
    assert parse_text("retention_days", "forever") is None
    assert parse_text("retention_days", "90") == 90
    assert parse_text("facts_require_approval", "true") is True
    assert parse_text("default_strategy", "window") is Strategy.WINDOW


def test_profiles_validate_and_the_active_one_must_exist(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    local = from_preset("ollama", name="Home server")
    store.settings.set("profiles", [ProviderProfile(name="OpenAI"), local])
    assert store.settings.set("active_profile", "Home server").profile().base_url == "http://localhost:11434/v1"
    with pytest.raises(SettingsError, match="no provider profile 'Nope'"):
        store.settings.set("active_profile", "Nope")
    with pytest.raises(SettingsError, match="base_url"):
        store.settings.set("profiles", [{"name": "x", "base_url": "ftp://example"}])
    with pytest.raises(SettingsError, match="unique"):
        store.settings.set("profiles", [{"name": "x"}, {"name": "x"}])
    store.close()


def test_replacing_the_profiles_moves_the_active_one_when_it_is_gone(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    settings = store.settings.set("profiles", [{"name": "Local", "base_url": "http://127.0.0.1:8080/v1"}])
    assert settings.active_profile == "Local"
    assert store.settings.load().profile().name == "Local"
    store.close()
