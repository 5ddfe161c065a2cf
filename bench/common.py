"""Small helpers shared by the benchmarks: timing and a markdown table."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def measure(action: Callable[[], object], *, runs: int = 50, warmup: int = 3) -> tuple[float, float]:
    """Median and 95th percentile of ``action`` in milliseconds."""
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def table(rows: list[tuple[str, float, float, str]]) -> str:
    lines = ["| operation | median (ms) | p95 (ms) | target |", "| --- | ---: | ---: | --- |"]
    lines += [f"| {name} | {median:.2f} | {p95:.2f} | {target} |" for name, median, p95, target in rows]
    return "\n".join(lines)
