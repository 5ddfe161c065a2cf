"""``workspace.tools``: the MCP servers' configuration (settings, secrets in the keyring) and their tools."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

from desktop_chat.core.controller.tool_loop import ToolApprover, ToolBox
from desktop_chat.core.errors import DesktopChatError, NotAllowed, SecretStoreUnavailable, SettingsError
from desktop_chat.core.facade.config import ConfigFacade
from desktop_chat.core.facade.context import Context
from desktop_chat.core.settings import Settings, ToolsMode
from desktop_chat.core.tool_config import (
    BEARER,
    ImportedServer,
    McpServerConfig,
    Policy,
    check_server_name,
    parse_claude_config,
    secret_name,
)
from desktop_chat.core.tools import ServerStatus, ToolSpec


class ToolsFacade:
    """Add, change and remove tool servers (no secret on disk: values go to the keyring first), and list
    each server's tools, starting it (``McpHost``, stopped with the workspace)."""

    def __init__(self, ctx: Context, config: ConfigFacade) -> None:
        self._ctx = ctx
        self._config = config
        self.box = ToolBox(ctx.mcp, self._lookup, store=ctx.store)
        ctx.tools = self.box  # the reply engine runs the tool loop with it (given when it is made)

    def _lookup(self, server: str, key: str) -> str | None:
        access = self._ctx.secrets
        return access.get(secret_name(server, key)) if access is not None else None

    # --- consent and mode, set by the front end -------------------------------------------

    def set_approver(self, approver: ToolApprover | None) -> None:
        """Who is asked about a call whose policy is ask (None: nobody; such calls are denied, and the model told)."""
        self.box.approver = approver

    def set_mode(self, mode: ToolsMode | None) -> None:
        """This process's mode over the setting ``tools_mode`` (the command line's ``--tools``); None: the setting's."""
        if mode not in (None, "auto", "ask", "off"):
            raise SettingsError(f"{mode!r} is not a tools mode: use auto, ask or off.")
        self.box.mode_override = mode

    def problems(self) -> list[str]:
        """The servers that could not start for the last reply, one line each."""
        return list(self.box.problems)

    def offered(self) -> tuple[ToolSpec, ...]:
        """The tools the next request offers (from the servers' last listings)."""
        return self.box.offered(self._ctx.settings)

    @property
    def servers(self) -> tuple[McpServerConfig, ...]:
        return self._ctx.settings.mcp_servers

    def server(self, name: str) -> McpServerConfig:
        for server in self.servers:
            if server.name == name:
                return server
        known = ", ".join(s.name for s in self.servers) or "none yet"
        raise SettingsError(f"There is no tool server {name!r}; known: {known}.")

    def _save(self, servers: tuple[McpServerConfig, ...]) -> Settings:
        return self._config.set_setting("mcp_servers", [s.to_dict() for s in servers])

    async def _keep_secrets(self, server: str, secrets: dict[str, str], *, session_ok: bool) -> None:
        if not secrets:
            return
        access = self._ctx.secrets
        if access is None:
            raise NotAllowed("This workspace was opened without access to the OS keyring.")
        for key, value in secrets.items():
            if not value:
                raise SettingsError(f"No value given for {key!r}.")
            try:
                await asyncio.to_thread(access.save, secret_name(server, key), value, session_ok=session_ok)
            except SecretStoreUnavailable:
                raise SecretStoreUnavailable(
                    f"No keyring to keep {key} of tool server {server!r}: unlock or install GNOME Keyring or "
                    "KWallet, or add it from the window (kept until you quit)."
                ) from None

    async def add(
        self,
        config: McpServerConfig,
        secrets: dict[str, str] | None = None,
        *,
        replace_existing: bool = False,
        session_ok: bool = True,
    ) -> Settings:
        """Add (or with ``replace_existing`` replace) a server; ``secrets`` (env name or ``BEARER`` -> value)
        go to the keyring before the configuration is saved. ``session_ok``: without a keyring, keep them
        until quit (the window) rather than refuse (the command line, which quits at once)."""
        config = McpServerConfig.from_dict(config.to_dict())  # the same rules as a stored one
        others = tuple(s for s in self.servers if s.name != config.name)
        if len(others) == len(self.servers) - 1 and not replace_existing:
            raise SettingsError(
                f"There is already a tool server {config.name!r}; remove it first or pick another name."
            )
        secrets = dict(secrets or {})
        keys = set(config.secret_keys())
        if set(secrets) - keys:
            raise SettingsError(f"Secrets {sorted(set(secrets) - keys)} are not named by server {config.name!r}.")
        await self._keep_secrets(config.name, secrets, session_ok=session_ok)
        old = next((s for s in self.servers if s.name == config.name), None)
        settings = self._save(
            (*others, config) if old is None else tuple(config if s.name == config.name else s for s in self.servers)
        )
        await self._ctx.mcp.stop(config.name)  # the next use starts it as configured now
        return settings

    async def remove(self, name: str) -> Settings:
        """Remove a server, stop it and forget its secrets."""
        found = self.server(name)
        settings = self._save(tuple(s for s in self.servers if s.name != found.name))
        await self._ctx.mcp.stop(found.name)
        access = self._ctx.secrets
        if access is not None:
            for key in found.secret_keys():
                await asyncio.to_thread(access.delete, secret_name(found.name, key))
        return settings

    async def set_enabled(self, name: str, enabled: bool) -> Settings:
        found = self.server(name)
        settings = self._save(tuple(replace(s, enabled=enabled) if s.name == found.name else s for s in self.servers))
        if not enabled:
            await self._ctx.mcp.stop(name)
        return settings

    def set_policy(self, server: str, tool: str, policy: Policy) -> Settings:
        """Whether ``tool`` of ``server`` may run without asking (always), after asking (ask), or never."""
        found = self.server(server)
        if not tool.strip():
            raise SettingsError("Name the tool the policy is for (see `desktop-chat mcp list`).")
        changed = found.with_policy(tool.strip(), policy)
        return self._save(tuple(changed if s.name == found.name else s for s in self.servers))

    def read_import(self, path: Path) -> list[ImportedServer]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise SettingsError(f"Cannot read {path}: {exc.strerror or exc}.") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{path} is not JSON ({exc}).") from None
        return parse_claude_config(data)

    async def import_file(self, path: Path, *, session_ok: bool = True) -> list[str]:
        """Add every server of an ``mcpServers`` file (Claude Desktop's); one line per server, added or why not.
        A server whose name is taken is skipped, so importing the same file twice changes nothing."""
        lines: list[str] = []
        for item in self.read_import(path):
            name = item.config.name
            if any(s.name == name for s in self.servers):
                lines.append(f"{name}: skipped, a tool server of that name exists.")
                continue
            try:
                await self.add(item.config, dict(item.secrets), session_ok=session_ok)
            except DesktopChatError as exc:
                lines.append(f"{name}: not added: {exc}")
                continue
            kept = f" ({', '.join(k for k, _ in item.secrets)} kept in the keyring)" if item.secrets else ""
            lines.append(f"{name}: added, {item.config.describe()}{kept}.")
        return lines

    async def status(self, names: tuple[str, ...] | None = None) -> list[ServerStatus]:
        """The enabled servers' tools (or those of ``names``, enabled or not), starting those not running."""
        chosen = tuple(
            replace(s, enabled=True) for s in self.servers if (s.enabled if names is None else s.name in names)
        )
        settings = self._ctx.settings
        statuses = await self._ctx.mcp.servers(chosen, self._lookup, settings.mcp_start_timeout)
        configs = {s.name: s for s in self.servers}
        for status in statuses:  # a listing made here is the one the next request offers; a failure, noted
            if status.name in configs:
                self.box.note(status, configs[status.name])
        return statuses


__all__ = ["BEARER", "ToolsFacade", "check_server_name"]
