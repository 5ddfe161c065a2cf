"""Where each session's memory upkeep jobs stand: how far they got, and whether the last run failed.

``through_id`` is the watermark: the last message a job has fully processed. Jobs
advance it in the same transaction as their results, so after a crash the next
run starts exactly where the last committed one stopped.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from desktop_chat.core.models import JOBS, JobName, JobState, JobStatus
from desktop_chat.core.storage.db import Repository, from_db_time, to_db_time, utcnow

# The job types live in models (events and the GUI use them); re-exported for older importers.
__all__ = ["JOBS", "JobName", "JobState", "JobStatus", "UpkeepStateRepository"]

_COLUMNS = "session_id, job, through_id, status, error, attempts, updated_at"


def _row_to_state(row: sqlite3.Row | tuple[Any, ...]) -> JobState:
    return JobState(
        session_id=row[0],
        job=row[1],
        through_id=row[2],
        status=JobStatus(row[3]),
        error=row[4],
        attempts=row[5],
        updated_at=from_db_time(row[6]),
    )


class UpkeepStateRepository(Repository):
    def get(self, session_id: int, job: JobName) -> JobState:
        """The job's state; a job that never ran is ``pending`` with no watermark."""
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM upkeep_state WHERE session_id = ? AND job = ?", (session_id, job)
        ).fetchone()
        return _row_to_state(row) if row else JobState(session_id, job, JobStatus.PENDING)

    def for_session(self, session_id: int) -> dict[JobName, JobState]:
        return {job: self.get(session_id, job) for job in JOBS}

    def mark(self, session_id: int, job: JobName, status: JobStatus, *, error: str | None = None) -> JobState:
        """Set the status (and the failure reason); the watermark is untouched."""
        self._upsert(session_id, job, "status = excluded.status, error = excluded.error", status, error)
        return self.get(session_id, job)

    def advance(self, session_id: int, job: JobName, through_id: int) -> None:
        """Move the watermark; call it inside the transaction that commits the job's results."""
        self._upsert(
            session_id,
            job,
            "through_id = MAX(COALESCE(upkeep_state.through_id, 0), excluded.through_id), attempts = 0",
            JobStatus.DONE,  # only used when the job ran outside run_upkeep (no row yet)
            None,
            through_id=through_id,
        )

    def rewind(self, session_id: int, job: JobName, through_id: int | None) -> None:
        """Move the watermark back (``advance`` only moves forward): the job redoes what follows, pending."""
        self._conn.execute(
            "UPDATE upkeep_state SET through_id = ?, attempts = 0, error = NULL, updated_at = ?,"
            " status = CASE WHEN status = 'running' THEN status ELSE 'pending' END"
            " WHERE session_id = ? AND job = ?",
            (through_id, to_db_time(utcnow()), session_id, job),
        )

    def note_failed_attempt(self, session_id: int, job: JobName) -> int:
        """Count one more failure on the message after the watermark; returns the count."""
        self._upsert(session_id, job, "attempts = upkeep_state.attempts + 1", JobStatus.PENDING, None, attempts=1)
        return self.get(session_id, job).attempts

    def reset_interrupted(self) -> int:
        """At start-up: jobs left 'running' by a crash or a quit are pending again."""
        cursor = self._conn.execute(
            "UPDATE upkeep_state SET status = 'pending', error = NULL, updated_at = ? WHERE status = 'running'",
            (to_db_time(utcnow()),),
        )
        return cursor.rowcount

    def _upsert(
        self,
        session_id: int,
        job: JobName,
        assignments: str,
        status: JobStatus,
        error: str | None,
        *,
        through_id: int | None = None,
        attempts: int = 0,
    ) -> None:
        self._conn.execute(
            f"INSERT INTO upkeep_state({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
            f" ON CONFLICT(session_id, job) DO UPDATE SET {assignments}, updated_at = excluded.updated_at",
            (session_id, job, through_id, status.value, error, attempts, to_db_time(utcnow())),
        )
