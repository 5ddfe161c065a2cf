"""One upkeep scheduler: every memory upkeep run (after a reply, or asked for by the user) goes through here.

A run publishes ``UpkeepChanged`` (running, then done), runs the jobs with ``run_upkeep``,
retires facts whose source left the branch meanwhile (an edit while the facts were being
extracted), and publishes what changed (``SummaryChanged``, ``FactsChanged``). Runs after a
reply are background tasks, one per chat (a reply during a run asks for one more run); a
run the user asked for is awaited and raises. Jobs under way are owned here, so two
overlapping runs never do the same work twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from desktop_chat.core.errors import DatabaseBusy, DesktopChatError, StorageError
from desktop_chat.core.events import EventChannel, FactsChanged, SummaryChanged, UpkeepChanged
from desktop_chat.core.memory.branching import retire_facts_off_branch
from desktop_chat.core.memory.extractor import fact_scope
from desktop_chat.core.memory.upkeep import JobsInFlight, UpkeepReport, jobs_for, run_upkeep, upkeep_status
from desktop_chat.core.metering import Meter
from desktop_chat.core.models import JobName, JobState, Session, Strategy
from desktop_chat.core.profiles import ProviderProfile
from desktop_chat.core.providers import ChatClient
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage import waiting
from desktop_chat.core.storage.store import Store

log = logging.getLogger(__name__)

UPKEEP_BUSY_PAUSE = 1.0  # seconds before upkeep that met another program's lock runs again


class UpkeepScheduler:
    """Runs memory upkeep and publishes its progress on ``channel``; ``client_for`` gives a profile's client."""

    def __init__(
        self,
        channel: EventChannel,
        client_for: Callable[[ProviderProfile], Awaitable[ChatClient]],
        meter: Meter | None = None,
    ) -> None:
        self._channel = channel
        self._client_for = client_for
        self._meter = meter  # records each upkeep request's usage and cost (None: not recorded)
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._again: set[int] = set()
        self._in_flight = JobsInFlight()
        self._closed = False

    def status(self, store: Store, session_id: int) -> Mapping[JobName, JobState]:
        return upkeep_status(store, session_id)

    def running(self, session_id: int) -> bool:
        """Whether a background run for the chat is under way."""
        task = self._tasks.get(session_id)
        return task is not None and not task.done()

    def pending(self) -> list[asyncio.Task[None]]:
        """The background runs not done yet."""
        return [t for t in self._tasks.values() if not t.done()]

    def close(self) -> None:
        """Schedule nothing more (the app is closing); runs under way are the caller's to wait for or cancel."""
        self._closed = True

    async def after_reply(
        self,
        store: Store,
        session: Session,
        strategy: Strategy,
        keeper: ProviderProfile | None,
        client: ChatClient | None,
        *,
        settings: Settings,
    ) -> None:
        """Schedule the chat's upkeep on ``client``, else on the client of ``keeper`` (None: no upkeep)."""
        if keeper is None:
            return
        if client is None:
            # The starter model's chats: upkeep goes to the profile named by local_upkeep_profile.
            try:
                client = await self._client_for(keeper)
            except DesktopChatError as exc:
                log.warning("no memory upkeep for chat %s: profile %s: %s", session.id, keeper.name, exc)
                return
        self.schedule(
            store,
            session,
            strategy=strategy,
            client=client,
            model=keeper.upkeep_model,
            settings=settings,
            profile=keeper,
        )

    def schedule(
        self,
        store: Store,
        session: Session,
        *,
        strategy: Strategy,
        client: ChatClient,
        model: str,
        settings: Settings,
        profile: ProviderProfile | None = None,
    ) -> None:
        """Run the strategy's upkeep for the chat in the background (after a reply); ``profile``: ``client``'s."""
        # A temporary chat never writes memory: no summary, no facts.
        jobs = () if session.temporary else jobs_for(strategy)
        if not jobs or self._closed:
            return
        if self.running(session.id):
            self._again.add(session.id)  # it runs once more when the current run ends
            return
        self._tasks[session.id] = asyncio.create_task(
            self._background(
                store, session.id, jobs=jobs, client=client, model=model, settings=settings, profile=profile
            ),
            name=f"upkeep-{session.id}",
        )

    async def run_now(
        self,
        store: Store,
        session_id: int,
        *,
        jobs: tuple[JobName, ...],
        client: ChatClient,
        model: str,
        settings: Settings,
        force: bool = False,
        profile: ProviderProfile | None = None,
        flush_facts: bool = False,
    ) -> UpkeepReport:
        """Run ``jobs`` now and return how each went (the user asked); raises what ``run_upkeep`` raises.

        ``profile``: the one ``client`` talks to, whose prices the requests are recorded at (None: not recorded).
        """
        self._channel.publish(UpkeepChanged(session_id, True, upkeep_status(store, session_id)))
        try:
            report = await run_upkeep(
                store,
                client,
                session_id,
                model=model,
                settings=settings,
                jobs=jobs,
                force=force,
                in_flight=self._in_flight,
                metered=self._metered(profile, session_id),
                flush_facts=flush_facts,
            )
            if "facts" in jobs:
                # An edit may have taken a message off the branch while its facts were being extracted.
                retire_facts_off_branch(store, session_id)
            self._publish_results(session_id, report, settings)
            return report
        finally:
            with contextlib.suppress(StorageError):  # the temporary store may be closed by now
                self._channel.publish(UpkeepChanged(session_id, False, upkeep_status(store, session_id)))

    async def _background(
        self,
        store: Store,
        session_id: int,
        *,
        jobs: tuple[JobName, ...],
        client: ChatClient,
        model: str,
        settings: Settings,
        profile: ProviderProfile | None,
    ) -> None:
        busy_until = time.monotonic() + waiting.PATIENCE
        while True:
            self._again.discard(session_id)
            try:
                await self.run_now(
                    store, session_id, jobs=jobs, client=client, model=model, settings=settings, profile=profile
                )
            except asyncio.CancelledError:
                raise
            except DatabaseBusy:  # another program writes: run again once it may be done, for a while
                if time.monotonic() < busy_until:
                    await asyncio.sleep(UPKEEP_BUSY_PAUSE)
                    self._again.add(session_id)
                else:
                    log.warning("memory upkeep for session %s gave up: the database stayed locked", session_id)
            except Exception:
                # run_upkeep records its own failures; this is a bug or a deleted chat: log, do not crash.
                log.exception("memory upkeep for session %s failed", session_id)
            if session_id not in self._again:
                return

    def _metered(
        self, profile: ProviderProfile | None, session_id: int
    ) -> Callable[[ChatClient, JobName], ChatClient] | None:
        """Each job's client, recording its requests as that job's kind (fact extraction, summaries)."""
        if self._meter is None or profile is None:
            return None
        meter = self._meter.bound(profile)
        return lambda client, job: meter.wrap(client, job, session_id)

    def _publish_results(self, session_id: int, report: UpkeepReport, settings: Settings) -> None:
        results = report.results
        if "summary" in results and results["summary"].status == "done":
            self._channel.publish(SummaryChanged(session_id))
        if "facts" in results and results["facts"].status == "done":
            self._channel.publish(FactsChanged(fact_scope(settings, session_id)))
