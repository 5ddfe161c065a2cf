"""The meter: every request's usage and cost written to the saved store, replies and memory upkeep alike.

A reply is recorded by its turn when it is saved (``record``, with the reply's message id). Upkeep
requests (fact extraction, summaries, titles) go through a ``MeteredClient``: the client the upkeep
would use, wrapped so that each answer it returns is recorded with its kind and chat. When the
provider sends no usage (a server that ignores ``stream_options``, a stopped reply), the tokens are
counted with the app's tokenizer and the record says so (``estimated``).

Records always go to the saved store, also for a temporary chat: what was spent counts in the
month's total; a record holds numbers and names, never text.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from desktop_chat.core.errors import DatabaseBusy, StorageError
from desktop_chat.core.models import ChatMessage, Usage
from desktop_chat.core.pricing import pricing_for
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.providers import ChatClient, Completion, JsonSchema, StreamEvent
from desktop_chat.core.spending import UsageKind, UsageRecord
from desktop_chat.core.storage.store import Store
from desktop_chat.core.tokens import TokenCounter

log = logging.getLogger(__name__)


class Meter:
    """Writes usage records to ``store`` (the saved one); ``bound(profile)`` prices them for a profile."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def bound(self, profile: ProviderProfile) -> ProfileMeter:
        return ProfileMeter(self._store, profile)


class ProfileMeter:
    """Records the requests made to one profile."""

    def __init__(self, store: Store, profile: ProviderProfile) -> None:
        self._store = store
        self.profile = profile

    def record(
        self,
        kind: UsageKind,
        session_id: int | None,
        model: str,
        usage: Usage | None,
        *,
        estimate: tuple[int, int],
        message_id: int | None = None,
    ) -> UsageRecord | None:
        """Record one request: ``usage`` as the provider reported it, else ``estimate`` (prompt, completion).

        Never fails the work it measures: a full or read-only disk is logged and the record lost.
        ``DatabaseBusy`` is raised, so a caller that waits for the lock (a reply's final save) records it later.
        """
        estimated = usage is None
        counted = usage if usage is not None else Usage(*estimate)
        pricing = pricing_for(self.profile, model)
        try:
            return self._store.usage.record(
                kind=kind,
                session_id=session_id,
                message_id=message_id,
                profile=self.profile.name,
                model=model,
                prompt_tokens=counted.prompt_tokens,
                completion_tokens=counted.completion_tokens,
                cached_tokens=counted.cached_tokens,
                estimated=estimated,
                pricing=pricing.kind,
                cost_usd=pricing.cost(counted),
                priced_by=pricing.source,
            )
        except DatabaseBusy:
            raise
        except StorageError as exc:
            log.warning("could not record the usage of a %s request in chat %s: %s", kind, session_id, exc)
            return None

    def wrap(self, client: ChatClient, kind: UsageKind, session_id: int | None) -> MeteredClient:
        return MeteredClient(client, self, kind, session_id)


def estimate_prompt(model: str, messages: Sequence[ChatMessage]) -> int:
    """The prompt's tokens by our count, for a provider that reported none."""
    return TokenCounter.for_model(model).count_messages(messages)


class MeteredClient:
    """A ``ChatClient`` that records each ``complete()`` answer (an upkeep request) with its kind and chat.

    Streams pass through unrecorded: replies are recorded by their turn, with the reply's id.
    The wrapped client belongs to the client pool: closing this wrapper leaves it open.
    """

    def __init__(self, client: ChatClient, meter: ProfileMeter, kind: UsageKind, session_id: int | None) -> None:
        self._client = client
        self._meter = meter
        self._kind = kind
        self._session_id = session_id

    def stream_chat(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str,
        max_tokens: int | None = None,
        temperature: float | None = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
    ) -> AsyncIterator[StreamEvent]:
        return self._client.stream_chat(
            messages, model=model, max_tokens=max_tokens, temperature=temperature, tools=tools
        )

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str,
        json_mode: bool = False,
        json_schema: JsonSchema | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> Completion:
        # A request that fails is not recorded: providers bill answers, not errors.
        completion = await self._client.complete(
            messages,
            model=model,
            json_mode=json_mode,
            json_schema=json_schema,
            max_tokens=max_tokens,
            temperature=temperature,
        )
        estimate = (0, 0)
        if completion.usage is None:
            estimate = (estimate_prompt(model, messages), TokenCounter.for_model(model).count_text(completion.text))
        try:
            served = completion.model or model  # the dated version a provider names is priced exactly
            self._meter.record(self._kind, self._session_id, served, completion.usage, estimate=estimate)
        except DatabaseBusy:
            log.warning("usage of a %s request in chat %s not recorded: database busy", self._kind, self._session_id)
        return completion

    async def list_models(self) -> list[str]:
        return await self._client.list_models()

    async def aclose(self) -> None:
        """Nothing to close: the wrapped client is the pool's."""
