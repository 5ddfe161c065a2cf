"""One module per memory strategy, all behind one signature: fill the assembly within its budget.

A strategy adds its memory parts (facts, summary, recalled) and returns the
scan of its recent window; the planner adds the system prompt before and the
recent part (ending with the message being answered) after.
"""

from __future__ import annotations

from typing import Protocol

from desktop_chat.core.memory.assembly import Assembly
from desktop_chat.core.memory.strategies import facts, full, hybrid, recall, summary, window
from desktop_chat.core.memory.window import WindowScan
from desktop_chat.core.models import Strategy


class StrategyBuilder(Protocol):
    def __call__(self, a: Assembly) -> WindowScan: ...


STRATEGIES: dict[Strategy, StrategyBuilder] = {
    Strategy.FULL: full.build,
    Strategy.WINDOW: window.build,
    Strategy.SUMMARY: summary.build,
    Strategy.FACTS: facts.build,
    Strategy.RECALL: recall.build,
    Strategy.HYBRID: hybrid.build,
}
