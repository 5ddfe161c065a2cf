"""The window's one task runner: it holds each task until it ends and reports failures one way."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest

from desktop_chat.core.errors import DesktopChatError
from tests.helpers.waiting import until
from tests.helpers.window import Harness


def test_failures_reach_the_status_bar_once_each(
    open_window: Callable[..., Harness], caplog: pytest.LogCaptureFixture
) -> None:
    h = open_window()
    runner = h.window.tasks
    status = h.window.statusBar()

    async def fails_for_the_user() -> None:
        await asyncio.sleep(0)
        raise DesktopChatError("The server said no: check the profile's address")

    async def fails_inside() -> None:
        await asyncio.sleep(0)
        raise RuntimeError("a bug")

    async def scenario() -> None:
        task = runner.run(fails_for_the_user(), what="Checking the server")
        assert task in runner.pending(), "held until it ends"
        await until(lambda: not runner.pending(), what="the task to end")
        assert status.currentMessage() == "The server said no: check the profile's address"
        with caplog.at_level(logging.ERROR, logger="desktop_chat.ui.tasks"):
            runner.run(fails_inside(), what="Summarising")
            await until(lambda: not runner.pending(), what="the task to end")
        assert status.currentMessage() == "Summarising failed unexpectedly; the details are in the log."
        assert any(r.exc_info and r.exc_info[0] is RuntimeError for r in caplog.records)
        cancelled = runner.run(asyncio.sleep(10), what="Waiting")
        runner.cancel_all()
        await until(cancelled.done, what="the cancel")
        assert status.currentMessage().startswith("Summarising"), "a cancelled task says nothing"

    h.run(scenario())
