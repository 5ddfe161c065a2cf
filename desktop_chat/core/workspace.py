"""The application core both front ends drive: chats, replies, memory, settings, data; one event channel.

The window and the command line call this and nothing below it. Every rule
(what may be edited, what undo restores, which store a chat lives in) lives here
or below; every change made here, or by background upkeep, is published on the
channel (``subscribe``), so a view never re-queries after actions it did not
start. Everything runs on the event loop's thread; work that may block (the
keyring, loading encodings) goes to worker threads.

One id space: temporary chats (kept in memory only) have ids above
``TEMPORARY_ID_BASE`` and are routed here; no caller ever picks a store.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desktop_chat.core.controller import TEMPORARY_ID_BASE, ConversationController, Target, strategy_choice
from desktop_chat.core.errors import DatabaseBusy, DesktopChatError, EmptyInput, NotAllowed, SecretStoreUnavailable
from desktop_chat.core.events import (
    EventChannel,
    ExternalChange,
    FactsChanged,
    Listener,
    LocalModelChanged,
    MessagesChanged,
    ReplyEvent,
    SessionChanged,
    SessionCreated,
    SessionDeleted,
    SettingsChanged,
    SummaryChanged,
)
from desktop_chat.core.export import export_json, export_markdown
from desktop_chat.core.importers.document import ImportResult, parse_document
from desktop_chat.core.importers.files import import_file
from desktop_chat.core.importers.writer import import_json
from desktop_chat.core.locality import is_local_profile
from desktop_chat.core.memory import fact_rules, summary_undo
from desktop_chat.core.memory.history import stored_token_count
from desktop_chat.core.memory.upkeep import UpkeepReport, describe_upkeep, jobs_for
from desktop_chat.core.models import (
    ContextPlan,
    Fact,
    FactEvent,
    FactStatus,
    JobName,
    JobState,
    Message,
    ReplyPlan,
    Role,
    SearchHit,
    Session,
    Strategy,
    StrategyChoice,
    Summary,
    SummaryState,
)
from desktop_chat.core.profiles import ProviderProfile, env_key_for
from desktop_chat.core.providers import OpenAIChatClient
from desktop_chat.core.providers.local.builtin import LocalModels, builtin_model_name, upkeep_profile
from desktop_chat.core.providers.local.files import find_bundled_smollm2, list_model_files, resolve_model_file
from desktop_chat.core.retention import PurgeReport, purge
from desktop_chat.core.secrets import NO_KEYRING_SESSION
from desktop_chat.core.services import ClientFactory, SecretAccess, resolve_api_key
from desktop_chat.core.settings import RetentionMode, Settings
from desktop_chat.core.storage.store import Store
from desktop_chat.core.tokens import TokenCounter

ACTIVE_AND_PENDING = (FactStatus.ACTIVE, FactStatus.PENDING)
CHECK_CONNECT_TIMEOUT = 5.0  # seconds: a connection check answers quickly or says why not
CHECK_READ_TIMEOUT = 15.0


@dataclass(frozen=True, slots=True)
class ConnectionCheck:
    """The answer of ``Workspace.test_connection``: one line for the user, and the models the server lists."""

    ok: bool
    message: str
    models: tuple[str, ...] = ()


class Workspace:
    """One data folder's chats, memory and settings, and the replies being streamed in it."""

    def __init__(
        self,
        store: Store,
        client: ClientFactory,
        *,
        settings: Settings | None = None,
        secrets: SecretAccess | None = None,
        save_interval: float | None = None,
        title_timeout: float = 20.0,
        local: LocalModels | None = None,
    ) -> None:
        self._store = store
        self._secrets = secrets
        self.channel = EventChannel()
        self._local = local
        if local is not None:
            local.publish = lambda state, detail: self.channel.publish(LocalModelChanged(state, detail))
        extra: dict[str, Any] = {} if save_interval is None else {"save_interval": save_interval}
        self._controller = ConversationController(
            store, client, settings, title_timeout=title_timeout, channel=self.channel, **extra
        )
        self._data_version = store.db.data_version()
        # Chats with a reply another process is streaming (None: not looked yet). Polled for
        # their writer's claim, so that a reply whose writer died stops instead of "streaming" forever.
        self._foreign_replies: set[int] | None = None
        self._known_settings: Settings | None = None
        with contextlib.suppress(DesktopChatError):
            self._known_settings = self.settings
        self._background: set[asyncio.Task[None]] = set()

    # --- events and lifecycle --------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every change (``core/events.py``); returns the unsubscribe."""
        return self.channel.subscribe(listener)

    def recover_interrupted(self, session_id: int | None = None) -> list[Message]:
        """Mark replies a crash left streaming as stopped, keeping their text. Call at start."""
        recovered = self._controller.recover_interrupted(session_id)
        for sid in sorted({m.session_id for m in recovered}):
            self.channel.publish(MessagesChanged(sid))
        return recovered

    def poll_external_changes(self) -> bool:
        """Whether another process wrote to the database since the last call; publishes ``ExternalChange``.

        Also settles replies orphaned by another process: one it was streaming when it
        died (its claim is gone or stale) is marked stopped, with ``MessagesChanged``.
        Cheap (one PRAGMA, no disk read when nothing changed; one claim lookup per chat
        another process is answering in): meant for a timer.
        """
        version = self._store.db.data_version()
        changed = version != self._data_version
        if changed or self._foreign_replies is None:
            self._data_version = version
            self._foreign_replies = {
                m.session_id for m in self._store.messages.interrupted() if not self.is_busy(m.session_id)
            }
        if changed:
            # `desktop-chat config set` writes the same table: the open window must see it (theme, font size, ...).
            with contextlib.suppress(DesktopChatError):
                settings = self.settings
                if settings != self._known_settings:
                    self._known_settings = settings
                    self.channel.publish(SettingsChanged(settings))
            self.channel.publish(ExternalChange())
        for session_id in sorted(self._foreign_replies):
            if self.reply_orphaned(session_id):
                try:
                    self.recover_interrupted(session_id)
                except DatabaseBusy:
                    continue  # another program holds the lock: the next poll tries again
                self._foreign_replies.discard(session_id)
        return changed

    def reply_orphaned(self, session_id: int) -> bool:
        """Whether a reply stored as streaming in this chat has no writer left.

        Not when this process answers there, nor while another process holds a live
        claim on the chat (it is streaming it right now).
        """
        return not self.is_busy(session_id) and not self._store.claims.held_elsewhere(session_id)

    async def warm_up(self, model: str | None = None) -> None:
        """Load the token encodings in a worker thread, so the first preview does not block the GUI."""
        name = model or self.target().model
        await asyncio.to_thread(lambda: (TokenCounter.for_model(name), stored_token_count(Role.USER, "")))

    async def wait_for_upkeep(self, seconds: float | None = None) -> bool:
        """Wait for background work (memory upkeep, titles); False when some still runs after ``seconds``."""
        return await self._controller.wait_for_upkeep(seconds)

    async def aclose(self, *, wait: float = 0.0) -> None:
        """Stop replies (what arrived is saved), give upkeep ``wait`` seconds, close clients. The store stays open.

        Also stops the built-in model's server, if it was started.
        """
        await self._controller.aclose(wait=wait)
        await self._stop_local_model()

    def close(self) -> None:
        """Close the database; call after ``aclose``."""
        self._store.close()

    # --- sessions ----------------------------------------------------------------------------

    def _store_for(self, session_id: int) -> Store:
        return self._controller.store_for(session_id)

    def sessions(self, *, include_archived: bool = False) -> list[Session]:
        """Temporary chats first (they are the newest), then saved ones by last activity."""
        temporary = sorted(self._controller.temporary_sessions(), key=lambda s: s.updated_at, reverse=True)
        return [*temporary, *self._store.sessions.list_by_activity(include_archived=include_archived)]

    def session(self, session_id: int) -> Session:
        return self._store_for(session_id).sessions.get(session_id)

    def new_session(
        self,
        *,
        temporary: bool = False,
        title: str = "",
        strategy: Strategy | None = None,
        model: str | None = None,
        profile: str | None = None,
        system_prompt: str = "",
    ) -> Session:
        """A new chat; a temporary one lives in memory only, reads the saved facts and never writes memory."""
        if profile is not None:
            self.settings.profile(profile)  # refuses an unknown profile, naming the known ones
        session = self._controller.new_session(
            temporary=temporary,
            title=title.strip(),
            strategy=strategy,
            model=model,
            profile=profile,
            system_prompt=system_prompt,
        )
        self.channel.publish(SessionCreated(session))
        return session

    def _changed(self, session: Session) -> Session:
        self.channel.publish(SessionChanged(session))
        return session

    def rename_session(self, session_id: int, title: str) -> Session:
        if not title.strip():
            raise EmptyInput("A chat's title cannot be empty.")
        return self._changed(self._store_for(session_id).sessions.rename(session_id, title))

    def set_pinned(self, session_id: int, pinned: bool) -> Session:
        return self._changed(self._store_for(session_id).sessions.update(session_id, pinned=pinned))

    def set_archived(self, session_id: int, archived: bool) -> Session:
        """Archive hides a chat and keeps every message; unarchiving brings it back as it was."""
        if self.session(session_id).temporary and archived:
            raise NotAllowed("A temporary chat is never saved, so it cannot be archived.")
        return self._changed(self._store_for(session_id).sessions.update(session_id, archived=archived))

    def set_strategy(
        self, session_id: int, strategy: Strategy | None, options: Mapping[str, Any] | None = None
    ) -> Session:
        """The chat's memory strategy (None: the default from settings) and, if given, its options."""
        store = self._store_for(session_id)
        if options is not None:
            from desktop_chat.core.memory.options import memory_options

            memory_options(self.settings, dict(options))  # refuses a bad value by name before anything changes
            store.sessions.update(session_id, strategy_options=dict(options))
        return self._changed(store.sessions.update(session_id, strategy=strategy))

    def set_session_model(self, session_id: int, *, model: str | None = None, profile: str | None = None) -> Session:
        if profile is not None:
            self.settings.profile(profile)
        store = self._store_for(session_id)
        return self._changed(store.sessions.update(session_id, model=model, profile=profile))

    def delete_session(self, session_id: int) -> None:
        """Delete a chat with its messages, summary and chat-scoped facts (global facts stay)."""
        if self._controller.is_streaming(session_id):
            self._controller.stop(session_id)
        self._store_for(session_id).sessions.delete(session_id)
        self.channel.publish(SessionDeleted(session_id))

    def search(self, text: str, *, limit: int = 50) -> list[SearchHit]:
        """Full-text search over saved chats' messages and titles, best first."""
        return self._store.sessions.search(text, limit=limit)

    def messages(self, session_id: int, *, before: int | None = None, limit: int | None = None) -> list[Message]:
        """The chat's active branch, oldest first; with ``limit``, the newest ``limit`` messages below ``before``."""
        store = self._store_for(session_id)
        store.sessions.get(session_id)
        if limit is None:
            found = store.messages.all(session_id)
            return [m for m in found if before is None or m.id < before]
        return store.messages.newest(session_id, limit, before_id=before)  # already oldest first

    def message(self, message_id: int) -> Message:
        return self._controller.store_for_message(message_id).messages.get(message_id)

    def messages_by_id(self, ids: Sequence[int]) -> dict[int, Message]:
        """The named messages (active or not), for showing where a plan's parts came from."""
        saved = [i for i in ids if i <= TEMPORARY_ID_BASE]
        found = {m.id: m for m in self._store.messages.by_ids(saved)} if saved else {}
        temporary = [i for i in ids if i > TEMPORARY_ID_BASE]
        if temporary:
            store = self._controller.store_for_message(temporary[0])
            found.update({m.id: m for m in store.messages.by_ids(temporary)})
        return found

    def message_count(self, session_id: int) -> int:
        return self._store_for(session_id).messages.count(session_id)

    # --- replies -----------------------------------------------------------------------------

    def send(
        self, session_id: int, text: str, *, model: str | None = None, strategy: Strategy | None = None
    ) -> AsyncGenerator[ReplyEvent, None]:
        """Save ``text`` as the user's next message and stream the reply (see ``ConversationController.send``)."""
        return self._controller.send(session_id, text, model=model, strategy=strategy)

    def retry(
        self, session_id: int, *, model: str | None = None, strategy: Strategy | None = None
    ) -> AsyncGenerator[ReplyEvent, None]:
        return self._controller.retry(session_id, model=model, strategy=strategy)

    def regenerate(
        self, session_id: int, *, model: str | None = None, strategy: Strategy | None = None
    ) -> AsyncGenerator[ReplyEvent, None]:
        return self._controller.regenerate(session_id, model=model, strategy=strategy)

    def edit_and_resend(
        self,
        session_id: int,
        message_id: int,
        text: str,
        *,
        model: str | None = None,
        strategy: Strategy | None = None,
    ) -> AsyncGenerator[ReplyEvent, None]:
        return self._controller.edit_and_resend(session_id, message_id, text, model=model, strategy=strategy)

    def stop(self, session_id: int | None = None) -> bool:
        return self._controller.stop(session_id)

    def is_busy(self, session_id: int) -> bool:
        return self._controller.is_streaming(session_id)

    def target(self, session_id: int | None = None) -> Target:
        """The profile and model the chat's next request goes to (the active profile's without a chat)."""
        settings = self.settings
        if session_id is None:
            profile = settings.profile()
            return Target(profile, builtin_model_name(settings) if profile.is_builtin else profile.default_model)
        return self._controller.target(self.session(session_id), settings)

    # --- memory ------------------------------------------------------------------------------

    def preview(
        self,
        session_id: int,
        draft: str = "",
        strategy: Strategy | None = None,
        options: Mapping[str, Any] | None = None,
        *,
        model: str | None = None,
        budget: int | None = None,
        query: str | None = None,
    ) -> ContextPlan:
        """Exactly what the next request would contain if ``draft`` were sent now; the function ``send`` uses.

        An empty draft plans the next message, not written yet: after the last reply, the whole
        history the chat's strategy keeps plus an empty message of the user's; while the newest
        message still awaits its answer (its reply failed), that answer, as Retry would send it.
        """
        return self._controller.plan(
            session_id,
            draft=draft,
            strategy=strategy,
            options=options,
            model=model,
            budget=budget,
            query=query,
        )

    def facts(
        self, session_id: int | None = None, *, statuses: Sequence[FactStatus] = ACTIVE_AND_PENDING
    ) -> list[Fact]:
        """Facts visible in a chat (its own and the global ones), or every fact with ``session_id`` None."""
        if session_id is None:
            return [f for f in self._store.facts.all() if f.status in statuses]
        # A temporary chat sees the saved global facts (and has none of its own).
        scope = None if self.session(session_id).temporary else session_id
        return self._store.facts.visible(session_id=scope, statuses=tuple(statuses))

    def fact(self, fact_id: int) -> Fact:
        return self._store.facts.get(fact_id)

    def _fact_changed(self, fact: Fact) -> Fact:
        self.channel.publish(FactsChanged(fact.scope, (fact.id,)))
        return fact

    def add_fact(self, key: str, value: str, *, scope: int | None = None) -> tuple[Fact, bool]:
        """Remember a fact the user states (it supersedes the key's value, keeping its pin); (fact, created)."""
        if scope is not None and self.session(scope).temporary:
            raise NotAllowed("A temporary chat never writes memory; add the fact as a global one.")
        fact, created = fact_rules.remember(self._store, key, value, scope=scope)
        if created:
            self._fact_changed(fact)
        return fact, created

    def edit_fact(self, fact_id: int, *, key: str | None = None, value: str | None = None) -> Fact:
        return self._fact_changed(fact_rules.edit(self._store, fact_id, key=key, value=value))

    def delete_fact(self, fact_id: int) -> Fact:
        return self._fact_changed(fact_rules.delete(self._store, fact_id))

    def pin_fact(self, fact_id: int, pinned: bool = True) -> Fact:
        return self._fact_changed(fact_rules.set_pinned(self._store, fact_id, pinned))

    def approve_fact(self, fact_id: int) -> Fact:
        return self._fact_changed(fact_rules.approve(self._store, fact_id))

    def reject_fact(self, fact_id: int) -> Fact:
        return self._fact_changed(fact_rules.reject(self._store, fact_id))

    def undo_fact(self, fact_id: int) -> Fact:
        """Undo the newest change to a fact (value, pin and status come back), recorded in its history."""
        return self._fact_changed(fact_rules.undo(self._store, fact_id))

    def fact_history(self, fact_id: int) -> list[FactEvent]:
        self._store.facts.get(fact_id)
        return self._store.facts.events(fact_id)

    def summary(self, session_id: int) -> Summary | None:
        return self._store_for(session_id).summaries.get(session_id)

    def edit_summary(self, session_id: int, text: str) -> Summary:
        """The user's own summary text: kept, marked as theirs, and folded into (not replaced) by later upkeep."""
        store = self._store_for(session_id)
        store.sessions.get(session_id)
        if not text.strip():
            raise EmptyInput("The summary cannot be empty; clear it by switching the chat to another strategy.")
        current = store.summaries.get(session_id)
        covers = current.covers_through if current else store.messages.last_id(session_id)
        if covers is None:
            raise NotAllowed("This chat has no messages yet, so there is nothing for a summary to cover.")
        saved = store.summaries.save(
            session_id,
            text.strip(),
            covers_through=covers,
            token_count=stored_token_count(Role.SYSTEM, text.strip()),
            model=current.model if current else None,
            edited_by_user=True,
            by="user",
        )
        if current is None:
            store.upkeep_state.advance(session_id, "summary", covers)
        self.channel.publish(SummaryChanged(session_id))
        return saved

    async def summarise_now(self, session_id: int) -> UpkeepReport:
        """Fold what the summary does not cover yet into it now, whatever the threshold."""
        return await self._run_upkeep(session_id, ("summary",), force=True)

    async def retry_upkeep(self, session_id: int) -> UpkeepReport:
        """Run the chat's memory upkeep again (after a failure, or to catch up)."""
        session = self.session(session_id)
        strategy = session.strategy or self.settings.default_strategy
        return await self._run_upkeep(session_id, jobs_for(strategy))

    async def _run_upkeep(self, session_id: int, jobs: tuple[JobName, ...], *, force: bool = False) -> UpkeepReport:
        session = self.session(session_id)
        if session.temporary:
            raise NotAllowed("A temporary chat never writes memory: there is no summary or fact upkeep to run.")
        settings = self.settings
        target = self._controller.target(session, settings)
        keeper = upkeep_profile(target.profile, settings)
        if keeper is None:
            raise NotAllowed(
                "Memory upkeep is off on the built-in starter model: it is too small to summarise or extract facts "
                "reliably; choose another model file or profile for this chat, or name a profile to keep its memory."
            )
        client = await self._controller.client_for(keeper)
        # The controller's scheduler, as after a reply: one upkeep path (off-branch facts retired too).
        return await self._controller.upkeep.run_now(
            self._store, session_id, jobs=jobs, client=client, model=keeper.upkeep_model, settings=settings, force=force
        )

    def upkeep_status(self, session_id: int) -> Mapping[JobName, JobState]:
        return self._controller.upkeep_status(session_id)

    # --- settings and profiles ------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self._controller.settings

    def _settings_changed(self, settings: Settings) -> Settings:
        self._known_settings = settings
        self.channel.publish(SettingsChanged(settings))
        return settings

    def set_setting(self, key: str, value: Any) -> Settings:
        """Change one setting, validated (``SettingsError`` names the key and what it accepts)."""
        settings = self._store.settings.set(key, value)
        self._local_setting_changed(key)
        return self._settings_changed(settings)

    def reset_setting(self, key: str) -> Settings:
        settings = self._store.settings.reset(key)
        self._local_setting_changed(key)
        return self._settings_changed(settings)

    def damaged_settings(self) -> dict[str, str]:
        """Stored settings that cannot be used (not JSON, or out of range): key -> one line; their defaults apply."""
        return self._store.settings.damaged()

    def add_profile(self, profile: ProviderProfile, *, activate: bool = False) -> Settings:
        settings = self.settings
        if any(p.name == profile.name for p in settings.profiles):
            raise NotAllowed(f"There is already a provider profile named {profile.name!r}; choose another name.")
        settings = self._store.settings.set("profiles", [*settings.profiles, profile])
        if activate:
            settings = self._store.settings.set("active_profile", profile.name)
        return self._settings_changed(settings)

    def update_profile(self, name: str, profile: ProviderProfile) -> Settings:
        """Replace profile ``name`` (it may be renamed); clients built for the old one are closed."""
        settings = self.settings
        settings.profile(name)
        if profile.name != name and any(p.name == profile.name for p in settings.profiles):
            raise NotAllowed(f"There is already a provider profile named {profile.name!r}; choose another name.")
        profiles = [profile if p.name == name else p for p in settings.profiles]
        was_active = settings.active_profile == name  # saving the list hands a renamed active profile's place on
        settings = self._store.settings.set("profiles", profiles)
        if was_active and profile.name != name:
            settings = self._store.settings.set("active_profile", profile.name)
        if settings.local_upkeep_profile == name and profile.name != name:
            # The starter model's upkeep follows the rename (a built-in profile cannot keep it: unset then).
            settings = self._store.settings.set("local_upkeep_profile", None if profile.is_builtin else profile.name)
        self._forget_clients_later()
        return self._settings_changed(settings)

    def remove_profile(self, name: str) -> Settings:
        settings = self.settings
        settings.profile(name)
        if len(settings.profiles) == 1:
            raise NotAllowed("This is the only provider profile; add another before removing it.")
        settings = self._store.settings.set("profiles", [p for p in settings.profiles if p.name != name])
        if settings.local_upkeep_profile == name:
            settings = self._store.settings.set("local_upkeep_profile", None)
        self._forget_clients_later()
        return self._settings_changed(settings)

    def set_active_profile(self, name: str) -> Settings:
        return self.set_setting("active_profile", name)

    async def forget_profile(self, name: str) -> tuple[Settings, bool]:
        """Remove a profile and the key stored for it (a key left behind would be found by a new profile
        of the same name); (settings, whether a key was deleted). Without a keyring only the profile goes."""
        settings = self.remove_profile(name)
        if self._secrets is None:
            return settings, False
        try:
            deleted, _ = await self.delete_api_key(name)
        except SecretStoreUnavailable:
            return settings, False
        return settings, deleted

    def _forget_clients_later(self) -> None:
        # No loop (a synchronous caller such as the CLI): clients are built afresh on the next run anyway.
        with contextlib.suppress(RuntimeError):
            task = asyncio.get_running_loop().create_task(self._controller.forget_clients())
            # The loop keeps only a weak reference to a task: hold it until it is done.
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    def _secret_access(self) -> SecretAccess:
        if self._secrets is None:
            raise NotAllowed("This workspace was opened without access to the OS keyring.")
        return self._secrets

    async def set_api_key(self, profile: str, key: str, *, to_file: bool = False, session_ok: bool = True) -> str:
        """Keep the profile's API key (off the loop's thread): the keyring, else (``session_ok``) memory until
        quit, or the data folder's 0600 key file when ``to_file``; returns where (``SecretAccess.save``)."""
        self.settings.profile(profile)
        key = key.strip()
        if not key:
            raise EmptyInput("No key given.")
        if any(ch.isspace() for ch in key):
            raise EmptyInput("The key contains spaces or line breaks; give the key alone.")
        secrets = self._secret_access()
        where = await asyncio.to_thread(lambda: secrets.save(profile, key, to_file=to_file, session_ok=session_ok))
        await self._controller.forget_clients()
        return where

    async def delete_api_key(self, profile: str) -> tuple[bool, str]:
        """Forget the profile's key wherever it is kept; (whether there was one, where keys are kept)."""
        secrets = self._secret_access()
        deleted = await asyncio.to_thread(secrets.delete, profile)
        await self._controller.forget_clients()
        return deleted, "where it was kept"

    async def keyring_notice(self) -> str | None:
        """Without an OS keyring, the one line saying a key typed now is kept until quit; else None."""
        secrets = self._secrets
        missing = secrets is not None and await asyncio.to_thread(secrets.problem) is not None
        return NO_KEYRING_SESSION if missing else None

    async def key_status(self, profile: str) -> str:
        """Where the profile's key comes from ("stored in ...", "from OPENAI_API_KEY", ...), never the key."""
        found = self.settings.profile(profile)
        return await asyncio.to_thread(self._secret_access().describe, found)

    async def list_models(self, profile: str | None = None) -> list[str]:
        """The models the profile's server lists, sorted."""
        found = self.settings.profile(profile)
        if found.is_builtin:  # the model files it can run; listing them starts no server
            return [str(path) for path, _ in self.local_model_files()]
        client = await self._controller.client_for(found)
        return sorted(await client.list_models())

    # --- data ---------------------------------------------------------------------------------

    def purge(
        self, *, days: int | None = None, mode: RetentionMode | None = None, dry_run: bool = False
    ) -> PurgeReport:
        """Apply the retention rule (the settings', unless given); pinned chats are never touched."""
        settings = self.settings
        report = purge(
            self._store,
            days=days if days is not None else settings.retention_days,
            mode=mode or settings.retention_mode,
            dry_run=dry_run,
        )
        if not dry_run:
            for victim in report.sessions:
                if report.mode == "delete":
                    self.channel.publish(SessionDeleted(victim.id))
                else:
                    self.channel.publish(SessionChanged(self._store.sessions.get(victim.id)))
        return report

    def export_markdown(self, session_id: int) -> str:
        return export_markdown(self._store_for(session_id), session_id)

    def export_json(self, session_ids: Sequence[int] | None = None) -> dict[str, Any]:
        return export_json(self._store, list(session_ids) if session_ids is not None else None)

    def import_text(self, text: str) -> ImportResult:
        """Import an export or the minimal shape; all or nothing."""
        result = import_json(self._store, parse_document(text))
        for session_id in result.session_ids:
            self.channel.publish(SessionCreated(self._store.sessions.get(session_id)))
        if result.facts:
            self.channel.publish(FactsChanged(None))
        return result

    # --- importing other apps' exports (ChatGPT, Claude) and the app's own, from a file --------------

    def import_file(
        self,
        path: str | Path,
        *,
        progress: Callable[[int, int], None] | None = None,
        cancel: Callable[[], bool] | None = None,
        name: str | None = None,
    ) -> ImportResult:
        """Import the file at ``path``, its kind detected by shape; see ``core/importers/files.py``.

        ``progress(done, total)`` is called once the file is validated (done 0) and after
        each batch of conversations; ``cancel()`` is asked between batches, and a cancelled
        import keeps the whole conversations already written (``result.cancelled``).
        Chats appear as ``SessionCreated`` events as each batch commits, chats continued since the
        last import (``result.continued``) as ``MessagesChanged`` and ``SessionChanged``; pending facts
        offered from the export's memories as one ``FactsChanged(None)``. ``name`` is what
        error lines call the file (the path by default). Runs on the caller's thread (the
        database has one owner); ``progress`` is where a window keeps itself responsive.
        """

        def committed(session_ids: tuple[int, ...]) -> None:
            for session_id in session_ids:
                self.channel.publish(SessionCreated(self._store.sessions.get(session_id)))

        result = import_file(self._store, Path(path), progress=progress, cancel=cancel, committed=committed, name=name)
        for continued in result.continued:  # chats already here that got their newer messages
            self.channel.publish(MessagesChanged(continued.session_id))
            self.channel.publish(SessionChanged(self._store.sessions.get(continued.session_id)))
        if result.facts:
            self.channel.publish(FactsChanged(None))
        return result

    # --- the memory inspector: why a reply, private facts, calibration ---------------------------
    # (kept apart from the sections above: the inspector's own operations)

    def reply_plan(self, message_id: int) -> ReplyPlan | None:
        """The plan reply ``message_id`` was made from (ids and counts); None for replies older than plans."""
        return self._controller.store_for_message(message_id).reply_plans.get(message_id)

    def set_fact_private(self, fact_id: int, private: bool = True) -> Fact:
        """Private: the fact goes only to local models (a loopback server); undo reverts it like any change."""
        fact = self._store.facts.get(fact_id)
        if fact.private == private:
            return fact
        if fact.status in (FactStatus.DELETED, FactStatus.SUPERSEDED):
            raise NotAllowed(f"Fact {fact_id} is {fact.status.value}; only current facts can be made private.")
        return self._fact_changed(self._store.facts.set_private(fact_id, private))

    def summary_history(self, session_id: int) -> list[SummaryState]:
        """Every earlier state of the chat's summary, newest first: what each change replaced, and who made it."""
        return self._saved_summaries(session_id).summaries.history(session_id)

    def undo_summary(self, session_id: int) -> Summary | None:
        """Bring back the summary as it was before its newest change (None: there was none); again goes further back.

        Undoes the user's edits, upkeep folds and branch rollbacks alike; the summary
        job's watermark follows, so upkeep resumes after what the restored text covers.
        """
        restored = summary_undo.undo(self._saved_summaries(session_id), session_id)
        self.channel.publish(SummaryChanged(session_id))
        return restored

    def _saved_summaries(self, session_id: int) -> Store:
        if self.session(session_id).temporary:
            raise NotAllowed("A temporary chat never writes memory, so its summary has no history to undo.")
        return self._store

    def target_is_local(self, session_id: int | None = None) -> bool:
        """Whether the chat's next request stays on this machine (so its private facts go in)."""
        return is_local_profile(self.target(session_id).profile)

    def calibrated(self, session_id: int | None = None) -> bool:
        """Whether the provider's usage has confirmed our token counts for the chat's model in this run."""
        return self._controller.calibrations.get(self.target(session_id).model).samples > 0

    def summary_coverage(self, session_id: int) -> tuple[int, int] | None:
        """The chat's messages the summary covers, as positions (1, n) in its active branch; None without one."""
        store = self._store_for(session_id)
        summary = store.summaries.get(session_id)
        if summary is None:
            return None
        covered = store.scan.active_count(session_id) - store.scan.active_count_after(
            session_id, summary.covers_through
        )
        return (1, covered) if covered > 0 else None

    def strategy_choice(self, session: Session | int, settings: Settings | None = None) -> StrategyChoice:
        """The strategy the chat asked for and the one its requests really use (the starter model falls back).

        ``settings``: the current ones, when the caller labels many chats at once.
        """
        found = self.session(session) if isinstance(session, int) else session
        settings = settings or self.settings
        return strategy_choice(self._controller.profile_for(found, settings), settings, found.strategy)

    def upkeep_text(self, session_id: int, *, running: bool = False) -> tuple[str, bool]:
        """The chat's upkeep in one line, consistent with its summary; True when a job failed (Retry helps)."""
        jobs = self.upkeep_jobs(session_id)
        return describe_upkeep(
            jobs,
            self.upkeep_status(session_id) if jobs else {},
            has_summary=self.summary(session_id) is not None,
            running=running,
        )

    def upkeep_jobs(self, session_id: int) -> tuple[JobName, ...]:
        """The memory upkeep the chat's strategy runs after each reply (none for a temporary chat)."""
        session = self.session(session_id)
        if session.temporary:
            return ()
        settings = self.settings
        profile = self._controller.target(session, settings).profile
        if upkeep_profile(profile, settings) is None:
            return ()  # the built-in starter model keeps no memory (see controller.starter_model_strategy)
        return jobs_for(session.strategy or settings.default_strategy)

    # --- settings window: connection checks, first run, backup -------------------------------

    @property
    def data_folder(self) -> Path | None:
        """The folder holding the database (None for an in-memory workspace)."""
        path = self._store.db.path
        return path.parent if path is not None else None

    @property
    def storage_notice(self) -> str | None:
        """One line to show while the data folder cannot be written (read-only), else None."""
        return self._store.notice

    async def test_connection(
        self, profile: ProviderProfile | str | None = None, *, key: str | None = None
    ) -> ConnectionCheck:
        """Ask the profile's server for its models: whether it answers, in one line, and what it lists.

        ``profile`` may be one not saved yet (a settings form); ``key`` is a key typed but not
        stored yet, else the profile's own (keyring, then ``OPENAI_API_KEY``). Spends no tokens.
        """
        found = profile if isinstance(profile, ProviderProfile) else self.settings.profile(profile)
        settings = self.settings
        if found.is_builtin:
            return await self._check_local_model(settings)
        try:
            api_key = await self._key_for_check(found, key)
        except DesktopChatError as exc:
            return ConnectionCheck(False, str(exc))
        client = await asyncio.to_thread(
            lambda: OpenAIChatClient(
                found.base_url,
                api_key,
                connect_timeout=min(settings.connect_timeout, CHECK_CONNECT_TIMEOUT),
                read_timeout=min(settings.read_timeout, CHECK_READ_TIMEOUT),
                max_retries=0,
            ).prepare()  # the SDK's set-up (CA bundle) in a worker thread, not on the GUI's
        )
        try:
            models = tuple(sorted(await client.list_models()))
        except DesktopChatError as exc:
            return ConnectionCheck(False, str(exc))
        finally:
            await client.aclose()
        where = client.base_url
        if not models:
            return ConnectionCheck(True, f"Connected to {where}; it lists no models (type the model's name).")
        listed = "1 model" if len(models) == 1 else f"{len(models)} models"
        missing = "" if found.default_model in models else f"; '{found.default_model}' is not among them"
        return ConnectionCheck(True, f"Connected to {where}: {listed}{missing}.", models)

    async def _key_for_check(self, profile: ProviderProfile, key: str | None) -> str:
        if key is not None and key.strip():
            return key.strip()
        if not profile.needs_key:
            return ""
        if self._secrets is None:
            # No keyring access here: the environment is the only other place a key comes from.
            return env_key_for(profile, os.environ)
        secrets = self._secrets
        return await asyncio.to_thread(lambda: resolve_api_key(profile, secrets))

    async def provider_ready(self) -> bool:
        """Whether the active profile can be used as it is: it needs no key, or one is stored or in the environment.

        A workspace built around a ready client (no keyring access) counts as ready. Off the loop's thread.
        """
        profile = self.settings.profile()
        if not profile.needs_key or env_key_for(profile, os.environ) or self._secrets is None:
            return True
        secrets = self._secrets
        return bool(await asyncio.to_thread(secrets.get, profile.name))

    def backup_now(self) -> Path:
        """Copy the database, consistent even while it is written, into ``backups/`` in the data folder."""
        folder = self.data_folder
        if folder is None:
            raise NotAllowed("This workspace keeps no database file, so there is nothing to back up.")
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        target = folder / "backups" / f"desktop-chat-{stamp}.sqlite3"
        suffix = 1
        while target.exists():  # two backups in one second keep both
            suffix += 1
            target = folder / "backups" / f"desktop-chat-{stamp}-{suffix}.sqlite3"
        return self._store.db.backup(target)

    # --- the built-in model (profile preset "local") -----------------------------------------

    @property
    def local_model_pid(self) -> int | None:
        """The built-in model server's process id while it runs, else None."""
        return self._local.pid if self._local is not None else None

    def local_model_files(self) -> list[tuple[Path, int]]:
        """The .gguf files the built-in profile can run, with sizes in bytes: the starter model, then
        those in ``models/`` of the data folder."""
        return list_model_files(self.data_folder)

    def local_model_in_use(self) -> Path | None:
        """The .gguf file the built-in profile runs with the current settings (None: the starter is not installed)."""
        chosen = self.settings.local_model_file
        return Path(chosen).expanduser() if chosen else find_bundled_smollm2()

    def _local_setting_changed(self, key: str) -> None:
        # The built-in client keeps the settings it was built with: a new one starts the new model.
        if key.startswith("local_"):
            self._forget_clients_later()

    async def _check_local_model(self, settings: Settings) -> ConnectionCheck:
        """The built-in profile has no server to ask until it is used: check its model file instead."""
        try:
            path = await asyncio.to_thread(resolve_model_file, settings)
        except DesktopChatError as exc:
            return ConnectionCheck(False, str(exc))
        size = path.stat().st_size / 1_000_000
        return ConnectionCheck(True, f"Built-in model {path.name} ({size:.0f} MB) starts with the first message.")

    async def _stop_local_model(self) -> None:
        local = self._local
        if local is None or local.pid is None:
            return
        await asyncio.to_thread(local.stop)
        self.channel.publish(LocalModelChanged("stopped", "built-in model stopped"))
