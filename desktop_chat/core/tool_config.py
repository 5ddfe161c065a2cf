"""MCP servers as the settings keep them: how to start or reach each one, and a consent policy per tool.

Never a secret: a secret environment value or a bearer token is named here and kept in the OS keyring
under ``secret_name(server, key)``. Plain data with no I/O, so the settings can validate it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Literal, cast

from desktop_chat.core.errors import SettingsError

Policy = Literal["ask", "always", "never"]
POLICIES: tuple[Policy, ...] = ("ask", "always", "never")
DEFAULT_POLICY: Policy = "ask"
BEARER = "bearer"  # the keyring entry of a server's bearer token, beside its secret environment values

# A server name is part of every tool name the model sees (``server__tool``), which OpenAI limits to
# letters, digits, ``_`` and ``-``; so it is part of the configuration's rule, not a surprise later.
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# Environment names that look like secrets when imported from another app's configuration.
_SECRET_WORDS = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH", re.IGNORECASE)


def secret_name(server: str, key: str) -> str:
    """The keyring entry of one of a server's secrets (the ``profile`` of ``SecretAccess``)."""
    return f"mcp:{server}:{key}"


def check_server_name(name: str) -> str:
    name = name.strip()
    if not _NAME.match(name):
        raise SettingsError(
            f"{name!r} cannot name a tool server: use 1-32 letters, digits, '_' or '-' "
            "(the model sees it in tool names)."
        )
    return name


@dataclass(frozen=True, slots=True)
class McpServerConfig:
    """One MCP server: a command to start (stdio) or a URL (Streamable HTTP)."""

    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()  # plain values
    secret_env: tuple[str, ...] = ()  # names whose values are in the keyring
    url: str | None = None
    bearer: bool = False  # a bearer token is in the keyring
    enabled: bool = True
    policies: tuple[tuple[str, Policy], ...] = ()  # tool -> policy; a tool not listed is asked about

    @property
    def transport(self) -> Literal["stdio", "http"]:
        return "http" if self.url else "stdio"

    def policy(self, tool: str) -> Policy:
        return dict(self.policies).get(tool, DEFAULT_POLICY)

    def with_policy(self, tool: str, policy: Policy) -> McpServerConfig:
        if policy not in POLICIES:
            raise SettingsError(f"{policy!r} is not a tool policy: use ask, always or never.")
        kept = tuple((t, p) for t, p in self.policies if t != tool)
        return replace(self, policies=(*kept, (tool, policy)) if policy != DEFAULT_POLICY else kept)

    def secret_keys(self) -> tuple[str, ...]:
        """Every keyring entry this server uses (by key, see ``secret_name``)."""
        return (*self.secret_env, *((BEARER,) if self.bearer else ()))

    def describe(self) -> str:
        """One line for a list: what runs or where it is."""
        if self.url:
            return self.url + (" (bearer token in the keyring)" if self.bearer else "")
        return " ".join((self.command or "", *self.args))

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "enabled": self.enabled}
        if self.url:
            data.update(url=self.url, bearer=self.bearer)
        else:
            data.update(command=self.command, args=list(self.args))
            data["env"] = dict(self.env)
            data["secret_env"] = list(self.secret_env)
        if self.policies:
            data["policies"] = dict(self.policies)
        return data

    @classmethod
    def from_dict(cls, data: Any) -> McpServerConfig:
        if isinstance(data, McpServerConfig):
            return data
        if not isinstance(data, dict):
            raise SettingsError("A tool server must be an object with a name and a command or a url.")
        name = check_server_name(str(data.get("name", "")))
        command, url = data.get("command"), data.get("url")
        if bool(command) == bool(url):
            raise SettingsError(f"Tool server {name!r} needs either a command (stdio) or a url (Streamable HTTP).")
        if url is not None and (not isinstance(url, str) or not re.match(r"^https?://", url)):
            raise SettingsError(f"Tool server {name!r}: the url must start with http:// or https://.")
        args, env, secret_env = data.get("args", []), data.get("env", {}), data.get("secret_env", [])
        policies = data.get("policies", {})
        if (
            not isinstance(args, list | tuple)
            or not isinstance(env, dict)
            or not isinstance(secret_env, list | tuple)
            or not isinstance(policies, dict)
            or any(p not in POLICIES for p in policies.values())
        ):
            raise SettingsError(
                f"Tool server {name!r}: args and secret_env are lists, env an object, "
                "policies tool -> ask|always|never."
            )
        return cls(
            name=name,
            command=str(command) if command else None,
            args=tuple(str(a) for a in args),
            env=tuple((str(k), str(v)) for k, v in env.items()),
            secret_env=tuple(str(k) for k in secret_env),
            url=str(url) if url else None,
            bearer=bool(data.get("bearer", False)),
            enabled=bool(data.get("enabled", True)),
            policies=tuple((str(t), cast(Policy, p)) for t, p in policies.items()),
        )


def check_servers(value: Any) -> tuple[McpServerConfig, ...]:
    if not isinstance(value, list | tuple):
        raise ValueError
    servers = tuple(McpServerConfig.from_dict(v) for v in value)
    names = [s.name for s in servers]
    if len(set(names)) != len(names):
        raise SettingsError("Tool server names must be unique.")
    return servers


@dataclass(frozen=True, slots=True)
class ImportedServer:
    """A server read from another app's configuration, with the secrets that go to the keyring."""

    config: McpServerConfig
    secrets: tuple[tuple[str, str], ...]  # (key, value): secret env values, and BEARER


def parse_claude_config(data: Any) -> list[ImportedServer]:
    """Claude Desktop's ``{"mcpServers": {name: {command, args, env} | {url, headers}}}`` (Cursor and others
    use the same shape). Environment values whose names look secret (KEY, TOKEN, SECRET...) and an
    ``Authorization: Bearer`` header go to the keyring; a server of another kind is refused by name."""
    servers = data.get("mcpServers") if isinstance(data, dict) else None
    if not isinstance(servers, dict):
        raise SettingsError('The file has no "mcpServers" object (Claude Desktop\'s claude_desktop_config.json has).')
    found: list[ImportedServer] = []
    for name, entry in servers.items():
        if not isinstance(entry, dict):
            raise SettingsError(f"Server {name!r} in the file is not an object.")
        secrets: list[tuple[str, str]] = []
        if entry.get("url"):
            headers = entry.get("headers") or {}
            auth = str(headers.get("Authorization", "")) if isinstance(headers, dict) else ""
            bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
            if bearer:
                secrets.append((BEARER, bearer))
            config = McpServerConfig.from_dict({"name": name, "url": entry["url"], "bearer": bool(bearer)})
        else:
            env = entry.get("env") or {}
            if not isinstance(env, dict):
                raise SettingsError(f"Server {name!r} in the file: env is not an object.")
            plain = {k: v for k, v in env.items() if not _SECRET_WORDS.search(str(k))}
            secrets = [(str(k), str(v)) for k, v in env.items() if k not in plain]
            config = McpServerConfig.from_dict(
                {
                    "name": name,
                    "command": entry.get("command"),
                    "args": entry.get("args") or [],
                    "env": plain,
                    "secret_env": [k for k, _ in secrets],
                }
            )
        found.append(ImportedServer(config, tuple(secrets)))
    return found
