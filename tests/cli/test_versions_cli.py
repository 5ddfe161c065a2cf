"""`desktop-chat versions` as a user runs it: list a message's versions, choose one, the next request follows."""

from __future__ import annotations

import json
from pathlib import Path

from desktop_chat.core.storage.store import Store
from tests.helpers.cli import cli, configure_cli
from tests.helpers.fake_openai import FakeOpenAIServer

# Our own export's shape: a reply regenerated once, the older one kept off the branch.
DOCUMENT = {
    "sessions": [
        {
            "title": "Trip",
            "messages": [
                {"id": 1, "role": "user", "content": "Where should I fly?"},
                {"id": 2, "parent_id": 1, "role": "assistant", "content": "Paris.", "active": False},
                {"id": 3, "parent_id": 1, "role": "assistant", "content": "Lisbon."},
            ],
        }
    ]
}


def test_versions_lists_chooses_and_the_next_request_follows(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    data = tmp_path / "data"
    configure_cli(data, fake_openai)
    source = tmp_path / "chat.json"
    source.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    assert cli(data, "import", str(source)).returncode == 0
    store = Store.open(data)
    try:
        (session,) = store.sessions.list_by_activity()
        reply = store.messages.all(session.id)[-1]
    finally:
        store.close()

    listed = cli(data, "versions", str(session.id))
    assert listed.returncode == 0, listed.stderr
    assert f"#{reply.id}" in listed.stdout and "2/2" in listed.stdout and "Lisbon." in listed.stdout

    chosen = cli(data, "versions", str(session.id), str(reply.id), "--choose", "1")
    assert chosen.returncode == 0, chosen.stderr
    lines = chosen.stdout.splitlines()
    assert lines[0].startswith("* 1") and "Paris." in lines[0]
    assert lines[1].startswith("  2") and "Lisbon." in lines[1]

    context = json.loads(cli(data, "context", str(session.id), "--draft", "Book it", "--json").stdout)
    planned = [m["content"] for m in context["request"] if m["role"] != "system"]
    assert planned == ["Where should I fly?", "Paris.", "Book it"]

    fake_openai.reply("Booked.")
    assert cli(data, "send", str(session.id), "Book it").returncode == 0
    sent = [m["content"] for m in fake_openai.chat_requests[-1].body["messages"] if m["role"] != "system"]
    assert sent == ["Where should I fly?", "Paris.", "Book it"]


def test_choosing_a_version_that_does_not_exist_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    source = tmp_path / "chat.json"
    source.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    assert cli(data, "import", str(source)).returncode == 0

    result = cli(data, "versions", "1", "3", "--choose", "5")

    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "choose 1 to 2" in result.stderr
