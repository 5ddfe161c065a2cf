"""Reading a 200-page PDF's text: pages per second, peak memory, and how long another thread waits meanwhile.

    .venv/bin/python -m bench.attachment_extract [--pages 200] [--words 400] [--runs 5]

The PDF is built by ``tests/helpers/documents.pdf_bytes`` (Helvetica text, one line per ~12
words, ``--words`` words a page of English-like prose from a fixed seed) and written to a
temporary folder; ``extract`` reads it from there as it would an attachment. Figures:

- **time**: ``--runs`` extractions in this process, the first included (it imports pypdf);
  pages per second from the fastest and from the median.
- **peak memory, child process**: a fresh ``python`` imports the reader and pypdf, notes its
  resident set, resets the kernel's peak (``/proc/self/clear_refs``), extracts once and reads the
  peak (``VmHWM``): what the extraction needed on top of the imports; and ``ru_maxrss``, the
  process's peak over its life (kernel figures: everything, C libraries included; Linux only).
- **peak memory, tracemalloc**: the peak of Python allocations during one extraction, in this
  process (tracemalloc sees Python's allocator only, and slows the run: no time is taken then).
- **longest wait of another thread**: extraction runs in a worker thread, as the window runs it;
  the main thread meanwhile sleeps 1 ms at a time, as an idle event loop would, and records how
  late each wake-up is. pypdf is pure Python and holds the GIL while it works; the interpreter hands
  it over every ``sys.getswitchinterval()`` (5 ms), so this shows what the window's thread would
  wait at worst. (The window's own stall under a real event loop is measured with the window.)
"""

from __future__ import annotations

import argparse
import functools
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from desktop_chat.core.attachments.extract import extract
from tests.helpers.documents import pdf_bytes

_VOCABULARY = (
    "the of and to in is that for it as with was on be by this are from at or an have not which "
    "budget report quarter revenue growth market customer service product team project plan risk "
    "schedule supplier contract invoice payment account balance review audit policy compliance "
    "design system network storage memory process thread window document page section figure "
    "table result method analysis sample measure value increase decrease average total annual "
    "region north south east west office manager director engineer analyst partner member"
)
_WORDS = _VOCABULARY.split()


def prose(rnd: random.Random, words: int) -> str:
    """``words`` words in sentences, ~12 words a line (the page is 612 pt wide at 11 pt)."""
    out, line, sentence = [], [], 0
    for _ in range(words):
        word = rnd.choice(_WORDS)
        if sentence == 0:
            word = word.capitalize()
        sentence += 1
        if sentence >= rnd.randint(8, 18):
            word += "."
            sentence = 0
        line.append(word)
        if len(line) == 12:
            out.append(" ".join(line))
            line = []
    if line:
        out.append(" ".join(line))
    return "\n".join(out)


def build(folder: Path, pages: int, words: int) -> Path:
    rnd = random.Random(200)
    path = folder / "report-200-pages.pdf"
    path.write_bytes(pdf_bytes([prose(rnd, words) for _ in range(pages)]))
    return path


def _status_mib(field: str) -> float:
    """A ``/proc/self/status`` memory figure (``VmRSS``, ``VmHWM``) in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise SystemExit(f"no {field} in /proc/self/status (Linux only)")


def child(path: Path) -> None:
    """Run in a fresh process: print its resident set after imports, its peak during one
    extraction, and its peak over its whole life (``ru_maxrss``), in MiB."""
    import pypdf  # noqa: F401 - loaded before the first figure, so the peak shows the reading alone

    resident = _status_mib("VmRSS")
    # Writing 5 to clear_refs resets the peak (VmHWM) to the current resident set (Linux >= 4.0),
    # so the next peak is the extraction's alone, not the imports'.
    Path("/proc/self/clear_refs").write_text("5")
    extract(path)
    during = _status_mib("VmHWM")
    whole = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{resident:.1f} {during:.1f} {whole:.1f}")


def longest_wait(work: Callable[[], object]) -> tuple[float, float, float]:
    """(longest, 99th percentile, median) lateness in ms of 1 ms sleeps while a worker thread runs ``work``."""
    done = threading.Event()

    def run() -> None:
        work()
        done.set()

    worker = threading.Thread(target=run)
    late: list[float] = []
    worker.start()
    while not done.is_set():
        start = time.perf_counter()
        time.sleep(0.001)
        late.append((time.perf_counter() - start) * 1000 - 1)
    worker.join()
    late.sort()
    return late[-1], late[int(len(late) * 0.99)], statistics.median(late)


def busy(seconds: float) -> None:
    """Plain Python arithmetic for ``seconds``: the baseline any Python work in a thread gives."""
    end, total = time.perf_counter() + seconds, 0
    while time.perf_counter() < end:
        total += sum(range(100))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--words", type=int, default=400)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    with tempfile.TemporaryDirectory(prefix="desktop-chat-bench-") as folder:
        path = build(Path(folder), args.pages, args.words)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            got = extract(path)
            times.append(time.perf_counter() - start)
        assert got.units == args.pages
        done = subprocess.run(
            [sys.executable, "-m", "bench.attachment_extract", "--child", str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
        resident, during, whole = (float(x) for x in done.stdout.split())
        tracemalloc.start()
        extract(path)
        traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        waits = [longest_wait(functools.partial(extract, path)) for _ in range(args.runs)]
        baseline = [longest_wait(functools.partial(busy, min(times))) for _ in range(args.runs)]
        size = path.stat().st_size

    best, median = min(times), statistics.median(times)
    print(
        f"{args.pages} pages, {args.words} words a page; PDF {size / 2**20:.2f} MiB; text {len(got.text):,} characters"
    )
    print()
    print("| figure | value |")
    print("| --- | ---: |")
    print(f"| extraction, fastest of {args.runs} (s) | {best:.2f} |")
    print(f"| extraction, median of {args.runs} (s) | {median:.2f} |")
    print(f"| pages per second (fastest / median) | {args.pages / best:.0f} / {args.pages / median:.0f} |")
    print(f"| child process: resident after imports (MiB) | {resident:.1f} |")
    print(f"| child process: peak during the extraction, VmHWM (MiB) | {during:.1f} (+{during - resident:.1f}) |")
    print(f"| child process: peak over its life, ru_maxrss (MiB) | {whole:.1f} |")
    print(f"| peak of Python allocations during one extraction, tracemalloc (MiB) | {traced_peak:.1f} |")
    for label, runs in (("extraction", waits), ("plain Python arithmetic as long (baseline)", baseline)):
        longest = ", ".join(f"{run[0]:.0f}" for run in runs)
        p99 = ", ".join(f"{run[1]:.1f}" for run in runs)
        print(f"| another thread's longest wait per run, {label} (ms) | {longest} |")
        print(f"| its 99th percentile per run, {label} (ms) | {p99} |")


if __name__ == "__main__":
    main()
