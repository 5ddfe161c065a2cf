"""Secrets never reach a log file; ordinary text does, unchanged."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_chat.core.redact import (
    REDACTED,
    RedactingFilter,
    clear_registered_secrets,
    redact,
    register_secret,
)

OPENAI_KEY = "sk-test-fakeABCDEF0123456789abcdefghijklmn"
PROJECT_KEY = "sk-proj-test-fake_AbC123-dEf456_gHi789-jKl012mNo345"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.fake-test-signature_0123"


@pytest.fixture(autouse=True)
def _empty_registry() -> Iterator[None]:
    clear_registered_secrets()
    yield
    clear_registered_secrets()


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[tuple[logging.Logger, Path]]:
    """A real logger whose redacting handler writes to a file, as the app configures it."""
    path = tmp_path / "app.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger(f"desktop_chat.test.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield logger, path
    finally:
        logger.removeHandler(handler)
        handler.close()


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# --- log files -------------------------------------------------------------------


def test_key_shaped_strings_vanish_from_the_log_file(log_file: tuple[logging.Logger, Path]) -> None:
    logger, path = log_file
    logger.info("using key %s for %s", OPENAI_KEY, "https://api.example.test/v1")
    logger.info("project key in the message itself: %s", PROJECT_KEY)
    logger.warning("headers: {'Authorization': 'Bearer %s'}", JWT)
    logger.debug("request to https://user:hunter2hunter2@example.test/v1 failed")
    logger.debug('settings dump {"api_key": "abcdefgh12345678", "model": "gpt-4o-mini"}')

    text = _read(path)
    for secret in (OPENAI_KEY, PROJECT_KEY, JWT, "hunter2hunter2", "abcdefgh12345678"):
        assert secret not in text
    assert text.count(REDACTED) == 5
    # What is not secret stays readable.
    assert "https://api.example.test/v1" in text
    assert '"model": "gpt-4o-mini"' in text
    assert "example.test/v1 failed" in text


def test_registered_secret_vanishes_even_without_a_key_shape(log_file: tuple[logging.Logger, Path]) -> None:
    logger, path = log_file
    secret = "correct horse battery staple"
    logger.info("before registering: %s", "nothing to hide")
    register_secret(secret)
    logger.info("the user's key is %s", secret)
    logger.info("again, %r", {"key": secret})

    text = _read(path)
    assert secret not in text
    assert "nothing to hide" in text
    assert text.count(REDACTED) == 2


def test_secret_vanishes_from_logged_exception_tracebacks(log_file: tuple[logging.Logger, Path]) -> None:
    logger, path = log_file
    hidden = "local-model-token-with-no-shape"
    register_secret(hidden)

    def connect(api_key: str) -> None:
        raise ConnectionError(f"server refused {api_key} and also {hidden}")

    try:
        connect(OPENAI_KEY)
    except ConnectionError:
        logger.exception("sending failed")

    text = _read(path)
    assert "Traceback (most recent call last)" in text
    assert "ConnectionError: server refused" in text
    assert "sending failed" in text
    assert OPENAI_KEY not in text
    assert hidden not in text


def test_secret_vanishes_from_stack_info(log_file: tuple[logging.Logger, Path]) -> None:
    logger, path = log_file
    logger.info("where am I (%s)", OPENAI_KEY, stack_info=True)
    text = _read(path)
    assert "Stack (most recent call last)" in text
    assert OPENAI_KEY not in text


def test_malformed_arguments_are_still_logged_and_redacted(log_file: tuple[logging.Logger, Path]) -> None:
    logger, path = log_file
    logger.info("two placeholders %s %s but one argument", OPENAI_KEY)  # noqa: PLE1206
    text = _read(path)
    assert "two placeholders" in text
    assert OPENAI_KEY not in text


def test_filter_redacts_for_every_handler_after_it(tmp_path: Path) -> None:
    # The record is changed in place, so a second handler without the filter is safe too.
    logger = logging.getLogger(f"desktop_chat.test.{uuid.uuid4().hex}")
    logger.propagate = False
    first = logging.FileHandler(tmp_path / "a.log", encoding="utf-8")
    first.addFilter(RedactingFilter())
    second = logging.FileHandler(tmp_path / "b.log", encoding="utf-8")
    logger.addHandler(first)
    logger.addHandler(second)
    try:
        logger.error("key=%s", OPENAI_KEY)
    finally:
        for handler in (first, second):
            logger.removeHandler(handler)
            handler.close()
    assert OPENAI_KEY not in (tmp_path / "b.log").read_text(encoding="utf-8")


# --- redact() ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "sk-",
        "the sk- prefix marks OpenAI keys",
        "a skeleton in the closet; task-1234 done; risk-free",
        "message 12345 in session 678, msg_abc123, id=42",
        "sklearn and sk-learn-style-package names",
        "max_tokens=4096 token_count: 118 temperature=0.7",
        "Bearer of bad news",
        "key: value, key=short",
        "https://api.openai.com/v1/chat/completions",
        "uuid 123e4567-e89b-12d3-a456-426614174000",
        "",
    ],
)
def test_ordinary_text_is_untouched(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        (f"key {OPENAI_KEY}.", OPENAI_KEY),
        (f"({PROJECT_KEY})", PROJECT_KEY),
        ("sk-ant-api03-test-fake0123456789abcdefABCDEF", "0123456789abcdefABCDEF"),
        (f"Authorization: Bearer {JWT}", JWT),
        ("authorization=Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
        ("OPENAI_API_KEY=local-llm-secret-1", "local-llm-secret-1"),
        ("password: 'hunter2hunter2'", "hunter2hunter2"),
        ("token=ghp_testfake0123456789abcdefghijklmnopqrstuv", "ghp_testfake0123456789"),
        ("hf_testfake0123456789abcdefghijklmnopq", "hf_testfake0123456789"),
    ],
)
def test_key_shaped_strings_are_redacted(text: str, gone: str) -> None:
    out = redact(text)
    assert gone not in out
    assert REDACTED in out


def test_secrets_passed_in_are_redacted_for_that_call_only() -> None:
    assert redact("my key is swordfish!", ["swordfish"]) == f"my key is {REDACTED}!"
    assert redact("my key is swordfish!") == "my key is swordfish!"


def test_short_secrets_are_ignored() -> None:
    register_secret("abc")
    assert redact("abcdef abc", ["xy"]) == "abcdef abc"


def test_secret_containing_another_is_removed_whole() -> None:
    register_secret("abcd")
    register_secret("abcdefgh")
    assert redact("x abcdefgh y") == f"x {REDACTED} y"


# --- the property -------------------------------------------------------------------

# A "secret" that is a piece of the marker itself ("REDA") shows up in every
# redacted line by construction, and reveals nothing.
secret_text = st.text(min_size=4, max_size=40).filter(lambda s: s not in REDACTED)


@settings(max_examples=300, deadline=None)
@given(before=st.text(max_size=60), secret=secret_text, after=st.text(max_size=60))
def test_a_secret_passed_in_never_survives(before: str, secret: str, after: str) -> None:
    assert secret not in redact(before + secret + after, [secret])


@settings(max_examples=300, deadline=None)
@given(before=st.text(max_size=60), secret=secret_text, after=st.text(max_size=60))
def test_a_registered_secret_never_survives(before: str, secret: str, after: str) -> None:
    clear_registered_secrets()
    try:
        register_secret(secret)
        assert secret not in redact(before + secret + after)
        assert secret not in redact(f"{before}{secret}{after}{secret}")
    finally:
        clear_registered_secrets()


def test_secret_that_reforms_around_the_marker_still_vanishes() -> None:
    # Replacing "ED]ab" in "ED]abab" leaves "[REDACTED]ab", which contains it again.
    out = redact("ED]abab", ["ED]ab"])
    assert "ED]ab" not in out
