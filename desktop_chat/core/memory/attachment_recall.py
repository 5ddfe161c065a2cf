"""Files attached earlier in the chat, in later turns: memory like any message.

The message that carried a file is sent in history as its text plus a line naming the file
(``history.with_note``); the file itself is not sent again. Recall (the recall and hybrid
strategies) brings back the chunks of the chat's files that match the message being answered,
within ``CHUNK_SHARE`` of recall's tokens (recalled messages get the rest, and whatever the chunks
leave): one ``PartKind.ATTACHMENT`` part per file, "recalled from report.pdf (page 4)", sent
right before the message being answered like the files attached to it.
"""

from __future__ import annotations

from desktop_chat.core.memory.assembly import Assembly
from desktop_chat.core.memory.attachments import excerpt_words, label_of, plural, render
from desktop_chat.core.models import ChatMessage, ContextPart, Omission, PartKind, Role
from desktop_chat.core.storage.attachments import StoredChunk

# Of recall's tokens, the chunks of the chat's files take at most this share.
CHUNK_SHARE = 0.5
CHUNK_HITS = 40


def recall_chunks(a: Assembly, limit: int) -> int:
    """Add the chat's earlier files' chunks that match the query, within ``limit``; returns the tokens used."""
    limit = min(limit, a.free)
    if a.anchor is None or limit <= 0:
        return 0
    own = {x.sha256 for x in a.anchor.attachments}
    files = a.store.attachments.of_session(a.session_id)
    shas = list(dict.fromkeys(sha for message_id, sha in files if sha not in own and _before(a, message_id)))
    words = excerpt_words(a.query)
    if not shas or not words:
        return 0
    hits = a.store.attachments.search_chunks(" ".join(words), shas, limit=CHUNK_HITS)
    if not hits:
        return 0
    files_of = {sha: a.store.attachments.get(sha) for sha in dict.fromkeys(h.sha256 for h in hits)}
    totals = {sha: a.store.attachments.chunk_count(sha) for sha in files_of}
    chosen: dict[str, list[StoredChunk]] = {}
    spent = 0
    for hit in hits:  # best first
        name, total = files_of[hit.sha256].name, totals[hit.sha256]
        first = hit.sha256 not in chosen
        cost = a.text_tokens(f"{label_of(name, hit, total)}\n{hit.text}") + 1
        cost += a.counter.count_message(Role.USER, _header(name)) if first else 0
        if spent + cost > limit:
            continue
        chosen.setdefault(hit.sha256, []).append(hit)
        spent += cost
    used = 0
    for sha, chunks in chosen.items():
        name, total = files_of[sha].name, totals[sha]
        while chunks:
            text = render(name, total, _header(name), chunks)
            tokens = a.counter.count_message(Role.USER, text)
            if tokens <= min(limit - used, a.free):
                break
            chunks.pop()
        if not chunks:
            continue
        labels = ", ".join(c.label or f"part {c.seq + 1} of {total:,}" for c in sorted(chunks, key=lambda c: c.seq))
        reason = f"recalled from {name} ({labels}): {plural(len(chunks), 'excerpt')} that match your message"
        a.add(ContextPart(PartKind.ATTACHMENT, (ChatMessage(Role.USER, text),), tokens, reason, attachment=sha))
        used += tokens
    left = [h for h in hits if h not in chosen.get(h.sha256, [])]
    for sha in dict.fromkeys(h.sha256 for h in left):
        count = sum(1 for h in left if h.sha256 == sha)
        reason = f"{plural(count, 'more excerpt')} of {files_of[sha].name} found by search, but over budget"
        a.omit(Omission(PartKind.ATTACHMENT, reason, attachment=sha))
    return used


def _before(a: Assembly, message_id: int) -> bool:
    return a.below is None or message_id < a.below


def _header(name: str) -> str:
    return f"From {name}, attached earlier in this chat: the excerpts that match this message, in document order."
