"""Two processes, one chat: real `desktop-chat send` processes on one database never interleave."""

from __future__ import annotations

import os
import select
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest

from desktop_chat.core.models import MessageStatus
from desktop_chat.core.paths import database_path
from desktop_chat.core.storage.store import Store
from tests.helpers.cli import cli, command, configure_cli, one_line
from tests.helpers.fake_openai import FakeOpenAIServer, Fault

BUSY_LINE = "desktop-chat: This chat is answering elsewhere; wait for that reply or stop it there."
SLOW_CHUNKS = [f"w{i:02d} " for i in range(16)]


@pytest.fixture
def data(tmp_path: Path, fake_openai: FakeOpenAIServer) -> Path:
    folder = tmp_path / "data"
    configure_cli(folder, fake_openai)
    return folder


def send_process(data: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command(data, "send", *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def every_message(data: Path, session_id: int) -> list[tuple[str, str, MessageStatus, bool]]:
    store = Store.open(data)
    try:
        return [
            (m.role.value, m.content, m.status, m.active) for m in store.messages.all(session_id, include_inactive=True)
        ]
    finally:
        store.close()


@pytest.mark.slow
def test_four_senders_on_one_chat_one_answers_the_others_say_why(data: Path, fake_openai: FakeOpenAIServer) -> None:
    assert cli(data, "send", "--new", "hello").returncode == 0
    before = every_message(data, 1)
    # The winner's reply streams only once the three others have tried and ended: it lasts as long as they need.
    held = threading.Event()
    fake_openai.reply(chunks=SLOW_CHUNKS, hold=held)
    questions = [f"question {n}" for n in range(4)]
    procs = [send_process(data, "1", q) for q in questions]
    results: list[tuple[int, str, str]] = []
    try:
        deadline = time.monotonic() + 90
        while sum(proc.poll() is not None for proc in procs) < len(procs) - 1:
            assert time.monotonic() < deadline, [proc.poll() for proc in procs]
            time.sleep(0.05)
        held.set()
        for proc in procs:
            stdout, stderr = proc.communicate(timeout=90)
            results.append((proc.returncode, stdout.decode(), stderr.decode()))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()

    winners = [i for i, (code, _, _) in enumerate(results) if code == 0]
    assert len(winners) == 1, results
    winner = winners[0]
    assert results[winner][1].strip() == "".join(SLOW_CHUNKS).strip()
    for i, (code, out, err) in enumerate(results):
        if i != winner:
            assert code == 1, results[i]
            assert out == ""
            assert one_line(err) == BUSY_LINE

    # Question, reply; nothing from the losers, not even an inactive message.
    assert every_message(data, 1) == [
        *before,
        ("user", questions[winner], MessageStatus.COMPLETE, True),
        ("assistant", "".join(SLOW_CHUNKS), MessageStatus.COMPLETE, True),
    ]
    # The one request carried no other process's question.
    sent = [m["content"] for m in fake_openai.chat_requests[-1].body["messages"]]
    assert sent[-1] == questions[winner]
    assert not (set(questions) - {questions[winner]}) & set(sent)
    with sqlite3.connect(database_path(data)) as db:
        assert db.execute("SELECT COUNT(*) FROM chat_claims").fetchone()[0] == 0  # released on exit


@pytest.mark.slow
def test_a_claim_left_by_a_killed_sender_is_taken_over(data: Path, fake_openai: FakeOpenAIServer) -> None:
    assert cli(data, "send", "--new", "hello").returncode == 0
    fake_openai.fail(Fault.FOREVER, interval=0.05)
    proc = send_process(data, "1", "never finishes")
    assert proc.stdout is not None
    out = b""
    deadline = time.monotonic() + 30
    try:
        while b"tick3 " not in out:  # the reply is streaming, so the claim is held
            assert time.monotonic() < deadline, out
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if ready:
                out += os.read(proc.stdout.fileno(), 4096)
        with sqlite3.connect(database_path(data)) as db:
            held = db.execute("SELECT session_id, pid, host FROM chat_claims").fetchall()
        assert [row[:2] for row in held] == [(1, proc.pid)]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        proc.stdout.close()
        assert proc.stderr is not None
        proc.stderr.close()

    # The dead process's row is still there: the next sender must see its owner is gone and take over.
    with sqlite3.connect(database_path(data)) as db:
        assert db.execute("SELECT pid FROM chat_claims").fetchall() == [(proc.pid,)]
    fake_openai.reply("Back again.")
    after = cli(data, "send", "1", "are you there?")
    assert after.returncode == 0, after.stderr
    assert after.stdout == "Back again.\n"
    assert [(role, content, status) for role, content, status, _ in every_message(data, 1)[-4:]] == [
        ("user", "never finishes", MessageStatus.COMPLETE),
        ("assistant", every_message(data, 1)[-3][1], MessageStatus.STOPPED),
        ("user", "are you there?", MessageStatus.COMPLETE),
        ("assistant", "Back again.", MessageStatus.COMPLETE),
    ]
    with sqlite3.connect(database_path(data)) as db:
        assert db.execute("SELECT COUNT(*) FROM chat_claims").fetchone()[0] == 0
