"""Provider profiles, their API keys, the models a server lists, and a connection check for the settings window."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass

from desktop_chat.core import profile_rules
from desktop_chat.core.errors import DesktopChatError, NotAllowed, SecretStoreUnavailable
from desktop_chat.core.facade.config import ConfigFacade
from desktop_chat.core.facade.context import Context
from desktop_chat.core.facade.local import LocalFacade
from desktop_chat.core.profiles import ProviderProfile, env_key_for
from desktop_chat.core.providers import OpenAIChatClient
from desktop_chat.core.providers.local.files import resolve_model_file
from desktop_chat.core.secrets import NO_KEYRING_SESSION, clean_api_key
from desktop_chat.core.services import SecretAccess, resolve_api_key
from desktop_chat.core.settings import Settings

CHECK_CONNECT_TIMEOUT = 5.0  # seconds: a connection check answers quickly or says why not
CHECK_READ_TIMEOUT = 15.0


@dataclass(frozen=True, slots=True)
class ConnectionCheck:
    """The answer of ``test_connection``: one line for the user, and the models the server lists."""

    ok: bool
    message: str
    models: tuple[str, ...] = ()


class ProvidersFacade:
    """``workspace.providers``: profile changes follow ``profile_rules``; keys go through ``SecretAccess``,
    off the loop's thread (a keyring call may block); clients built from old settings are closed."""

    def __init__(self, ctx: Context, config: ConfigFacade, local: LocalFacade) -> None:
        self._ctx = ctx
        self._config = config
        self._local = local

    # --- profiles -----------------------------------------------------------------------------

    def _save(self, key: str, value: object) -> Settings:
        return self._ctx.store.settings.set(key, value)

    def add_profile(self, profile: ProviderProfile, *, activate: bool = False) -> Settings:
        settings = profile_rules.add(self._ctx.settings, profile, self._save, activate=activate)
        return self._ctx.settings_changed(settings)

    def update_profile(self, name: str, profile: ProviderProfile) -> Settings:
        """Replace profile ``name`` (it may be renamed); clients built for the old one are closed."""
        settings = profile_rules.replace(self._ctx.settings, name, profile, self._save)
        self._ctx.forget_clients_later()
        return self._ctx.settings_changed(settings)

    def remove_profile(self, name: str) -> Settings:
        settings = profile_rules.remove(self._ctx.settings, name, self._save)
        self._ctx.forget_clients_later()
        return self._ctx.settings_changed(settings)

    def set_active_profile(self, name: str) -> Settings:
        return self._config.set_setting("active_profile", name)

    async def forget_profile(self, name: str) -> tuple[Settings, bool]:
        """Remove a profile and the key stored for it (a key left behind would be found by a new profile
        of the same name); (settings, whether a key was deleted). Without a keyring only the profile goes."""
        settings = self.remove_profile(name)
        if self._ctx.secrets is None:
            return settings, False
        try:
            deleted, _ = await self.delete_api_key(name)
        except SecretStoreUnavailable:
            return settings, False
        return settings, deleted

    # --- keys ---------------------------------------------------------------------------------

    def _secret_access(self) -> SecretAccess:
        if self._ctx.secrets is None:
            raise NotAllowed("This workspace was opened without access to the OS keyring.")
        return self._ctx.secrets

    async def set_api_key(self, profile: str, key: str, *, to_file: bool = False, session_ok: bool = True) -> str:
        """Keep the profile's API key (off the loop's thread): the keyring, else (``session_ok``) memory until
        quit, or the data folder's 0600 key file when ``to_file``; returns where (``SecretAccess.save``)."""
        self._ctx.settings.profile(profile)
        key = clean_api_key(key)
        secrets = self._secret_access()
        where = await asyncio.to_thread(lambda: secrets.save(profile, key, to_file=to_file, session_ok=session_ok))
        await self._ctx.controller.forget_clients()
        return where

    async def move_api_key(self, old: str, new: str) -> bool:
        """After renaming profile ``old`` to ``new``: its stored key follows it (off the loop's thread).

        False when there was none to move, the new name has its own, or there is no access to keys."""
        if self._ctx.secrets is None:
            return False
        secrets = self._ctx.secrets
        try:
            moved = await asyncio.to_thread(secrets.move, old, new)
        except SecretStoreUnavailable:  # the keyring refused (locked): the key stays under the old name
            return False
        if moved:
            await self._ctx.controller.forget_clients()
        return moved

    async def delete_api_key(self, profile: str) -> tuple[bool, str]:
        """Forget the profile's key wherever it is kept; (whether there was one, where keys are kept)."""
        secrets = self._secret_access()
        deleted = await asyncio.to_thread(secrets.delete, profile)
        await self._ctx.controller.forget_clients()
        return deleted, "where it was kept"

    async def keyring_notice(self) -> str | None:
        """Without an OS keyring, the one line saying a key typed now is kept until quit; else None."""
        secrets = self._ctx.secrets
        missing = secrets is not None and await asyncio.to_thread(secrets.problem) is not None
        return NO_KEYRING_SESSION if missing else None

    async def key_status(self, profile: str) -> str:
        """Where the profile's key comes from ("stored in ...", "from OPENAI_API_KEY", ...), never the key."""
        found = self._ctx.settings.profile(profile)
        return await asyncio.to_thread(self._secret_access().describe, found)

    async def provider_ready(self) -> bool:
        """Whether the active profile can be used as it is: it needs no key, or one is stored or in the environment.

        A workspace built around a ready client (no keyring access) counts as ready. Off the loop's thread.
        """
        profile = self._ctx.settings.profile()
        secrets = self._ctx.secrets
        if not profile.needs_key or env_key_for(profile, os.environ) or secrets is None:
            return True
        return bool(await asyncio.to_thread(secrets.get, profile.name))

    # --- models and connection checks ----------------------------------------------------------

    async def list_models(self, profile: str | None = None) -> list[str]:
        """The models the profile's server lists, sorted."""
        found = self._ctx.settings.profile(profile)
        if found.is_builtin:  # the model files it can run; listing them starts no server
            return [str(path) for path, _ in self._local.files()]
        client = await self._ctx.controller.client_for(found)
        return sorted(await client.list_models())

    async def test_connection(
        self, profile: ProviderProfile | str | None = None, *, key: str | None = None
    ) -> ConnectionCheck:
        """Ask the profile's server for its models: whether it answers, in one line, and what it lists.

        ``profile`` may be one not saved yet (a settings form); ``key`` is a key typed but not
        stored yet, else the profile's own (keyring, then ``OPENAI_API_KEY``). Spends no tokens.
        """
        found = profile if isinstance(profile, ProviderProfile) else self._ctx.settings.profile(profile)
        settings = self._ctx.settings
        if found.is_builtin:
            return await self._check_local_model(settings)
        try:
            api_key = await self._key_for_check(found, key)
        except DesktopChatError as exc:
            return ConnectionCheck(False, str(exc))
        client = await asyncio.to_thread(
            lambda: OpenAIChatClient(
                found.base_url,
                api_key,
                connect_timeout=min(settings.connect_timeout, CHECK_CONNECT_TIMEOUT),
                read_timeout=min(settings.read_timeout, CHECK_READ_TIMEOUT),
                max_retries=0,
            ).prepare()  # the SDK's set-up (CA bundle) in a worker thread, not on the GUI's
        )
        try:
            models = tuple(sorted(await client.list_models()))
        except DesktopChatError as exc:
            return ConnectionCheck(False, str(exc))
        finally:
            await client.aclose()
        where = client.base_url
        if not models:
            return ConnectionCheck(True, f"Connected to {where}; it lists no models (type the model's name).")
        listed = "1 model" if len(models) == 1 else f"{len(models)} models"
        missing = "" if found.default_model in models else f"; '{found.default_model}' is not among them"
        return ConnectionCheck(True, f"Connected to {where}: {listed}{missing}.", models)

    async def _key_for_check(self, profile: ProviderProfile, key: str | None) -> str:
        if key is not None and key.strip():
            return key.strip()
        if not profile.needs_key:
            return ""
        secrets = self._ctx.secrets
        if secrets is None:
            # No keyring access here: the environment is the only other place a key comes from.
            return env_key_for(profile, os.environ)
        return await asyncio.to_thread(lambda: resolve_api_key(profile, secrets))

    async def _check_local_model(self, settings: Settings) -> ConnectionCheck:
        """The built-in profile has no server to ask until it is used: check its model file instead."""
        try:
            path = await asyncio.to_thread(resolve_model_file, settings)
        except DesktopChatError as exc:
            return ConnectionCheck(False, str(exc))
        size = path.stat().st_size / 1_000_000
        return ConnectionCheck(True, f"Built-in model {path.name} ({size:.0f} MB) starts with the first message.")
