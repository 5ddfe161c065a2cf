"""Crash safety: a `send` killed with SIGKILL mid-stream loses at most the last second of the reply."""

from __future__ import annotations

import asyncio
import os
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest

from desktop_chat.core.controller import ConversationController
from desktop_chat.core.models import MessageStatus, Role
from desktop_chat.core.storage.store import Store
from tests.helpers.cli import cli, command, configure_cli
from tests.helpers.controller import make_factory
from tests.helpers.fake_openai import FakeOpenAIServer

CHUNKS = [f"c{i:03d} " for i in range(120)]
CHUNK_DELAY = 0.05  # 6 s of reply in all


@pytest.mark.slow
def test_sigkill_mid_stream_keeps_the_message_and_all_but_the_last_second(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    data = tmp_path / "data"
    configure_cli(data, fake_openai)
    fake_openai.reply(chunks=CHUNKS, chunk_delay=CHUNK_DELAY)
    proc = subprocess.Popen(
        command(data, "send", "--new", "Count slowly"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    received: list[tuple[float, int]] = []  # (when, characters the process had printed)
    out = b""
    deadline = time.monotonic() + 60
    try:
        # Read the reply as it streams; kill at an arbitrary moment well inside it (between saves or not).
        while b"c047" not in out:
            assert time.monotonic() < deadline, out
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if ready:
                piece = os.read(proc.stdout.fileno(), 4096)
                assert piece, "the reply ended before the kill"
                out += piece
                received.append((time.monotonic(), len(out)))
        killed_at = time.monotonic()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        proc.stdout.close()
        assert proc.stderr is not None
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL

    full = "".join(CHUNKS)
    a_second_before = max((n for t, n in received if t <= killed_at - 1.0), default=0)
    assert a_second_before > 0, "kill came too early to measure anything"

    store = Store.open(data)
    try:
        assert store.db.integrity_check() == "ok"
        session = store.sessions.list_by_activity()[0]
        before = store.messages.all(session.id)
        assert (before[0].role, before[0].content) == (Role.USER, "Count slowly")
        assert before[1].status is MessageStatus.STREAMING  # as the kill left it

        async def recover() -> list[int]:
            controller = ConversationController(store, make_factory())
            try:
                return [m.id for m in controller.recover_interrupted()]
            finally:
                await controller.aclose()

        assert asyncio.run(recover()) == [before[1].id]
        reply = store.messages.get(before[1].id)
        assert reply.status is MessageStatus.STOPPED
        assert full.startswith(reply.content)
        # Everything printed up to a second before the kill was already on disk.
        assert len(reply.content) >= a_second_before, (len(reply.content), a_second_before)
        assert store.db.integrity_check() == "ok"
    finally:
        store.close()

    # And the chat carries on: the stopped reply can be retried from the command line.
    retried = cli(data, "send", str(session.id), "--retry")
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout == "You said: Count slowly\n"
