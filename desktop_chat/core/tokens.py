"""Token counting that works offline and frozen.

The two BPE files are bundled under ``resources/tiktoken`` and read directly:
``tiktoken.get_encoding`` would download them on first use and, in a frozen
app, would not find its ``tiktoken_ext.openai_public`` plugin at all.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import math
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import tiktoken

from desktop_chat.core.errors import DesktopChatError
from desktop_chat.core.models import MESSAGE_OVERHEAD_TOKENS, REPLY_PRIMING_TOKENS, ChatMessage, Role
from desktop_chat.core.resources import resources_dir

O200K_BASE = "o200k_base"
CL100K_BASE = "cl100k_base"

# Tokens a message's ``name`` field costs on top of the tokens of the name itself.
NAME_OVERHEAD_TOKENS = 1

_ENDOFTEXT = "<|endoftext|>"
_FIM_PREFIX = "<|fim_prefix|>"
_FIM_MIDDLE = "<|fim_middle|>"
_FIM_SUFFIX = "<|fim_suffix|>"
_ENDOFPROMPT = "<|endofprompt|>"


@dataclass(frozen=True, slots=True)
class _EncodingSpec:
    sha256: str
    pat_str: str
    special_tokens: Mapping[str, int]


# Copied from tiktoken 0.14's tiktoken_ext/openai_public.py rather than imported:
# the plugin is found by a namespace scan that PyInstaller's analysis misses,
# and the pattern belongs with the hash-pinned file it was made for. A test
# checks these still equal tiktoken's own.
_SPECS: dict[str, _EncodingSpec] = {
    CL100K_BASE: _EncodingSpec(
        sha256="223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        pat_str=(
            r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
            r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
        ),
        special_tokens={
            _ENDOFTEXT: 100257,
            _FIM_PREFIX: 100258,
            _FIM_MIDDLE: 100259,
            _FIM_SUFFIX: 100260,
            _ENDOFPROMPT: 100276,
        },
    ),
    O200K_BASE: _EncodingSpec(
        sha256="446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        pat_str="|".join(
            [
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""\p{N}{1,3}""",
                r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
                r"""\s*[\r\n]+""",
                r"""\s+(?!\S)""",
                r"""\s+""",
            ]
        ),
        special_tokens={_ENDOFTEXT: 199999, _ENDOFPROMPT: 200018},
    ),
}

ENCODING_NAMES: tuple[str, ...] = tuple(_SPECS)


def encoding_path(name: str, directory: Path | None = None) -> Path:
    """Where the bundled BPE file of encoding ``name`` lives."""
    return (directory or resources_dir() / "tiktoken") / f"{name}.tiktoken"


def _spec(name: str) -> _EncodingSpec:
    try:
        return _SPECS[name]
    except KeyError:
        raise ValueError(f"unknown encoding {name!r}; known: {', '.join(_SPECS)}") from None


def _read_ranks(path: Path, expected_sha256: str) -> dict[bytes, int]:
    # Not tiktoken.load.load_tiktoken_bpe: for a local path it still copies the
    # file into TIKTOKEN_CACHE_DIR (5 MB into the temp dir, and an OSError when
    # a user-set cache dir is read-only). Same format and hash check, no writes.
    try:
        data = path.read_bytes()
    except OSError:
        raise DesktopChatError(
            f"Token encoding file {path} is missing or unreadable; reinstall Desktop Chat."
        ) from None
    if hashlib.sha256(data).hexdigest() != expected_sha256:
        raise DesktopChatError(f"Token encoding file {path} is damaged (checksum mismatch); reinstall Desktop Chat.")
    # The hash pins a well-formed file, so parsing cannot fail past this point.
    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


def load_encoding_from(name: str, directory: Path) -> tiktoken.Encoding:
    """Build encoding ``name`` from the file in ``directory``; uncached, never touches the network."""
    spec = _spec(name)
    encoding = tiktoken.Encoding(
        name=name,
        pat_str=spec.pat_str,
        mergeable_ranks=_read_ranks(encoding_path(name, directory), spec.sha256),
        special_tokens=dict(spec.special_tokens),
    )
    # The Rust tokenizer keeps its own copy of the ranks; tiktoken holds the Python dict only to
    # pickle the encoding, which the app never does. Dropping it frees ~32 MB (o200k_base) for as
    # long as the app runs.
    if isinstance(getattr(encoding, "_mergeable_ranks", None), dict):
        encoding._mergeable_ranks = {}
    return encoding


_encodings: dict[str, tiktoken.Encoding] = {}
_encodings_lock = threading.Lock()


def get_encoding(name: str) -> tiktoken.Encoding:
    """The bundled encoding ``name``, loaded once per process (about 0.3 s: keep off the GUI thread)."""
    encoding = _encodings.get(name)
    if encoding is not None:
        return encoding
    with _encodings_lock:
        encoding = _encodings.get(name)
        if encoding is None:
            encoding = load_encoding_from(name, resources_dir() / "tiktoken")
            _encodings[name] = encoding
        return encoding


# --- model -> encoding --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EncodingChoice:
    name: str
    exact: bool  # False: the model's own tokenizer is unknown, counts are estimates


# Longest matching prefix wins, so "gpt-4o" beats "gpt-4".
_ENCODING_PREFIXES: dict[str, str] = {
    "gpt-4o": O200K_BASE,
    "chatgpt-4o": O200K_BASE,
    "gpt-4.": O200K_BASE,  # gpt-4.1, gpt-4.5 and any later 4.x
    "gpt-5": O200K_BASE,
    "gpt-4": CL100K_BASE,
    "gpt-3.5": CL100K_BASE,
    "gpt-35": CL100K_BASE,  # Azure's spelling
}
_O_SERIES = re.compile(r"o\d+(?:-.*)?")


def _normalise(model: str) -> str:
    # "openai/gpt-4o" (OpenRouter, LiteLLM) names the same model as "gpt-4o".
    return model.strip().lower().rsplit("/", 1)[-1]


_T = TypeVar("_T")


def _longest_prefix(model: str, table: Mapping[str, _T]) -> _T | None:
    best = max((p for p in table if model.startswith(p)), key=len, default=None)
    return None if best is None else table[best]


def encoding_for_model(model: str) -> EncodingChoice:
    """The encoding OpenAI uses for ``model``; o200k_base as an estimate for anything else."""
    key = _normalise(model)
    name = _longest_prefix(key, _ENCODING_PREFIXES)
    if name is None and _O_SERIES.fullmatch(key):
        name = O200K_BASE
    if name is None:
        return EncodingChoice(O200K_BASE, exact=False)
    return EncodingChoice(name, exact=True)


# --- context windows ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModelLimits:
    context_window: int
    max_output: int


_LIMITS: dict[str, ModelLimits] = {
    "gpt-4o": ModelLimits(128_000, 16_384),
    "gpt-4o-mini": ModelLimits(128_000, 16_384),
    "chatgpt-4o": ModelLimits(128_000, 16_384),
    "gpt-4.1": ModelLimits(1_047_576, 32_768),
    "gpt-4.5": ModelLimits(128_000, 16_384),
    "gpt-5": ModelLimits(400_000, 128_000),
    "gpt-5-chat": ModelLimits(128_000, 16_384),
    "o1": ModelLimits(200_000, 100_000),
    "o1-mini": ModelLimits(128_000, 65_536),
    "o1-preview": ModelLimits(128_000, 32_768),
    "o3": ModelLimits(200_000, 100_000),
    "o4-mini": ModelLimits(200_000, 100_000),
    "gpt-4": ModelLimits(8_192, 8_192),
    "gpt-4-32k": ModelLimits(32_768, 32_768),
    "gpt-4-turbo": ModelLimits(128_000, 4_096),
    "gpt-4-1106": ModelLimits(128_000, 4_096),
    "gpt-4-0125": ModelLimits(128_000, 4_096),
    "gpt-4-vision": ModelLimits(128_000, 4_096),
    "gpt-3.5-turbo": ModelLimits(16_385, 4_096),
    "gpt-35-turbo": ModelLimits(16_385, 4_096),
}


def model_limits(model: str) -> ModelLimits | None:
    """Context window and output cap of a known OpenAI model; None: use the profile's setting."""
    return _longest_prefix(_normalise(model), _LIMITS)


# --- counting -----------------------------------------------------------------

# tiktoken's BPE takes time super-linear in the length of one pre-tokenised piece: a 1.5 MB run of
# lowercase letters (one piece) takes about 1-3.5 s, the same size of prose 0.05 s, and a run of
# about 1 M spaces makes its regex overflow its stack and panic (a BaseException, not an Exception).
# So a run of whitespace or of non-whitespace longer than this many characters is cut into chunks of
# this size that are encoded one by one; text without such a run is encoded whole, exactly as
# before. Chunks of 500 to 8,000 characters all cost the same (bench/token_counting.py).
LONG_RUN_CHUNK = 4000
# Tokens added per cut so a chunked count does not run under the exact one. Cutting a BPE piece
# usually adds a token (a merge across the cut is lost) but can also save some (greedy BPE is not
# optimal; the cut can stop a merge that would have split a better one): over 3.4 M random cuts in
# realistic runs (base64, hex, URLs, minified JS, letters, CJK, Cyrillic, punctuation, whitespace),
# both encodings, one cut changed the count by -3 to +6 tokens, -2 or less in about 1 in 10,000.
# Nothing bounds this for BPE in general, so the margin is empirical, with one token to spare.
CUT_MARGIN_TOKENS = 4


class TokenCounter:
    """Counts tokens for one model the way the chat completions API bills them."""

    _cache: dict[str, TokenCounter] = {}  # noqa: RUF012 -- a shared cache on purpose
    _cache_lock = threading.Lock()

    def __init__(self, model: str, encoding: tiktoken.Encoding, *, exact: bool, chunk: int = LONG_RUN_CHUNK) -> None:
        if chunk < 1:
            raise ValueError(f"chunk must be at least 1, not {chunk}")
        self.model = model
        self.encoding_name = encoding.name
        self.exact = exact
        self._encoding = encoding
        self._chunk = chunk
        longer = chunk + 1
        # Each pattern starts with one whitespace character, which the re module skips to quickly,
        # and tries the run only there: a lookbehind first, or a bare ``\S{n}``, is tried at every
        # position and costs twice as much, or is quadratic in runs just under the limit.
        # (pattern, where in a match its run starts); a non-whitespace run at the very start has
        # no whitespace before it and is matched apart.
        self._run_patterns = (
            (re.compile(rf"\s\S{{{longer},}}+"), 1),
            (re.compile(rf"\s(?<!\s\s)\s{{{chunk},}}+"), 0),
        )
        self._leading_run = re.compile(rf"\S{{{longer},}}+")

    @classmethod
    def for_model(cls, model: str) -> TokenCounter:
        """A shared counter for ``model``; the first call per encoding loads it (about 0.3 s)."""
        counter = cls._cache.get(model)
        if counter is not None:
            return counter
        choice = encoding_for_model(model)
        counter = cls(model, get_encoding(choice.name), exact=choice.exact)
        with cls._cache_lock:
            return cls._cache.setdefault(model, counter)

    def count_text(self, text: str) -> int:
        """Exact for text without a run longer than ``LONG_RUN_CHUNK``; never less than exact otherwise.

        Each cut inside a long run adds its own effect (-3 to +6 measured) and
        ``CUT_MARGIN_TOKENS``: about +0.2 % on a 1.5 MB base64 string (docs/benchmarks.md).
        """
        cuts = self._cuts(text)
        if not cuts:
            return self._exact_count(text)
        bounds = [0, *cuts, len(text)]
        segments = sum(self._exact_count(text[start:end]) for start, end in itertools.pairwise(bounds))
        return segments + CUT_MARGIN_TOKENS * len(cuts)

    def _exact_count(self, text: str) -> int:
        # encode_ordinary: "<|endoftext|>" typed by a user is text, not a special token.
        return len(self._encoding.encode_ordinary(text))

    def _cuts(self, text: str) -> list[int]:
        """Where count_text cuts ``text``: every ``chunk`` characters from the start of each long run.

        Cuts depend only on where a run starts, so a prefix of ``text`` is cut at the same places
        (those inside it): truncate_to relies on that.
        """
        if len(text) <= self._chunk:
            return []
        runs: list[tuple[int, int]] = []
        leading = self._leading_run.match(text)
        if leading:
            runs.append((0, leading.end()))
        for pattern, offset in self._run_patterns:
            runs.extend((match.start() + offset, match.end()) for match in pattern.finditer(text))
        return sorted(cut for start, end in runs for cut in range(start + self._chunk, end, self._chunk))

    def count_message(self, role: str | Role, content: str, name: str | None = None) -> int:
        """Tokens one message costs, its per-message overhead included."""
        tokens = MESSAGE_OVERHEAD_TOKENS + self.count_text(str(role)) + self.count_text(content)
        if name:
            tokens += self.count_text(name) + NAME_OVERHEAD_TOKENS
        return tokens

    def count_messages(self, messages: Sequence[Mapping[str, str]] | Sequence[ChatMessage]) -> int:
        """Prompt tokens of a whole request, the reply priming included."""
        total = REPLY_PRIMING_TOKENS
        for message in messages:
            if isinstance(message, ChatMessage):
                total += self.count_message(message.role, message.content)
            else:
                total += self.count_message(message["role"], message.get("content") or "", message.get("name"))
        return total

    def truncate_to(self, text: str, max_tokens: int) -> str:
        """The longest prefix of ``text`` we can find whose ``count_text`` is at most ``max_tokens``."""
        if max_tokens <= 0:
            return ""
        # Segment by segment, as count_text counts: encoding a 1.5 MB run whole just to cut it
        # would cost what chunking saves, and a prefix ending in segment k counts segments 0..k-1,
        # a margin per cut and the exact count of its part of segment k.
        bounds = [0, *self._cuts(text), len(text)]
        used = 0
        for index, (start, end) in enumerate(itertools.pairwise(bounds)):
            margin = CUT_MARGIN_TOKENS if index else 0
            segment = text[start:end]
            tokens = self._encoding.encode_ordinary(segment)
            if used + margin + len(tokens) > max_tokens:
                return text[:start] + self._truncate_segment(segment, tokens, max_tokens - used - margin)
            used += margin + len(tokens)
        return text

    def _truncate_segment(self, text: str, tokens: list[int], max_tokens: int) -> str:
        keep = max_tokens
        while keep > 0:
            # A token may end inside a multi-byte character: drop the partial tail.
            prefix = self._encoding.decode_bytes(tokens[:keep]).decode("utf-8", errors="ignore")
            # Re-encoding a cut string can merge differently, so check, not assume.
            if self._exact_count(prefix) <= max_tokens:
                return prefix
            keep -= 1
        return ""


# --- calibration --------------------------------------------------------------

_MIN_RATIO = 0.5
_MAX_RATIO = 2.0
# Average the first samples evenly, then follow drift with this weight.
_MIN_WEIGHT = 0.2


@dataclass(frozen=True, slots=True)
class Calibration:
    """How far a model's reported prompt tokens run from our estimate, as a ratio."""

    ratio: float = 1.0
    samples: int = 0

    def updated(self, estimate: int, reported: int) -> Calibration:
        """This calibration after one request we estimated and the provider reported."""
        if estimate <= 0 or reported <= 0:
            return self
        weight = max(1.0 / (self.samples + 1), _MIN_WEIGHT)
        ratio = self.ratio + weight * (reported / estimate - self.ratio)
        return Calibration(min(max(ratio, _MIN_RATIO), _MAX_RATIO), self.samples + 1)

    def calibrated(self, estimate: int) -> int:
        # Round up: overestimating costs a little room, underestimating a failed request.
        return math.ceil(round(estimate * self.ratio, 6))


class Calibrations:
    """One ``Calibration`` per model name."""

    def __init__(self) -> None:
        self._by_model: dict[str, Calibration] = {}

    def get(self, model: str) -> Calibration:
        return self._by_model.get(model, Calibration())

    def observe(self, model: str, estimate: int, reported: int) -> Calibration:
        calibration = self.get(model).updated(estimate, reported)
        self._by_model[model] = calibration
        return calibration

    def calibrated(self, model: str, estimate: int) -> int:
        return self.get(model).calibrated(estimate)
