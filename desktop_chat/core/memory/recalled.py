"""Recalled messages: past turns found by words and by meaning, with the best hits' neighbours, quoted by date.

Recall fills the tokens it is given, not a number of hits:

1. **Search** (``recall_search``): BM25 over the stemmed FTS index and the
   nearest messages by meaning (``recall_semantic``), fused by reciprocal rank;
   when the query names a date, messages of that time score higher.
2. **Fill**, distinct evidence first: the hits alone, best first, until
   ``BARE`` of the tokens are spent; then the best hits' ``recall_neighbours``
   turns either side (within their episode); then, when ``recall_episodes`` is
   on, whole episodes (a run of turns with no long pause and no imported-session
   boundary; hits close in time group into one, which scores its best hit plus
   half of the others); then the remaining hits. Rows are read only when a step
   reaches them, so hits past the budget cost nothing.
3. **Quotes** (``recall_quotes``): oldest first, one heading per day and chat.

Messages already in the window are never quoted; when the window grows over a
quoted message later, :func:`drop_covered` takes it out of the quotes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from desktop_chat.core.memory.assembly import Assembly
from desktop_chat.core.memory.recall_quotes import RECALL_HEADER, Quote, group_of, heading, render
from desktop_chat.core.memory.recall_search import Hit, search
from desktop_chat.core.memory.window import WindowScan
from desktop_chat.core.models import ChatMessage, ContextPart, Omission, PartKind, Role
from desktop_chat.core.storage.scan import TimelineRow

# An episode ends at a pause longer than this, or where an imported chat's session changes.
EPISODE_GAP_SECONDS = 60 * 60
# At most this many turns either side of a hit belong to its episode.
EPISODE_MAX_MESSAGES = 24
# At most this many episodes are tried whole per plan: each costs a read of ~50 rows.
WHOLE_EPISODES = 8
# Hits alone first, until this share of recall's tokens is spent; then the best hits' neighbours.
BARE = 0.6


@dataclass
class _Episode:
    """Hits close in time in one chat (a pause over the gap, or another imported session, separates them)."""

    session_id: int
    hits: list[Hit] = field(default_factory=list)

    @property
    def score(self) -> float:
        scores = sorted((h.score for h in self.hits), reverse=True)
        return scores[0] + 0.5 * sum(scores[1:]) if scores else 0.0

    @property
    def best(self) -> Hit:
        return max(self.hits, key=lambda h: h.score)


@dataclass
class Recalled:
    """The recalled part as added, so it can be rebuilt without the messages the window came to hold."""

    part: ContextPart
    ids: list[int]
    quotes: dict[int, Quote]
    sessions: dict[int, int]  # message id -> session id
    about: str  # the reason, after "N earlier messages"


class _Rows:
    """Timeline rows read so far, their estimated quote costs, and reads of more around a message."""

    def __init__(self, a: Assembly, window_start: int | None) -> None:
        self._a = a
        self._window_start = window_start
        self.rows: dict[int, TimelineRow] = {}
        self.session: dict[int, int] = {}
        self.costs: dict[int, int] = {}
        self.groups: dict[int, tuple[int, date]] = {}  # message id -> the heading it is quoted under
        self.heading_costs: dict[tuple[int, date], int] = {}

    def hits(self, hits: list[Hit]) -> None:
        """Read the rows of many hits at once (bare quotes need no neighbours)."""
        wanted = [h.id for h in hits if h.id not in self.rows]
        sessions = {h.id: h.session_id for h in hits}
        self._cost(self._a.store.scan.rows(wanted), sessions)

    def around(self, hit: Hit, n: int) -> list[TimelineRow]:
        """The hit and up to ``n`` turns either side, outside the window, cut at its episode's edges."""
        a = self._a
        rows = a.store.scan.timeline(hit.session_id, hit.id, n, n)
        rows = [r for r in rows if _outside_window(a, hit.session_id, r.id, self._window_start) or r.id == hit.id]
        if a.options.recall_episodes:
            rows = _cut(rows, hit.id)
        self._cost(rows, dict.fromkeys((r.id for r in rows), hit.session_id))
        return rows

    def _cost(self, rows: list[TimelineRow], sessions: dict[int, int]) -> None:
        a = self._a
        uncounted = [r.id for r in rows if r.token_count is None and r.id not in self.costs]
        counted = a.history.tokens_of_all(a.history.load(uncounted).values()) if uncounted else {}
        for r in rows:
            if r.id in self.costs:
                continue
            session_id = sessions[r.id]
            group = self.groups[r.id] = group_of(r.created_at, session_id)
            if group not in self.heading_costs:
                # A title is not read for this estimate: a chat's heading costs about what a day's does, plus it.
                chat = None if session_id == a.session_id else "another chat"
                self.heading_costs[group] = a.text_tokens(heading(r.created_at, chat)) + 1
            # The stored count holds the message overhead (~4 tokens): about the newline and role word a quote adds.
            self.costs[r.id] = r.token_count if r.token_count is not None else counted[r.id]
            self.rows[r.id] = r
            self.session[r.id] = session_id


def add_recalled(a: Assembly, limit: int, window: WindowScan | None) -> Recalled | None:
    """Fill up to ``limit`` tokens with the best hits, neighbours and episodes; never repeat the window."""
    limit = min(limit, a.free)
    if not a.query.strip() or limit <= 0:
        return None
    window_start = window.oldest_id if window and window.oldest_id is not None else a.below
    result = search(a, window_start, now=datetime.now(UTC))
    hits = result.hits
    if not hits:
        return None
    rows = _Rows(a, window_start)
    header = a.system_tokens(RECALL_HEADER)
    chosen, whole = _fill(a, hits, rows, limit - header)
    if not chosen:
        return None
    contents = a.history.contents(list(chosen))
    titles = _titles(a, {rows.session[i] for i in chosen})
    quotes: dict[int, Quote] = {}
    for i in chosen:
        row = rows.rows[i]
        chat = None if rows.session[i] == a.session_id else titles.get(rows.session[i], "")
        quotes[i] = Quote(i, row.created_at, row.role, contents[i], chat, rows.session[i])
    order = list(chosen)  # in the order they were chosen: the last ones go first if the estimate was short
    text, tokens = _exact(a, order, quotes, limit, rows.costs)
    if not order:
        return None
    ids = sorted(order)
    taken = set(ids)
    left_out = sorted({h.id for h in hits} - taken)
    if left_out:
        a.omit(Omission(PartKind.RECALLED, "found by search, but over budget", message_ids=tuple(left_out)))
    plural = "s" if len(ids) != 1 else ""
    found = sum(1 for h in hits if h.id in taken)
    neighbours = len(ids) - found
    extra = f" and {neighbours} of their neighbours" if neighbours else ""
    episodes_note = f", {whole} whole episode{'s' if whole != 1 else ''}" if whole else ""
    how = "by words and meaning" if result.words_only is None else f"by words only ({result.words_only})"
    about = f" for {_shorten(a.query)!r}: {found} search hit{'s' if found != 1 else ''}{extra}{episodes_note}, {how}"
    part = ContextPart(
        kind=PartKind.RECALLED,
        messages=(ChatMessage(Role.SYSTEM, text),),
        tokens=tokens,
        reason=f"{len(ids)} earlier message{plural}{about}",
        message_ids=tuple(ids),
    )
    a.add(part)
    a.recalled_ids.update(ids)
    return Recalled(part, ids, {i: quotes[i] for i in ids}, {i: rows.session[i] for i in ids}, about)


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
    gone = set(covered)
    recalled.ids = [i for i in recalled.ids if i not in gone]
    if recalled.ids:
        text = render(recalled.quotes[i] for i in recalled.ids)
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


def _episodes(hits: list[Hit], rows: _Rows) -> list[_Episode]:
    """Hits grouped into episodes (no long pause between them, one imported session), best first.

    Grouping by the hits' own times needs no extra read; an episode's turns are read only when it is tried whole.
    """
    episodes: list[_Episode] = []
    current: _Episode | None = None
    previous: Hit | None = None
    for hit in sorted(hits, key=lambda h: (h.session_id, h.id)):
        joined = (
            current is not None
            and previous is not None
            and previous.session_id == hit.session_id
            and _source(rows, previous) == _source(rows, hit)
            and (hit.created_at - previous.created_at).total_seconds() <= EPISODE_GAP_SECONDS
        )
        if not joined or current is None:
            current = _Episode(hit.session_id)
            episodes.append(current)
        current.hits.append(hit)
        previous = hit
    episodes.sort(key=lambda e: e.score, reverse=True)
    return episodes


def _source(rows: _Rows, hit: Hit) -> str | None:
    """The imported session of a hit whose turns were read (None when they were not, or it has none)."""
    row = rows.rows.get(hit.id)
    return row.source_session if row is not None else None


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


def _fill(a: Assembly, hits: list[Hit], rows: _Rows, limit: int) -> tuple[dict[int, None], int]:
    """Message ids to quote, in the order chosen, within ``limit`` (estimated); and how many whole episodes."""
    chosen: dict[int, None] = {}
    headed: set[tuple[int, date]] = set()
    spent = 0

    def take(ids: list[int]) -> bool:
        nonlocal spent
        new = [i for i in ids if i not in chosen]
        groups = {rows.groups[i] for i in new} - headed
        cost = sum(rows.costs[i] for i in new) + sum(rows.heading_costs[g] for g in groups)
        if not new or spent + cost > limit:
            return False
        chosen.update(dict.fromkeys(new))
        headed.update(groups)
        spent += cost
        return True

    n = a.options.recall_neighbours
    windows: dict[int, list[int]] = {}

    def take_hit(hit: Hit, neighbours: int) -> bool:
        # The hit with its neighbours, or with fewer of them when that is all that fits.
        if neighbours == 0:
            return hit.id in rows.rows and take([hit.id])
        if hit.id not in windows:  # read when first needed: hits past the budget cost nothing
            windows[hit.id] = [r.id for r in rows.around(hit, neighbours)]
        ids = windows[hit.id]
        if hit.id not in ids:  # gone since the search (another process's edit)
            return False
        centre = ids.index(hit.id)
        return any(take(ids[max(0, centre - k) : centre + k + 1]) for k in range(neighbours, -1, -1))

    # 1. As many distinct hits as fit in BARE of the tokens, each alone: a multi-hop question needs
    #    several turns said on different days, not the best one's surroundings.
    rows.hits(hits)
    rest = len(hits)
    for index, hit in enumerate(hits):
        if spent >= limit * BARE:
            rest = index
            break
        take_hit(hit, 0)
    # 2. The best hits' neighbours (the question a turn answers, the answer a turn asks for).
    if n:
        for hit in hits[:rest]:
            if spent >= limit * (BARE + (1 - BARE) / 2):
                break
            take_hit(hit, n)
    # 3. Whole episodes (a conversation that keeps to the topic), then the remaining hits.
    whole = 0
    if a.options.recall_episodes:
        for episode in _episodes(hits, rows)[:WHOLE_EPISODES]:
            if spent >= limit:
                break
            if take([r.id for r in rows.around(episode.best, EPISODE_MAX_MESSAGES)]):
                whole += 1
    for hit in hits[rest:]:
        take_hit(hit, 0)
    return chosen, whole


def _exact(
    a: Assembly, order: list[int], quotes: dict[int, Quote], limit: int, costs: dict[int, int]
) -> tuple[str, int]:
    """The quoted block and its exact count; drops the last-chosen messages while it is over ``limit``."""
    while order:
        text = render(quotes[i] for i in order)
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
