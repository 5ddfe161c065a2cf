"""Settings: read, change and reset one value, validated; list what is stored but unusable."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from desktop_chat.core.facade.assistants import blank_session, check_room
from desktop_chat.core.facade.context import Context
from desktop_chat.core.settings import Settings, validate


class ConfigFacade:
    """``workspace.config`` (``workspace.settings`` is the current ``Settings`` itself)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    @property
    def settings(self) -> Settings:
        return self._ctx.settings

    def _saved(self, key: str, settings: Settings) -> Settings:
        if key.startswith("local_"):
            # The built-in client keeps the settings it was built with: a new one starts the new model.
            self._ctx.forget_clients_later()
        return self._ctx.settings_changed(settings)

    def set_setting(self, key: str, value: Any) -> Settings:
        """Change one setting, validated (``SettingsError`` names the key and what it accepts).

        Custom instructions that would leave no room for a message on the active profile's model are refused
        with the numbers (a chat on a smaller model is refused when it sends, the same way)."""
        if key == "custom_instructions":
            settings = replace(self._ctx.settings, custom_instructions=validate(key, value))
            check_room(self._ctx, blank_session(), settings)
        return self._saved(key, self._ctx.store.settings.set(key, value))

    def reset_setting(self, key: str) -> Settings:
        return self._saved(key, self._ctx.store.settings.reset(key))

    def damaged_settings(self) -> dict[str, str]:
        """Stored settings that cannot be used (not JSON, or out of range): key -> one line; their defaults apply."""
        return self._ctx.store.settings.damaged()
