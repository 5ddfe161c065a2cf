"""Settings persisted one key per row, so an unknown or damaged key never loses the others."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from typing import Any

from desktop_chat.core.errors import SettingsError
from desktop_chat.core.settings import SETTINGS_VERSION, Settings, is_known, to_json, validate
from desktop_chat.core.storage.db import Repository


class SettingsStore(Repository):
    """Load, set, save and reset the validated settings held in the ``settings`` table.

    A stored value that cannot be used (not JSON, or outside what the setting accepts, written by
    hand or by another version) never stops the others from loading: its default is used instead,
    ``damaged()`` says which and why, and setting or resetting that key (or any other) replaces it.

    ``load`` is cached until the database changes: another connection's commit changes SQLite's
    ``data_version``, and this store's own writes drop the cache. Switching chats asked for the
    settings two dozen times (~1.5 ms each, reading and validating every row).
    """

    _cached: tuple[int, Settings] | None = None

    def _read(self) -> tuple[dict[str, Any], dict[str, str]]:
        """(the usable stored values by key, the damaged keys with one line each saying what is wrong)."""
        values: dict[str, Any] = {}
        damaged: dict[str, str] = {}
        for key, text in self._conn.execute("SELECT key, value FROM settings"):
            if not is_known(key):
                continue  # a setting an older version had; ignore rather than fail
            default = to_json(getattr(Settings(), key))
            try:
                values[key] = validate(key, json.loads(text))
            except (json.JSONDecodeError, TypeError, RecursionError):
                damaged[key] = (
                    f"Setting {key!r} is damaged in the database (not JSON); its default {json.dumps(default)} "
                    "is used until it is set again or reset."
                )
            except SettingsError as exc:
                damaged[key] = f"{exc} The stored value is ignored: the default {json.dumps(default)} is used."
        return values, damaged

    def damaged(self) -> dict[str, str]:
        """The stored settings that cannot be used (their defaults are), each with one line saying why."""
        return self._read()[1]

    def load(self) -> Settings:
        if self._conn.in_transaction:  # what a transaction reads may still roll back: not cached
            return self._load()
        version = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
        cached = self._cached
        if cached is not None and cached[0] == version:
            return cached[1]
        settings = self._load()
        self._cached = (version, settings)
        return settings

    def _load(self) -> Settings:
        values, _ = self._read()
        settings = replace(Settings(), **values)
        if settings.active_profile not in {p.name for p in settings.profiles}:
            settings = replace(settings, active_profile=settings.profiles[0].name)
        return settings

    def set(self, key: str, value: Any) -> Settings:
        self._cached = None
        checked = validate(key, value)
        candidate = replace(self.load(), **{key: checked})
        changes: dict[str, Any] = {key: checked}
        if key == "profiles" and candidate.active_profile not in {p.name for p in candidate.profiles}:
            # Replacing the list may drop the active profile: the first one takes over.
            candidate = replace(candidate, active_profile=candidate.profiles[0].name)
            changes["active_profile"] = candidate.active_profile
        candidate.profile()  # refuses an active profile that does not exist
        if key == "local_upkeep_profile":
            candidate.check_starter_upkeep()
        changes["version"] = SETTINGS_VERSION
        with self._db.transaction():
            self._conn.executemany(
                "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [(name, json.dumps(to_json(change))) for name, change in changes.items()],
            )
        self._cached = None  # this connection's own write leaves data_version as it was
        return candidate

    def save(self, settings: Settings) -> None:
        self._cached = None
        with self._db.transaction():
            for f in fields(Settings):
                self.set(f.name, getattr(settings, f.name))

    def reset(self, key: str) -> Settings:
        validate(key, getattr(Settings(), key) if is_known(key) else None)  # an unknown key is refused by name
        self._cached = None
        self._conn.execute("DELETE FROM settings WHERE key = ?", (key,))
        return self.load()
