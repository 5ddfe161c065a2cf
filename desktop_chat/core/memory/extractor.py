"""Entity memory: extract the facts a user states about themselves, keep only grounded ones.

Per user message, one JSON-mode request; with ``facts_every`` above 1, one request for that many
messages (each fact names the message that states it, and is grounded in the message whose
words it really holds). The answer is validated as a whole
(any malformed part rejects all of it) and each fact is then checked against the
message it came from:

* grounded: its value, or the quote the extractor gives, occurs in the message
  (after normalising case, whitespace, Unicode forms and curly quotes, and
  matching whole words only); a quote counts only if every significant word of
  the value occurs in the quote. Anything else is stored as ``rejected`` with the
  reason, so the user sees what was refused.
* a new value for a key (``normalize_key``) in the same scope supersedes the
  active fact; the old one stays, marked superseded and pointing at the new one.
* a value the key already has (active or pending) changes nothing.
* a pinned fact, or one the user edited, is never replaced by extraction: the
  new value is stored as ``rejected`` ("conflicts with ...") and the user may
  approve it.
* with ``facts_require_approval`` new facts are ``pending`` and supersede only
  when approved (``approve_fact``).

The watermark (``upkeep_state.through_id``) moves past a message in the same
transaction as its facts. A server failure stops the job and the message is
retried next run, forever. An invalid answer is retried on the next runs up to
``MAX_ATTEMPTS`` times; then the message is skipped and the job reports failed
with the reason.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from desktop_chat.core.errors import ExtractionRejected
from desktop_chat.core.memory.prompts import batch_extraction_messages, extraction_messages
from desktop_chat.core.models import Fact, FactOrigin, FactStatus, Message
from desktop_chat.core.providers import ChatClient, JsonSchema
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.facts import normalize_key
from desktop_chat.core.storage.store import Store
from desktop_chat.core.tokens import TokenCounter

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # invalid answers for one message before it is skipped
MAX_ANSWER_CHARS = 20_000
MAX_FACTS = 20
MAX_KEY_CHARS = 64
MAX_VALUE_CHARS = 200
MAX_QUOTE_CHARS = 500
MAX_ANSWER_TOKENS = 600  # room for ~20 facts with quotes; longer answers came from models looping
# A short message gets a short answer budget: each fact copies words of the message (value and
# quote) plus ~20 tokens of key and JSON, so a small model looping in JSON fails in seconds.
ANSWER_BASE_TOKENS = 64
ANSWER_TOKENS_PER_MESSAGE_TOKEN = 6
# A value or quote may differ from the message by Unicode normalisation: a few characters of slack.
_LENGTH_SLACK = 16
MAX_MESSAGE_TOKENS = 4_000  # longer messages are cut for the request (grounding still sees all)
# With facts_every > 1, messages waiting for a full batch are read anyway once the oldest is this old.
FACTS_MAX_WAIT = timedelta(minutes=10)

# Words that say nothing about a value: "lives in Berlin" is grounded by a quote holding "Berlin".
_FILLER = frozenset(
    {
        *("a", "an", "the", "is", "am", "are", "was", "were", "be", "i", "i'm", "im", "my", "me", "mine"),
        *("to", "of", "in", "on", "at", "and", "or", "for", "with", "as", "by", "user", "user's", "s"),
    }
)
_TYPOGRAPHY = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})
_EDGE_PUNCTUATION = " \t.,;:!?\"'`()[]"
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)

Action = Literal["added", "pending", "superseded", "rejected", "unchanged"]


@dataclass(frozen=True, slots=True)
class Candidate:
    key: str
    value: str
    quote: str | None
    message_id: int | None = None  # the message a batched answer says states it


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    fact: Fact
    replaced: Fact | None = None  # the fact a new one superseded


@dataclass
class ExtractionOutcome:
    processed_ids: list[int] = field(default_factory=list)  # messages whose facts are committed
    decisions: list[Decision] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)  # message id -> why it was given up
    error: str | None = None  # one line, when the run stopped on an invalid answer or gave up on one
    waiting: int = 0  # messages left for a fuller batch (facts_every)
    requests: int = 0  # requests sent

    @property
    def failed(self) -> bool:
        return self.error is not None

    def count(self, action: Action) -> int:
        return sum(1 for d in self.decisions if d.action == action)

    @property
    def detail(self) -> str:
        if self.error:
            return self.error
        parts = [f"{len(self.processed_ids)} message(s) read"]
        parts += [f"{self.count(a)} {a}" for a in ("added", "pending", "superseded", "rejected") if self.count(a)]
        if self.waiting:
            parts.append(f"{self.waiting} waiting for the next batch")
        return ", ".join(parts)


# --- validating the answer ------------------------------------------------------------


def parse_answer(text: str) -> list[Candidate]:
    """The facts in an extractor answer, or ``ExtractionRejected`` saying what is wrong with it."""
    if len(text) > MAX_ANSWER_CHARS:
        raise ExtractionRejected(f"the answer is {len(text)} characters long, over {MAX_ANSWER_CHARS}")
    body = text.strip()
    fenced = _FENCE.match(body)
    if fenced:  # some servers wrap JSON in a code fence even in JSON mode
        body = fenced.group(1)
    try:
        data: Any = json.loads(body)
    except ValueError:
        raise ExtractionRejected("the answer is not valid JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("facts"), list):
        raise ExtractionRejected('the answer is not a JSON object with a "facts" list')
    items: list[Any] = data["facts"]
    if len(items) > MAX_FACTS:
        raise ExtractionRejected(f"the answer lists {len(items)} facts, over {MAX_FACTS}")
    return [_candidate(index, item) for index, item in enumerate(items, start=1)]


def _candidate(index: int, item: Any) -> Candidate:
    if not isinstance(item, dict):
        raise ExtractionRejected(f"fact {index} is not an object")
    key, value, quote = item.get("key"), item.get("value"), item.get("quote")
    if not isinstance(key, str) or not isinstance(value, str):
        raise ExtractionRejected(f'fact {index}: "key" and "value" must be strings')
    if quote is not None and not isinstance(quote, str):
        raise ExtractionRejected(f'fact {index}: "quote" must be a string')
    message_id = item.get("message")
    if message_id is not None and (isinstance(message_id, bool) or not isinstance(message_id, int)):
        raise ExtractionRejected(f'fact {index}: "message" must be the id of a message')
    if not normalize_key(key) or not value.strip():
        raise ExtractionRejected(f"fact {index} has an empty key or value")
    if len(key) > MAX_KEY_CHARS or len(value) > MAX_VALUE_CHARS or len(quote or "") > MAX_QUOTE_CHARS:
        raise ExtractionRejected(
            f"fact {index} is too long (key ≤ {MAX_KEY_CHARS}, value ≤ {MAX_VALUE_CHARS}, "
            f"quote ≤ {MAX_QUOTE_CHARS} characters)"
        )
    return Candidate(key, value.strip(), quote.strip() if quote and quote.strip() else None, message_id)


# --- grounding ---------------------------------------------------------------------------


def normalise_text(text: str) -> str:
    """Case, whitespace, Unicode forms and curly quotes do not count as differences."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(_TYPOGRAPHY).casefold().split())


def _contains(haystack: str, needle: str) -> bool:
    """Whole-word containment of already-normalised text ("Ann" is not in "Anna")."""
    needle = needle.strip(_EDGE_PUNCTUATION)
    if not needle:
        return False
    return re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack) is not None


def ungrounded_reason(candidate: Candidate, message: Message) -> str | None:
    """None when the fact is grounded in ``message``; otherwise why it is not."""
    text = normalise_text(message.content)
    value = normalise_text(candidate.value)
    if _contains(text, value):
        return None
    if candidate.quote is None:
        return f"not grounded: the value does not appear in message {message.id} and no quote was given"
    quote = normalise_text(candidate.quote)
    if not _contains(text, quote):
        return f"not grounded: neither the value nor the quote appears in message {message.id}"
    quote_words = set(re.findall(r"\w+", quote))
    needed = [w for w in re.findall(r"\w+", value) if w not in _FILLER]
    missing = [w for w in needed if w not in quote_words]
    if needed and not missing:
        return None
    shown = ", ".join(missing) or candidate.value
    return f"not grounded: the quote from message {message.id} does not state the value (missing: {shown})"


# --- deciding what to store ------------------------------------------------------------------


def same_value(a: str, b: str) -> bool:
    """Two fact values say the same thing (case, spacing and typography aside)."""
    return normalise_text(a) == normalise_text(b)


def _decide(  # noqa: PLR0911 - one early return per outcome reads best
    store: Store, candidate: Candidate, message: Message, scope: int | None, approval: bool
) -> Decision:
    facts = store.facts
    history = facts.history(candidate.key, scope)
    for fact in history:
        if fact.source_message_id == message.id and same_value(fact.value, candidate.value):
            return Decision("unchanged", fact)  # this message was read before: idempotent
    for fact in history:
        if fact.status in (FactStatus.ACTIVE, FactStatus.PENDING) and same_value(fact.value, candidate.value):
            return Decision("unchanged", fact)

    def add(status: FactStatus, reason: str | None = None) -> Fact:
        return facts.add(
            candidate.key,
            candidate.value,
            scope=scope,
            origin=FactOrigin.EXTRACTED,
            status=status,
            source_message_id=message.id,
            source_quote=candidate.quote or candidate.value,
            reason=reason,
            actor="extractor",
        )

    reason = ungrounded_reason(candidate, message)
    if reason is not None:
        return Decision("rejected", add(FactStatus.REJECTED, reason))
    active = next((f for f in reversed(history) if f.status is FactStatus.ACTIVE), None)
    if active is not None and (active.pinned or active.edited_by_user):
        kind = "pinned" if active.pinned else "edited"
        reason = (
            f"conflicts with the {kind} fact #{active.id} ({active.key} = {active.value}); "
            "approve this one to replace it"
        )
        return Decision("rejected", add(FactStatus.REJECTED, reason))
    if approval:
        return Decision("pending", add(FactStatus.PENDING))
    new = add(FactStatus.ACTIVE)
    if active is None:
        return Decision("added", new)
    facts.supersede(active.id, new.id, actor="extractor")
    return Decision("superseded", new, replaced=active)


def _apply(
    store: Store, candidates: list[Candidate], message: Message, scope: int | None, approval: bool
) -> list[Decision]:
    decisions: list[Decision] = []
    seen: set[str] = set()
    for candidate in candidates:
        key = normalize_key(candidate.key)
        if key in seen:
            # Two values for one key in one message would supersede each other; keep the
            # first and show the rest as refused rather than silently dropping them.
            reason = f'the extractor gave several values for "{key}" in message {message.id}; only the first was kept'
            fact = store.facts.add(
                candidate.key,
                candidate.value,
                scope=scope,
                origin=FactOrigin.EXTRACTED,
                status=FactStatus.REJECTED,
                source_message_id=message.id,
                source_quote=candidate.quote or candidate.value,
                reason=reason,
                actor="extractor",
            )
            decisions.append(Decision("rejected", fact))
            continue
        seen.add(key)
        decisions.append(_decide(store, candidate, message, scope, approval))
    return decisions


# --- the request ---------------------------------------------------------------------------------


def answer_schema(message_text: str, message_ids: tuple[int, ...] = ()) -> JsonSchema:
    """The answer's shape, bounded by what ``message_text`` can ground.

    A grounded value or quote occurs in the message, so neither can be longer than it;
    each fact needs at least one of its words. ``message_ids``: a batch's messages, one of which
    each fact must name (``message_text`` is then their longest). Servers that build a grammar from the
    schema (llama.cpp and others) then cannot let a model ramble inside a string or
    list facts forever; ``parse_answer`` checks the same limits for servers that do not.
    """
    room = len(message_text) + _LENGTH_SLACK
    words = len(re.findall(r"\w+", message_text))
    fact: dict[str, Any] = {
        "type": "object",
        "properties": {
            "key": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_CHARS},
            "value": {"type": "string", "minLength": 1, "maxLength": min(MAX_VALUE_CHARS, room)},
            "quote": {"type": "string", "maxLength": min(MAX_QUOTE_CHARS, room)},
        },
        "required": ["key", "value", "quote"],
        "additionalProperties": False,
    }
    if message_ids:
        fact["properties"] = {"message": {"type": "integer", "enum": list(message_ids)}, **fact["properties"]}
        fact["required"] = ["message", "key", "value", "quote"]
    schema = {
        "type": "object",
        "properties": {"facts": {"type": "array", "items": fact, "maxItems": max(1, min(MAX_FACTS, words))}},
        "required": ["facts"],
        "additionalProperties": False,
    }
    return JsonSchema("facts", schema)


def answer_tokens(message_tokens: int) -> int:
    """The reply cap for extracting from a message of ``message_tokens`` tokens."""
    return min(MAX_ANSWER_TOKENS, ANSWER_BASE_TOKENS + ANSWER_TOKENS_PER_MESSAGE_TOKEN * message_tokens)


# --- the job ------------------------------------------------------------------------------------


def fact_scope(settings: Settings, session_id: int) -> int | None:
    return None if settings.facts_scope == "global" else session_id


def _attribute(candidates: list[Candidate], batch: list[Message]) -> dict[int, list[Candidate]]:
    """Each fact of a batched answer goes to the message whose words ground it, the one it names first.

    A fact no message grounds goes to the message it names (else the last), to be stored rejected
    with the reason: a model naming the wrong message cannot make an ungrounded fact stick.
    """
    by_id = {m.id: m for m in batch}
    found: dict[int, list[Candidate]] = {m.id: [] for m in batch}
    for candidate in candidates:
        named = by_id.get(candidate.message_id) if candidate.message_id is not None else None
        order = [named, *batch] if named is not None else batch
        grounded = next((m for m in order if m is not None and ungrounded_reason(candidate, m) is None), None)
        found[(grounded or named or batch[-1]).id].append(candidate)
    return found


def _batch_tokens(message_tokens: int, messages: int) -> int:
    """``answer_tokens`` for several messages: their words and each its own cap, ids included."""
    return min(MAX_ANSWER_TOKENS * messages, ANSWER_BASE_TOKENS + ANSWER_TOKENS_PER_MESSAGE_TOKEN * message_tokens)


def _waiting(store: Store, session_id: int, through: int | None, size: int) -> list[Message]:
    """The next ``size`` user messages after the watermark (fewer when fewer are waiting)."""
    batch: list[Message] = []
    after = through
    while len(batch) < size and (message := store.messages.next_user_message(session_id, after)) is not None:
        batch.append(message)
        after = message.id
    return batch


async def _ask(client: ChatClient, batch: list[Message], model: str, counter: TokenCounter) -> str:
    """One request for the batch: one message as it always was asked, several with their ids."""
    texts = [(m.id, counter.truncate_to(m.content, MAX_MESSAGE_TOKENS)) for m in batch if m.content.strip()]
    ids: tuple[int, ...]
    if len(texts) == 1:
        (_, text), ids = texts[0], ()
        messages = extraction_messages(text)
    else:
        text = max((t for _, t in texts), key=len)
        ids = tuple(i for i, _ in texts)
        messages = batch_extraction_messages(texts)
    tokens = sum(counter.count_text(t) for _, t in texts)
    completion = await client.complete(
        messages,
        model=model,
        json_mode=True,
        json_schema=answer_schema(text, ids),
        max_tokens=_batch_tokens(tokens, len(texts)) if ids else answer_tokens(tokens),
        temperature=0,
    )
    return completion.text


async def extract_facts(
    store: Store,
    client: ChatClient,
    session_id: int,
    *,
    model: str,
    settings: Settings,
    max_attempts: int = MAX_ATTEMPTS,
    flush: bool = False,
) -> ExtractionOutcome:
    """Read the user messages after the facts watermark, ``settings.facts_every`` per request, in order.

    A batch not full yet waits for more messages, unless ``flush`` (the user asked for upkeep) or its
    oldest message is ``FACTS_MAX_WAIT`` old. Raises ``ProviderError`` when the server fails (what was
    committed stays, the rest is retried next run); invalid answers are reported in the outcome.
    """
    scope = fact_scope(settings, session_id)
    size = max(1, settings.facts_every)
    outcome = ExtractionOutcome()
    through = store.upkeep_state.get(session_id, "facts").through_id
    counter: TokenCounter | None = None
    # Re-read after each batch, so messages sent while the job runs are picked up too.
    while batch := _waiting(store, session_id, through, size):
        if len(batch) < size and not flush and datetime.now(UTC) - batch[0].created_at < FACTS_MAX_WAIT:
            outcome.waiting = len(batch)
            break
        last = batch[-1].id
        candidates: dict[int, list[Candidate]] = {m.id: [] for m in batch}
        if any(m.content.strip() for m in batch):
            counter = counter or TokenCounter.for_model(model)
            answer = await _ask(client, batch, model, counter)
            outcome.requests += 1
            try:
                candidates = _attribute(parse_answer(answer), [m for m in batch if m.content.strip()])
            except ExtractionRejected as exc:
                attempts = store.upkeep_state.note_failed_attempt(session_id, "facts")
                which = f"message {batch[0].id}" if len(batch) == 1 else f"messages {batch[0].id}-{last}"
                log.warning(
                    "fact extractor answer for %s rejected (%s), attempt %d of %d: %.200r",
                    which,
                    exc,
                    attempts,
                    max_attempts,
                    answer,
                )
                if attempts < max_attempts:
                    outcome.error = (
                        f"The fact extractor's answer for {which} was rejected ({exc}); "
                        f"it will be retried (attempt {attempts} of {max_attempts})."
                    )
                    return outcome
                for message in batch:
                    outcome.skipped[message.id] = str(exc)
                outcome.error = f"Gave up extracting facts from {which} after {attempts} invalid answers ({exc})."
                store.upkeep_state.advance(session_id, "facts", last)
                through = last
                continue
        with store.db.transaction():
            for message in batch:
                found = candidates.get(message.id, [])
                outcome.decisions += _apply(store, found, message, scope, settings.facts_require_approval)
            store.upkeep_state.advance(session_id, "facts", last)
        outcome.processed_ids += [m.id for m in batch]
        through = last
    return outcome
