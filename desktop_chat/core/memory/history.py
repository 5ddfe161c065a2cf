"""One session's sendable history, newest first, with each message tokenised at most once.

Token counts are cached in two places:

* ``messages.token_count`` holds the count under **o200k_base** (``count_message``,
  the per-message overhead included). o200k_base is the default encoding and the
  estimate for every model whose tokenizer we do not know (local models), so it
  is the count most plans use. Whoever writes a message can fill it with
  :func:`stored_token_count`; anything left NULL is counted here on first use
  and written back.
* Models on another encoding (cl100k_base: gpt-4, gpt-3.5) get their counts from
  an in-process cache keyed by (encoding, message id). A finished message never
  changes, so the cache never goes stale; it is rebuilt lazily after a restart,
  and only for the messages a plan actually scans.

Scanning is newest first, in growing batches, and stops as soon as the caller
has what it needs, so a 100,000-message session costs what its last screenful costs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from desktop_chat.core.models import Message, Role
from desktop_chat.core.storage.store import Store
from desktop_chat.core.tokens import O200K_BASE, TokenCounter

DB_ENCODING = O200K_BASE
_DB_MODEL = "gpt-4o"  # any model OpenAI maps to o200k_base: its counter is the DB's

# Streaming messages are unfinished and failed ones hold no reply: neither is sent.
SENDABLE = "status IN ('complete', 'stopped')"

_ROLES = {role.value: role for role in Role}
_FIRST_BATCH = 32
_MAX_BATCH = 1024


def stored_token_count(role: Role | str, content: str) -> int:
    """The count ``messages.token_count`` caches for a message: o200k_base, overhead included."""
    return TokenCounter.for_model(_DB_MODEL).count_message(role, content)


@dataclass(frozen=True, slots=True)
class Entry:
    """A message as the planner sees it before choosing: no content yet."""

    id: int
    role: Role
    tokens: int


@dataclass(frozen=True, slots=True)
class Span:
    """Some active, sendable messages of a session between two ids."""

    count: int
    first_id: int | None
    last_id: int | None


class _OtherEncodingCache:
    """Counts under encodings other than the DB's, per process."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def get(self, encoding: str, message_id: int) -> int | None:
        return self._counts.get((encoding, message_id))

    def put(self, encoding: str, counts: Sequence[tuple[int, int]]) -> None:
        with self._lock:
            for message_id, tokens in counts:
                self._counts[(encoding, message_id)] = tokens


_other_counts = _OtherEncodingCache()


class History:
    def __init__(self, store: Store, counter: TokenCounter) -> None:
        self._store = store
        self._conn = store.db.conn
        self._counter = counter
        self._uses_db_counts = counter.encoding_name == DB_ENCODING

    # --- finding the message being answered -----------------------------------

    def newest_user_id(self, session_id: int) -> int | None:
        row = self._conn.execute(
            f"SELECT id FROM messages WHERE session_id = ? AND active = 1 AND role = 'user' AND {SENDABLE}"
            " ORDER BY id DESC LIMIT 1",
            (session_id,),
        ).fetchone()
        return int(row[0]) if row else None

    # --- scanning ----------------------------------------------------------------

    def newest_first(self, session_id: int, *, below: int | None = None, above: int | None = None) -> Iterator[Entry]:
        """Sendable messages with ``above < id < below`` (either bound optional), newest first."""
        upper = below if below is not None else 1 << 62
        lower = above if above is not None else 0
        batch = _FIRST_BATCH
        while True:
            rows = self._conn.execute(
                f"SELECT id, role, token_count FROM messages WHERE session_id = ? AND active = 1 AND {SENDABLE}"
                " AND id < ? AND id > ? ORDER BY id DESC LIMIT ?",
                (session_id, upper, lower, batch),
            ).fetchall()
            if not rows:
                return
            yield from self._with_counts(rows)
            if len(rows) < batch:
                return
            upper = rows[-1][0]
            batch = min(batch * 2, _MAX_BATCH)

    def _with_counts(self, rows: list[tuple[int, str, int | None]]) -> list[Entry]:
        counts: dict[int, int] = {}
        missing: list[int] = []
        for message_id, _, stored in rows:
            if self._uses_db_counts:
                if stored is None:
                    missing.append(message_id)
                else:
                    counts[message_id] = stored
            else:
                cached = _other_counts.get(self._counter.encoding_name, message_id)
                if cached is None:
                    missing.append(message_id)
                else:
                    counts[message_id] = cached
        if missing:
            fresh = [
                (m.id, self._counter.count_message(m.role, m.content)) for m in self._store.messages.by_ids(missing)
            ]
            if self._uses_db_counts:
                self._store.messages.set_token_counts(fresh)
            else:
                _other_counts.put(self._counter.encoding_name, fresh)
            counts.update(fresh)
        return [Entry(message_id, _ROLES[role], counts[message_id]) for message_id, role, _ in rows]

    def span(self, session_id: int, *, above: int | None = None, below: int | None = None) -> Span:
        """How many active messages lie strictly between two ids, and the first and last sendable of them.

        Counting a range row by row costs milliseconds on a long chat, so the count
        is the difference of two tail counts, each from the newest end (where the
        window is) and off the covering index; the whole-chat count is the one the
        sessions table keeps. Failed messages are counted too: close enough for "1,234 older messages".
        """
        count = self._tail(session_id, above) - (self._tail(session_id, below - 1) if below is not None else 0)
        bounds = f"session_id = ? AND active = 1 AND {SENDABLE} AND id > ? AND id < ?"
        params = (session_id, above if above is not None else 0, below if below is not None else 1 << 62)
        first = self._conn.execute(f"SELECT id FROM messages WHERE {bounds} ORDER BY id LIMIT 1", params).fetchone()
        last = self._conn.execute(f"SELECT id FROM messages WHERE {bounds} ORDER BY id DESC LIMIT 1", params).fetchone()
        return Span(max(count, 0), first[0] if first else None, last[0] if last else None)

    def _tail(self, session_id: int, after: int | None) -> int:
        """Active messages with an id above ``after`` (all of them when None)."""
        if after is None:
            row = self._conn.execute("SELECT message_count FROM sessions WHERE id = ?", (session_id,)).fetchone()
        else:
            row = self._conn.execute(
                "SELECT COUNT(*) FROM messages WHERE session_id = ? AND active = 1 AND id > ?", (session_id, after)
            ).fetchone()
        return int(row[0]) if row else 0

    def ids_between(self, session_id: int, *, above: int | None, below: int | None, limit: int) -> list[int]:
        rows = self._conn.execute(
            f"SELECT id FROM messages WHERE session_id = ? AND active = 1 AND {SENDABLE}"
            " AND id > ? AND id < ? ORDER BY id LIMIT ?",
            (session_id, above if above is not None else 0, below if below is not None else 1 << 62, limit),
        )
        return [int(r[0]) for r in rows]

    def neighbours(self, session_id: int, message_id: int, n: int) -> list[int]:
        """Up to ``n`` sendable messages either side of ``message_id``."""
        before = self._conn.execute(
            f"SELECT id FROM messages WHERE session_id = ? AND active = 1 AND {SENDABLE} AND id < ?"
            " ORDER BY id DESC LIMIT ?",
            (session_id, message_id, n),
        ).fetchall()
        after = self._conn.execute(
            f"SELECT id FROM messages WHERE session_id = ? AND active = 1 AND {SENDABLE} AND id > ?"
            " ORDER BY id LIMIT ?",
            (session_id, message_id, n),
        ).fetchall()
        return sorted(int(r[0]) for r in [*before, *after])

    # --- loading what was chosen ------------------------------------------------

    def load(self, ids: Sequence[int]) -> dict[int, Message]:
        return {m.id: m for m in self._store.messages.by_ids(list(ids))}

    def contents(self, ids: Sequence[int]) -> dict[int, str]:
        return self._store.messages.contents(list(ids))

    def tokens_of(self, message: Message) -> int:
        """The count for a loaded message, from the caches when they have it (and cached when not)."""
        if self._uses_db_counts and message.token_count is not None:
            return message.token_count
        cached = None if self._uses_db_counts else _other_counts.get(self._counter.encoding_name, message.id)
        if cached is not None:
            return cached
        tokens = self._counter.count_message(message.role, message.content)
        if self._uses_db_counts:
            self._store.messages.set_token_counts([(message.id, tokens)])
        else:
            _other_counts.put(self._counter.encoding_name, [(message.id, tokens)])
        return tokens
