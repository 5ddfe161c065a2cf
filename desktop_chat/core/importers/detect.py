"""Which kind of export a file is, decided from its shape, and its conversations in the app's own document shape.

ChatGPT: a list of conversations with a ``mapping``; Claude: a list with
``chat_messages``; the app's own export and the minimal shape: an object with a
``sessions`` list. Anything else is refused with one line saying what was
expected and what was found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from desktop_chat.core.errors import ImportFormatError
from desktop_chat.core.importers import chatgpt, claude
from desktop_chat.core.importers.clean import Cleaner
from desktop_chat.core.importers.common import iso
from desktop_chat.core.importers.jsonstream import JSONStreamError, iter_array
from desktop_chat.core.importers.source import MAX_ITEM_CHARS, Source, refuse

CHATGPT, CLAUDE, DESKTOP_CHAT = "chatgpt", "claude", "desktop-chat"
LABELS = {CHATGPT: "ChatGPT export", CLAUDE: "Claude export", DESKTOP_CHAT: "Desktop Chat export"}
# What a JSON file must look like, said when one does not.
SHAPES = (
    'the file must be a list of conversations (each with "mapping" or "chat_messages") '
    'or an object with a "sessions" list'
)


def _keys(value: dict[str, Any]) -> str:
    keys = sorted(repr(str(k)) for k in value)
    return ", ".join(keys[:6]) + (", ..." if len(keys) > 6 else "")


def _object(value: dict[str, Any]) -> str:
    return f"a JSON object with keys {_keys(value)}" if value else "an empty JSON object"


def _kind_of(item: Any) -> str | None:
    if isinstance(item, dict):
        if isinstance(item.get("mapping"), dict):
            return CHATGPT
        if isinstance(item.get("chat_messages"), list):
            return CLAUDE
    return None


def _found(item: Any) -> str:
    if isinstance(item, dict):
        return f"a JSON list of objects with keys {_keys(item)}" if item else "a JSON list of empty objects"
    return f"a JSON list of {type(item).__name__} values"


@dataclass
class Export:
    """A recognised export: its kind, and a way to walk its conversations as app sessions (validating each)."""

    kind: str
    source: Source
    document: dict[str, Any] | None = None  # the app's own shape, read whole
    _items: list[Any] | None = None  # conversations already in memory (a wrapped or single conversation)
    _memories: chatgpt.Memories = field(default_factory=chatgpt.Memories)
    _latest: str | None = None

    @property
    def label(self) -> str:
        return LABELS[self.kind]

    def _raw(self, *, count: bool) -> Iterator[Any]:
        """The conversations as parsed, cleaned (``clean``); ``count``: add the replaced characters to the source's."""
        if self._items is not None:
            yield from self._items  # read whole, cleaned then
            return
        cleaner = self.source.cleaner if count else Cleaner()
        try:
            with self.source.open() as stream:
                for index, item in enumerate(iter_array(stream, max_item_chars=MAX_ITEM_CHARS)):
                    yield cleaner.checked(item, f"{self.source.name} (conversation {index})")
        except JSONStreamError as exc:
            raise ImportFormatError(f"Cannot import {self.source.name}: it {exc}; nothing was imported.") from None
        except UnicodeDecodeError:
            raise ImportFormatError(
                f"Cannot import {self.source.name}: it is not UTF-8 text; nothing was imported."
            ) from None

    def sessions(self, *, gather: bool = False) -> Iterator[dict[str, Any]]:
        """Every conversation as a session of the app's document, in file order; raises on a malformed one.

        ``gather``: also collect the facts the conversations carry (``facts()`` after the walk).
        """
        convert: Callable[[Any, int, str], dict[str, Any]] = chatgpt.convert if self.kind == CHATGPT else claude.convert
        for index, raw in enumerate(self._raw(count=gather)):
            session = convert(raw, index, self.source.name)
            if gather:
                if self.kind == CHATGPT:
                    self._memories.observe(raw)
                when = session.get("updated_at")
                if isinstance(when, str) and (self._latest is None or when > self._latest):
                    self._latest = when
            yield session

    def facts(self) -> list[dict[str, Any]]:
        """Pending facts (custom instructions, memories); complete after ``sessions(gather=True)`` ran to the end."""
        if self.kind == CHATGPT:
            return self._memories.facts()
        return claude.facts(self.source.side, iso(self._latest))


def detect(source: Source) -> Export:  # noqa: PLR0912 - one branch per shape
    """What ``source`` holds; raises ``ImportFormatError`` (one line, nothing written) when it is not an export."""
    try:
        with source.open() as stream:
            head = stream.read(4096).lstrip("\ufeff \t\r\n")[:1]
    except UnicodeDecodeError:
        raise refuse(source.name, "a file that is not UTF-8 text") from None
    if head == "{":
        data = source.load_whole()
        if isinstance(data.get("sessions"), list):
            return Export(DESKTOP_CHAT, source, document=data)
        if isinstance(data.get("conversations"), list):  # some tools wrap the list
            items = data["conversations"]
            kind = _kind_of(items[0]) if items else None
            if kind is not None:
                return Export(kind, source, _items=items)
        kind = _kind_of(data)
        if kind is not None:  # one conversation on its own
            return Export(kind, source, _items=[data])
        raise refuse(source.name, f"{_object(data)}; {SHAPES}")
    if head != "[":
        raise refuse(source.name, "text that is not JSON" if head else "an empty file")
    first: Any = None
    empty = True
    try:
        with source.open() as stream:
            for item in iter_array(stream, max_item_chars=MAX_ITEM_CHARS):
                first, empty = item, False
                break
    except JSONStreamError as exc:
        raise ImportFormatError(f"Cannot import {source.name}: it {exc}; nothing was imported.") from None
    except UnicodeDecodeError:
        raise refuse(source.name, "a file that is not UTF-8 text") from None
    if empty:
        side = source.side
        if "user.json" in side:
            return Export(CHATGPT, source)
        if "users.json" in side or "memories.json" in side:
            return Export(CLAUDE, source)
        raise refuse(source.name, f"an empty JSON list; {SHAPES}")
    kind = _kind_of(first)
    if kind is None:
        raise refuse(source.name, f"{_found(first)}; {SHAPES}")
    return Export(kind, source)
