"""The streaming reader of JSON lists: elements cut across reads, numbers, errors found early, the size cap."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from desktop_chat.core.importers import jsonstream
from desktop_chat.core.importers.jsonstream import JSONStreamError, iter_array


class Reads(io.StringIO):
    """Counts how much was read, to show a malformed start is refused without reading the rest."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.read_chars = 0

    def read(self, size: int | None = -1) -> str:
        chunk = super().read(size)
        self.read_chars += len(chunk)
        return chunk


@pytest.fixture(autouse=True)
def tiny_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonstream, "CHUNK_CHARS", 7)  # every element is cut across reads


@pytest.mark.parametrize(
    "value",
    [
        [{"title": 'é \\u00e9 "quoted"', "n": [1, 2.5, -3e2]}, {}, {"deep": {"a": [True, False, None]}}],
        [12345678901234, 0.000123, "a string", True, None],
        [],
    ],
)
def test_elements_come_out_as_json_loads_reads_them(value: list[Any]) -> None:
    text = json.dumps(value, indent=1)

    assert list(iter_array(io.StringIO(f" \n{text}\n "), max_item_chars=1 << 20)) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1}', "is not a JSON list"),
        ('[{"a": 1} {"b": 2}]', "expected ',' after element 0"),
        ('[{"a": 1}, {"b": ', "is not valid JSON in element 1"),
        ("[1, 2", "ends in the middle of the list"),
        ("[1] trailing", "has text after the end of the list"),
    ],
)
def test_what_is_wrong_is_said(text: str, message: str) -> None:
    with pytest.raises(JSONStreamError, match=message):
        list(iter_array(io.StringIO(text), max_item_chars=1 << 20))


def test_an_error_early_in_an_element_is_refused_without_reading_to_the_end() -> None:
    stream = Reads('[{"a": nope, "filler": "' + "x" * 100_000 + '"}]')

    with pytest.raises(JSONStreamError, match="element 0"):
        list(iter_array(stream, max_item_chars=1 << 20))
    assert stream.read_chars < 1000


def test_an_element_over_the_cap_is_refused_before_it_is_buffered_whole() -> None:
    stream = Reads('[{"a": "' + "x" * 100_000 + '"}]')

    with pytest.raises(JSONStreamError, match=r"element \(number 0\) larger than 1,000 characters"):
        list(iter_array(stream, max_item_chars=1000))
    assert stream.read_chars < 5000
