"""A stand-in for core.workspace.Workspace until it lands: the same names, built on the controller."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from desktop_chat.core.controller import ConversationController
from desktop_chat.core.export import export_json, export_markdown, import_json, parse_document
from desktop_chat.core.memory.planner import plan_context
from desktop_chat.core.models import ContextPlan, Message, SearchHit, Session, Strategy
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.settings import Settings, SettingsStore
from desktop_chat.core.storage.store import Store


@dataclass(frozen=True)
class Target:
    profile: ProviderProfile
    model: str


@dataclass(frozen=True)
class SessionChanged:
    session: Session


@dataclass(frozen=True)
class SessionCreated:
    session: Session


@dataclass(frozen=True)
class SessionDeleted:
    session_id: int


@dataclass(frozen=True)
class MessagesChanged:
    session_id: int


@dataclass(frozen=True)
class ExternalChange:
    pass


class Workspace:
    def __init__(self, store: Store, client: Any, settings: Settings | None = None) -> None:
        self._store = store
        self._settings = settings
        self._c = ConversationController(store, client, settings)
        self._listeners: list[Callable[[Any], None]] = []
        self._c.subscribe(self._publish)
        self._version = self._data_version()

    def _data_version(self) -> int:
        return int(self._store.db.conn.execute("PRAGMA data_version").fetchone()[0])

    @property
    def settings(self) -> Settings:
        return self._settings or SettingsStore(self._store.db).load()

    def subscribe(self, listener: Callable[[Any], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _publish(self, event: Any) -> None:
        for listener in list(self._listeners):
            listener(event)

    def recover_interrupted(self) -> list[Message]:
        return self._c.recover_interrupted()

    def poll_external_changes(self) -> bool:
        version = self._data_version()
        if version == self._version:
            return False
        self._version = version
        self._publish(ExternalChange())
        return True

    async def aclose(self, *, wait: float = 0.0) -> None:
        await self._c.aclose(wait=wait)

    def sessions(self, *, include_archived: bool = False) -> list[Session]:
        saved = self._store.sessions.list_by_activity(include_archived=include_archived)
        return self._c.temporary_sessions() + saved

    def session(self, session_id: int) -> Session:
        return self._c.store_for(session_id).sessions.get(session_id)

    def new_session(self, **kwargs: Any) -> Session:
        session = self._c.new_session(**kwargs)
        self._publish(SessionCreated(session))
        return session

    def _changed(self, session: Session) -> Session:
        self._publish(SessionChanged(session))
        return session

    def rename_session(self, session_id: int, title: str) -> Session:
        return self._changed(self._c.store_for(session_id).sessions.rename(session_id, title))

    def set_pinned(self, session_id: int, pinned: bool) -> Session:
        return self._changed(self._c.store_for(session_id).sessions.update(session_id, pinned=pinned))

    def set_archived(self, session_id: int, archived: bool) -> Session:
        return self._changed(self._c.store_for(session_id).sessions.update(session_id, archived=archived))

    def set_strategy(
        self, session_id: int, strategy: Strategy | None, options: Mapping[str, Any] | None = None
    ) -> Session:
        return self._changed(self._c.store_for(session_id).sessions.update(session_id, strategy=strategy))

    def delete_session(self, session_id: int) -> None:
        self._c.store_for(session_id).sessions.delete(session_id)
        self._publish(SessionDeleted(session_id))

    def search(self, text: str, *, limit: int = 50) -> list[SearchHit]:
        return self._store.sessions.search(text, limit=limit)

    def messages(self, session_id: int, *, before: int | None = None, limit: int | None = None) -> list[Message]:
        store = self._c.store_for(session_id)
        if limit is None:
            return store.messages.all(session_id)
        return store.messages.newest(session_id, limit, before_id=before)

    def message_count(self, session_id: int) -> int:
        return self._c.store_for(session_id).messages.count(session_id)

    def export_markdown(self, session_id: int) -> str:
        return export_markdown(self._store, session_id)

    def export_json(self, session_ids: Sequence[int] | None = None) -> dict[str, Any]:
        return export_json(self._store, session_ids)

    def import_text(self, text: str) -> Any:
        result = import_json(self._store, parse_document(text))
        return result

    def send(self, session_id: int, text: str, **kw: Any) -> AsyncGenerator[Any, None]:
        return self._c.send(session_id, text, **kw)

    def retry(self, session_id: int, **kw: Any) -> AsyncGenerator[Any, None]:
        return self._c.retry(session_id, **kw)

    def regenerate(self, session_id: int, **kw: Any) -> AsyncGenerator[Any, None]:
        return self._c.regenerate(session_id, **kw)

    def edit_and_resend(self, session_id: int, message_id: int, text: str, **kw: Any) -> AsyncGenerator[Any, None]:
        return self._c.edit_and_resend(session_id, message_id, text, **kw)

    def stop(self, session_id: int | None = None) -> bool:
        return self._c.stop(session_id)

    def is_busy(self, session_id: int) -> bool:
        return self._c.is_streaming(session_id)

    def target(self, session_id: int | None = None) -> Target:
        settings = self.settings
        if session_id is None:
            profile = settings.profile()
            return Target(profile, profile.default_model)
        session = self.session(session_id)
        profile = self._c.profile_for(session, settings)
        return Target(profile, session.model or profile.default_model)

    def preview(
        self, session_id: int, draft: str = "", strategy: Strategy | None = None, options: Any = None
    ) -> ContextPlan:
        target = self.target(session_id)
        return plan_context(
            self._c.store_for(session_id),
            session_id,
            settings=self.settings,
            model=target.model,
            context_window=target.profile.context_window,
            strategy=strategy,
            draft=draft or None,
        )


def dumps(value: Any) -> str:
    return json.dumps(value)
