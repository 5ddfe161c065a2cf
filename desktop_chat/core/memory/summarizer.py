"""The running summary: fold older turns into one capped text, keeping the last few verbatim.

The stored summary changes in one write at the very end, together with the
job's watermark. Anything that stops the job before that write (a failing
server, an empty answer, a cancelled task, a crash) leaves the old summary as it
was, and the next run redoes the whole fold from it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from desktop_chat.core.errors import SummaryRejected
from desktop_chat.core.memory.prompts import Line, summary_messages
from desktop_chat.core.models import Message, MessageStatus, Summary
from desktop_chat.core.providers import ChatClient
from desktop_chat.core.settings import Settings
from desktop_chat.core.storage.store import Store
from desktop_chat.core.tokens import TokenCounter

log = logging.getLogger(__name__)

# Tokens of conversation (plus the running summary) sent in one summarising request.
# Callers that know the upkeep model's context window can pass their own.
DEFAULT_CHUNK_TOKENS = 6000
_PROMPT_OVERHEAD = 400  # the instructions and the wrapping around the transcript
_MIN_LINE_BUDGET = 256
_LINE_OVERHEAD = 8  # "[assistant #123]" and the blank lines around it
_TRUNCATED_MARK = " […]"
_PAGE = 500  # unsummarised messages read at once (~5 ms)

SummaryStatus = Literal["updated", "skipped", "conflict"]


@dataclass(frozen=True, slots=True)
class SummaryOutcome:
    status: SummaryStatus
    summary: Summary | None  # what is stored after the run
    detail: str  # one line for logs and the memory inspector
    folded_ids: tuple[int, ...] = ()  # the messages this run folded into the summary
    requests: int = 0
    truncated: bool = False


async def _unsummarised(store: Store, session_id: int, after: int | None) -> list[Message]:
    """Finished messages after ``after``; a reply still streaming ends the span.

    Read a page at a time, letting the loop run between pages: upkeep runs on the window's thread,
    and a long chat never summarised (10,000 messages, ~100 ms to read at once) froze it after a reply.
    """
    span: list[Message] = []
    while True:
        page = store.messages.after(session_id, after, limit=_PAGE)
        for message in page:
            if message.status is MessageStatus.STREAMING:
                return span
            span.append(message)
        if len(page) < _PAGE:
            return span
        after = page[-1].id
        await asyncio.sleep(0)


def _fingerprint(summary: Summary | None) -> tuple[str, int, bool] | None:
    return None if summary is None else (summary.text, summary.covers_through, summary.edited_by_user)


def _left_branch(store: Store, session_id: int, folded: Sequence[Message]) -> bool:
    """Whether any folded message was edited away (or answered again) while the model worked."""
    active = store.messages.active_ids_after(session_id, folded[0].id - 1)
    return any(m.id not in active for m in folded)


def _chunks(messages: Sequence[Message], counter: TokenCounter, budget: int) -> Iterator[list[Line]]:
    """Consecutive groups of messages that each fit ``budget`` tokens; a lone giant is cut."""
    chunk: list[Line] = []
    used = 0
    for message in messages:
        content = message.content
        tokens = counter.count_text(content) + _LINE_OVERHEAD
        if tokens > budget:
            content = counter.truncate_to(content, budget - _LINE_OVERHEAD) + _TRUNCATED_MARK
            tokens = budget
        if chunk and used + tokens > budget:
            yield chunk
            chunk, used = [], 0
        chunk.append(Line(message.id, message.role, content))
        used += tokens
    if chunk:
        yield chunk


def _accept(answer: str, counter: TokenCounter, cap: int, session_id: int) -> tuple[str, bool]:
    text = answer.strip()
    if not text:
        raise SummaryRejected(
            "The summary model returned an empty summary; the old summary was kept and the update will run again."
        )
    tokens = counter.count_text(text)
    if tokens <= cap:
        return text, False
    log.warning("summary of session %s was %d tokens, over its cap of %d: truncated", session_id, tokens, cap)
    return counter.truncate_to(text, cap).rstrip(), True


async def update_summary(
    store: Store,
    client: ChatClient,
    session_id: int,
    *,
    model: str,
    settings: Settings,
    force: bool = False,
    chunk_tokens: int = DEFAULT_CHUNK_TOKENS,
) -> SummaryOutcome:
    """Fold what lies between the summary and the last ``summary_keep_last`` messages into it.

    Runs only when more than ``summary_trigger`` messages are unsummarised, unless
    ``force``. Raises ``ProviderError`` or ``SummaryRejected`` with the old summary intact.
    """
    previous = store.summaries.get(session_id)
    span = await _unsummarised(store, session_id, previous.covers_through if previous else None)
    if not force and len(span) <= settings.summary_trigger:
        return SummaryOutcome(
            "skipped",
            previous,
            f"{len(span)} unsummarised message(s); the summary waits for more than {settings.summary_trigger}",
        )
    keep = settings.summary_keep_last
    to_fold = span[: len(span) - keep] if keep else span
    if not to_fold:
        return SummaryOutcome("skipped", previous, f"nothing older than the last {keep} message(s) to summarise")

    cap = settings.summary_max_tokens
    counter = TokenCounter.for_model(model)
    text = previous.text if previous else None
    edited = previous.edited_by_user if previous else False
    # After the first fold the running text is at most `cap`; a user's edit may be longer.
    reserve = max(cap, counter.count_text(text) if text else 0)
    budget = max(_MIN_LINE_BUDGET, chunk_tokens - reserve - _PROMPT_OVERHEAD)
    truncated = False
    requests = 0
    served_model = model
    for lines in _chunks(to_fold, counter, budget):
        request = summary_messages(text, edited_by_user=edited, lines=lines, max_tokens=cap)
        completion = await client.complete(request, model=model, max_tokens=cap)
        requests += 1
        served_model = completion.model or model
        text, cut = _accept(completion.text, counter, cap, session_id)
        truncated = truncated or cut
    assert text is not None  # to_fold is not empty, so at least one fold ran

    through = to_fold[-1].id
    with store.db.transaction():
        current = store.summaries.get(session_id)
        if _fingerprint(current) != _fingerprint(previous):
            # The user edited (or another run replaced, or an edit rolled back) the summary while
            # we waited for the model: saving now would overwrite it. Redo from it next time.
            return SummaryOutcome(
                "conflict",
                current,
                "the summary changed while it was being updated; the update was discarded and will run again",
                requests=requests,
            )
        if _left_branch(store, session_id, to_fold):
            # An edit or a regenerate took folded messages off the branch meanwhile: the
            # new text would describe a conversation that no longer exists.
            return SummaryOutcome(
                "conflict",
                current,
                "messages were edited while the summary was being updated; the update was discarded and will run again",
                requests=requests,
            )
        saved = store.summaries.save(
            session_id,
            text,
            covers_through=through,
            token_count=counter.count_text(text),
            model=served_model,
            # A user's edit lives on inside the new text; the mark keeps telling the model so.
            edited_by_user=edited,
            by="upkeep",
        )
        store.upkeep_state.advance(session_id, "summary", through)
    log.info(
        "summary of session %s now covers through message %s (%d folded, %d request(s))",
        session_id,
        through,
        len(to_fold),
        requests,
    )
    return SummaryOutcome(
        "updated",
        saved,
        f"summarised {len(to_fold)} message(s) through message {through}"
        + (f", truncated to {cap} tokens" if truncated else ""),
        folded_ids=tuple(m.id for m in to_fold),
        requests=requests,
        truncated=truncated,
    )
