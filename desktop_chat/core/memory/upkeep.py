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
from collections.abc import Callable, Iterable

from desktop_chat.core.errors import DatabaseBusy, DesktopChatError
from desktop_chat.core.memory.extractor import extract_facts
from desktop_chat.core.memory.summarizer import DEFAULT_CHUNK_TOKENS, update_summary
from desktop_chat.core.memory.upkeep_jobs import JobResult, UpkeepReport, describe_upkeep, jobs_for
from desktop_chat.core.models import JOBS, JobName, JobState, JobStatus
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
