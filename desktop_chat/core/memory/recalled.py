"""Recalled messages: past messages that full-text search (FTS5, BM25) finds for the query, quoted with dates."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from desktop_chat.core.memory.assembly import Assembly
from desktop_chat.core.memory.window import WindowScan
from desktop_chat.core.models import ChatMessage, ContextPart, Message, MessageStatus, Omission, PartKind, Role

RECALL_HEADER = "Relevant earlier messages (found by search, quoted):"

# Words that match nearly every message; left in, they drown the words that matter in BM25's OR query.
_STOPWORD_TEXT = """a about above after again all am an and any are as at be been before being below between both but by
    can could did do does doing done down during each few for from had has have having he her here hers
    him his how i if in into is it its just me more most my no nor not now of off on once only or other our
    out over own same she should so some such than that the their them then there these they this those
    through to too under until up very was we were what when where which while who whom why will with would
    you your yours yourself tell remember know said say again please thanks thank ok okay yes"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

# A word in more than 1/50 of the searched messages (and more than 200 of them) is not searched for.
COMMON_WORD_FRACTION = 50
COMMON_WORD_MIN = 200

_ROLE_WORDS = {Role.USER: "user", Role.ASSISTANT: "assistant", Role.SYSTEM: "system"}


@dataclass(frozen=True, slots=True)
class _Group:
    """One search hit with its neighbours, added or left out together."""

    ids: tuple[int, ...]
    rank: float


def quote(message: Message, *, same_session: bool, title: str) -> str:
    day = f"{message.created_at:%Y-%m-%d}"
    where = f"Earlier in this chat ({day})" if same_session else f'In the chat "{title or "Untitled"}" ({day})'
    return f"{where}, {_ROLE_WORDS[message.role]}: {message.content.strip()}"


def add_recalled(a: Assembly, limit: int, window: WindowScan | None) -> int:
    """Add the best hits (with neighbours) that fit ``limit``; they never repeat the window."""
    limit = min(limit, a.free)
    if not a.query.strip() or limit <= 0:
        return 0
    window_start = window.oldest_id if window and window.oldest_id is not None else a.below
    groups, messages = _search(a, window_start)
    if not groups:
        return 0
    titles = _titles(a, {m.session_id for m in messages.values()})

    def line(message_id: int) -> str:
        m = messages[message_id]
        return quote(m, same_session=m.session_id == a.session_id, title=titles.get(m.session_id, ""))

    chosen, text, tokens = _fit(a, groups, line, limit)
    if not chosen:
        return 0
    ordered_ids = tuple(sorted(i for g in chosen for i in g.ids))
    a.recalled_ids.update(ordered_ids)
    if window is not None:
        # A window grown later must stop short of what is quoted here, or it would say it twice.
        window.stop_at = max((i for i in ordered_ids if messages[i].session_id == a.session_id), default=None)
    plural = "s" if len(ordered_ids) != 1 else ""
    a.add(
        ContextPart(
            kind=PartKind.RECALLED,
            messages=(ChatMessage(Role.SYSTEM, text),),
            tokens=tokens,
            reason=f"{len(ordered_ids)} earlier message{plural} matching {_shorten(a.query)!r} (full-text search)",
            message_ids=ordered_ids,
        )
    )
    return tokens


def _search(a: Assembly, window_start: int | None) -> tuple[list[_Group], dict[int, Message]]:
    """The best hits, each with its neighbours, best first; and every message they name."""
    opts = a.options
    hits = a.store.messages.recall(
        a.query,
        session_id=a.session_id,
        all_sessions=opts.recall_all_sessions,
        window_start_id=window_start,
        limit=opts.recall_max_messages * 2,
        stopwords=STOPWORDS | _too_common(a),
    )
    hits = [(m, r) for m, r in hits if m.status in {MessageStatus.COMPLETE, MessageStatus.STOPPED}]
    hits = hits[: opts.recall_max_messages]
    groups: list[_Group] = []
    messages: dict[int, Message] = {m.id: m for m, _ in hits}
    seen: set[int] = set()
    for message, rank in hits:
        ids = [message.id]
        if opts.recall_neighbours:
            around = a.history.neighbours(message.session_id, message.id, opts.recall_neighbours)
            ids = sorted({*ids, *(i for i in around if _outside_window(a, message.session_id, i, window_start))})
        ids = [i for i in ids if i not in seen]
        seen.update(ids)
        if ids:
            groups.append(_Group(tuple(ids), rank))
    messages.update(a.history.load([i for i in seen if i not in messages]))
    return groups, messages


def _fit(a: Assembly, groups: list[_Group], line: Callable[[int], str], limit: int) -> tuple[list[_Group], str, int]:
    """The best groups that fit ``limit`` as one quoted block; the others are recorded as left out."""
    chosen: list[_Group] = []
    left_out: list[_Group] = []
    estimate = a.system_tokens(RECALL_HEADER)
    for group in groups:  # best first; a long hit that does not fit leaves room for shorter ones
        cost = sum(a.text_tokens("\n" + line(i)) for i in group.ids)
        if estimate + cost <= limit:
            chosen.append(group)
            estimate += cost
        else:
            left_out.append(group)
    text, tokens = "", 0
    while chosen:
        ordered = sorted(i for g in chosen for i in g.ids)
        text = "\n".join([RECALL_HEADER, *(line(i) for i in ordered)])
        tokens = a.system_tokens(text)
        if tokens <= limit:
            break
        left_out.append(chosen.pop())
    if left_out:
        ids = tuple(sorted(i for g in left_out for i in g.ids))
        a.omit(Omission(PartKind.RECALLED, "found by search, but over budget", message_ids=ids))
    return chosen, text, tokens


def _too_common(a: Assembly) -> frozenset[str]:
    """Query words in so many messages that ranking them would cost more than it tells.

    BM25 scores every message an OR query matches, so one word found in half of
    a 100,000-message chat costs a hundred milliseconds; its weight (IDF) is near
    zero anyway. Probing a word stops after the threshold, so this costs well under a millisecond.
    """
    scan = a.store.scan
    searched = scan.active_count(None if a.options.recall_all_sessions else a.session_id)
    threshold = max(COMMON_WORD_MIN, searched // COMMON_WORD_FRACTION)
    common = set()
    for word in dict.fromkeys(re.findall(r"\w+", a.query.lower())):
        if word in STOPWORDS:
            continue
        if scan.word_frequency(word, threshold + 1) > threshold:
            common.add(word)
    return frozenset(common)


def _outside_window(a: Assembly, session_id: int, message_id: int, window_start: int | None) -> bool:
    return session_id != a.session_id or window_start is None or message_id < window_start


def _titles(a: Assembly, session_ids: set[int]) -> dict[int, str]:
    return {i: a.store.sessions.get(i).title for i in session_ids if i != a.session_id and a.store.sessions.exists(i)}


def _shorten(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
