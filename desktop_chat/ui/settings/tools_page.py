"""Settings → Tools (issue 24): the MCP servers (add, edit, remove, switch on or off, Test lists their tools),
each tool's policy, and the tools mode.

Unlike the other pages, each change here is applied at once (a server added, a policy chosen): a server's
secrets go to the keyring as it is added, and Test starts it; the dialog's Save is not needed for them.
"""

from __future__ import annotations

import asyncio
import shlex
from functools import partial
from typing import Any, TypeVar

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_chat.core.errors import DesktopChatError
from desktop_chat.core.settings import Settings
from desktop_chat.core.tool_config import BEARER, POLICIES, McpServerConfig
from desktop_chat.ui.settings.fields import ERROR_STYLE

MODES = (("auto", "Each tool's policy"), ("ask", "Ask for every call"), ("off", "Off: offer no tools"))


def _pairs(text: str, what: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise DesktopChatError(f"{what}: {line.strip()!r} is not NAME=VALUE (one per line).")
        pairs[name.strip()] = value.strip()
    return pairs


_W = TypeVar("_W", bound=QWidget)


def _labelled(widget: _W, name: str, tip: str) -> _W:
    widget.setAccessibleName(name)
    widget.setToolTip(tip)
    return widget


class ToolsPage(QWidget):
    def __init__(self, workspace: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Tools")
        self.workspace = workspace
        self._tasks: set[asyncio.Future[Any]] = set()
        self._loading = False
        self.mode = QComboBox()
        for value, text in MODES:
            self.mode.addItem(text, value)
        _labelled(self.mode, "Tools mode", "Whether tools are offered, and when a call needs your approval")
        self.history = QCheckBox("Offer “search my history” (the model may search your other chats)")
        _labelled(self.history, "Offer search my history", "A built-in tool: full-text search over your saved chats")
        self.servers = QListWidget()
        _labelled(self.servers, "Tool servers", "Tick a server to offer its tools; select it to edit or test it")
        # An empty list says nothing: this says how to fill it, until a server exists.
        self.empty_hint = QLabel(
            "No tool servers yet: fill in a name and a command (or a URL) below and press Add or update, "
            "or run `desktop-chat mcp import FILE` with Claude Desktop's configuration."
        )
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        _labelled(self.empty_hint, "No tool servers yet", "How to add a tool server")
        self.name = _labelled(QLineEdit(), "Server name", "Letters, digits, _ or -; the model sees it in tool names")
        self.command = _labelled(
            QLineEdit(), "Command", "The command that starts a stdio server, with its arguments (quoted as in a shell)"
        )
        self.url = _labelled(QLineEdit(), "URL", "A Streamable HTTP server's URL (instead of a command)")
        self.env = _labelled(QPlainTextEdit(), "Environment", "NAME=VALUE per line, kept in the settings (not secret)")
        self.secret_env = _labelled(
            QPlainTextEdit(), "Secret environment", "NAME=VALUE per line, the values kept in the OS keyring"
        )
        self.bearer = _labelled(QLineEdit(), "Bearer token", "For a URL: a token kept in the OS keyring")
        self.bearer.setEchoMode(QLineEdit.EchoMode.Password)
        for box in (self.env, self.secret_env):
            box.setMaximumHeight(60)
        self._lay_out()
        self.mode.currentIndexChanged.connect(self._mode_changed)
        self.history.toggled.connect(self._history_changed)
        self.servers.currentItemChanged.connect(self._selected)
        self.servers.itemChanged.connect(self._ticked)
        self.save_button.clicked.connect(self._save_clicked)
        self.remove_button.clicked.connect(self._remove_clicked)
        self.test_button.clicked.connect(self._test_clicked)
        self.new_button.clicked.connect(self._new_clicked)

    def _lay_out(self) -> None:
        form = QFormLayout()
        form.addRow("&Mode", self.mode)
        form.addRow("", self.history)
        details = QFormLayout()
        for label, widget in (
            ("&Name", self.name),
            ("&Command", self.command),
            ("&URL", self.url),
            ("&Environment", self.env),
            ("&Secrets", self.secret_env),
            ("&Bearer token", self.bearer),
        ):
            details.addRow(label, widget)
        self.save_button = self._button("&Add or update", "Add the server, or update the one of this name")
        self.remove_button = self._button("&Remove", "Remove the selected server and its secrets")
        self.test_button = self._button("&Test", "Start the selected server and list its tools")
        self.new_button = self._button("Ne&w", "Clear the form to add another server")
        buttons = QHBoxLayout()
        for button in (self.save_button, self.test_button, self.remove_button, self.new_button):
            buttons.addWidget(button)
        self.tools = QTableWidget(0, 3)
        self.tools.setHorizontalHeaderLabels(["Tool", "Policy", "What it does"])
        self.tools.horizontalHeader().setStretchLastSection(True)
        _labelled(self.tools, "The server's tools", "Each tool and whether it runs after asking, always, or never")
        self.status = QLabel()
        self.status.setWordWrap(True)
        _labelled(self.status, "Tools status", "What the last action did")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.empty_hint)
        layout.addWidget(self.servers, 1)
        layout.addLayout(details)
        layout.addLayout(buttons)
        layout.addWidget(self.tools, 1)
        layout.addWidget(self.status)

    def _button(self, text: str, tip: str) -> QPushButton:
        button = QPushButton(text)
        _labelled(button, text.replace("&", ""), tip)
        return button

    # --- showing ------------------------------------------------------------------------------

    def load(self, settings: Settings) -> None:
        self._loading = True
        try:
            self.mode.setCurrentIndex(max(0, self.mode.findData(settings.tools_mode)))
            self.history.setChecked(settings.history_tool)
            selected = self.servers.currentItem().text().split("  ")[0] if self.servers.currentItem() else None
            self.servers.clear()
            for server in settings.mcp_servers:
                item = QListWidgetItem(f"{server.name}  —  {server.describe()}")
                item.setData(Qt.ItemDataRole.UserRole, server.name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if server.enabled else Qt.CheckState.Unchecked)
                self.servers.addItem(item)
                if server.name == selected:
                    self.servers.setCurrentItem(item)
            self.empty_hint.setVisible(not settings.mcp_servers)
        finally:
            self._loading = False

    def _server(self) -> McpServerConfig | None:
        item = self.servers.currentItem()
        if item is None:
            return None
        name = item.data(Qt.ItemDataRole.UserRole)
        return next((s for s in self.workspace.settings.mcp_servers if s.name == name), None)

    @Slot()
    def _selected(self) -> None:
        server = self._server()
        if server is None:
            return
        self.name.setText(server.name)
        self.command.setText(shlex.join([server.command, *server.args]) if server.command else "")
        self.url.setText(server.url or "")
        self.env.setPlainText("\n".join(f"{k}={v}" for k, v in server.env))
        # Secret values are never shown: a name with nothing after = keeps the stored value.
        self.secret_env.setPlainText("\n".join(f"{k}=" for k in server.secret_env))
        self.bearer.clear()
        self.bearer.setPlaceholderText("(kept in the keyring; type to replace)" if server.bearer else "")
        self.tools.setRowCount(0)

    def say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(ERROR_STYLE if error else "")

    # --- acting -------------------------------------------------------------------------------

    def _run(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def pending(self) -> list[asyncio.Future[Any]]:
        return list(self._tasks)

    @Slot(int)
    def _mode_changed(self, _index: int) -> None:
        if not self._loading:
            self._apply("tools_mode", self.mode.currentData())

    @Slot(bool)
    def _history_changed(self, on: bool) -> None:
        if not self._loading:
            self._apply("history_tool", on)

    def _apply(self, key: str, value: Any) -> None:
        try:
            self.workspace.set_setting(key, value)
        except DesktopChatError as exc:
            self.say(str(exc), error=True)

    @Slot(QListWidgetItem)
    def _ticked(self, item: QListWidgetItem) -> None:
        if self._loading:
            return
        on = item.checkState() == Qt.CheckState.Checked
        self._run(self._guard(self.workspace.tools.set_enabled(item.data(Qt.ItemDataRole.UserRole), on)))

    async def _guard(self, coro: Any, done: str = "") -> bool:
        try:
            await coro
        except DesktopChatError as exc:
            self.say(str(exc), error=True)
            return False
        if done:
            self.say(done)
        self.load(self.workspace.settings)
        return True

    def _form(self) -> tuple[McpServerConfig, dict[str, str]]:
        secrets = _pairs(self.secret_env.toPlainText(), "Secrets")
        data: dict[str, Any] = {"name": self.name.text().strip()}
        url = self.url.text().strip()
        if url:
            token = self.bearer.text().strip()
            old = self._server()
            data.update(url=url, bearer=bool(token) or bool(old and old.name == data["name"] and old.bearer))
            secrets = {BEARER: token} if token else {}
        else:
            words = shlex.split(self.command.text())
            if not words:
                raise DesktopChatError("Give a command (a stdio server) or a URL (Streamable HTTP).")
            data.update(command=words[0], args=words[1:], env=_pairs(self.env.toPlainText(), "Environment"))
            data["secret_env"] = list(secrets)
        return McpServerConfig.from_dict(data), {k: v for k, v in secrets.items() if v}

    @Slot()
    def _save_clicked(self) -> None:
        try:
            config, secrets = self._form()
        except (DesktopChatError, ValueError) as exc:
            self.say(str(exc), error=True)
            return
        old = next((s for s in self.workspace.settings.mcp_servers if s.name == config.name), None)
        if old is not None:
            config = McpServerConfig.from_dict(
                {**config.to_dict(), "enabled": old.enabled, "policies": dict(old.policies)}
            )
        add = self.workspace.tools.add(config, secrets, replace_existing=old is not None)
        self._run(self._guard(add, f"{'Updated' if old else 'Added'} tool server {config.name!r}."))

    @Slot()
    def _remove_clicked(self) -> None:
        server = self._server()
        if server is not None:
            self._run(self._guard(self.workspace.tools.remove(server.name), f"Removed {server.name!r}."))

    @Slot()
    def _new_clicked(self) -> None:
        self.servers.clearSelection()
        self.servers.setCurrentRow(-1)
        for edit in (self.name, self.command, self.url, self.bearer):
            edit.clear()
        self.env.clear()
        self.secret_env.clear()
        self.tools.setRowCount(0)

    @Slot()
    def _test_clicked(self) -> None:
        server = self._server()
        if server is None:
            self.say("Select a server to test.", error=True)
            return
        self.say(f"Starting {server.name!r}…")
        self._run(self.test(server.name))

    async def test(self, name: str) -> None:
        """Start the server (if it is not running) and list its tools with their policies."""
        try:
            [status] = await self.workspace.tools.status((name,))
        except DesktopChatError as exc:
            self.say(str(exc), error=True)
            return
        self.tools.setRowCount(0)
        if not status.ok:
            self.say(status.line(), error=True)
            return
        server = next(s for s in self.workspace.settings.mcp_servers if s.name == name)
        for row, tool in enumerate(status.tools):
            self.tools.insertRow(row)
            self.tools.setCellWidget(row, 0, _labelled(QLabel(tool.name), tool.name, "The tool's name"))
            policy = QComboBox()
            policy.addItems(POLICIES)
            policy.setCurrentText(server.policy(tool.name))
            _labelled(policy, f"Policy of {tool.name}", "ask: you approve each call; always; never: not offered")
            policy.currentTextChanged.connect(partial(self._set_policy, name, tool.name))
            self.tools.setCellWidget(row, 1, policy)
            self.tools.setCellWidget(row, 2, _labelled(QLabel(tool.description), "Description", tool.description))
        took = f" (started in {status.seconds:.1f} s)" if status.seconds else ""
        self.say(f"{name}: {len(status.tools)} tool(s){took}.")

    def _set_policy(self, server: str, tool: str, policy: str) -> None:
        try:
            self.workspace.tools.set_policy(server, tool, policy)
        except DesktopChatError as exc:
            self.say(str(exc), error=True)
        else:
            self.say(f"{tool}: {policy}.")
