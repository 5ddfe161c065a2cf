"""The vectors of a database, held in memory for search, caught up with what the indexer wrote.

Vectors are stored and held as int8 (a unit vector's components times 127):
256 bytes a message, 25 MB for 100,000, and a cosine ranks the same. A search
reads only what was written since the last one (``seq``), so a warm plan does no
I/O; candidates are checked against the database before they are used (a message
deleted, edited or left on an abandoned branch since is dropped).
"""

from __future__ import annotations

import re
import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from desktop_chat.core.semantic.model import DIMENSIONS, MODEL_NAME

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from desktop_chat.core.storage.embeddings import StoredVector
    from desktop_chat.core.storage.store import Store

_SCALE = 127.0
# "Caroline: ..." -- how an imported two-person chat names who said each turn.
_SPEAKER = re.compile(r"^\s*([A-Z][\w'.-]{0,24}(?: [A-Z][\w'.-]{0,24})?):\s")
# Added to the similarity of turns said by the person a question names (a cosine is 0-1; related
# turns sit ~0.3-0.5): "What did Tomas do in Lisbon?" is about what Tomas said, mostly.
SPEAKER_BONUS = 0.1
SPEAKER_TURNS = 10
# Rows scored at a time: the int8 rows become float32 for the product, so this bounds the scratch memory (4 MB).
_CHUNK = 4_096


def encode(vector: NDArray[np.float32]) -> bytes:
    quantized: NDArray[np.int8] = np.clip(np.rint(vector * _SCALE), -127, 127).astype(np.int8)
    return quantized.tobytes()


@dataclass(frozen=True, slots=True)
class Scored:
    id: int
    session_id: int
    score: float  # cosine similarity, -1 to 1


class VectorIndex:
    """All vectors of one store by message id; one per store (``for_store``).

    Thread-safe: the window's worker catches it up from its own connection while the GUI thread
    searches it; rows are read outside the lock and applied inside it.
    """

    def __init__(self) -> None:
        self._seq = 0
        self._ids = np.zeros(0, dtype=np.int64)
        self._sessions = np.zeros(0, dtype=np.int64)  # -1: the message is gone (``forget``)
        self._rows = np.zeros((0, DIMENSIONS), dtype=np.int8)
        self._speakers = np.zeros(0, dtype=np.int32)  # index into _labels; -1: no "Name:" label
        self._labels: dict[str, int] = {}
        self._label_turns: list[int] = []  # how many turns open with each label
        self._where: dict[int, int] = {}
        self._lock = threading.Lock()

    def catch_up(self, store: Store, *, wait: bool = True) -> None:
        """Read the vectors written since the last call (an edited message's new vector replaces its old one).

        ``wait=False``: when another thread is catching up, leave it to it (a plan must not wait).
        """
        while True:
            batch = store.embeddings.since(MODEL_NAME, self._seq)
            if not batch:
                return
            if not self._lock.acquire(blocking=wait):
                return
            try:
                self._apply(batch)
            finally:
                self._lock.release()

    def _apply(self, batch: list[StoredVector]) -> None:
        fresh_ids: list[int] = []
        fresh_sessions: list[int] = []
        fresh_speakers: list[int] = []
        fresh_rows: list[bytes] = []
        for stored in batch:
            if stored.seq <= self._seq:
                continue  # applied by another thread's catch-up meanwhile
            at = self._where.get(stored.message_id)
            speaker = self._speaker(stored.opening)
            if at is not None:
                self._rows[at] = np.frombuffer(stored.vector, dtype=np.int8)
                self._sessions[at] = stored.session_id
                self._speakers[at] = speaker
            else:
                self._where[stored.message_id] = len(self._ids) + len(fresh_ids)
                fresh_ids.append(stored.message_id)
                fresh_sessions.append(stored.session_id)
                fresh_speakers.append(speaker)
                fresh_rows.append(stored.vector)
        if fresh_ids:
            block = np.frombuffer(b"".join(fresh_rows), dtype=np.int8).reshape(-1, DIMENSIONS)
            self._ids = np.concatenate([self._ids, np.asarray(fresh_ids, dtype=np.int64)])
            self._sessions = np.concatenate([self._sessions, np.asarray(fresh_sessions, dtype=np.int64)])
            self._speakers = np.concatenate([self._speakers, np.asarray(fresh_speakers, dtype=np.int32)])
            self._rows = np.concatenate([self._rows, block])
        self._seq = max(self._seq, batch[-1].seq)

    def forget(self, ids: list[int]) -> None:
        """Messages found gone (deleted, or their vector dropped after an edit): no longer searched."""
        with self._lock:
            for message_id in ids:
                at = self._where.get(message_id)
                if at is not None:
                    self._sessions[at] = -1

    def _speaker(self, opening: str) -> int:
        found = _SPEAKER.match(opening)
        if found is None:
            return -1
        label = self._labels.setdefault(found.group(1).lower(), len(self._labels))
        if label == len(self._label_turns):
            self._label_turns.append(0)
        self._label_turns[label] += 1
        return label

    def speakers_named(self, words: list[str]) -> set[int]:
        """The speakers whose label is one of ``words`` (lower case): "tomas" -> Tomas.

        A label counts as a speaker once it opens ``SPEAKER_TURNS`` turns: "Note:" opening a message
        now and then is not a person.
        """
        return {
            self._labels[w] for w in words if w in self._labels and self._label_turns[self._labels[w]] >= SPEAKER_TURNS
        }

    def covers(self, session_id: int | None) -> int:
        """How many vectors of a chat (None: of every chat) are held."""
        if session_id is None:
            return int(np.count_nonzero(self._sessions >= 0))
        return int(np.count_nonzero(self._sessions == session_id))

    def search(
        self,
        queries: NDArray[np.float32],
        *,
        session_id: int,
        all_sessions: bool,
        below: int | None,
        limit: int,
        speakers: frozenset[int] = frozenset(),
    ) -> list[list[Scored]]:
        """Per query row, the ``limit`` nearest messages, best first, with their cosine.

        Searched: the chat (or every chat), less that chat's messages from ``below`` on (the window's).
        Turns said by one of ``speakers`` count ``SPEAKER_BONUS`` nearer, for the ranking and for the
        cut-off alike (a cut-off on the plain cosine lost 9 points of multi-hop at 4k: docs/memory.md).
        """
        with self._lock:
            ids, sessions, rows = self._ids, self._sessions, self._rows
            mask = sessions >= 0 if all_sessions else sessions == session_id
            if below is not None:
                mask &= ~((sessions == session_id) & (ids >= below))
            chosen = np.flatnonzero(mask)
            if chosen.size == 0 or limit <= 0:
                return [[] for _ in range(len(queries))]
            scores = np.empty((chosen.size, len(queries)), dtype=np.float32)
            q = queries.T.astype(np.float32) / _SCALE
            # One chat's messages are mostly one run of rows: read it in place rather than gathered.
            first, last = int(chosen[0]), int(chosen[-1])
            contiguous = last - first + 1 == chosen.size
            for start in range(0, chosen.size, _CHUNK):
                if contiguous:
                    block = rows[first + start : first + min(start + _CHUNK, chosen.size)]
                else:
                    block = rows[chosen[start : start + _CHUNK]]
                scores[start : start + len(block)] = block.astype(np.float32) @ q
            ranking = scores
            if speakers:
                named = np.isin(self._speakers[chosen], np.fromiter(speakers, dtype=np.int32))
                ranking = scores + (named[:, None] * SPEAKER_BONUS).astype(np.float32)
            found: list[list[Scored]] = []
            for column in range(scores.shape[1]):
                col = ranking[:, column]
                k = min(limit, col.size)
                top = np.argpartition(-col, k - 1)[:k]
                top = top[np.argsort(-col[top], kind="stable")]
                picked = chosen[top]
                found.append(
                    [
                        Scored(i, session, score)
                        for i, session, score in zip(
                            ids[picked].tolist(), sessions[picked].tolist(), col[top].tolist(), strict=True
                        )
                    ]
                )
            return found


_indexes: weakref.WeakKeyDictionary[Store, VectorIndex] = weakref.WeakKeyDictionary()
_indexes_lock = threading.Lock()


def for_store(store: Store) -> VectorIndex:
    with _indexes_lock:
        index = _indexes.get(store)
        if index is None:
            index = _indexes[store] = VectorIndex()
        return index
