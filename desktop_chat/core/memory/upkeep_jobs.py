"""Which upkeep a strategy needs, what a run reports, and the line that describes a chat's upkeep.

Apart from ``memory/upkeep.py`` (the jobs themselves: the extractor, the summariser, token counts),
so what reads chats and their strategies (the window's first screen, ``controller/targets``) does
not load them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from desktop_chat.core.models import JobName, JobState, JobStatus, Strategy

_STRATEGY_JOBS: dict[Strategy, tuple[JobName, ...]] = {
    Strategy.SUMMARY: ("summary",),
    Strategy.FACTS: ("facts",),
    Strategy.HYBRID: ("summary", "facts"),
}


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
