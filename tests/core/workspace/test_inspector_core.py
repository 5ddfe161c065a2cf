"""The core behind the memory inspector: reply plans kept per reply, private facts, the two migrations."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

from desktop_chat.core.events import Event, FactsChanged, Finished, Started
from desktop_chat.core.locality import is_local_profile, is_loopback_url
from desktop_chat.core.memory.parts import PRIVATE_REASON
from desktop_chat.core.models import PartKind, ReplyPlan, Role, Strategy
from desktop_chat.core.paths import database_path
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.providers import ChatClient
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.migrations import MIGRATIONS
from desktop_chat.core.storage.reply_plans import records_of
from desktop_chat.core.storage.store import Store
from desktop_chat.core.workspace import Workspace
from tests.helpers.controller import MODEL, collect, data_dir, ending, make_factory, settings_for
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.workspace import with_workspace

REMOTE = "https://api.example.com/v1"  # remote-looking; its requests are routed to the fake server


def sent_system_text(server: FakeOpenAIServer) -> str:
    """The system text of the newest reply request (not the background upkeep's, which uses the upkeep model)."""
    body = [r.body for r in server.chat_requests if r.body["model"] == MODEL][-1]
    return "\n".join(m["content"] for m in body["messages"] if m["role"] == "system")


def test_loopback_rule() -> None:
    local = ("http://127.0.0.1:8080/v1", "http://localhost:11434/v1", "http://[::1]:1234/v1", "http://127.3.4.5")
    for address in local:
        assert is_loopback_url(address), address
    remote: tuple[str | None, ...] = (
        REMOTE,
        "http://192.168.1.5:8080/v1",
        "http://localhost.example.com/v1",
        None,
        "",
        "x",
    )
    for url in remote:
        assert not is_loopback_url(url), url
    assert is_local_profile(ProviderProfile("Local", base_url="http://localhost:11434/v1", needs_key=False))
    assert not is_local_profile(ProviderProfile("Remote", base_url=REMOTE))


def test_a_reply_keeps_its_plan_and_it_survives_a_restart(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply("Hi Ada.")
    fake_openai.reply("Lisbon, you said.")

    async def job(workspace: Workspace, events: list[Event]) -> tuple[int, ReplyPlan, int]:
        session = workspace.new_session(title="Plans", strategy=Strategy.FACTS)
        fact, _ = workspace.add_fact("name", "Ada", scope=session.id)
        await collect(workspace.send(session.id, "I am Ada"))
        replies = await collect(workspace.send(session.id, "Where do I live?"))
        started = next(e for e in replies if isinstance(e, Started))
        assert isinstance(ending(replies), Finished)
        stored = workspace.reply_plan(started.assistant_message_id)
        assert stored is not None
        parts, omitted = records_of(started.plan)
        assert stored.parts == parts and stored.omitted == omitted
        assert stored.model == started.plan.model and stored.strategy is started.plan.strategy
        assert stored.total_tokens == started.plan.total_tokens
        assert fact.id in stored.fact_ids
        assert started.user_message_id in stored.message_ids  # the message answered is in the recent part
        return started.assistant_message_id, stored, fact.id

    reply_id, stored, fact_id = with_workspace(tmp_path, fake_openai, job)

    store = Store.open(data_dir(tmp_path))  # a restart: a new store and workspace on the same file
    try:
        workspace = Workspace(store, lambda *_: None)  # type: ignore[arg-type]
        again = workspace.reply_plan(reply_id)
        assert again == stored
        assert workspace.reply_plan(reply_id + 1000) is None
        # Compact: ids and counts only, never the text that was sent.
        raw = store.db._conn.execute("SELECT parts FROM reply_plans WHERE message_id = ?", (reply_id,)).fetchone()[0]
        assert "Ada" not in raw and "Where do I live" not in raw
        document = workspace.export_json()
        plans = document["sessions"][0]["reply_plans"]
        assert [p["message_id"] for p in plans] == [reply_id - 2, reply_id]
        assert fact_id in [i for p in plans[-1]["parts"] for i in p.get("fact_ids", [])]
    finally:
        store.close()

    # Import into another folder: the plans come along, their ids mapped to the new messages and facts.
    other = Store.open(tmp_path / "other")
    try:
        workspace = Workspace(other, lambda *_: None)  # type: ignore[arg-type]
        result = workspace.import_text(json.dumps(document))
        (new_session,) = result.session_ids
        assistants = [m for m in workspace.messages(new_session) if m.role.value == "assistant"]
        imported = workspace.reply_plan(assistants[-1].id)
        assert imported is not None
        assert [p.tokens for p in imported.parts] == [p.tokens for p in stored.parts]
        ids = {m.id for m in workspace.messages(new_session)}
        assert set(imported.message_ids) <= ids and imported.message_ids
        new_fact = next(f for f in workspace.facts(new_session) if f.key == "name")
        assert imported.fact_ids == (new_fact.id,)
    finally:
        other.close()


def test_a_private_fact_reaches_a_local_model_but_not_a_remote_one(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    local = settings_for(fake_openai)  # the fake server listens on 127.0.0.1
    remote_profile = replace(local.profiles[0], name="Remote", base_url=REMOTE)
    settings = replace(local, profiles=(*local.profiles, remote_profile))
    for _ in range(3):
        fake_openai.reply("Noted.")

    async def job(workspace: Workspace, events: list[Event]) -> None:
        session = workspace.new_session(title="Egress", strategy=Strategy.FACTS)
        secret, _ = workspace.add_fact("diagnosis", "asthma", scope=session.id)
        workspace.add_fact("name", "Ada", scope=session.id)
        before = len(events)
        private = workspace.set_fact_private(secret.id, True)
        assert private.private and events[before:] == [FactsChanged(session.id, (secret.id,))]
        assert workspace.fact_history(secret.id)[-1].action == "private"

        assert workspace.target_is_local(session.id)
        plan = workspace.preview(session.id, "hello")
        assert secret.id in [i for p in plan.parts for i in p.fact_ids]
        await collect(workspace.send(session.id, "hello"))
        assert "asthma" in sent_system_text(fake_openai) and "Ada" in sent_system_text(fake_openai)

        workspace.set_session_model(session.id, profile="Remote")
        assert not workspace.target_is_local(session.id)
        plan = workspace.preview(session.id, "again")
        assert secret.id not in [i for p in plan.parts for i in p.fact_ids]
        omission = next(o for o in plan.omitted if secret.id in o.fact_ids)
        assert omission.reason == PRIVATE_REASON and omission.kind is PartKind.FACTS
        replies = await collect(workspace.send(session.id, "again"))
        assert "asthma" not in sent_system_text(fake_openai) and "Ada" in sent_system_text(fake_openai)
        started = next(e for e in replies if isinstance(e, Started))
        stored = workspace.reply_plan(started.assistant_message_id)
        assert stored is not None and any(secret.id in o.fact_ids for o in stored.omitted)

        # Undo takes the flag back, from the stored history.
        undone = workspace.undo_fact(secret.id)
        assert not undone.private
        await collect(workspace.send(session.id, "third"))
        assert "asthma" in sent_system_text(fake_openai)

    app_clients = make_factory()

    def to_fake_server(profile: ProviderProfile, settings: Settings) -> ChatClient:
        # The app's own client for the profile, sent to the fake server, to see what would leave the machine.
        return app_clients(replace(profile, base_url=fake_openai.base_url), settings)

    with_workspace(tmp_path, fake_openai, job, settings=settings, factory=to_fake_server)


def test_private_flag_in_the_export_and_back(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "a")
    try:
        fact = store.facts.add("diagnosis", "asthma")
        store.facts.set_private(fact.id, True)
        document = Workspace(store, lambda *_: None).export_json()  # type: ignore[arg-type]
        assert document["facts"][0]["private"] is True
    finally:
        store.close()
    other = Store.open(tmp_path / "b")
    try:
        Workspace(other, lambda *_: None).import_text(json.dumps(document))  # type: ignore[arg-type]
        (imported,) = other.facts.all()
        assert imported.private and imported.value == "asthma"
        assert [e.action for e in other.facts.events(imported.id)] == ["created", "private"]
    finally:
        other.close()


def test_a_database_from_before_the_inspector_migrates(tmp_path: Path) -> None:
    """A file at schema 7 (the release before): its facts become non-private, reply plans start empty."""
    path = database_path(tmp_path)
    conn = sqlite3.connect(path, isolation_level=None)
    for index, (name, migrate) in enumerate(MIGRATIONS[:7], start=1):
        migrate(conn)
        conn.execute("INSERT INTO schema_migrations(name, applied_at) VALUES (?, '2026-01-01T00:00:00+00:00')", (name,))
        conn.execute(f"PRAGMA user_version={index}")
    now = "2026-01-01T00:00:00+00:00"
    conn.execute(
        "INSERT INTO facts(key, value, origin, status, created_at, updated_at) VALUES ('name', 'Ada', 'user',"
        " 'active', ?, ?)",
        (now, now),
    )
    conn.close()
    assert [name for name, _ in MIGRATIONS[7:11]] == [
        "008_fts_stemming",
        "009_reply_plans",
        "010_private_facts",
        "011_summary_history",
    ]

    store = Store.open(tmp_path)
    try:
        (fact,) = store.facts.all()
        assert fact.value == "Ada" and not fact.private
        assert store.reply_plans.for_session(1) == []
        session = store.sessions.create("After")
        message = store.messages.append(session.id, Role.USER, "x")
        plan = ReplyPlan(
            message_id=message.id,
            session_id=session.id,
            created_at=fact.created_at,
            strategy=Strategy.WINDOW,
            model="m",
            budget=100,
            context_window=200,
            reserved_reply=50,
            total_tokens=10,
            exact_counts=False,
            parts=(),
        )
        store.reply_plans.put(plan)
        assert store.reply_plans.get(message.id) == plan
        store.sessions.delete(session.id)
        assert store.reply_plans.get(message.id) is None, "a reply's plan goes with its chat"
    finally:
        store.close()
