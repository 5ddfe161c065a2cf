"""A reply another process streams into the open chat: the window follows it to its end, or to its writer's death."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from desktop_chat.core.controller import INTERRUPTED_NOTE
from desktop_chat.core.models import MessageStatus, Role
from tests.helpers.cli import command
from tests.helpers.fake_openai import FakeOpenAIServer, Fault
from tests.helpers.waiting import until
from tests.helpers.window import Harness, data_dir
from tests.helpers.workspace import prepare_profile


def _send_elsewhere(folder: Path, chat: int, text: str) -> subprocess.Popen[bytes]:
    """``desktop-chat send`` in another process, as a second window or a terminal would."""
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    return subprocess.Popen(
        command(folder, "send", str(chat), text),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _reply_row(h: Harness) -> tuple[MessageStatus, str, str | None] | None:
    rows = [r for r in h.window.chat.model.rows() if r.message is not None and r.message.role is Role.ASSISTANT]
    return (rows[-1].status, rows[-1].text, rows[-1].error) if rows else None


@pytest.mark.slow
def test_a_reply_whose_writer_was_killed_shows_as_stopped_within_seconds(
    open_window: Callable[..., Harness], tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    prepare_profile(data_dir(tmp_path), fake_openai)
    h = open_window()
    fake_openai.fail(Fault.FOREVER, interval=0.05)
    other = _send_elsewhere(h.folder, h.chat_id, "Talk forever")
    try:

        async def streaming_elsewhere() -> None:
            await until(
                lambda: (row := _reply_row(h)) is not None and row[0] is MessageStatus.STREAMING and row[1],
                seconds=20,
                what="the other process's reply, streaming",
            )

        h.run(streaming_elsewhere())
    finally:
        other.send_signal(signal.SIGKILL)
        other.wait(10)

    async def settled() -> None:
        await until(
            lambda: (row := _reply_row(h)) is not None and row[0] is MessageStatus.STOPPED,
            seconds=3,
            what="the orphaned reply, stopped",
        )

    h.run(settled())
    row = _reply_row(h)
    assert row is not None and row[1] and row[2] == INTERRUPTED_NOTE
    html, _ = h.window.chat.delegate._html(h.window.chat.model.rows()[-1])
    assert "<b>stopped</b>" in html and "streaming…" not in html
    # The chat takes a new message from this window at once.
    assert not h.workspace.is_busy(h.chat_id)


@pytest.mark.slow
def test_a_reply_another_process_finishes_shows_as_complete(
    open_window: Callable[..., Harness], tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    prepare_profile(data_dir(tmp_path), fake_openai)
    h = open_window()
    fake_openai.reply(chunks=[f"word{i} " for i in range(40)], chunk_delay=0.05)
    other = _send_elsewhere(h.folder, h.chat_id, "Say forty words")
    try:

        async def followed() -> None:
            await until(lambda: _reply_row(h) is not None, seconds=20, what="the other process's reply")
            await until(
                lambda: (row := _reply_row(h)) is not None and row[0] is MessageStatus.COMPLETE,
                seconds=20,
                what="the reply, complete",
            )

        h.run(followed())
        assert other.wait(20) == 0
    finally:
        if other.poll() is None:
            other.kill()
            other.wait(10)
    row = _reply_row(h)
    assert row is not None and row[1].split() == [f"word{i}" for i in range(40)]
