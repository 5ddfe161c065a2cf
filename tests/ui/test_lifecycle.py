"""Long chats load lazily; other processes' changes appear; interrupted replies are recovered at start."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from desktop_chat.core.models import MessageStatus, Role
from desktop_chat.core.storage.store import Store
from desktop_chat.ui.chat.chat_view import FIRST_PAGE, PAGE
from tests.helpers.cli import cli
from tests.helpers.waiting import until
from tests.helpers.window import Harness, data_dir


def _long_chat(tmp_path: Path, count: int) -> int:
    store = Store.open(data_dir(tmp_path))
    try:
        chat = store.sessions.create("Ten thousand")
        with store.db.transaction():
            for i in range(count):
                role = Role.USER if i % 2 == 0 else Role.ASSISTANT
                store.messages.append(chat.id, role, f"message number {i}\n\n```python\nprint({i})\n```")
        return chat.id
    finally:
        store.close()


def test_a_10000_message_chat_loads_newest_first_and_older_on_scroll(
    open_window: Callable[..., Harness], tmp_path: Path
) -> None:
    chat = _long_chat(tmp_path, 10_000)
    h = open_window()
    h.window.open_session(chat)
    model = h.window.chat.model
    assert model.rowCount() == FIRST_PAGE  # a screenful: each loaded row is laid out before the chat paints
    rows = model.rows()
    assert rows[-1].text.startswith("message number 9999")
    bar = h.window.chat.list.verticalScrollBar()

    async def scrolled_to_bottom() -> None:
        await until(lambda: bar.maximum() > 0 and bar.value() == bar.maximum(), what="at the bottom")

    h.run(scrolled_to_bottom())
    bar.setValue(0)
    assert model.rowCount() == FIRST_PAGE + PAGE
    assert model.rows()[0].text.startswith(f"message number {10_000 - FIRST_PAGE - PAGE}")
    # The view stays where the reader was: the first message of the earlier page is still in sight.
    assert bar.value() > 0
    for _ in range(3):
        bar.setValue(0)
    assert model.rowCount() == FIRST_PAGE + 4 * PAGE
    assert model.can_load_older()


def test_a_chat_imported_by_the_cli_appears_in_the_sidebar(open_window: Callable[..., Harness], tmp_path: Path) -> None:
    h = open_window()
    document = tmp_path / "elsewhere.json"
    document.write_text(
        json.dumps(
            {
                "sessions": [
                    {
                        "title": "Imported from elsewhere",
                        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
                    }
                ]
            }
        )
    )
    done = cli(h.folder, "import", str(document))
    assert done.returncode == 0, done.stderr

    async def appears() -> None:
        await until(lambda: "Imported from elsewhere" in h.window.sidebar.titles(), seconds=5)

    h.run(appears())


def test_a_message_sent_by_the_cli_to_the_open_chat_appears(
    open_window: Callable[..., Harness], tmp_path: Path
) -> None:
    h = open_window()
    chat = h.window.current_id
    assert chat is not None
    other = Store.open(h.folder)
    try:
        other.messages.append(chat, Role.USER, "written by another process")
    finally:
        other.close()

    async def appears() -> None:
        await until(lambda: [r.text for r in h.window.chat.model.rows()] == ["written by another process"])

    h.run(appears())


def test_an_interrupted_reply_is_marked_stopped_at_start(open_window: Callable[..., Harness], tmp_path: Path) -> None:
    store = Store.open(data_dir(tmp_path))
    try:
        chat = store.sessions.create("Crashed")
        store.messages.append(chat.id, Role.USER, "question")
        store.messages.append(chat.id, Role.ASSISTANT, "half an ans", status=MessageStatus.STREAMING)
    finally:
        store.close()
    h = open_window()
    assert h.window.current_id == chat.id
    last = h.window.chat.model.rows()[-1]
    assert last.status is MessageStatus.STOPPED and last.text == "half an ans"
