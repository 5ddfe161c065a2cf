"""The bundle against the source install: size on disk, and start to first window on a real X server.

    scripts/build && .venv/bin/python -m bench.bundle [--bundle dist/desktop-chat] [--runs 9]

Both programs are timed the same way, from outside: the parent starts the process and
polls the X server (Xvfb with openbox, as a desktop) until a window of that process is
visible; interpreter start-up, unpacking and imports are all inside the figure. Each
run gets a new, empty data folder (what a new user sees: the window, then the welcome).
The two take turns (frozen, source, frozen, ...) so drift on a shared machine hits both
alike; the ratio is taken pair by pair. `--version` is timed too: the bare cost of
starting each program. Needs Xvfb, openbox and xdotool (scripts/setup installs them).
"""

from __future__ import annotations

import argparse
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from tests.helpers.x11 import x_server

ROOT = Path(__file__).resolve().parents[1]
POLL_S = 0.005


def size_on_disk(folder: Path) -> int:
    return sum(path.lstat().st_size for path in folder.rglob("*") if not path.is_dir())


def size_rows(bundle: Path) -> list[tuple[str, int]]:
    internal = bundle / "_internal"
    parts = {
        "Qt (PySide6, libraries, plugins)": [internal / "PySide6", *internal.glob("libQt6*")],
        "llama.cpp server (xllamacpp)": [internal / "xllamacpp"],
        "starter model (SmolLM2-135M)": [internal / "resources" / "models"],
        "tiktoken encodings": [internal / "resources" / "tiktoken"],
    }
    rows, counted = [], 0
    for name, paths in parts.items():
        size = sum(size_on_disk(p) if p.is_dir() else p.lstat().st_size for p in paths if p.exists())
        rows.append((name, size))
        counted += size
    total = size_on_disk(bundle)
    rows.append(("the rest: Python, openai, keyring, system libraries, the app", total - counted))
    rows.append(("whole bundle", total))
    return rows


def check_tools() -> None:
    for tool in ("Xvfb", "openbox", "xdotool"):
        if shutil.which(tool) is None:
            raise SystemExit(f"needs {tool} (apt-get install xvfb openbox xdotool, or run scripts/setup)")


def first_window_s(command: list[str], env: dict[str, str]) -> float:
    """Seconds from starting ``command`` to a visible window of its process."""
    with tempfile.TemporaryDirectory(prefix="desktop-chat-bench-") as home:
        started = time.perf_counter()
        proc = subprocess.Popen(
            command, env={**env, "DESKTOP_CHAT_HOME": home}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            while True:
                found = subprocess.run(
                    ["xdotool", "search", "--onlyvisible", "--pid", str(proc.pid)],
                    env=env,
                    capture_output=True,
                    check=False,
                )
                if found.returncode == 0 and found.stdout.strip():
                    return time.perf_counter() - started
                if proc.poll() is not None:
                    raise SystemExit(f"{command[0]} exited ({proc.returncode}) before showing a window")
                if time.perf_counter() - started > 60:
                    raise SystemExit(f"{command[0]} showed no window within 60 s")
                time.sleep(POLL_S)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def version_s(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([*command, "--version"], env=env, capture_output=True, check=True)
    return time.perf_counter() - started


def row(name: str, values: list[float], *, scale: float = 1000, digits: int = 0) -> str:
    low, mid, high = (v * scale for v in (min(values), statistics.median(values), max(values)))
    return f"| {name} | {low:.{digits}f} | {mid:.{digits}f} | {high:.{digits}f} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "desktop-chat")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    frozen = [str(args.bundle / "desktop-chat")]
    source = [str(ROOT / ".venv" / "bin" / "desktop-chat")]
    if not Path(frozen[0]).is_file():
        raise SystemExit(f"no bundle at {args.bundle}; build it first: scripts/build")

    print("| part of the bundle | MB on disk |")
    print("| --- | ---: |")
    for name, size in size_rows(args.bundle):
        print(f"| {name} | {size / 1e6:.0f} |")

    check_tools()
    with x_server() as display:
        env = {k: v for k, v in display.items() if k != "PYTHONPATH"}
        for command in (frozen, source):  # warm-up: the OS file cache, Python's bytecode cache
            first_window_s(command, env)
        timings: dict[str, list[float]] = {"frozen": [], "source": [], "frozen v": [], "source v": []}
        for _ in range(args.runs):
            timings["frozen"].append(first_window_s(frozen, env))
            timings["source"].append(first_window_s(source, env))
            timings["frozen v"].append(version_s(frozen, env))
            timings["source v"].append(version_s(source, env))
    ratios = [f / s for f, s in zip(timings["frozen"], timings["source"], strict=True)]
    print()
    print(f"Xvfb + openbox, new data folder each run, {args.runs} runs each, alternating")
    print("| figure | min | median | max |")
    print("| --- | ---: | ---: | ---: |")
    print(row("bundle: start to first window (ms)", timings["frozen"]))
    print(row("source install: start to first window (ms)", timings["source"]))
    print(row("ratio bundle / source, pair by pair", ratios, scale=1, digits=2))
    print(row("bundle: `--version` (ms)", timings["frozen v"]))
    print(row("source install: `--version` (ms)", timings["source v"]))


if __name__ == "__main__":
    main()
