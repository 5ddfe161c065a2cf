"""Settings: read, change and reset one value, validated; list what is stored but unusable."""

from __future__ import annotations

from typing import Any

from desktop_chat.core.facade.context import Context
from desktop_chat.core.settings import Settings


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
        """Change one setting, validated (``SettingsError`` names the key and what it accepts)."""
        return self._saved(key, self._ctx.store.settings.set(key, value))

    def reset_setting(self, key: str) -> Settings:
        return self._saved(key, self._ctx.store.settings.reset(key))

    def damaged_settings(self) -> dict[str, str]:
        """Stored settings that cannot be used (not JSON, or out of range): key -> one line; their defaults apply."""
        return self._ctx.store.settings.damaged()
