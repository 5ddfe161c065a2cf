"""Token counting of long unbroken strings: exact tiktoken vs ``TokenCounter.count_text``.

    .venv/bin/python -m bench.token_counting [--runs 3]

For each input: tokens counted exactly (one ``encode_ordinary`` of the whole text) and by
``count_text`` (long runs cut into chunks, plus a margin per cut), their difference, and the
fastest of ``--runs`` timings of each. Inputs are generated from fixed seeds, so the counts
repeat; the times depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import base64
import functools
import random
import string
import time
import urllib.parse
from collections.abc import Callable

from desktop_chat.core.tokens import TokenCounter, get_encoding

_MINIFIED_JS = (
    'function r(e,t){if(!e)throw new TypeError("bad "+t);return e.map(function(n){return n*2})}'
    "var o=require('./x'),i={a:1,b:[2,3],c:{d:!0}};module.exports=function(e){return r(e,o)};"
)


def _url(rnd: random.Random, size: int) -> str:
    parts = ["https://example.com/api/v2/search?"]
    while sum(map(len, parts)) < size:
        key = "".join(rnd.choices(string.ascii_lowercase + "_", k=rnd.randint(3, 10)))
        value = "".join(rnd.choices(string.ascii_letters + string.digits + " /=&?-", k=rnd.randint(5, 40)))
        parts.append(f"{key}={urllib.parse.quote(value)}&")
    return "".join(parts)[:size]


def inputs() -> dict[str, str]:
    rnd = random.Random(2026)
    js = "".join(_MINIFIED_JS.replace(" ", "") for _ in range(600))  # minified, whitespace removed
    return {
        "base64, 1.5 MB": base64.b64encode(rnd.randbytes(1_125_000)).decode(),
        "long URL, 20 kB": _url(rnd, 20_000),
        "minified JS line, no spaces, 100 kB": js[:100_000],
        "random a-z, 1.5 MB": "".join(rnd.choices(string.ascii_lowercase, k=1_500_000)),
        "CJK run, 500k chars (1.5 MB)": "".join(chr(rnd.randint(0x4E00, 0x9FFF)) for _ in range(500_000)),
        "spaces, 800k (1 M panics tiktoken)": "a" + " " * 800_000 + "b",
        "prose, 1.5 MB (no long run)": ("The quick brown fox jumps over the lazy dog. " * 34_000)[:1_500_000],
    }


def fastest(action: Callable[[], object], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print("| model | input | exact | count_text | difference | cuts | exact (s) | count_text (s) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    texts = inputs()
    for model in ("gpt-4o", "gpt-4"):
        counter = TokenCounter.for_model(model)
        encoding = get_encoding(counter.encoding_name)
        for name, text in texts.items():
            exact = len(encoding.encode_ordinary(text))
            counted = counter.count_text(text)
            cuts = len(counter._cuts(text))
            exact_s = fastest(functools.partial(encoding.encode_ordinary, text), args.runs)
            counted_s = fastest(functools.partial(counter.count_text, text), args.runs)
            difference = f"{counted - exact:+,} ({(counted - exact) / exact:+.3%})"
            times = f"{exact_s:.3f} | {counted_s:.3f}"
            print(f"| {model} | {name} | {exact:,} | {counted:,} | {difference} | {cuts} | {times} |")


if __name__ == "__main__":
    main()
