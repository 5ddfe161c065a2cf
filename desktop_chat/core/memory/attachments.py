"""The files attached to the message being answered: whole when they fit, else the excerpts that answer it.

They are planned right after the instructions and the message itself, before any memory: a user who
attaches a file expects it read, so it wins over older messages, facts and the summary, but never over
the instructions (planned first, never cut). Each file is a part of its own (``PartKind.ATTACHMENT``), one
user message sent right before the message it belongs to (``ContextPlan.chat_messages``): a message per
file keeps every part's count exact and additive, and the user's own message stays what they typed.

* **Whole**, when the document fits what is left: "whole: 3,120 tokens".
* **Excerpts** otherwise, within ``EXCERPT_SHARE`` of what is left (the conversation keeps the rest, and what
  it leaves unused goes back to the excerpts at the end: ``grow_excerpts``): the
  document's chunks that match the message's words (full-text search, BM25, best first), then their
  neighbours, then the beginning, until the room is spent; sent in document order, each labelled
  "[report.pdf, page 12]". A message whose words pick out no chunk ("summarise this") gets the
  beginning (half the room) and excerpts spread evenly through the rest, and the reason says so.
  What is left out is an ``Omission`` with its tokens.
* **Images** go as image parts to a model that reads them (``attachments/vision.py``); to one that does
  not, they are left out with a notice (``ContextPlan.notices``) and an omission: never silently.

Meaning (the embedding model) is not used to rank excerpts: at ~20 ms a chunk, a 200,000-token
document (~700 chunks) would take ~14 s to embed; see docs/attachments.md, "Sending".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from desktop_chat.core.attachments.vision import Vision, counted_how, image_tokens, reads_images
from desktop_chat.core.image_content import ImageContent
from desktop_chat.core.memory.assembly import Assembly, Excerpted
from desktop_chat.core.memory.recall_search import query_words
from desktop_chat.core.models import Attachment, ChatMessage, ContextPart, Omission, PartKind, Role
from desktop_chat.core.storage.attachment_files import AttachmentFiles
from desktop_chat.core.storage.attachments import StoredChunk
from desktop_chat.core.storage.store import Store
from desktop_chat.core.tokens import TokenCounter

# Excerpts take at most this share of what is left after the instructions, the message and whole files.
EXCERPT_SHARE = 0.75
SEARCH_LIMIT = 400
# Excerpts grow into what memory left unused only when at least this much is.
GROW_MIN = 100
# Filling stops after this many chunks in a row did not fit.
MISSES = 8
# Words that ask for the whole document rather than name a part of it: they pick out no excerpt.
_GENERIC = """summarise summarize summary summarising summarizing document documents file files attached attachment
    attachments pdf docx read explain describe overview main points contents content text page pages
    report paper article give brief briefly short tldr review analyse analyze"""
GENERIC_WORDS = frozenset(_GENERIC.split())
_CACHE_SIZE = 4096


class _Counts:
    """Token counts of whole files and of chunks (immutable: keyed by content hash), per encoding."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str, int], int] = {}

    def get(self, counter: TokenCounter, key: tuple[str, int], text: str, *, message: bool = False) -> int:
        full = (counter.encoding_name, *key)
        tokens = self._counts.get(full)
        if tokens is None:
            if len(self._counts) >= _CACHE_SIZE:
                self._counts.clear()
            tokens = counter.count_message(Role.USER, text) if message else counter.count_text(text)
            self._counts[full] = tokens
        return tokens


_counts = _Counts()
# A document's chunks, by content hash (they never change): a preview per pause in typing reads them once.
_chunks: dict[str, list[StoredChunk]] = {}
_CHUNK_FILES = 4


def chunks_of(store: Store, sha256: str) -> list[StoredChunk]:
    found = _chunks.get(sha256)
    if found is None:
        found = store.attachments.chunks(sha256)
        if len(_chunks) >= _CHUNK_FILES:
            _chunks.pop(next(iter(_chunks)))
        if found:  # none yet: the file's row may still be on its way
            _chunks[sha256] = found
    return found


@dataclass(frozen=True, slots=True)
class Seeing:
    """What the request's model does with images, and where the stored copies are."""

    model: str
    builtin: bool = False  # the app's own starter model: text-only
    folder: Path | None = None  # the data folder (None: no stored copies to read)


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def whole_text(attachment: Attachment) -> str:
    return f"{attachment.name} (attached{_units(attachment)}):\n\n{attachment.text or ''}"


def whole_tokens(counter: TokenCounter, attachment: Attachment) -> int:
    """A document's whole message, counted once per file and encoding."""
    return _counts.get(counter, (attachment.sha256, -1), whole_text(attachment), message=True)


def image_label(attachment: Attachment) -> str:
    return f"{attachment.name} (attached image, {attachment.width or 1}x{attachment.height or 1} px)"


def cost_whole(attachment: Attachment, model: str) -> int:
    """What a file costs ``model`` sent whole: a document's message, or an image's label and the image."""
    counter = TokenCounter.for_model(model)
    if attachment.is_image:
        pixels = image_tokens(model, attachment.width or 1, attachment.height or 1)
        return counter.count_message(Role.USER, image_label(attachment)) + pixels
    return whole_tokens(counter, attachment)


def _units(attachment: Attachment) -> str:
    if attachment.units and attachment.unit_name:
        return ", " + plural(attachment.units, attachment.unit_name)
    return ""


def store_with(a: Assembly, sha256: str) -> Store:
    """The store holding a file's chunks: the chat's, else the saved one (a temporary chat's draft)."""
    return a.store if a.store.attachments.has(sha256) else a.facts_store


def label_of(name: str, chunk: StoredChunk, total: int) -> str:
    return f"[{name}, {chunk.label or f'part {chunk.seq + 1} of {total:,}'}]"


def excerpt_words(query: str) -> list[str]:
    return [w for w in query_words(query) if w not in GENERIC_WORDS]


def attach(a: Assembly, seeing: Seeing) -> None:
    """Plan the anchor's files (call before the memory's share is taken: they come first)."""
    if a.anchor is None or not a.anchor.attachments:
        return
    decided: dict[int, ContextPart] = {}
    free = a.free
    too_long: list[tuple[int, Attachment, int]] = []
    for index, attachment in enumerate(a.anchor.attachments):
        if attachment.is_image:
            part = _image(a, attachment, seeing, free)
        else:
            whole = whole_tokens(a.counter, attachment)
            if whole > free:
                too_long.append((index, attachment, whole))
                continue
            reason = f"whole: {whole:,} tokens"
            message = ChatMessage(Role.USER, whole_text(attachment))
            part = ContextPart(PartKind.ATTACHMENT, (message,), whole, reason, attachment=attachment.sha256)
        if part is not None:
            decided[index] = part
            free -= part.tokens
    room = int(max(free, 0) * EXCERPT_SHARE)
    for n, (index, attachment, whole) in enumerate(too_long):
        part, omission = _excerpts(a, attachment, whole, room // (len(too_long) - n))
        a.omit(omission)
        if part is not None:
            decided[index] = part
            room -= part.tokens
            a.excerpted.append(Excerpted(attachment, whole, part, omission))
    for index in sorted(decided):  # in the order they were attached
        a.add(decided[index])


def grow_excerpts(a: Assembly) -> None:
    """Give the excerpts what memory left unused (a new chat has no history to keep): call last."""
    for n, old in enumerate(list(a.excerpted)):
        spare = a.free // (len(a.excerpted) - n)
        if spare < GROW_MIN:
            continue
        part, omission = _excerpts(a, old.attachment, old.whole, old.part.tokens + spare)
        if part is None or part.tokens <= old.part.tokens:
            continue
        a.parts[a.parts.index(old.part)] = part
        a.omitted[a.omitted.index(old.omission)] = omission
        a.free -= part.tokens - old.part.tokens
        a.excerpted[n] = Excerpted(old.attachment, old.whole, part, omission)


def _image(a: Assembly, attachment: Attachment, seeing: Seeing, free: int) -> ContextPart | None:
    sha, name = attachment.sha256, attachment.name
    text = image_label(attachment)
    cost = image_tokens(seeing.model, attachment.width or 1, attachment.height or 1)
    tokens = a.counter.count_message(Role.USER, text) + cost
    vision = reads_images(seeing.model, builtin=seeing.builtin)
    if vision is Vision.NO:
        who = "The built-in starter model" if seeing.builtin else seeing.model
        a.notices.append(
            f"{who} does not read images: {name} is not sent. Choose a model that reads images to send it."
        )
        a.omit(Omission(PartKind.ATTACHMENT, f"{name}: {who} does not read images", tokens, attachment=sha))
        return None
    path = AttachmentFiles(seeing.folder).path(sha) if seeing.folder is not None else None
    if path is None or not path.is_file():
        a.notices.append(f"The stored copy of {name} is missing from the data folder: attach it again.")
        a.omit(Omission(PartKind.ATTACHMENT, f"{name}: its stored copy is missing", tokens, attachment=sha))
        return None
    if tokens > free:
        reason = f"over budget: {name} needs {tokens:,} tokens, {max(free, 0):,} were left"
        a.omit(Omission(PartKind.ATTACHMENT, reason, tokens, attachment=sha))
        return None
    if vision is Vision.UNKNOWN:
        a.notices.append(
            f"{seeing.model} is not known to read images: {name} is sent; if the reply fails, "
            "choose a model that reads images."
        )
    image = ImageContent(name, attachment.media_type, path, attachment.size)
    reason = f"image: {tokens:,} tokens ({cost:,} by {counted_how(seeing.model)})"
    return ContextPart(
        PartKind.ATTACHMENT, (ChatMessage(Role.USER, text, images=(image,)),), tokens, reason, attachment=sha
    )


def excerpts_header(attachment: Attachment, total: int) -> str:
    return (
        f"{attachment.name} (attached{_units(attachment)}; too long to send whole): "
        f"excerpts of its {total:,} parts, in document order, the rest left out."
    )


def _excerpts(a: Assembly, attachment: Attachment, whole: int, limit: int) -> tuple[ContextPart | None, Omission]:
    sha, name = attachment.sha256, attachment.name
    store = store_with(a, sha)
    chunks = chunks_of(store, sha)
    total = len(chunks)
    words = excerpt_words(a.query)
    hits = store.attachments.search_chunks(" ".join(words), [sha], limit=SEARCH_LIMIT) if words else []
    header = excerpts_header(attachment, total)
    base = a.counter.count_message(Role.USER, header)
    by_seq = {c.seq: c for c in chunks}
    matched = [by_seq[h.seq] for h in hits if h.seq in by_seq]
    if matched:
        order = _around(matched, chunks)
        chosen = _fill(a, name, total, order, limit - base)
    else:
        chosen = _spread(a, name, total, chunks, limit - base)
    text, tokens, chosen = _exact(a, name, total, header, chosen, limit=limit)
    if not chosen:
        reason = f"over budget: {name} needs {whole:,} tokens whole, and not one excerpt fits the {limit:,} left"
        return None, Omission(PartKind.ATTACHMENT, reason, whole, attachment=sha)
    k = len(chosen)
    hit_seqs = {c.seq for c in matched}
    found = sum(1 for c in chosen if c.seq in hit_seqs)
    if matched:
        why = f"{found:,} that match{'es' if found == 1 else ''} {' '.join(words)!r}"
        if found < k:
            why += f", {k - found:,} around {'it' if found == 1 else 'them'} and from the beginning"
    else:
        why = "no word of your message picks out a part, so its beginning and excerpts spread evenly through it"
    reason = f"{k:,} of {plural(total, 'excerpt')}, {tokens:,} tokens: {why}; {total - k:,} left out"
    omission = Omission(
        PartKind.ATTACHMENT,
        f"{total - k:,} of {total:,} excerpts of {name}: over budget (whole it needs {whole:,} tokens)",
        max(whole - tokens, 0),
        attachment=sha,
    )
    part = ContextPart(PartKind.ATTACHMENT, (ChatMessage(Role.USER, text),), tokens, reason, attachment=sha)
    return part, omission


def _around(matched: list[StoredChunk], chunks: list[StoredChunk]) -> list[StoredChunk]:
    """The matching chunks best first, then each one's next and previous chunk, then the document's beginning."""
    seen: dict[int, StoredChunk] = {c.seq: c for c in matched}
    for c in matched:
        for seq in (c.seq + 1, c.seq - 1):
            if 0 <= seq < len(chunks) and seq not in seen:
                seen[seq] = chunks[seq]
    for c in chunks:
        seen.setdefault(c.seq, c)
    return list(seen.values())


def _cost(a: Assembly, name: str, total: int, chunk: StoredChunk) -> int:
    return _counts.get(a.counter, (chunk.sha256, chunk.seq), f"{label_of(name, chunk, total)}\n{chunk.text}") + 1


def _fill(a: Assembly, name: str, total: int, order: Iterable[StoredChunk], limit: int) -> list[StoredChunk]:
    chosen: list[StoredChunk] = []
    spent = misses = 0
    for chunk in order:
        cost = _cost(a, name, total, chunk)
        if spent + cost <= limit:
            chosen.append(chunk)
            spent += cost
            misses = 0
        else:
            misses += 1
            if misses >= MISSES:  # full, near enough: counting the rest of a long document would cost more
                break
    return chosen


def _spread(a: Assembly, name: str, total: int, chunks: list[StoredChunk], limit: int) -> list[StoredChunk]:
    """The beginning (half of ``limit``), then chunks spread evenly through the rest of the document."""
    beginning = _fill(a, name, total, _until_full(a, name, total, chunks, limit // 2), limit // 2)
    spent = sum(_cost(a, name, total, c) for c in beginning)
    rest = chunks[len(beginning) :]
    if not rest or not beginning:
        return beginning
    average = max(1, spent // len(beginning))
    wanted = max(1, (limit - spent) // average)
    step = len(rest) / wanted
    spread = [rest[min(len(rest) - 1, int(step * (i + 0.5)))] for i in range(min(wanted, len(rest)))]
    return beginning + _fill(a, name, total, dict.fromkeys(spread), limit - spent)


def _until_full(a: Assembly, name: str, total: int, chunks: list[StoredChunk], limit: int) -> list[StoredChunk]:
    """The leading chunks that fit ``limit`` (counting stops at the first that does not)."""
    taken, spent = [], 0
    for chunk in chunks:
        spent += _cost(a, name, total, chunk)
        if spent > limit:
            break
        taken.append(chunk)
    return taken


def render(name: str, total: int, header: str, chunks: Iterable[StoredChunk]) -> str:
    blocks = [f"{label_of(name, c, total)}\n{c.text}" for c in sorted(chunks, key=lambda c: c.seq)]
    return "\n\n".join([header, *blocks])


def _exact(
    a: Assembly, name: str, total: int, header: str, chosen: list[StoredChunk], *, limit: int
) -> tuple[str, int, list[StoredChunk]]:
    """The excerpts' message and its exact count; drops the last-chosen chunks while it is over ``limit``."""
    chosen = list(chosen)
    while chosen:
        text = render(name, total, header, chosen)
        tokens = a.counter.count_message(Role.USER, text)
        if tokens <= limit:
            return text, tokens, sorted(chosen, key=lambda c: c.seq)
        over = tokens - limit
        while chosen and over > 0:
            over -= _cost(a, name, total, chosen.pop())
    return "", 0, []
