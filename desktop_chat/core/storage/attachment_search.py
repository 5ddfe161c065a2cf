"""Chat search, inside attached files: which chats refer to a file whose text holds every word searched.

One hit per chat and file, at the first message there that attached it, ranked with the message hits
(BM25, lower is better), its snippet led by the file's name: ``report.pdf: …the old [lighthouse] lamp…``.

Kept cheap whatever the attachments hold (a 200-page PDF is ~700 chunks of ~1,200 characters; figures
in docs/storage.md): the newest ``RANK_UP_TO`` + 1 matching chunks are read from the full-text index
(ids only); when there are no more than ``RANK_UP_TO``, they are ranked (BM25) and each file shows at its
best chunk, else the newest files come first, each at its newest matching chunk (ranking a word found in
hundreds of passages costs much and tells little; messages follow the same rule at 10,000, but a chunk
is ~8 times longer than a message and bm25 re-reads its positions). The snippet of the few chunks shown
is cut here from their text: FTS5's ``snippet()`` re-matches the whole query for each (~1.5 ms a chunk
for a prefix query over 40,000 chunks).
"""

from __future__ import annotations

import re
import sqlite3

from desktop_chat.core.models import SearchHit

RANK_UP_TO = 500  # bm25 re-reads each chunk's positions: ~6 ms for 500 chunks of a prefix query, ~25 ms for 2,000
_AROUND = 70  # characters of context each side of the first match


def attachment_hits(conn: sqlite3.Connection, query: str, words: list[str], limit: int) -> list[SearchHit]:
    """Hits for the FTS5 ``query`` (already made safe from ``words``) in attached files' chunks."""
    newest = conn.execute(
        "SELECT f.id, c.sha256 FROM (SELECT rowid AS id FROM attachment_chunks_fts WHERE attachment_chunks_fts MATCH ?"
        " ORDER BY rowid DESC LIMIT ?) f JOIN attachment_chunks c ON c.id = f.id",
        (query, RANK_UP_TO + 1),
    ).fetchall()
    best: dict[str, tuple[int, float]] = {}  # each file's chosen chunk and its rank
    if len(newest) > RANK_UP_TO:  # newest files first, each at its newest matching chunk (rows come newest first)
        for chunk_id, sha in newest:
            best.setdefault(sha, (chunk_id, 0.0))
    else:  # few enough to rank: each file at its best chunk, best first
        sha_of = dict(newest)
        for chunk_id, rank in conn.execute(
            "SELECT rowid, bm25(attachment_chunks_fts) FROM attachment_chunks_fts WHERE attachment_chunks_fts MATCH ?",
            (query,),
        ):
            sha = sha_of.get(chunk_id)
            if sha is not None and (sha not in best or rank < best[sha][1]):
                best[sha] = (chunk_id, rank)
        best = dict(sorted(best.items(), key=lambda item: item[1][1]))
    if not best:
        return []
    chunk_of = dict(list(best.items())[:limit])
    texts = dict(
        conn.execute(
            f"SELECT id, text FROM attachment_chunks WHERE id IN ({','.join('?' * len(chunk_of))})",
            [chunk_id for chunk_id, _ in chunk_of.values()],
        ).fetchall()
    )
    rows = conn.execute(
        "SELECT l.sha256, a.name, m.session_id, s.title, MIN(m.id) FROM message_attachments l"
        " JOIN attachments a ON a.sha256 = l.sha256 JOIN messages m ON m.id = l.message_id"
        " JOIN sessions s ON s.id = m.session_id"
        f" WHERE l.sha256 IN ({','.join('?' * len(chunk_of))}) AND m.active = 1 GROUP BY l.sha256, m.session_id",
        list(chunk_of),
    ).fetchall()
    order = {sha: position for position, sha in enumerate(chunk_of)}  # the files' order: best (or newest) first
    rows.sort(key=lambda row: (order[row[0]], row[2]))
    return [
        SearchHit(
            session_id,
            title,
            message_id,
            f"{name}: {snippet(texts.get(chunk_of[sha][0], ''), words)}",
            chunk_of[sha][1],
        )
        for sha, name, session_id, title, message_id in rows[:limit]
    ]


def snippet(text: str, words: list[str]) -> str:
    """A line of ``text`` around the first of ``words`` found, the words marked as FTS5's snippet marks them.

    Words match as prefixes, case-insensitively; a word the stemmer matched in another form ("lamps" for
    "lamp") is looked for by its first letters, and when nothing is found the passage's start is shown.
    """
    stems = [w if len(w) <= 4 else w[: max(4, len(w) - 3)] for w in words]
    pattern = re.compile(
        r"\b(?:" + "|".join(re.escape(s) for s in sorted(set(stems), key=len, reverse=True)) + r")\w*", re.I
    )
    flat = " ".join(text.split())
    first = pattern.search(flat)
    start = max(0, (first.start() if first else 0) - _AROUND)
    end = min(len(flat), (first.end() if first else 0) + _AROUND)
    if start > 0:  # whole words at both ends
        start = flat.find(" ", start) + 1 or start
    if end < len(flat):
        end = flat.rfind(" ", start, end) if flat.rfind(" ", start, end) > (first.end() if first else start) else end
    piece = pattern.sub(lambda m: f"[{m.group(0)}]", flat[start:end])
    return ("…" if start > 0 else "") + piece + ("…" if end < len(flat) else "")
