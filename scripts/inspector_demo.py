"""A real conversation for looking at the memory inspector: the test server, a prepared data folder, the app.

    PYTHONPATH=$PWD scripts/with-... .venv/bin/python scripts/inspector_demo.py FOLDER [--select-reply]

Prepares FOLDER (a chat about a bookstore API sent through the test server, so each
reply has its stored plan; facts, one private and one pending; an edited summary;
the hybrid strategy), then runs ``python -m desktop_chat --data-dir FOLDER`` while the
server answers, and stops the server when the app exits. Used for
docs/screenshots/inspector.png with /work/shared/tools/screenshot.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from desktop_chat.core.models import FactOrigin, FactStatus, Strategy
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.storage.store import Store
from desktop_chat.core.workspace import Workspace
from tests.helpers.controller import make_factory
from tests.helpers.fake_openai import FakeOpenAIServer

TURNS = [
    (
        "Hi, I'm Alex. I work at Acme Corp and we're building a bookstore backend.",
        "Nice to meet you, Alex! Happy to help.",
    ),
    (
        "We need endpoints for books and authors, and reviews.",
        "Here's a sketch:\n\n```\nGET  /books\nPOST /books/{id}/reviews\n```",
    ),
    ("We use Python. FastAPI or Flask?", "FastAPI: typed models, async, and OpenAPI docs for free."),
    ("How should reviews be paginated?", "Cursor pagination on (created_at, id) keeps pages stable."),
    ("And authors with many books?", "Nest `/authors/{id}/books` and page it the same way."),
    ("What about search by title?", "SQLite FTS5 or Postgres full-text; start with FTS5."),
    ("Rate limits for the public API?", "A token bucket per API key: 60 requests a minute to start."),
    ("Should reviews be editable?", "Yes, by their author for 24 hours, with the edit time shown."),
]


def prepare(folder: Path, server: FakeOpenAIServer) -> None:
    store = Store.open(folder)
    profile = ProviderProfile(
        name="llama.cpp server",
        base_url=server.base_url,
        default_model="qwen2.5-7b-instruct",
        context_window=8192,
        needs_key=False,
    )
    store.settings.set("profiles", [profile.to_dict()])
    store.settings.set("active_profile", profile.name)
    store.settings.set("default_strategy", "window")  # no upkeep while the replies are made
    store.settings.set("facts_require_approval", True)

    async def talk() -> None:
        workspace = Workspace(store, make_factory())
        session = workspace.new_session(title="Bookstore API", strategy=Strategy.WINDOW)
        for question, answer in TURNS:
            server.reply(answer)
            async for _ in workspace.send(session.id, question):
                pass
        name, _ = workspace.add_fact("name", "Alex")
        workspace.pin_fact(name.id)
        workspace.add_fact("employer", "Acme Corp")
        workspace.add_fact("language", "Python", scope=session.id)
        health, _ = workspace.add_fact("health", "asthma")
        workspace.set_fact_private(health.id, True)
        first = workspace.messages(session.id)[0]
        store.facts.add(
            "city", "Lisbon", scope=session.id, origin=FactOrigin.EXTRACTED, status=FactStatus.PENDING,
            source_message_id=first.id, source_quote="I live in Lisbon", actor="extractor",
        )  # fmt: skip
        covers = workspace.messages(session.id)[9].id
        store.summaries.save(
            session.id,
            "Alex (Acme Corp) is designing a bookstore REST API in Python with FastAPI: books, authors and "
            "reviews, cursor pagination, FTS5 title search.",
            covers_through=covers,
            token_count=40,
            model="qwen2.5-7b-instruct",
            edited_by_user=True,
        )
        store.upkeep_state.advance(session.id, "summary", covers)
        workspace.set_strategy(session.id, Strategy.HYBRID, {"summary_keep_last": 4})
        await workspace.aclose()

    asyncio.run(talk())
    store.close()


def main() -> int:
    folder = Path(sys.argv[1])
    server = FakeOpenAIServer().start()
    try:
        prepare(folder, server)
        env = dict(os.environ)
        env["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="dc-demo-config-")  # no remembered window state
        return subprocess.call([sys.executable, "-m", "desktop_chat", "--data-dir", str(folder)], env=env)
    finally:
        server.close()


if __name__ == "__main__":
    raise SystemExit(main())
