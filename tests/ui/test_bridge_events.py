"""Every event class of the core reaches a handler in the bridge: a new one cannot be silently dropped."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from desktop_chat.core import events
from desktop_chat.core.bootstrap import open_workspace
from desktop_chat.core.secrets import MemorySecretStore
from desktop_chat.ui.bridge import WorkspaceBridge

# Started and the endings arrive through the reply's own task (run_reply), not the channel, and
# a reply's Deltas come through the channel but only fill the text buffer (no signal until a
# flush): neither emits one of the signals below when it reaches _on_event.
REPLY_ONLY = set(typing.get_args(events.ReplyEvent))


def _event_classes() -> list[type]:
    return [
        cls
        for cls in vars(events).values()
        if inspect.isclass(cls) and dataclasses.is_dataclass(cls) and cls.__module__ == events.__name__
    ]


def _sample(cls: type) -> Any:
    """An instance with placeholder values of the right shape for the signals (ids are ints, text is str)."""
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        if field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING:
            continue
        kind = str(field.type)
        values[field.name] = (
            1
            if kind.startswith("int")
            else "x"
            if kind == "str"
            else True
            if kind == "bool"
            else {}
            if kind.startswith("Mapping")
            else object()
        )
    return cls(**values)


def test_every_event_class_is_in_the_union_the_bridge_matches() -> None:
    assert set(_event_classes()) == set(typing.get_args(events.Event))


@pytest.mark.parametrize("cls", _event_classes(), ids=lambda cls: cls.__name__)
def test_the_bridge_handles_every_event_class(cls: type, qtbot: QtBot, tmp_path: Path) -> None:
    workspace = open_workspace(tmp_path, secrets=MemorySecretStore)
    bridge = WorkspaceBridge(workspace)
    emitted: list[str] = []
    for name in (
        "sessionsChanged",
        "memoryChanged",
        "upkeepChanged",
        "externalChange",
        "localModelChanged",
        "indexingProgress",
    ):
        getattr(bridge, name).connect(lambda *_args, name=name: emitted.append(name))
    try:
        bridge._on_event(_sample(cls))  # an unhandled class fails here (assert_never)
    finally:
        workspace.close()
    if cls not in REPLY_ONLY:
        assert emitted, f"{cls.__name__} reached the bridge and changed nothing"


def test_an_unknown_event_fails_loudly(qtbot: QtBot, tmp_path: Path) -> None:
    @dataclasses.dataclass(frozen=True)
    class Unknown:
        pass

    workspace = open_workspace(tmp_path, secrets=MemorySecretStore)
    bridge = WorkspaceBridge(workspace)
    try:
        with pytest.raises(AssertionError):
            bridge._on_event(Unknown())  # type: ignore[arg-type]
    finally:
        workspace.close()
