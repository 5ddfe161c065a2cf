"""Import benchmark: a generated ChatGPT export of 2,000 conversations x 50 messages, zipped as downloaded.

    .venv/bin/python -m bench.import_chatgpt [--conversations 2000] [--messages 50]

Writes the export under bench/out/, imports it into a fresh database through the
facade (the path the CLI and the window take), and reports the wall time, the
time until the first batch's words and the last conversation's words are
searchable, and the process's peak resident memory (``ru_maxrss``) before and
after the import. ``--trace-memory`` also reports tracemalloc's peak of Python
objects (it slows the run down two to three times, so time it without).
Every tenth conversation has a regenerated answer (an inactive branch).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import time
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

from desktop_chat.core.storage.store import Store
from desktop_chat.core.workspace import Workspace

OUT = Path(__file__).parent / "out" / "import_chatgpt"
WORDS = [f"{a}{b}{c}" for a in "bdfgklmnprstvz" for b in "aeiou" for c in ("", "n", "r", "l")]


def _message(node_id: str, role: str, text: str, at: float) -> dict[str, Any]:
    return {
        "id": node_id,
        "author": {"role": role, "name": None, "metadata": {}},
        "create_time": at,
        "update_time": None,
        "content": {"content_type": "text", "parts": [text]},
        "status": "finished_successfully",
        "end_turn": True,
        "weight": 1.0,
        "metadata": {"model_slug": "gpt-4o"} if role == "assistant" else {},
        "recipient": "all",
    }


def conversation(index: int, messages: int, rng: random.Random) -> dict[str, Any]:
    start = 1_700_000_000.0 + index * 3600
    mapping: dict[str, Any] = {"root": {"id": "root", "parent": None, "children": [], "message": None}}
    parent = "root"
    for i in range(messages):
        node_id = f"c{index}-m{i}"
        role = "user" if i % 2 == 0 else "assistant"
        words = rng.choices(WORDS, k=12 if role == "user" else 60)
        text = " ".join(words) + (f" marker{index}" if i == messages - 1 else "")
        mapping[node_id] = {
            "id": node_id,
            "parent": parent,
            "children": [],
            "message": _message(node_id, role, text, start + i),
        }
        mapping[parent]["children"].append(node_id)
        if role == "assistant" and i == 1 and index % 10 == 0:  # a regenerated answer, off the active branch
            old = f"{node_id}-old"
            mapping[old] = {
                "id": old,
                "parent": parent,
                "children": [],
                "message": _message(old, role, "old", start + i),
            }
            mapping[parent]["children"].insert(0, old)
        parent = node_id
    return {
        "id": f"conv-{index}",
        "title": f"Conversation {index}",
        "create_time": start,
        "update_time": start + messages,
        "current_node": parent,
        "mapping": mapping,
    }


def build(path: Path, conversations: int, messages: int) -> None:
    rng = random.Random(13)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("conversations.json", "w") as out:
        out.write(b"[")
        for index in range(conversations):
            if index:
                out.write(b",")
            out.write(json.dumps(conversation(index, messages, rng)).encode())
        out.write(b"]")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--trace-memory", action="store_true")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    export = OUT / f"chatgpt-{args.conversations}x{args.messages}.zip"
    if not export.exists():
        build(export, args.conversations, args.messages)
    data = OUT / "data"
    shutil.rmtree(data, ignore_errors=True)
    store = Store.open(data)
    workspace = Workspace(store, lambda *a: None)  # type: ignore[arg-type]  # no replies: the client is never made
    marks: dict[str, float] = {}

    def progress(done: int, total: int) -> None:
        if done == 0:
            marks["validated"] = time.perf_counter() - started
        elif "first batch" not in marks:
            marks["first batch"] = time.perf_counter() - started
            assert workspace.search("marker0"), "the first batch is searchable once committed"

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.trace_memory:
        tracemalloc.start()
    started = time.perf_counter()
    result = workspace.import_file(export, progress=progress)
    total = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if args.trace_memory else 0
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    last = f"marker{args.conversations - 1}"
    assert workspace.search(last), "the last conversation is searchable when the import returns"
    size = export.stat().st_size
    raw = zipfile.ZipFile(export).getinfo("conversations.json").file_size
    print(
        f"export: {args.conversations} conversations x {args.messages} messages; zip {size / 2**20:.1f} MiB, "
        f"conversations.json {raw / 2**20:.1f} MiB"
    )
    print(f"imported {len(result.session_ids)} chats, {result.messages} messages")
    print(f"validation pass (read + convert, nothing written): {marks['validated']:.1f} s")
    print(f"first batch searchable after: {marks['first batch']:.1f} s")
    print(f"whole import (last words searchable): {total:.1f} s")
    print(f"peak resident memory of the process: {rss_before:.0f} MiB before, {rss_after:.0f} MiB after the import")
    if args.trace_memory:
        print(f"peak of Python objects during the import (tracemalloc): {peak / 2**20:.0f} MiB")
    workspace.close()


if __name__ == "__main__":
    main()
