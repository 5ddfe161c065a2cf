"""Assistants (presets a chat starts from) and the instruction-room rule shared with chat edits and settings.

``workspace.assistants``: list, add or change, remove, export, import, and start a chat from one.
They are stored in the setting ``assistants`` (``core/assistants.py`` has their shape and rules);
what depends on the other settings (the profile exists, the strategy options are valid, the system
prompt leaves room for a message on the assistant's model) is checked here, before anything is saved.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from desktop_chat.core import assistants as rules
from desktop_chat.core.assistants import Assistant
from desktop_chat.core.errors import SettingsError
from desktop_chat.core.events import SessionCreated
from desktop_chat.core.facade.context import Context
from desktop_chat.core.memory.options import memory_options, with_request_cap
from desktop_chat.core.models import Session
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.db import utcnow


def check_room(ctx: Context, session: Session, settings: Settings) -> int:
    """Refuse instructions (``settings.custom_instructions`` and ``session.system_prompt``, as proposed) that leave
    no room for a message on the chat's model, in one line with the numbers; returns their tokens."""
    from desktop_chat.core.memory.planner import check_instruction_room  # the planner: the reply engine's, ~40 ms

    target = ctx.target(session, settings)
    window = settings.local_context_size if target.profile.is_builtin else target.profile.context_window
    return check_instruction_room(
        ctx.store, session, settings=settings, model=target.model, context_window=window, profile=target.profile
    )


def blank_session(**values: Any) -> Session:
    """A chat not created yet, as it would start (checks run on it before anything is written)."""
    now = utcnow()
    return replace(Session(id=0, title="", created_at=now, updated_at=now), **values)


class AssistantsFacade:
    """``workspace.assistants``."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def list(self) -> tuple[Assistant, ...]:
        return self._ctx.settings.assistants

    def get(self, name: str) -> Assistant:
        return rules.find(self.list(), name)

    def check(self, assistant: Assistant) -> Assistant:
        """Refuse an assistant that could not start a chat: unknown profile, bad options, a prompt too long."""
        settings = self._ctx.settings
        if assistant.profile is not None:
            profile = settings.profile(assistant.profile)  # refuses an unknown one, naming the known ones
            assistant = replace(assistant, profile=profile.name)
        memory_options(settings, dict(assistant.strategy_options))  # a bad option is refused by name
        assistant = replace(assistant, strategy_options=with_request_cap(assistant.strategy_options))
        check_room(self._ctx, self._session_for(assistant), settings)
        return assistant

    def save(self, assistant: Assistant, *, replacing: str | None = None) -> Assistant:
        """Add ``assistant``, or change the one named ``replacing`` (it may be renamed); names are unique."""
        assistant = self.check(Assistant.from_dict(assistant.to_dict()))
        current = list(self.list())
        index = None
        if replacing is not None:
            old = rules.find(tuple(current), replacing)
            index = next(i for i, a in enumerate(current) if a.name == old.name)
        others = [a for i, a in enumerate(current) if i != index]
        if any(a.name.casefold() == assistant.name.casefold() for a in others):
            raise SettingsError(f"There is already an assistant named {assistant.name!r}; choose another name.")
        if index is None:
            current.append(assistant)
        else:
            current[index] = assistant
        self._store(tuple(current))
        return assistant

    def remove(self, name: str) -> Assistant:
        current = self.list()
        found = rules.find(current, name)
        self._store(tuple(a for a in current if a.name != found.name))
        return found

    def export(self) -> dict[str, Any]:
        """Every assistant as the export document (JSON-ready)."""
        return rules.export_document(self.list())

    def import_text(self, text: str) -> tuple[int, int]:
        """Add the assistants of an export file; one of the same name is replaced. (added, replaced).

        Every incoming assistant is checked first: one bad assistant imports nothing."""
        incoming = tuple(self.check(a) for a in rules.parse_document(text))
        assistants, added, replaced = rules.merged(self.list(), incoming)
        self._store(assistants)
        return added, replaced

    def start_chat(self, name: str, *, temporary: bool = False) -> Session:
        """A new chat with the assistant's system prompt, profile, model, strategy and options."""
        assistant = self.get(name)
        ctx = self._ctx
        check_room(ctx, self._session_for(assistant), ctx.settings)
        session = ctx.controller.new_session(
            temporary=temporary,
            strategy=assistant.strategy,
            model=assistant.model,
            profile=assistant.profile,
            system_prompt=assistant.system_prompt,
        )
        if assistant.strategy_options:
            session = ctx.store_for(session.id).sessions.update(
                session.id, strategy_options=dict(assistant.strategy_options)
            )
        ctx.channel.publish(SessionCreated(session))
        return session

    def _session_for(self, assistant: Assistant) -> Session:
        if assistant.profile is not None:
            try:
                self._ctx.settings.profile(assistant.profile)
            except SettingsError as exc:  # removed since: said before any chat starts
                raise SettingsError(
                    f"Assistant {assistant.name!r} uses the profile {assistant.profile!r}, which no longer exists; "
                    f"edit the assistant. ({exc})"
                ) from None
        return blank_session(
            system_prompt=assistant.system_prompt,
            model=assistant.model,
            profile=assistant.profile,
            strategy=assistant.strategy,
            strategy_options=dict(assistant.strategy_options),
        )

    def _store(self, assistants: tuple[Assistant, ...]) -> None:
        self._ctx.settings_changed(self._ctx.store.settings.set("assistants", list(assistants)))
