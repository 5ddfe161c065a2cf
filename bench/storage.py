"""Storage benchmark: 1,000 sessions x 100 messages (100k messages).

    .venv/bin/python -m bench.storage [--sessions 1000] [--messages 100] [--attachments N --chunks 40]

Builds the database once under bench/out/ (reused on later runs), then times the
operations the sidebar, the chat pane, search and the controller use.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import measure, table
from desktop_chat.core.models import Attachment, Role, TextPart
from desktop_chat.core.storage.store import Store

SYLLABLES = ["ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "da", "ve", "ba", "zu", "fe", "gi", "ho", "ju", "ly", "mo"]
TOPICS = [
    "api",
    "book",
    "author",
    "review",
    "endpoint",
    "python",
    "budget",
    "lisbon",
    "hotel",
    "flight",
    "meeting",
    "deadline",
    "invoice",
    "refactor",
    "database",
    "index",
    "query",
    "cache",
    "latency",
    "memory",
    "summary",
    "fact",
    "pizza",
    "garden",
    "tortoise",
    "guitar",
]


def vocabulary(rng: random.Random, size: int = 4000) -> list[str]:
    """Topic words plus invented ones; used with Zipf weights, like real text."""
    words = list(TOPICS)
    while len(words) < size:
        words.append("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return words


def build(folder: Path, sessions: int, messages: int) -> tuple[Store, list[str]]:
    store = Store.open(folder)
    rng = random.Random(7)
    words = vocabulary(rng)
    have = store.scan.active_count(None)
    if have >= sessions * messages:
        return store, words
    weights = [1 / (rank + 1) for rank in range(len(words))]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    began = time.perf_counter()
    with store.db.transaction():
        for s in range(sessions):
            moment = start + timedelta(hours=s)
            session = store.sessions.create(f"Chat {s} about {rng.choice(TOPICS)}", created_at=moment)
            for m in range(messages):
                text = " ".join(rng.choices(words, weights, k=rng.randint(8, 40)))
                role = Role.USER if m % 2 == 0 else Role.ASSISTANT
                store.messages.append(
                    session.id,
                    role,
                    text,
                    created_at=moment + timedelta(seconds=m),
                    token_count=len(text) // 4,
                )
    print(f"built {sessions * messages:,} messages in {time.perf_counter() - began:.1f} s")
    return store, words


def attach(store: Store, words: list[str], documents: int, chunks: int) -> None:
    """``documents`` attached files of ``chunks`` chunks of the same Zipf text each, one per chat (chat 0, 1, ...)."""
    have = len(store.attachments.referenced())
    if have >= documents:
        return
    rng = random.Random(11)
    weights = [1 / (rank + 1) for rank in range(len(words))]
    sessions = [s.id for s in store.sessions.list_by_activity(include_archived=True)]
    began = time.perf_counter()
    with store.db.transaction():
        for d in range(have, documents):
            paragraphs = [" ".join(rng.choices(words, weights, k=170)) for _ in range(chunks)]
            text = "\n\n".join(paragraphs)
            sha = hashlib.sha256(text.encode()).hexdigest()
            attachment = Attachment(sha, f"document {d}.pdf", "application/pdf", len(text), text)
            store.attachments.add(attachment)
            sid = sessions[d % len(sessions)]
            store.messages.append(sid, Role.USER, "see the file", parts=(TextPart("see the file"), attachment.part()))
    print(f"attached {documents - have:,} documents of {chunks} chunks in {time.perf_counter() - began:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--attachments", type=int, default=0, help="attached documents (issue 23), one per chat")
    parser.add_argument("--chunks", type=int, default=40, help="chunks (~1,100 characters) per attached document")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out" / "storage")
    args = parser.parse_args()
    store, words = build(args.out, args.sessions, args.messages)
    if args.attachments:
        attach(store, words, args.attachments, args.chunks)
    middle = store.sessions.list_by_activity()[args.sessions // 2].id
    scratch = store.sessions.create("scratch")

    def share(word: str) -> str:
        hits = store.scan.word_frequency(word, 1 << 62)
        return f"in {hits / 1000:.1f}% of messages"

    def append() -> None:
        store.messages.append(scratch.id, Role.USER, "a new message about the hotel budget in lisbon")

    rows = [
        ("list sessions (1,000)", *measure(store.sessions.list_by_activity), "< 20 ms"),
        ("newest 50 messages of a session", *measure(lambda: store.messages.newest(middle, 50)), "< 5 ms"),
        (
            "50 messages before a given id",
            *measure(lambda: store.messages.newest(middle, 50, before_id=10**9)),
            "< 5 ms",
        ),
        *[
            (
                f"FTS search {word!r} ({share(word)})",
                *measure(functools.partial(store.sessions.search, word)),
                "< 50 ms",
            )
            for word in (words[2000], words[300], words[40], "budget", "api")
        ],
        ("FTS search, two words", *measure(lambda: store.sessions.search("hotel lisbon")), "< 50 ms"),
        ("append a message (committed)", *measure(append, runs=200), "< 2 ms"),
    ]
    count = store.scan.active_count(None)
    chunks = store.attachments.referenced()
    extra = f", {len(chunks):,} attached documents of {args.chunks} chunks" if chunks else ""
    print(f"\n{count:,} messages in {args.sessions:,} sessions{extra}\n")
    print(table(rows))
    store.close()


if __name__ == "__main__":
    main()
