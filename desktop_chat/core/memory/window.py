"""The recent window: the newest messages, contiguous, ending with the message being answered.

A scan walks history newest first and takes messages until a limit says stop:
its message or token cap, the budget it was given, the summary's floor, or a
recalled message it must not repeat. It can be resumed with more budget (the
hybrid strategy hands the window what the other parts left unused). It never
skips a message to fit an older one: the window has no holes.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop_chat.core.memory.assembly import Assembly
from desktop_chat.core.memory.history import Entry
from desktop_chat.core.models import ChatMessage, ContextPart, Omission, PartKind, Role

# Up to this many omitted messages are listed by id; beyond it a range is described.
LISTED_OMISSIONS = 200


@dataclass(frozen=True, slots=True)
class Reasons:
    over_budget: str = "over budget"
    over_limit: str = "older than the window"
    below_floor: str = "summarised"


class WindowScan:
    def __init__(
        self,
        a: Assembly,
        *,
        reasons: Reasons,
        max_messages: int | None = None,
        max_tokens: int | None = None,
        floor: int | None = None,
        keep_last: int = 0,
    ) -> None:
        self._a = a
        self._entries = a.history.newest_first(a.session_id, below=a.below)
        self.reasons = reasons
        self.max_messages = max_messages
        self.max_tokens = max_tokens
        self.floor = floor  # messages up to this id are summarised: only the last ``keep_last`` may go in
        self.keep_last = keep_last
        self.stop_at: int | None = None  # do not reach this id or older (recalled messages)
        self.taken: list[Entry] = []  # newest first
        self.used = 0
        self.pending: Entry | None = None  # the newest message not taken, if the scan stopped before it
        self.stopped_by: str | None = None  # "limit", "budget", "floor", "recalled"; None: history ran out

    @property
    def oldest_id(self) -> int | None:
        return self.taken[-1].id if self.taken else None

    def take(self, limit: int) -> int:
        """Take more messages, spending at most ``limit`` of the assembly's free tokens."""
        limit = min(limit, self._a.free)
        spent = 0
        while True:
            entry = self.pending if self.pending is not None else next(self._entries, None)
            self.pending = entry
            if entry is None:
                self.stopped_by = None
                break
            stop = self._stop(entry, spent, limit)
            if stop is not None:
                self.stopped_by = stop
                break
            self.taken.append(entry)
            self.used += entry.tokens
            spent += entry.tokens
            self.pending = None
        self._a.free -= spent
        return spent

    def _stop(self, entry: Entry, spent: int, limit: int) -> str | None:
        if self.floor is not None and entry.id <= self.floor and len(self.taken) >= self.keep_last:
            return "floor"
        if self.stop_at is not None and entry.id <= self.stop_at:
            return "recalled"
        if self.max_messages is not None and len(self.taken) >= self.max_messages:
            return "limit"
        if self.max_tokens is not None and self.used + entry.tokens > self.max_tokens:
            return "limit"
        if spent + entry.tokens > limit:
            return "budget"
        return None


def finish_window(a: Assembly, scan: WindowScan | None) -> None:
    """Add the recent part (history + the message being answered) and say what was left out."""
    taken = list(reversed(scan.taken)) if scan else []
    contents = a.history.contents([e.id for e in taken])
    messages = [ChatMessage(e.role, contents[e.id]) for e in taken]
    ids = [e.id for e in taken]
    tokens = sum(e.tokens for e in taken)
    if a.anchor is not None:
        messages.append(ChatMessage(Role.USER, a.anchor.content))
        tokens += a.anchor.tokens
        if a.anchor.id is not None:
            ids.append(a.anchor.id)
    if messages:
        a.add(
            ContextPart(
                kind=PartKind.RECENT,
                messages=tuple(messages),
                tokens=tokens,
                reason=_window_reason(a, scan, len(messages)),
                message_ids=tuple(ids),
            ),
            prepaid=tokens,
        )
    _omit_after_anchor(a)
    if scan is not None:
        _omit_older(a, scan)
    else:
        _omit_range(a, above=None, below=a.below, reason="not part of this strategy")


def _window_reason(a: Assembly, scan: WindowScan | None, count: int) -> str:
    plural = "s" if count != 1 else ""
    if scan is None or scan.stopped_by is None:
        if a.anchor is not None and a.anchor.id is None:
            # The next message is not stored yet: "all 3 messages" of a 2-message chat reads as a miscount.
            stored = count - 1
            if stored == 0:
                return "your next message (the chat has no earlier one)"
            return f"all {stored} message{'s' if stored != 1 else ''} of the chat and your next one"
        return f"all {count} message{plural} of the chat" if count > 1 else "the message being answered"
    if scan.stopped_by == "limit":
        return f"the last {count} message{plural}: the window"
    if scan.stopped_by == "floor":
        return f"the {count} newest message{plural}, after the summary"
    return f"the {count} newest message{plural} that fit the budget"


def _omit_after_anchor(a: Assembly) -> None:
    if a.anchor is None or a.anchor.id is None:
        return
    _omit_range(a, above=a.anchor.id, below=None, reason="after the message being answered")


def _omit_older(a: Assembly, scan: WindowScan) -> None:
    below = scan.oldest_id if scan.oldest_id is not None else a.below
    reason = {
        "limit": scan.reasons.over_limit,
        "budget": scan.reasons.over_budget,
        "recalled": "older than the recalled messages, where the window stops",
        "floor": scan.reasons.below_floor,
        None: scan.reasons.over_budget,
    }[scan.stopped_by]
    pending = scan.pending
    if pending is not None and scan.stopped_by == "budget" and pending.id not in a.recalled_ids:
        a.omit(
            Omission(
                PartKind.RECENT,
                f"{reason} (it needs {pending.tokens:,} tokens)",
                tokens=pending.tokens,
                message_ids=(pending.id,),
            )
        )
        below = pending.id
    floor = scan.floor
    if floor is not None and (below is None or floor < below - 1):
        # Between the floor and the window: not summarised yet, yet left out.
        _omit_range(a, above=floor, below=below, reason=reason)
        below = floor + 1
    if floor is not None:
        _omit_range(a, above=None, below=below, reason=scan.reasons.below_floor)
    else:
        _omit_range(a, above=None, below=below, reason=reason)


def _omit_range(a: Assembly, *, above: int | None, below: int | None, reason: str) -> None:
    span = a.history.span(a.session_id, above=above, below=below)
    if span.first_id is None:
        return
    recalled = {i for i in a.recalled_ids if (above is None or i > above) and (below is None or i < below)}
    if span.count - len(recalled) <= LISTED_OMISSIONS:
        listed = a.history.ids_between(a.session_id, above=above, below=below, limit=LISTED_OMISSIONS + len(recalled))
        ids = tuple(i for i in listed if i not in recalled)
        if ids:
            a.omit(Omission(PartKind.RECENT, reason, message_ids=ids))
        return
    count = span.count - len(recalled)
    a.omit(Omission(PartKind.RECENT, f"{reason} ({count:,} messages, #{span.first_id} to #{span.last_id})"))
