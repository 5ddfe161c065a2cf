"""Token counting: offline, frozen-safe, and matching what OpenAI bills."""

from __future__ import annotations

import hashlib
import random
import shutil
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tiktoken
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_chat.core import tokens
from desktop_chat.core.errors import DesktopChatError
from desktop_chat.core.models import ChatMessage, Role
from desktop_chat.core.resources import resources_dir
from desktop_chat.core.tokens import (
    CL100K_BASE,
    CUT_MARGIN_TOKENS,
    LONG_RUN_CHUNK,
    O200K_BASE,
    Calibration,
    Calibrations,
    EncodingChoice,
    ModelLimits,
    TokenCounter,
    encoding_for_model,
    get_encoding,
    load_encoding_from,
    model_limits,
)

BUNDLED = resources_dir() / "tiktoken"
SHA256 = {
    O200K_BASE: "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    CL100K_BASE: "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
}

# The example conversation of the OpenAI cookbook "How to count tokens with tiktoken".
COOKBOOK_MESSAGES: list[dict[str, str]] = [
    {
        "role": "system",
        "content": "You are a helpful, pattern-following assistant that translates corporate jargon "
        "into plain English.",
    },
    {
        "role": "system",
        "name": "example_user",
        "content": "New synergies will help drive top-line growth.",
    },
    {
        "role": "system",
        "name": "example_assistant",
        "content": "Things working well together will increase revenue.",
    },
    {
        "role": "system",
        "name": "example_user",
        "content": "Let's circle back when we have more bandwidth to touch base on opportunities "
        "for increased leverage.",
    },
    {
        "role": "system",
        "name": "example_assistant",
        "content": "Let's talk later when we're less busy about how to do better.",
    },
    {
        "role": "user",
        "content": "This late pivot means we don't have time to boil the ocean for the client deliverable.",
    },
]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Any connection attempt fails, and tiktoken's download cache is an empty dir."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"network used: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    cache = tmp_path / "tiktoken-cache"
    cache.mkdir()
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
    return cache


@pytest.fixture
def fresh_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget every loaded encoding and counter, so the test loads them itself."""
    monkeypatch.setattr(tokens, "_encodings", {})
    monkeypatch.setattr(TokenCounter, "_cache", {})


# --- the bundled files ----------------------------------------------------------


@pytest.mark.parametrize("name", [O200K_BASE, CL100K_BASE])
def test_bundled_files_are_the_published_encodings(name: str) -> None:
    data = (BUNDLED / f"{name}.tiktoken").read_bytes()
    assert hashlib.sha256(data).hexdigest() == SHA256[name]


def test_readme_records_the_hashes() -> None:
    readme = (BUNDLED / "README.md").read_text(encoding="utf-8")
    assert SHA256[O200K_BASE] in readme
    assert SHA256[CL100K_BASE] in readme


@pytest.mark.usefixtures("fresh_caches")
def test_loads_and_counts_with_no_network_and_writes_no_cache(no_network: Path) -> None:
    counter = TokenCounter.for_model("gpt-4o")
    assert counter.count_text("hello world") == 2
    assert TokenCounter.for_model("gpt-4").count_messages(COOKBOOK_MESSAGES) == 129
    assert list(no_network.iterdir()) == []


@pytest.mark.usefixtures("fresh_caches")
def test_frozen_bundle_is_found_under_meipass(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(BUNDLED, bundle / "resources" / "tiktoken")
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    assert resources_dir() == bundle / "resources"
    (BUNDLED_COPY := bundle / "resources" / "tiktoken" / f"{CL100K_BASE}.tiktoken").unlink()
    # Proves the bundle, not the checkout, is read: the checkout still has the file.
    with pytest.raises(DesktopChatError, match="reinstall"):
        get_encoding(CL100K_BASE)
    assert not BUNDLED_COPY.exists()
    assert get_encoding(O200K_BASE).encode_ordinary("hello world") == [24912, 2375]


SAMPLES = (
    "Hello, world! How's it going?",
    "def f(x: int) -> int:\n    return x ** 2  # squares\n",
    "Grüße aus Köln, 東京からこんにちは, здравствуйте 👋🏽",
    "    indented\t\ttabs and   spaces\n\n\nnewlines",
)


def read_bundled_ranks(name: str) -> dict[bytes, int]:
    from desktop_chat.core import tokens

    return tokens._read_ranks(tokens.encoding_path(name, BUNDLED), tokens._spec(name).sha256)


@pytest.mark.parametrize("name", [O200K_BASE, CL100K_BASE])
def test_same_encoding_as_tiktokens_own(name: str, no_network: Path) -> None:
    # Seed tiktoken's cache the way its downloader would, then let it build the encoding.
    url = f"https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
    shutil.copy(BUNDLED / f"{name}.tiktoken", no_network / hashlib.sha1(url.encode()).hexdigest())
    from tiktoken_ext import openai_public  # type: ignore[import-untyped]

    theirs = getattr(openai_public, name)()
    ours = load_encoding_from(name, BUNDLED)
    assert ours._pat_str == theirs["pat_str"]
    assert ours._special_tokens == theirs["special_tokens"]
    # The ranks themselves (ours drops its Python copy once the tokenizer is built) ...
    assert read_bundled_ranks(name) == theirs["mergeable_ranks"]
    # ... and what the built tokenizers do with them.
    reference = tiktoken.Encoding(**theirs)
    assert ours.n_vocab == reference.n_vocab
    for text in SAMPLES:
        assert ours.encode(text) == reference.encode(text)


def test_missing_file_is_one_actionable_line(tmp_path: Path) -> None:
    with pytest.raises(DesktopChatError) as caught:
        load_encoding_from(O200K_BASE, tmp_path)
    message = str(caught.value)
    assert "o200k_base.tiktoken" in message
    assert "reinstall" in message
    assert "\n" not in message


def test_tampered_file_is_refused(tmp_path: Path) -> None:
    data = bytearray((BUNDLED / f"{CL100K_BASE}.tiktoken").read_bytes())
    data[100] ^= 0x01
    (tmp_path / f"{CL100K_BASE}.tiktoken").write_bytes(bytes(data))
    with pytest.raises(DesktopChatError) as caught:
        load_encoding_from(CL100K_BASE, tmp_path)
    message = str(caught.value)
    assert "cl100k_base.tiktoken" in message
    assert "damaged" in message
    assert "reinstall" in message
    assert "\n" not in message


@pytest.mark.usefixtures("fresh_caches")
def test_concurrent_first_use_loads_once(monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[str] = []
    real = tokens.load_encoding_from

    def counting(name: str, directory: Path) -> tiktoken.Encoding:
        loads.append(name)
        return real(name, directory)

    monkeypatch.setattr(tokens, "load_encoding_from", counting)
    results: list[tiktoken.Encoding] = []
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        results.append(get_encoding(O200K_BASE))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert loads == [O200K_BASE]
    assert len(results) == 8
    assert all(r is results[0] for r in results)


def test_importing_does_not_load_an_encoding() -> None:
    import subprocess

    code = (
        "import desktop_chat.core.tokens as t, sys; "
        "assert not t._encodings, t._encodings; "
        "assert 'tiktoken_ext.openai_public' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


# --- model -> encoding ------------------------------------------------------------

O200K_MODELS = [
    "gpt-4o",
    "gpt-4o-2024-08-06",
    "gpt-4o-mini",
    "chatgpt-4o-latest",
    "gpt-4.1",
    "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano",
    "gpt-4.5-preview",
    "gpt-5",
    "gpt-5-mini",
    "gpt-5-nano",
    "o1",
    "o1-mini",
    "o3",
    "o3-mini",
    "o4-mini",
    "openai/gpt-4o",
]
CL100K_MODELS = [
    "gpt-4",
    "gpt-4-0613",
    "gpt-4-32k",
    "gpt-4-turbo",
    "gpt-4-turbo-2024-04-09",
    "gpt-3.5-turbo",
    "gpt-3.5-turbo-0613",
    "gpt-35-turbo",
]


@pytest.mark.parametrize("model", O200K_MODELS)
def test_new_openai_models_use_o200k(model: str) -> None:
    assert encoding_for_model(model) == EncodingChoice(O200K_BASE, exact=True)


@pytest.mark.parametrize("model", CL100K_MODELS)
def test_gpt4_and_gpt35_use_cl100k(model: str) -> None:
    assert encoding_for_model(model) == EncodingChoice(CL100K_BASE, exact=True)


@pytest.mark.parametrize("model", O200K_MODELS[:-1] + CL100K_MODELS)
def test_agrees_with_tiktokens_model_table(model: str) -> None:
    assert encoding_for_model(model).name == tiktoken.model.encoding_name_for_model(model)


@pytest.mark.parametrize(
    "model", ["llama3.2:3b", "qwen2.5-7b-instruct", "SmolLM2-360M-Instruct", "gpt-oss-20b", "olmo-2"]
)
def test_other_models_are_estimated_with_o200k(model: str) -> None:
    assert encoding_for_model(model) == EncodingChoice(O200K_BASE, exact=False)
    assert TokenCounter.for_model(model).exact is False


# --- counting ------------------------------------------------------------------------


@pytest.mark.parametrize(("model", "expected"), [("gpt-4", 129), ("gpt-3.5-turbo-0613", 129), ("gpt-4o", 124)])
def test_cookbook_conversation(model: str, expected: int) -> None:
    assert TokenCounter.for_model(model).count_messages(COOKBOOK_MESSAGES) == expected


def test_counter_describes_itself() -> None:
    counter = TokenCounter.for_model("gpt-4-0613")
    assert (counter.model, counter.encoding_name, counter.exact) == ("gpt-4-0613", CL100K_BASE, True)
    assert TokenCounter.for_model("gpt-4-0613") is counter


def test_known_text_counts() -> None:
    # The cookbook's example: [83, 1609, 5963, 374, 2294, 0] in cl100k_base.
    assert get_encoding(CL100K_BASE).encode_ordinary("tiktoken is great!") == [83, 1609, 5963, 374, 2294, 0]
    assert TokenCounter.for_model("gpt-4").count_text("tiktoken is great!") == 6
    assert TokenCounter.for_model("gpt-4o").count_text("hello world") == 2
    assert TokenCounter.for_model("gpt-4o").count_text("") == 0


def test_chat_messages_count_like_dicts() -> None:
    counter = TokenCounter.for_model("gpt-4o")
    chat = [ChatMessage(Role.SYSTEM, "Be brief."), ChatMessage(Role.USER, "Hi there")]
    assert counter.count_messages(chat) == counter.count_messages([m.to_openai() for m in chat])
    # 3 + "system" (1) + "Be brief." (3), 3 + "user" (1) + "Hi there" (2), + 3 priming.
    assert counter.count_messages(chat) == 16


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4"])
def test_typed_special_tokens_count_as_text(model: str) -> None:
    counter = TokenCounter.for_model(model)
    typed = "please ignore <|endoftext|> and <|endofprompt|> <|fim_prefix|>"
    assert counter.count_text(typed) > 6
    assert counter.count_message(Role.USER, typed) > counter.count_text(typed)
    assert counter.truncate_to(typed, 5) != ""


def test_name_costs_its_tokens_plus_one() -> None:
    counter = TokenCounter.for_model("gpt-4")
    without = counter.count_message("system", "New synergies.")
    assert counter.count_message("system", "New synergies.", name="example_user") == without + 2 + 1


ROLES = st.sampled_from(["system", "user", "assistant"])
MESSAGES = st.lists(
    st.tuples(ROLES, st.text(max_size=200), st.one_of(st.none(), st.from_regex(r"[a-z_]{1,12}", fullmatch=True))),
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(messages=MESSAGES, model=st.sampled_from(["gpt-4o", "gpt-4", "qwen3"]))
def test_count_messages_is_the_sum_of_its_messages(messages: list[tuple[str, str, str | None]], model: str) -> None:
    counter = TokenCounter.for_model(model)
    as_dicts = [
        {"role": role, "content": content, **({"name": name} if name else {})} for role, content, name in messages
    ]
    parts = sum(counter.count_message(role, content, name) for role, content, name in messages)
    assert counter.count_messages(as_dicts) == parts + 3


# --- truncation --------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=400), cap=st.integers(min_value=0, max_value=60))
def test_truncate_never_exceeds_the_cap_and_keeps_a_prefix(text: str, cap: int) -> None:
    counter = TokenCounter.for_model("gpt-4o")
    cut = counter.truncate_to(text, cap)
    assert counter.count_text(cut) <= cap
    assert text.startswith(cut)
    if counter.count_text(text) <= cap:
        assert cut == text


@pytest.mark.parametrize("text", ["word " * 500, "日本語のテキスト。" * 200, "🙂🚀 emoji " * 200])
def test_truncate_fills_the_cap(text: str) -> None:
    counter = TokenCounter.for_model("gpt-4o")
    cut = counter.truncate_to(text, 100)
    assert 95 <= counter.count_text(cut) <= 100


# --- long runs ---------------------------------------------------------------------

# Realistic characters of unbroken runs: base64, hex, URLs, minified code, letters, CJK, Cyrillic,
# accents, punctuation, whitespace. Runs are drawn from one alphabet so they get long.
RUN_ALPHABETS = [
    "abcdefghijklmnopqrstuvwxyz",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=",
    "0123456789abcdef",
    "abcdefghijklmnopqrstuvwxyz0123456789/_-.%=&?:",
    "function(){return!a.b?c:d};var_x=[1,2];if(y!==null)",
    "的一是不了人我在有他这为之大来以个中上们到说时地也子就道要出会可",
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "éèàçüößñabcdeÉ",
    "!@#$%^&*()-=+[]{};:,.<>/?_~|\\\"'`",
    " \t\n",
    " ",
]
RUNS = st.lists(
    st.tuples(st.sampled_from(RUN_ALPHABETS), st.integers(min_value=1, max_value=300), st.randoms()),
    min_size=1,
    max_size=6,
).map(lambda runs: "".join("".join(rnd.choices(alphabet, k=n)) for alphabet, n, rnd in runs))


def _exact(model: str, text: str) -> int:
    return len(get_encoding(encoding_for_model(model).name).encode_ordinary(text))


def _chunked_counter(model: str, chunk: int) -> TokenCounter:
    choice = encoding_for_model(model)
    return TokenCounter(model, get_encoding(choice.name), exact=choice.exact, chunk=chunk)


def _fastest(action: Callable[[], object], runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300), model=st.sampled_from(["gpt-4o", "gpt-4"]))
def test_ordinary_text_counts_exactly(text: str, model: str) -> None:
    assert TokenCounter.for_model(model).count_text(text) == _exact(model, text)


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4"])
def test_runs_up_to_the_chunk_length_count_exactly(model: str) -> None:
    counter = TokenCounter.for_model(model)
    prose = ("The quick brown fox jumps over the lazy dog; 42 times.\n\n" * 30_000)[:1_500_000]
    run = "".join(random.Random(3).choices("abcdefghijklmnopqrstuvwxyz", k=LONG_RUN_CHUNK))
    spaces = " " * LONG_RUN_CHUNK
    for text in (prose, run, f"see {run} and{spaces}then {run}"):
        assert counter._cuts(text) == []
        assert counter.count_text(text) == _exact(model, text)
    # One character more and the run is cut, once, at the chunk length.
    assert counter._cuts(f"see {run}x.") == [4 + LONG_RUN_CHUNK]
    assert counter._cuts(f"{spaces} x") == [LONG_RUN_CHUNK]


@settings(max_examples=200, deadline=None)
@given(text=RUNS, chunk=st.integers(min_value=1, max_value=64), model=st.sampled_from(["gpt-4o", "gpt-4"]))
def test_chunked_counts_never_undercount(text: str, chunk: int, model: str) -> None:
    counter = _chunked_counter(model, chunk)
    cuts = len(counter._cuts(text))
    exact = _exact(model, text)
    assert exact <= counter.count_text(text) <= exact + cuts * (CUT_MARGIN_TOKENS + 6)
    if cuts == 0:
        assert counter.count_text(text) == exact


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4"])
@pytest.mark.parametrize("alphabet", RUN_ALPHABETS)
def test_long_runs_of_realistic_text_count_within_the_bound(model: str, alphabet: str) -> None:
    rnd = random.Random(alphabet)
    text = "Attached: " + "".join(rnd.choices(alphabet, k=10 * LONG_RUN_CHUNK + 123)) + " -- end"
    counter = TokenCounter.for_model(model)
    cuts = len(counter._cuts(text))
    exact = _exact(model, text)
    assert cuts == 10
    assert exact <= counter.count_text(text) <= exact + cuts * (CUT_MARGIN_TOKENS + 6)


def test_a_long_unbroken_string_counts_about_as_fast_as_ordinary_text() -> None:
    # Issue 19 item 11: 1.5 MB without a space took tiktoken 1-3.5 s here, five to twenty times
    # as long as base64 of the same size (short pieces, linear). Timing against that on the same
    # machine, not against a wall-clock figure, keeps the test meaningful on a slow or busy box.
    counter = TokenCounter.for_model("gpt-4o")
    rnd = random.Random(11)
    unbroken = "".join(rnd.choices("abcdefghijklmnopqrstuvwxyz", k=1_500_000))
    ordinary = "".join(rnd.choices(RUN_ALPHABETS[1], k=1_500_000))  # base64: regex splits it finely
    assert _fastest(lambda: counter.count_text(unbroken)) < 3 * _fastest(lambda: counter.count_text(ordinary))


def test_a_megabyte_of_spaces_is_counted_not_a_panic() -> None:
    # Encoded whole, about 1 M spaces overflow the regex stack in tiktoken's Rust code: a
    # PanicException, which derives from BaseException and would escape every ``except Exception``.
    counter = TokenCounter.for_model("gpt-4o")
    text = "a" + " " * 1_500_000 + "b"
    assert 2 < counter.count_text(text) < len(text) // 50
    cut = counter.truncate_to(text, 100)
    assert text.startswith(cut)
    assert 90 <= counter.count_text(cut) <= 100


@settings(max_examples=200, deadline=None)
@given(
    text=RUNS,
    chunk=st.integers(min_value=1, max_value=64),
    cap=st.integers(min_value=0, max_value=200),
    model=st.sampled_from(["gpt-4o", "gpt-4"]),
)
def test_truncating_text_with_long_runs_stays_under_the_cap(text: str, chunk: int, cap: int, model: str) -> None:
    # truncate_to cuts by the same segments count_text counts, so the count of the prefix it
    # returns, chunking and margins included, must be within the cap.
    counter = _chunked_counter(model, chunk)
    cut = counter.truncate_to(text, cap)
    assert text.startswith(cut)
    assert counter.count_text(cut) <= cap
    if counter.count_text(text) <= cap:
        assert cut == text
    else:
        # Nearly full: what is left is less than the next token and a cut's margin.
        assert counter.count_text(cut) >= cap - CUT_MARGIN_TOKENS - 8


def test_truncating_a_long_unbroken_string_is_fast_and_fills_the_cap() -> None:
    counter = TokenCounter.for_model("gpt-4o")
    rnd = random.Random(12)
    unbroken = "".join(rnd.choices("abcdefghijklmnopqrstuvwxyz", k=1_500_000))
    ordinary = "".join(rnd.choices(RUN_ALPHABETS[1], k=1_500_000))
    cut = counter.truncate_to(unbroken, 8_000)
    assert unbroken.startswith(cut)
    assert 8_000 - CUT_MARGIN_TOKENS - 8 <= counter.count_text(cut) <= 8_000
    assert _fastest(lambda: counter.truncate_to(unbroken, 8_000)) < 3 * _fastest(lambda: counter.count_text(ordinary))


# --- limits --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "limits"),
    [
        ("gpt-4o", ModelLimits(128_000, 16_384)),
        ("gpt-4o-2024-08-06", ModelLimits(128_000, 16_384)),
        ("gpt-4o-mini-2024-07-18", ModelLimits(128_000, 16_384)),
        ("gpt-4.1-mini-2025-04-14", ModelLimits(1_047_576, 32_768)),
        ("gpt-4.5-preview", ModelLimits(128_000, 16_384)),
        ("gpt-5-nano-2025-08-07", ModelLimits(400_000, 128_000)),
        ("o1-2024-12-17", ModelLimits(200_000, 100_000)),
        ("o3-mini", ModelLimits(200_000, 100_000)),
        ("o4-mini", ModelLimits(200_000, 100_000)),
        ("gpt-4", ModelLimits(8_192, 8_192)),
        ("gpt-4-0613", ModelLimits(8_192, 8_192)),
        ("gpt-4-32k-0613", ModelLimits(32_768, 32_768)),
        ("gpt-4-turbo-2024-04-09", ModelLimits(128_000, 4_096)),
        ("gpt-3.5-turbo-0125", ModelLimits(16_385, 4_096)),
        ("openai/gpt-4o", ModelLimits(128_000, 16_384)),
    ],
)
def test_limits_of_known_models_and_dated_variants(model: str, limits: ModelLimits) -> None:
    assert model_limits(model) == limits


@pytest.mark.parametrize("model", ["llama3.2:3b", "qwen2.5-7b-instruct", "mistral-small", ""])
def test_unknown_models_have_no_limits(model: str) -> None:
    assert model_limits(model) is None


# --- calibration -------------------------------------------------------------------


def test_calibration_converges_on_the_true_ratio() -> None:
    calibration = Calibration()
    for i in range(40):
        estimate = 500 + 37 * i
        noise = 1 + (0.02 if i % 2 else -0.02)
        calibration = calibration.updated(estimate, round(estimate * 1.25 * noise))
    assert abs(calibration.calibrated(1000) - 1250) <= 25
    assert calibration.samples == 40


def test_calibration_is_clamped_and_ignores_empty_samples() -> None:
    calibration = Calibration()
    assert calibration.calibrated(1000) == 1000
    assert calibration.updated(0, 50) == calibration
    assert calibration.updated(50, 0) == calibration
    for _ in range(10):
        calibration = calibration.updated(100, 10_000)
    assert calibration.ratio == 2.0
    for _ in range(30):
        calibration = calibration.updated(10_000, 100)
    assert calibration.ratio == 0.5


def test_calibration_rounds_up() -> None:
    assert Calibration(ratio=1.001, samples=1).calibrated(100) == 101
    assert Calibration(ratio=1.3, samples=1).calibrated(1000) == 1300


def test_calibrations_are_kept_per_model() -> None:
    book = Calibrations()
    for _ in range(10):
        book.observe("llama3", 1000, 1200)
    assert book.calibrated("llama3", 1000) == 1200
    assert book.calibrated("gpt-4o", 1000) == 1000
