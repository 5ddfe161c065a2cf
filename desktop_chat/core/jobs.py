"""The memory upkeep jobs' types: plain data on the lowest layer, so events and storage need only models.

``core/models.py`` re-exports them (every caller imports them from there).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

JobName = Literal["summary", "facts"]
JOBS: tuple[JobName, ...] = ("summary", "facts")


class JobStatus(StrEnum):
    PENDING = "pending"  # never ran, or was interrupted and will run again
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class JobState:
    """Where one upkeep job of a session stands."""

    session_id: int
    job: JobName
    status: JobStatus
    through_id: int | None = None  # last message processed; None: nothing yet
    error: str | None = None  # one line, when the last run failed
    attempts: int = 0  # failed tries on the message right after through_id
    updated_at: datetime | None = None


__all__ = ["JOBS", "JobName", "JobState", "JobStatus"]
