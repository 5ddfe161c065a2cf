"""Keep API keys and other secrets out of log lines.

Two layers: exact occurrences of secrets we know about (registered once a key
is loaded, or passed in) and patterns for anything that merely looks like a
credential, so a key we never saw (pasted into a base URL, echoed in a server
error) is caught too. Patterns are deliberately conservative: over-redacting a
log line costs little, but eating ordinary words or ids makes logs useless.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Iterable

__all__ = [
    "MIN_SECRET_LENGTH",
    "REDACTED",
    "RedactingFilter",
    "clear_registered_secrets",
    "redact",
    "register_secret",
]

REDACTED = "[REDACTED]"

# Shorter strings would shred ordinary text ("abc" occurs everywhere).
MIN_SECRET_LENGTH = 4

# Characters a token may be made of: base64/base64url, JWT dots, url-safe extras.
_TOK = r"[A-Za-z0-9._~+/=-]"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Well-known key shapes in one pass. OpenAI-style keys (sk-..., sk-proj-...,
    # sk-ant-...) need a digit and 20+ characters, so "sk-learn-style-names" and a
    # bare "sk-" stay; then Google, GitHub, Hugging Face, Groq and Slack tokens.
    (
        re.compile(
            r"\b(?:sk-(?=[A-Za-z_-]*\d)[A-Za-z0-9_-]{20,}|AIza[0-9A-Za-z_-]{30,}|gh[pousr]_[A-Za-z0-9]{30,}"
            r"|hf_[A-Za-z0-9]{30,}|gsk_[A-Za-z0-9]{30,}|xox[abprs]-[A-Za-z0-9-]{10,})"
        ),
        REDACTED,
    ),
    # An Authorization header's value is a credential whatever its shape.
    (
        re.compile(r"(?i)(\bauthorization[\"']?\s*[:=]\s*[\"']?(?:(?:bearer|basic|token)\s+)?)[^\s\"',;}]+"),
        r"\1" + REDACTED,
    ),
    # "Bearer <token>" outside a header; 16+ characters so "Bearer of bad news" survives.
    (re.compile(rf"(?i)(\bbearer\s+){_TOK}{{16,}}"), r"\1" + REDACTED),
    # name=value / "name": "value" where the name ends in a credential word
    # (OPENAI_API_KEY=..., "client_secret": "...", access_token=...). The
    # lookahead lets the engine skip most positions cheaply.
    (
        re.compile(rf"(?i)(?=[kKtTsSpP])((?:key|token|secret|passw(?:or)?d)[\"']?\s*[:=]\s*[\"']?){_TOK}{{8,}}"),
        r"\1" + REDACTED,
    ),
    # Credentials embedded in a URL: scheme://user:password@host
    (re.compile(r"(://[^/\s:@]+:)[^/\s@]+(?=@)"), r"\1" + REDACTED),
)

# Bounds the (practically never needed) passes that undo a secret re-forming
# around a marker, e.g. a secret that itself contains "ED]".
_MAX_PASSES = 4


class _Registry:
    """Secrets known to the whole process.

    ``state`` (secrets, their pattern) is replaced as one tuple, so a reader
    never sees a pattern that does not match its set, and needs no lock.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.state: tuple[frozenset[str], re.Pattern[str] | None] = (frozenset(), None)


_registry = _Registry()


@functools.lru_cache(maxsize=32)
def _compile(secrets: frozenset[str]) -> re.Pattern[str] | None:
    # Longest first, so a secret that contains another is removed whole.
    ordered = sorted(secrets, key=len, reverse=True)
    if not ordered:
        return None
    return re.compile("|".join(re.escape(s) for s in ordered))


def _usable(secrets: Iterable[str]) -> frozenset[str]:
    found: set[str] = set()
    for secret in secrets:
        for variant in (secret, secret.strip()):
            if len(variant) >= MIN_SECRET_LENGTH:
                found.add(variant)
    return frozenset(found)


def register_secret(secret: str) -> None:
    """Redact ``secret`` from every log line and every ``redact()`` call from now on.

    Secrets shorter than ``MIN_SECRET_LENGTH`` are ignored: they cannot be
    redacted without mangling ordinary text.
    """
    new = _usable((secret,))
    if not new:
        return
    with _registry.lock:
        known = _registry.state[0]
        if new <= known:
            return
        secrets = known | new
        # Not through the cache: the registry only grows, each set is used once.
        _registry.state = (secrets, _compile.__wrapped__(secrets))


def clear_registered_secrets() -> None:
    """Forget every registered secret (for tests; the app never forgets a key it saw)."""
    with _registry.lock:
        _registry.state = (frozenset(), None)


def _apply(text: str, known: re.Pattern[str] | None, extra: re.Pattern[str] | None) -> str:
    if known is not None:
        text = known.sub(REDACTED, text)
    if extra is not None:
        text = extra.sub(REDACTED, text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Return ``text`` with known secrets and key-shaped strings replaced by ``[REDACTED]``.

    ``secrets`` adds to the registered ones for this call only.
    """
    registered, known = _registry.state
    extra_set = _usable(secrets)
    # Cached: a RedactingFilter passes the same few secrets for every record.
    extra = _compile(extra_set) if extra_set else None
    result = _apply(text, known, extra)
    everything = registered | extra_set
    for _ in range(_MAX_PASSES):
        if not any(s in result for s in everything):
            return result
        result = _apply(result, known, extra)
    # A secret keeps re-forming around the marker; drop the whole text rather than leak it.
    return REDACTED


class RedactingFilter(logging.Filter):
    """Redact secrets from a record's message, arguments, traceback and stack.

    Attach it to *handlers* (``handler.addFilter(RedactingFilter())``): a
    logger's own filters do not see records propagated from child loggers.
    The record is changed in place, so every handler after this one sees the
    redacted text too.
    """

    def __init__(self, secrets: Iterable[str] = (), name: str = "") -> None:
        super().__init__(name)
        self._secrets = tuple(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # malformed %-args: still log something, but never raw
            message = f"{record.msg} [unformattable arguments: {record.args!r}]"
        record.msg = redact(message, self._secrets)
        record.args = None
        if record.exc_info is not None:
            if not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            # Without exc_info, no later formatter can re-render the raw traceback.
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self._secrets)
        return True
