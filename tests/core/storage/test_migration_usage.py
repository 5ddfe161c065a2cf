"""Migration 014 (usage and costs) on a copy of a database written by the previous release's own code."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from desktop_chat.core.models import Usage
from desktop_chat.core.paths import database_path
from desktop_chat.core.storage.migrations import MIGRATIONS
from desktop_chat.core.storage.store import Store
from tests.helpers.previous_release import previous_release, run_old

PREVIOUS = [name for name, _ in MIGRATIONS].index("014_usage")

_OLD_APP = """
import json, sys
from pathlib import Path
from desktop_chat.core.models import Role, Usage
from desktop_chat.core.storage.store import Store

store = Store.open(Path(sys.argv[1]))
if sys.argv[2] == "write":
    chat = store.sessions.create("Budget talk")
    store.messages.append(chat.id, Role.USER, "How much does this cost?")
    store.messages.append(chat.id, Role.ASSISTANT, "Not much.", usage=Usage(40, 4), model="gpt-4o")
rows = [
    [m.id, m.content, m.usage.prompt_tokens if m.usage else None, m.model]
    for s in store.sessions.list_by_activity()
    for m in store.messages.all(s.id, include_inactive=True)
]
version = store.db._conn.execute("PRAGMA user_version").fetchone()[0]
store.close()
print(json.dumps({"rows": rows, "version": version}))
"""


def test_the_usage_migration_upgrades_an_existing_database(tmp_path: Path) -> None:
    app = previous_release(tmp_path, "014_usage")
    original = tmp_path / "original"
    original.mkdir()
    before = run_old(app, _OLD_APP, original, "write")
    assert before["version"] == PREVIOUS and len(before["rows"]) == 2  # type: ignore[arg-type]

    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy2(database_path(original), database_path(copy))
    store = Store.open(copy)
    try:
        conn = store.db._conn
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        chat = store.sessions.list_by_activity()[0]
        rows = [
            [m.id, m.content, m.usage.prompt_tokens if m.usage else None, m.model]
            for m in store.messages.all(chat.id, include_inactive=True)
        ]
        assert rows == before["rows"]
        reply = store.messages.all(chat.id)[-1]
        assert reply.usage == Usage(40, 4)
        # Replies from before costs were kept have no record: no cost shown, none made up.
        assert store.usage.for_messages([reply.id]) == {}
        assert store.usage.totals().all.requests == 0
        record = store.usage.record(
            kind="reply",
            session_id=chat.id,
            message_id=reply.id,
            profile="OpenAI",
            model="gpt-4o",
            prompt_tokens=40,
            completion_tokens=4,
            estimated=False,
            pricing="priced",
            cost_usd=0.00014,
            priced_by="test",
        )
        assert store.usage.for_messages([reply.id]) == {reply.id: record}
        backups = list(copy.glob(f"*.v{PREVIOUS}-*.backup*"))
        assert len(backups) == 1, "the file was copied aside before the migration"
        assert sqlite3.connect(backups[0]).execute("PRAGMA user_version").fetchone()[0] == PREVIOUS
    finally:
        store.close()
