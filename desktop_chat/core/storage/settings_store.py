"""Settings persisted one key per row, so an unknown or damaged key never loses the others."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from typing import Any

from desktop_chat.core.settings import SETTINGS_VERSION, Settings, is_known, to_json, validate
from desktop_chat.core.storage.db import Repository


class SettingsStore(Repository):
    """Load, set, save and reset the validated settings held in the ``settings`` table."""

    def load(self) -> Settings:
        stored = {key: json.loads(value) for key, value in self._conn.execute("SELECT key, value FROM settings")}
        values: dict[str, Any] = {}
        for key, raw in stored.items():
            if not is_known(key):
                continue  # a setting an older version had; ignore rather than fail
            values[key] = validate(key, raw)
        settings = replace(Settings(), **values)
        if settings.active_profile not in {p.name for p in settings.profiles}:
            settings = replace(settings, active_profile=settings.profiles[0].name)
        return settings

    def set(self, key: str, value: Any) -> Settings:
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
        return candidate

    def save(self, settings: Settings) -> None:
        with self._db.transaction():
            for f in fields(Settings):
                self.set(f.name, getattr(settings, f.name))

    def reset(self, key: str) -> Settings:
        validate(key, getattr(Settings(), key) if is_known(key) else None)  # an unknown key is refused by name
        self._conn.execute("DELETE FROM settings WHERE key = ?", (key,))
        return self.load()
