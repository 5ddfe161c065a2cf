"""Migration 013 (message parts) on a copy of a database written by the previous release's own code.

The previous release is taken from git (the commit before 013 was added) and run in a
child process: it creates chats, a regenerated reply (two branches), a failed reply and
cached token counts through its ``Store``, and reports what it sees. This release then
opens a copy of that file, migrates it, and must see the same.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from desktop_chat.core.models import Role, TextPart, ToolCallPart, ToolResultPart
from desktop_chat.core.paths import database_path
from desktop_chat.core.storage.migrations import MIGRATIONS
from desktop_chat.core.storage.store import Store
from tests.helpers.previous_release import previous_release, run_old

PREVIOUS = [name for name, _ in MIGRATIONS].index("013_message_parts")

_OLD_APP = """
import json, sys
from pathlib import Path
from desktop_chat.core.models import MessageStatus, Role
from desktop_chat.core.storage.store import Store

store = Store.open(Path(sys.argv[1]))
if sys.argv[2] == "write":
    trip = store.sessions.create("Holiday planning")
    user = store.messages.append(trip.id, Role.USER, "We planned the trip to Porto for months.")
    first = store.messages.append(trip.id, Role.ASSISTANT, "Porto sounds lovely in spring.")
    store.messages.deactivate_from(trip.id, first.id)
    store.messages.append(trip.id, Role.ASSISTANT, "Try the tiles museum: azulejos.", parent_id=user.id)
    streamed = store.messages.append(trip.id, Role.ASSISTANT, "", status=MessageStatus.STREAMING)
    store.messages.update_content(streamed.id, "half a rep")
    store.messages.finish(streamed.id, MessageStatus.FAILED, error="network")
    other = store.sessions.create("Recipes")
    for i in range(30):
        store.messages.append(other.id, Role.USER if i % 2 == 0 else Role.ASSISTANT, f"Step {i}: knead \\u2713")
    ids = [m.id for s in (trip, other) for m in store.messages.all(s.id, include_inactive=True)]
    store.messages.set_token_counts([(i, 7 + i) for i in ids])
rows = [
    [m.id, m.session_id, m.parent_id, str(m.role), m.content, str(m.status), m.token_count, m.active, m.error,
     m.created_at.isoformat()]
    for s in store.sessions.list_by_activity()
    for m in store.messages.all(s.id, include_inactive=True)
]
hits = [[h.session_id, h.message_id] for h in store.sessions.search("azulejos")]
version = store.db._conn.execute("PRAGMA user_version").fetchone()[0]
store.close()
print(json.dumps({"rows": rows, "hits": hits, "version": version}))
"""


def _rows(store: Store) -> list[list[object]]:
    return [
        [
            m.id,
            m.session_id,
            m.parent_id,
            str(m.role),
            m.content,
            str(m.status),
            m.token_count,
            m.active,
            m.error,
            m.created_at.isoformat(),
        ]
        for s in store.sessions.list_by_activity()
        for m in store.messages.all(s.id, include_inactive=True)
    ]


def test_the_parts_migration_keeps_every_message_of_a_real_database(tmp_path: Path) -> None:
    app = previous_release(tmp_path, "013_message_parts")
    original = tmp_path / "original"
    original.mkdir()
    before = run_old(app, _OLD_APP, original, "write")
    assert before["version"] == PREVIOUS and len(before["rows"]) == 34 and before["hits"]  # type: ignore[arg-type]

    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy2(database_path(original), database_path(copy))
    store = Store.open(copy)  # this release: migrates the copy to 013
    try:
        conn = store.db._conn
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert _rows(store) == before["rows"], "every message, its text, branch, status and token count survive"
        for session in store.sessions.list_by_activity():
            for message in store.messages.all(session.id, include_inactive=True):
                assert message.parts == (TextPart(message.content),), "an old message is one text part"
        assert [[h.session_id, h.message_id] for h in store.sessions.search("azulejos")] == before["hits"]
        assert store.sessions.search("knead"), "FTS still finds the old messages"
        backups = list(copy.glob(f"*.v{PREVIOUS}-*.backup*"))
        assert len(backups) == 1, "the file was copied aside before the migration"
        assert sqlite3.connect(backups[0]).execute("PRAGMA user_version").fetchone()[0] == PREVIOUS

        # New messages carry any parts; a tool result has the new role.
        trip = next(s for s in store.sessions.list_by_activity() if s.title == "Holiday planning")
        call = ToolCallPart("call_1", "search_history", '{"q": "Porto"}')
        asked = store.messages.append(trip.id, Role.ASSISTANT, "", parts=[TextPart("Let me look. "), call])
        answer = store.messages.append(trip.id, Role.TOOL, "", parts=[ToolResultPart("call_1", "3 hits")])
        assert store.messages.get(asked.id).parts == (TextPart("Let me look. "), call)
        assert store.messages.get(asked.id).content == "Let me look. "
        assert store.messages.get(answer.id).role is Role.TOOL
        assert any(h.message_id == asked.id for h in store.sessions.search("look"))
    finally:
        store.close()
    # The original file was not touched (the old release still reads it as it was).
    assert run_old(app, _OLD_APP, original, "read")["rows"] == before["rows"]
