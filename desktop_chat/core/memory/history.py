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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from desktop_chat.core.models import FilePart, ImagePart, Message, Role
from desktop_chat.core.storage.store import Store
from desktop_chat.core.tokens import O200K_BASE, TokenCounter

DB_ENCODING = O200K_BASE
_DB_MODEL = "gpt-4o"  # any model OpenAI maps to o200k_base: its counter is the DB's

_FIRST_BATCH = 32
_MAX_BATCH = 1024


def stored_token_count(role: Role | str, content: str) -> int:
    """The count ``messages.token_count`` caches for a message: o200k_base, overhead included. For a message
    that carries files, ``content`` is its ``sent_content`` (the text and the line naming them)."""
    return TokenCounter.for_model(_DB_MODEL).count_message(role, content)


def with_note(content: str, names: Sequence[str]) -> str:
    """A message's text as history sends it: a file it carried is named on a line of its own, not re-sent (its
    text goes with the message it came with; later, recall brings back the parts that match)."""
    if not names:
        return content
    note = f"[attached: {', '.join(names)}]"
    return f"{content}\n{note}" if content else note


def sent_content(message: Message) -> str:
    return with_note(message.content, [p.name for p in message.parts if isinstance(p, FilePart | ImagePart)])


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
        self._scan = store.scan
        self._counter = counter
        self._uses_db_counts = counter.encoding_name == DB_ENCODING

    # --- finding the message being answered -----------------------------------

    def newest_user_id(self, session_id: int) -> int | None:
        return self._scan.newest_user_id(session_id)

    def awaits_answer(self, session_id: int) -> bool:
        """Whether the newest sendable message is the user's: its reply is missing or failed."""
        return self._scan.newest_role(session_id) is Role.USER

    # --- scanning ----------------------------------------------------------------

    def newest_first(self, session_id: int, *, below: int | None = None, above: int | None = None) -> Iterator[Entry]:
        """Sendable messages with ``above < id < below`` (either bound optional), newest first."""
        upper = below
        batch = _FIRST_BATCH
        while True:
            rows = self._scan.newest_first(session_id, below=upper, above=above, limit=batch)
            if not rows:
                return
            yield from self._with_counts(rows)
            if len(rows) < batch:
                return
            upper = rows[-1][0]
            batch = min(batch * 2, _MAX_BATCH)

    def _with_counts(self, rows: list[tuple[int, Role, int | None]]) -> list[Entry]:
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
                (m.id, self._counter.count_message(m.role, sent_content(m)))
                for m in self._store.messages.by_ids(missing)
            ]
            if self._uses_db_counts:
                self._store.messages.set_token_counts(fresh)
            else:
                _other_counts.put(self._counter.encoding_name, fresh)
            counts.update(fresh)
        return [Entry(message_id, role, counts[message_id]) for message_id, role, _ in rows]

    def span(self, session_id: int, *, above: int | None = None, below: int | None = None) -> Span:
        """How many active messages lie strictly between two ids, and the first and last sendable of them.

        Counting a range row by row costs milliseconds on a long chat, so the count
        is the difference of two tail counts, each from the newest end (where the
        window is) and off the covering index; the whole-chat count is the one the
        sessions table keeps. Failed messages are counted too: close enough for "1,234 older messages".
        """
        count = self._tail(session_id, above) - (self._tail(session_id, below - 1) if below is not None else 0)
        first, last = self._scan.sendable_bounds(session_id, above=above, below=below)
        return Span(max(count, 0), first, last)

    def _tail(self, session_id: int, after: int | None) -> int:
        """Active messages with an id above ``after`` (all of them when None)."""
        if after is None:
            return self._scan.active_count(session_id)
        return self._scan.active_count_after(session_id, after)

    def ids_between(self, session_id: int, *, above: int | None, below: int | None, limit: int) -> list[int]:
        return self._scan.sendable_ids_between(session_id, above=above, below=below, limit=limit)

    def neighbours(self, session_id: int, message_id: int, n: int) -> list[int]:
        """Up to ``n`` sendable messages either side of ``message_id``."""
        return self._scan.sendable_neighbours(session_id, message_id, n)

    # --- loading what was chosen ------------------------------------------------

    def load(self, ids: Sequence[int]) -> dict[int, Message]:
        return {m.id: m for m in self._store.messages.by_ids(list(ids))}

    def contents(self, ids: Sequence[int]) -> dict[int, str]:
        """The messages' text as sent in history (``sent_content``: files named, not included)."""
        contents = self._store.messages.contents(list(ids))
        if not self._store.attachments.available():  # a database an older process has not migrated yet
            return contents
        for message_id, names in self._store.messages.attached_names(list(ids)).items():
            contents[message_id] = with_note(contents[message_id], names)
        return contents

    def tokens_of(self, message: Message) -> int:
        """The count for a loaded message, from the caches when they have it (and cached when not)."""
        return self.tokens_of_all([message])[message.id]

    def tokens_of_all(self, messages: Iterable[Message]) -> dict[int, int]:
        """``tokens_of`` for each message, the new counts cached in one write: a commit per message (a plan
        recalling dozens never counted before) was most of its cost on the window's thread."""
        counts: dict[int, int] = {}
        fresh: list[tuple[int, int]] = []
        for message in messages:
            if self._uses_db_counts and message.token_count is not None:
                counts[message.id] = message.token_count
                continue
            cached = None if self._uses_db_counts else _other_counts.get(self._counter.encoding_name, message.id)
            if cached is None:
                cached = self._counter.count_message(message.role, sent_content(message))
                fresh.append((message.id, cached))
            counts[message.id] = cached
        if fresh and self._uses_db_counts:
            self._store.messages.set_token_counts(fresh)
        elif fresh:
            _other_counts.put(self._counter.encoding_name, fresh)
        return counts
