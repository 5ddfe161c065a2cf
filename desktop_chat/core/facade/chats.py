"""Chats: list, open, create (temporary too), rename, pin, archive, delete, search, their messages and versions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from desktop_chat.core import chat_rules
from desktop_chat.core.controller import versions
from desktop_chat.core.controller.stores import TEMPORARY_ID_BASE
from desktop_chat.core.controller.versions import Versions
from desktop_chat.core.events import (
    FactsChanged,
    MessagesChanged,
    SessionChanged,
    SessionCreated,
    SessionDeleted,
    SummaryChanged,
)
from desktop_chat.core.facade.assistants import check_room
from desktop_chat.core.facade.attachments import AttachmentsFacade
from desktop_chat.core.facade.context import Context
from desktop_chat.core.memory.branching import BranchOutcome
from desktop_chat.core.memory.options import memory_options, with_request_cap
from desktop_chat.core.models import Message, SearchHit, Session, Strategy
from desktop_chat.core.storage.sessions import listing_key

KEEP: Any = object()  # edit_session: leave this property as it is


class ChatsFacade:
    """``workspace.chats``: every chat operation routes the id to its store (temporary chats live in memory)."""

    def __init__(self, ctx: Context, attachments: AttachmentsFacade) -> None:
        self._ctx = ctx
        self._attachments = attachments

    def _changed(self, session: Session) -> Session:
        self._ctx.channel.publish(SessionChanged(session))
        return session

    def sessions(self, *, include_archived: bool = False) -> list[Session]:
        """Temporary chats first (they are the newest), then saved ones by last activity."""
        ctx = self._ctx
        temporary = sorted(ctx.router.temporary_sessions(), key=lambda s: s.updated_at, reverse=True)
        return [*temporary, *ctx.store.sessions.list_by_activity(include_archived=include_archived)]

    def session(self, session_id: int) -> Session:
        return self._ctx.session(session_id)

    def chat_to_reopen(self, last: int | None) -> int | None:
        """The saved chat to open at start: ``last`` unless it is gone or archived, else the unarchived chat with the
        latest activity (None: there is none)."""
        return self._ctx.store.sessions.to_reopen(last)

    def sessions_page(
        self, *, after: Session | None = None, limit: int = 50, include_archived: bool = False
    ) -> list[Session]:
        """One page of the listing, in ``listing_key`` order: the first (``after`` None) starts with every
        temporary chat, then ``limit`` saved chats; the next pages continue after the last chat of the previous.
        A view holding the pages places a changed chat itself by ``listing_key``."""
        ctx = self._ctx
        if after is None:
            temporary = sorted(ctx.router.temporary_sessions(), key=listing_key)
            return [*temporary, *ctx.store.sessions.page(limit=limit, include_archived=include_archived)]
        if after.temporary:
            after = None  # every saved chat comes after the temporary ones
        return ctx.store.sessions.page(after=after, limit=limit, include_archived=include_archived)

    listing_key = staticmethod(listing_key)

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
            self._ctx.settings.profile(profile)  # refuses an unknown profile, naming the known ones
        session = self._ctx.controller.new_session(
            temporary=temporary,
            title=title.strip(),
            strategy=strategy,
            model=model,
            profile=profile,
            system_prompt=system_prompt,
        )
        self._ctx.channel.publish(SessionCreated(session))
        return session

    def rename_session(self, session_id: int, title: str) -> Session:
        title = chat_rules.clean_title(title)
        return self._changed(self._ctx.store_for(session_id).sessions.rename(session_id, title))

    def set_pinned(self, session_id: int, pinned: bool) -> Session:
        return self._changed(self._ctx.store_for(session_id).sessions.update(session_id, pinned=pinned))

    def set_archived(self, session_id: int, archived: bool) -> Session:
        """Archive hides a chat and keeps every message; unarchiving brings it back as it was."""
        chat_rules.check_archive(self.session(session_id), archived)
        return self._changed(self._ctx.store_for(session_id).sessions.update(session_id, archived=archived))

    def set_strategy(
        self, session_id: int, strategy: Strategy | None, options: Mapping[str, Any] | None = None
    ) -> Session:
        """The chat's memory strategy (None: the default from settings) and, if given, its options."""
        store = self._ctx.store_for(session_id)
        if options is not None:
            memory_options(self._ctx.settings, dict(options))  # refuses a bad value by name before anything changes
            store.sessions.update(session_id, strategy_options=with_request_cap(options))
        return self._changed(store.sessions.update(session_id, strategy=strategy))

    def change_options(self, session_id: int, changes: Mapping[str, Any]) -> Session:
        """Change some of the chat's memory options (a value of None removes the option: the default applies)."""
        current = self.session(session_id).strategy_options
        options = {**current, **changes}
        options = {k: v for k, v in options.items() if v is not None}
        return self.set_strategy(session_id, self.session(session_id).strategy, options)

    def set_session_model(self, session_id: int, *, model: str | None = None, profile: str | None = None) -> Session:
        if profile is not None:
            self._ctx.settings.profile(profile)
        store = self._ctx.store_for(session_id)
        return self._changed(store.sessions.update(session_id, model=model, profile=profile))

    def edit_session(
        self,
        session_id: int,
        *,
        title: str | None = None,
        system_prompt: str | None = None,
        model: str | None = KEEP,
        profile: str | None = KEEP,
        strategy: Strategy | None = KEEP,
    ) -> Session:
        """Change what a chat is set to, all at once or nothing: its title, system prompt, profile, model and
        strategy. ``model``/``profile``/``strategy`` None (or blank): the default (the profile's model, the active
        profile, the default strategy); ``KEEP`` leaves one as it is. A system prompt (with the custom
        instructions) that leaves no room for a message on the chat's model is refused with the numbers; so is a
        model whose window cannot hold the prompt."""
        session = self.session(session_id)
        changes: dict[str, Any] = {}
        if title is not None:
            changes["title"] = chat_rules.clean_title(title)
        if system_prompt is not None:
            changes["system_prompt"] = system_prompt.strip()
        if profile is not KEEP:
            # Refuses an unknown profile, naming the known ones; `local` names the built-in model.
            changes["profile"] = self._ctx.settings.profile(profile).name if profile and profile.strip() else None
        if model is not KEEP:
            changes["model"] = model.strip() if model and model.strip() else None
        if strategy is not KEEP:
            changes["strategy"] = strategy
        proposed = replace(session, **changes)
        if {"system_prompt", "profile", "model"} & set(changes) and proposed.system_prompt:
            check_room(self._ctx, proposed, self._ctx.settings)
        if not changes:
            return session
        return self._changed(self._ctx.store_for(session_id).sessions.update(session_id, **changes))

    def delete_session(self, session_id: int) -> None:
        """Delete a chat with its messages, summary, chat-scoped facts (global facts stay) and attached files."""
        if self._ctx.is_streaming(session_id):
            self._ctx.controller.stop(session_id)
        freed = self._attachments.shas_of_chat(session_id)
        self._ctx.store_for(session_id).sessions.delete(session_id)
        if freed:  # its attached files go with it, unless another chat refers to them too
            self._attachments.sweep(freed)
        self._ctx.channel.publish(SessionDeleted(session_id))

    def search(self, text: str, *, limit: int = 50) -> list[SearchHit]:
        """Full-text search over saved chats' messages and titles, best first."""
        return self._ctx.store.sessions.search(text, limit=limit)

    def messages(self, session_id: int, *, before: int | None = None, limit: int | None = None) -> list[Message]:
        """The chat's active branch, oldest first; with ``limit``, the newest ``limit`` messages below ``before``."""
        store = self._ctx.store_for(session_id)
        store.sessions.get(session_id)
        if limit is None:
            found = store.messages.all(session_id)
            return [m for m in found if before is None or m.id < before]
        return store.messages.newest(session_id, limit, before_id=before)  # already oldest first

    def message(self, message_id: int) -> Message:
        return self._ctx.store_for_message(message_id).messages.get(message_id)

    def messages_by_id(self, ids: Sequence[int]) -> dict[int, Message]:
        """The named messages (active or not), for showing where a plan's parts came from."""
        saved = [i for i in ids if i <= TEMPORARY_ID_BASE]
        found = {m.id: m for m in self._ctx.store.messages.by_ids(saved)} if saved else {}
        temporary = [i for i in ids if i > TEMPORARY_ID_BASE]
        if temporary:
            store = self._ctx.store_for_message(temporary[0])
            found.update({m.id: m for m in store.messages.by_ids(temporary)})
        return found

    def message_count(self, session_id: int) -> int:
        return self._ctx.store_for(session_id).messages.count(session_id)

    # --- versions (controller/versions.py): regenerate and edit-and-resend keep what they replace ----------

    def versions(self, message_id: int) -> Versions:
        """The message's versions (its siblings: same parent and role), oldest first."""
        return versions.versions_of(self._ctx.store_for_message(message_id), message_id)

    def in_place_of(self, message: Message) -> int | None:
        """What the chat shows now where ``message`` was: itself, the version that replaced it, or None."""
        return versions.in_place_of(self._ctx.store_for_message(message.id), message)

    def version_positions(self, session_id: int, ids: Sequence[int]) -> dict[int, tuple[int, int]]:
        """For a chat's shown messages: id -> (position, count) among their versions, in one query."""
        return self._ctx.store_for(session_id).messages.version_positions(ids)

    def choose_version(self, message_id: int) -> Versions:
        """Make this version, and the newest path that continued from it, the chat's active branch."""
        store = self._ctx.store_for_message(message_id)
        session_id = store.messages.get(message_id).session_id
        versions.check_free(store, session_id, self._ctx.is_streaming)
        self._branched(session_id, versions.choose(store, message_id))
        return versions.versions_of(store, message_id)

    def delete_version(self, message_id: int) -> Versions:
        """Delete a version and what continued from it; returns the versions left (the one now shown)."""
        store = self._ctx.store_for_message(message_id)
        session_id = store.messages.get(message_id).session_id
        versions.check_free(store, session_id, self._ctx.is_streaming)
        left, outcome = versions.delete(store, message_id)
        self._branched(session_id, outcome)
        return left

    def _branched(self, session_id: int, outcome: BranchOutcome | None) -> None:
        channel = self._ctx.channel
        channel.publish(MessagesChanged(session_id))
        if outcome is None:
            return
        if outcome.summary != "untouched":
            channel.publish(SummaryChanged(session_id))
        if outcome.retired_facts or outcome.restored_facts:
            channel.publish(FactsChanged(session_id, outcome.retired_facts + outcome.restored_facts))
