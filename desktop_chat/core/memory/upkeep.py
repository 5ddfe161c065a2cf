"""Run a session's memory upkeep jobs and record how each went, for the controller and the GUI.

``run_upkeep`` is meant to run in the background after each reply. It never
raises for what a model server or a model's answer can do wrong: each job's
state becomes ``failed`` with a one-line reason (and the log has the details),
and the next run picks up where the last committed work stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from desktop_chat.core.errors import DatabaseBusy, DesktopChatError
from desktop_chat.core.memory.extractor import extract_facts
from desktop_chat.core.memory.summarizer import DEFAULT_CHUNK_TOKENS, update_summary
from desktop_chat.core.models import JOBS, JobName, JobState, JobStatus, Strategy
from desktop_chat.core.providers import ChatClient
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.store import Store

log = logging.getLogger(__name__)

__all__ = [
    "JOBS",
    "JobResult",
    "JobState",
    "JobStatus",
    "JobsInFlight",
    "UpkeepReport",
    "describe_upkeep",
    "jobs_for",
    "run_upkeep",
    "upkeep_status",
]

_STRATEGY_JOBS: dict[Strategy, tuple[JobName, ...]] = {
    Strategy.SUMMARY: ("summary",),
    Strategy.FACTS: ("facts",),
    Strategy.HYBRID: ("summary", "facts"),
}


class JobsInFlight:
    """Jobs under way, so two overlapping runs never do the same work twice.

    Owned by whoever schedules runs (the controller's ``UpkeepScheduler``), not by this module:
    an entry lives only while its job runs, so the store's ``id()`` cannot be reused meanwhile.
    """

    def __init__(self) -> None:
        self._jobs: set[tuple[int, int, JobName]] = set()

    def claim(self, store: Store, session_id: int, job: JobName) -> bool:
        """Take the job; False when it is already under way."""
        key = (id(store), session_id, job)
        if key in self._jobs:
            return False
        self._jobs.add(key)
        return True

    def release(self, store: Store, session_id: int, job: JobName) -> None:
        self._jobs.discard((id(store), session_id, job))


@dataclass(frozen=True, slots=True)
class JobResult:
    job: JobName
    status: Literal["done", "failed", "skipped", "pending"]
    detail: str  # one line


@dataclass(frozen=True, slots=True)
class UpkeepReport:
    session_id: int
    results: dict[JobName, JobResult] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(r.status != "failed" for r in self.results.values())


def jobs_for(strategy: Strategy | str) -> tuple[JobName, ...]:
    """The upkeep a strategy needs after each reply: summary for summary|hybrid, facts for facts|hybrid."""
    return _STRATEGY_JOBS.get(Strategy(strategy), ())


def describe_upkeep(
    jobs: tuple[JobName, ...], states: Mapping[JobName, JobState], *, has_summary: bool, running: bool = False
) -> tuple[str, bool]:
    """One line on a chat's upkeep that agrees with its memory, and whether a job failed.

    A summary job that ran without writing a summary found too little to fold yet: saying
    "done" beside "No summary yet" reads as a contradiction, so it says so instead.
    """
    if not jobs:
        return "Upkeep: none for this strategy.", False
    bits, failed = [], False
    for job in jobs:
        state = states.get(job)
        status = state.status if state is not None else JobStatus.PENDING
        if running and status is not JobStatus.FAILED:
            status = JobStatus.RUNNING
        if status is JobStatus.FAILED:
            failed = True
            reason = state.error if state is not None and state.error else "no reason given"
            bits.append(f"{job} failed: {reason}")
        elif job == "summary" and not has_summary and status in (JobStatus.DONE, JobStatus.PENDING):
            bits.append("summary not needed yet (too few messages)")
        elif status is JobStatus.DONE and state is not None and state.through_id is not None:
            bits.append(f"{job} up to date through #{state.through_id}")
        elif status is JobStatus.DONE:
            bits.append(f"{job} up to date")
        else:
            bits.append(f"{job} {status}")
    return "Upkeep: " + " · ".join(bits), failed


def upkeep_status(store: Store, session_id: int) -> dict[JobName, JobState]:
    """Where each job stands for a session; a job that never ran is ``pending``."""
    return store.upkeep_state.for_session(session_id)


def _one_line(text: str) -> str:
    return " ".join(text.split())


async def _run_job(
    store: Store,
    client: ChatClient,
    session_id: int,
    job: JobName,
    *,
    model: str,
    settings: Settings,
    chunk_tokens: int,
    force: bool,
    flush_facts: bool = False,
) -> JobResult:
    if job == "summary":
        summary = await update_summary(
            store, client, session_id, model=model, settings=settings, chunk_tokens=chunk_tokens, force=force
        )
        if summary.status == "conflict":
            store.upkeep_state.mark(session_id, job, JobStatus.PENDING, error=summary.detail)
            return JobResult(job, "pending", summary.detail)
        store.upkeep_state.mark(session_id, job, JobStatus.DONE)
        return JobResult(job, "skipped" if summary.status == "skipped" else "done", summary.detail)
    facts = await extract_facts(store, client, session_id, model=model, settings=settings, flush=flush_facts)
    if facts.failed:
        store.upkeep_state.mark(session_id, job, JobStatus.FAILED, error=facts.error)
        return JobResult(job, "failed", facts.detail)
    store.upkeep_state.mark(session_id, job, JobStatus.DONE)
    return JobResult(job, "done", facts.detail)


async def run_upkeep(
    store: Store,
    client: ChatClient,
    session_id: int,
    *,
    model: str,
    settings: Settings,
    jobs: Iterable[JobName] = JOBS,
    chunk_tokens: int = DEFAULT_CHUNK_TOKENS,
    force: bool = False,
    in_flight: JobsInFlight | None = None,
    metered: Callable[[ChatClient, JobName], ChatClient] | None = None,
    flush_facts: bool = False,
) -> UpkeepReport:
    """Run ``jobs`` for the session in order, recording running → done / failed for each.

    ``model`` is the upkeep model (``ProviderProfile.upkeep_model``); ``force``
    summarises whatever the threshold (the user asked for it). Cancelling the
    task leaves the job pending with all committed work kept. ``in_flight``: the jobs other
    runs have under way, skipped here (None: this run's own). ``metered``: wraps the client for
    each job, so that what its requests use and cost is recorded as that job's. ``flush_facts``:
    extract from every waiting message now, even short of a batch (``facts_every``).
    """
    store.sessions.get(session_id)  # NotFound for a session that does not exist
    report = UpkeepReport(session_id)
    running = in_flight if in_flight is not None else JobsInFlight()
    for job in jobs:
        if not running.claim(store, session_id, job):
            report.results[job] = JobResult(job, "skipped", "already running")
            continue
        store.upkeep_state.mark(session_id, job, JobStatus.RUNNING)
        try:
            job_client = metered(client, job) if metered is not None else client
            result = await _run_job(
                store,
                job_client,
                session_id,
                job,
                model=model,
                settings=settings,
                chunk_tokens=chunk_tokens,
                force=force,
            )
        except asyncio.CancelledError:
            store.upkeep_state.mark(session_id, job, JobStatus.PENDING, error="interrupted; will run again")
            raise
        except DatabaseBusy:
            # Another program holds the lock: not the job's failure; the caller runs it again later.
            with contextlib.suppress(DatabaseBusy):
                store.upkeep_state.mark(session_id, job, JobStatus.PENDING, error="waiting for the database")
            raise
        except DesktopChatError as exc:  # StorageError included: the database was full or unreadable
            reason = _one_line(str(exc)) or type(exc).__name__
            log.warning("memory upkeep %s for session %s failed: %s", job, session_id, reason)
            store.upkeep_state.mark(session_id, job, JobStatus.FAILED, error=reason)
            result = JobResult(job, "failed", reason)
        except Exception as exc:
            # A bug, not a model problem: record it so the GUI does not show "running" forever, then raise.
            store.upkeep_state.mark(
                session_id,
                job,
                JobStatus.FAILED,
                error=f"Internal error ({type(exc).__name__}); see the log.",
            )
            raise
        finally:
            running.release(store, session_id, job)
        report.results[job] = result
    return report
