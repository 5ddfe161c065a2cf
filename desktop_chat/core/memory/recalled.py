"""Recalled messages: past turns found by full-text search, with their neighbours or whole episodes, quoted with dates.

Recall fills the tokens it is given, not a number of hits:

1. **Search** (``recall_search``): BM25 over the stemmed FTS index for the
   query's words, a second search for words borrowed from the best hits
   (pseudo-relevance feedback) and, when the query names a date, a boost for
   messages of that time.
2. **Episodes**: each hit belongs to an episode, the run of turns around it
   with no long pause and no imported-session boundary, at most
   ``EPISODE_MAX_MESSAGES`` long. An episode scores its best hit plus half of
   its other hits, so a conversation that keeps returning to the topic ranks
   above a stray mention.
3. **Fill**, breadth first: every hit (best first) with ``recall_neighbours``
   turns either side (within its episode) until ``BREADTH`` of the tokens are
   spent; then whole episodes, best first, when they fit; then more hits.

Messages already in the window are never quoted; when the window grows over a
quoted message later, :func:`drop_covered` takes it out of the quotes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from desktop_chat.core.memory.assembly import Assembly
from desktop_chat.core.memory.recall_search import Hit, search
from desktop_chat.core.memory.window import WindowScan
from desktop_chat.core.models import ChatMessage, ContextPart, Message, Omission, PartKind, Role
from desktop_chat.core.storage.scan import TimelineRow

RECALL_HEADER = "Relevant earlier messages (found by search, quoted):"

# An episode ends at a pause longer than this, or where an imported chat's session changes.
EPISODE_GAP_SECONDS = 60 * 60
# At most this many turns either side of a hit belong to its episode.
EPISODE_MAX_MESSAGES = 24
# Hits with neighbours first, until this share of recall's tokens is spent; then whole episodes.
BREADTH = 0.5

_ROLE_WORDS = {Role.USER: "user", Role.ASSISTANT: "assistant", Role.SYSTEM: "system"}


def quote(message: Message, *, same_session: bool, title: str) -> str:
    day = f"{message.created_at:%Y-%m-%d}"
    where = f"Earlier in this chat ({day})" if same_session else f'In the chat "{title or "Untitled"}" ({day})'
    return f"{where}, {_ROLE_WORDS[message.role]}: {message.content.strip()}"


@dataclass
class _Episode:
    session_id: int
    rows: list[TimelineRow]
    hits: list[Hit] = field(default_factory=list)

    @property
    def score(self) -> float:
        scores = sorted((h.score for h in self.hits), reverse=True)
        return scores[0] + 0.5 * sum(scores[1:]) if scores else 0.0

    def around(self, message_id: int, n: int) -> list[int]:
        index = next(i for i, r in enumerate(self.rows) if r.id == message_id)
        return [r.id for r in self.rows[max(0, index - n) : index + n + 1]]


@dataclass
class Recalled:
    """The recalled part as added, so it can be rebuilt without the messages the window came to hold."""

    part: ContextPart
    ids: list[int]
    line: Callable[[int], str]
    sessions: dict[int, int]  # message id -> session id
    about: str  # the reason, after "N earlier messages"


def add_recalled(a: Assembly, limit: int, window: WindowScan | None) -> Recalled | None:
    """Fill up to ``limit`` tokens with the best hits, neighbours and episodes; never repeat the window."""
    limit = min(limit, a.free)
    if not a.query.strip() or limit <= 0:
        return None
    window_start = window.oldest_id if window and window.oldest_id is not None else a.below
    hits = search(a, window_start, now=datetime.now(UTC))
    if not hits:
        return None
    episodes, of_hit = _episodes(a, hits, window_start)
    header = a.system_tokens(RECALL_HEADER)
    chosen, costs, whole = _fill(a, hits, episodes, of_hit, limit - header)
    if not chosen:
        return None
    messages = a.history.load(sorted(chosen))
    titles = _titles(a, {m.session_id for m in messages.values()})

    def line(message_id: int) -> str:
        m = messages[message_id]
        return quote(m, same_session=m.session_id == a.session_id, title=titles.get(m.session_id, ""))

    order = list(chosen)  # in the order they were chosen: the last ones go first if the estimate was short
    text, tokens = _exact(a, order, line, limit, costs)
    if not order:
        return None
    left_out = sorted({h.id for h in hits} - set(order))
    if left_out:
        a.omit(Omission(PartKind.RECALLED, "found by search, but over budget", message_ids=tuple(left_out)))
    ids = sorted(order)
    plural = "s" if len(ids) != 1 else ""
    found = sum(1 for h in hits if h.id in set(ids))
    episodes_note = f", {whole} whole episode{'s' if whole != 1 else ''}" if whole else ""
    about = (
        f" for {_shorten(a.query)!r}: {found} search hit{'s' if found != 1 else ''}"
        f" with their neighbours{episodes_note}"
    )
    part = ContextPart(
        kind=PartKind.RECALLED,
        messages=(ChatMessage(Role.SYSTEM, text),),
        tokens=tokens,
        reason=f"{len(ids)} earlier message{plural}{about}",
        message_ids=tuple(ids),
    )
    a.add(part)
    a.recalled_ids.update(ids)
    return Recalled(part, ids, line, {i: messages[i].session_id for i in ids}, about)


def drop_covered(a: Assembly, recalled: Recalled | None, window: WindowScan) -> bool:
    """Take out of the quotes what the window now holds itself; True when tokens were freed."""
    if recalled is None or window.oldest_id is None:
        return False
    start = window.oldest_id
    covered = [i for i in recalled.ids if recalled.sessions[i] == a.session_id and i >= start]
    if not covered:
        return False
    index = a.parts.index(recalled.part)
    a.parts.pop(index)
    a.free += recalled.part.tokens
    a.recalled_ids.difference_update(covered)
    recalled.ids = [i for i in recalled.ids if i not in set(covered)]
    if recalled.ids:
        text = "\n".join([RECALL_HEADER, *(recalled.line(i) for i in recalled.ids)])
        tokens = a.system_tokens(text)  # fewer lines than before: within what the part had
        plural = "s" if len(recalled.ids) != 1 else ""
        recalled.part = ContextPart(
            kind=PartKind.RECALLED,
            messages=(ChatMessage(Role.SYSTEM, text),),
            tokens=tokens,
            reason=f"{len(recalled.ids)} earlier message{plural}{recalled.about} ({len(covered)} more in the window)",
            message_ids=tuple(recalled.ids),
        )
        a.parts.insert(index, recalled.part)
        a.free -= tokens
    return True


def _episodes(a: Assembly, hits: list[Hit], window_start: int | None) -> tuple[list[_Episode], dict[int, _Episode]]:
    """The episode of each hit (one timeline read per episode), best first."""
    of_hit: dict[int, _Episode] = {}
    episodes: list[_Episode] = []
    reach = EPISODE_MAX_MESSAGES if a.options.recall_episodes else a.options.recall_neighbours
    for hit in hits:
        found = next((e for e in episodes if e.session_id == hit.session_id and _holds(e, hit.id)), None)
        if found is None:
            rows = a.store.scan.timeline(hit.session_id, hit.id, reach, reach)
            rows = [r for r in rows if _outside_window(a, hit.session_id, r.id, window_start) or r.id == hit.id]
            found = _Episode(hit.session_id, _cut(rows, hit.id) if a.options.recall_episodes else rows)
            episodes.append(found)
        found.hits.append(hit)
        of_hit[hit.id] = found
    episodes.sort(key=lambda e: e.score, reverse=True)
    return episodes, of_hit


def _holds(e: _Episode, message_id: int) -> bool:
    return bool(e.rows) and e.rows[0].id <= message_id <= e.rows[-1].id and any(r.id == message_id for r in e.rows)


def _cut(rows: list[TimelineRow], hit_id: int) -> list[TimelineRow]:
    """The run around the hit with no long pause and no change of imported session."""
    index = next(i for i, r in enumerate(rows) if r.id == hit_id)
    start = index
    while start > 0 and _joined(rows[start - 1], rows[start]):
        start -= 1
    end = index
    while end + 1 < len(rows) and _joined(rows[end], rows[end + 1]):
        end += 1
    return rows[start : end + 1]


def _joined(older: TimelineRow, newer: TimelineRow) -> bool:
    if older.source_session != newer.source_session:
        return False
    return (newer.created_at - older.created_at).total_seconds() <= EPISODE_GAP_SECONDS


def _fill(
    a: Assembly, hits: list[Hit], episodes: list[_Episode], of_hit: dict[int, _Episode], limit: int
) -> tuple[dict[int, None], dict[int, int], int]:
    """Message ids to quote, in the order chosen, within ``limit`` (estimated); their costs; whole episodes taken."""
    costs: dict[int, int] = {}
    prefixes: dict[str, int] = {}
    counted = _missing_counts(a, episodes)
    for e in episodes:
        for r in e.rows:
            day = f"{r.created_at:%Y-%m-%d}"
            if day not in prefixes:
                prefixes[day] = a.text_tokens(f"Earlier in this chat ({day}), ")
            # The stored count holds the message overhead (~4 tokens), about the newline and role word a quote adds.
            costs[r.id] = prefixes[day] + (r.token_count if r.token_count is not None else counted[r.id])
    chosen: dict[int, None] = {}
    spent = 0

    def take(ids: list[int]) -> bool:
        nonlocal spent
        new = [i for i in ids if i not in chosen]
        cost = sum(costs[i] for i in new)
        if not new or spent + cost > limit:
            return False
        chosen.update(dict.fromkeys(new))
        spent += cost
        return True

    n = a.options.recall_neighbours

    def take_hit(hit: Hit) -> None:
        # The hit with its neighbours, or with fewer of them when that is all that fits.
        for k in range(n, -1, -1):
            if take(of_hit[hit.id].around(hit.id, k)):
                return

    breadth = limit * BREADTH if a.options.recall_episodes else limit
    rest = len(hits)
    for index, hit in enumerate(hits):
        if spent >= breadth:
            rest = index
            break
        take_hit(hit)
    whole = 0
    if a.options.recall_episodes:
        for e in episodes:
            if take([r.id for r in e.rows]):
                whole += 1
    for hit in hits[rest:]:
        take_hit(hit)
    return chosen, costs, whole


def _missing_counts(a: Assembly, episodes: list[_Episode]) -> dict[int, int]:
    """Counts of the rows stored without one, counted now (and cached, as the window's scan does)."""
    missing = [r.id for e in episodes for r in e.rows if r.token_count is None]
    if not missing:
        return {}
    return {m.id: a.history.tokens_of(m) for m in a.history.load(missing).values()}


def _exact(
    a: Assembly, order: list[int], line: Callable[[int], str], limit: int, costs: dict[int, int]
) -> tuple[str, int]:
    """The quoted block and its exact count; drops the last-chosen messages while it is over ``limit``."""
    while order:
        text = "\n".join([RECALL_HEADER, *(line(i) for i in sorted(order))])
        tokens = a.system_tokens(text)
        if tokens <= limit:
            return text, tokens
        over = tokens - limit
        while order and over > 0:  # the estimate was short: drop about what it missed by
            over -= costs.get(order.pop(), 1)
    return "", 0


def _outside_window(a: Assembly, session_id: int, message_id: int, window_start: int | None) -> bool:
    return session_id != a.session_id or window_start is None or message_id < window_start


def _titles(a: Assembly, session_ids: set[int]) -> dict[int, str]:
    return {i: a.store.sessions.get(i).title for i in session_ids if i != a.session_id and a.store.sessions.exists(i)}


def _shorten(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
