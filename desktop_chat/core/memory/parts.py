"""The parts of a request besides the conversation: the instructions (never cut), facts, summary.

Each stays within the limit it is given."""

from __future__ import annotations

from desktop_chat.core.memory.assembly import Assembly
from desktop_chat.core.models import ChatMessage, ContextPart, Fact, FactStatus, Omission, PartKind, Role

PINNED_HEADER = "Pinned facts about the user:"
FACTS_HEADER = "Known facts about the user:"
PRIVATE_REASON = "private: sent only to local models, and this request goes to a remote provider"


def instruction_texts(a: Assembly) -> list[tuple[PartKind, str, str]]:
    """(kind, text, why) of the instructions that go first in every request: the user's custom instructions
    (a setting), then the chat's system prompt; blank ones are left out."""
    found = [
        (PartKind.INSTRUCTIONS, a.instructions, "your custom instructions (Settings → Instructions)"),
        (PartKind.SYSTEM_PROMPT, a.session.system_prompt, "this chat's system prompt"),
    ]
    return [(kind, text, why) for kind, text, why in found if text.strip()]


def add_instructions(a: Assembly) -> None:
    """The instructions, each its own system message and part; never cut (``check_fits`` ran first)."""
    for kind, text, why in instruction_texts(a):
        a.add(
            ContextPart(kind=kind, messages=(ChatMessage(Role.SYSTEM, text),), tokens=a.system_tokens(text), reason=why)
        )


def instruction_tokens(a: Assembly) -> int:
    return sum(a.system_tokens(text) for _, text, _ in instruction_texts(a))


# --- facts -----------------------------------------------------------------------


def fact_line(fact: Fact) -> str:
    return f"- {fact.key.replace('_', ' ')}: {fact.value}"


def add_facts(a: Assembly, limit: int) -> int:
    """Active facts of this chat and global ones: pinned first, then the rest, as many as fit ``limit``.

    Pinned facts count against ``limit`` but are not cut by it, only by the budget.
    """
    facts = a.facts_store.facts.visible(session_id=a.session_id, statuses=tuple(FactStatus))
    active = [f for f in facts if f.status == FactStatus.ACTIVE]
    if not a.local:
        # Private facts never leave the machine: only a local model may see them.
        private = [f for f in active if f.private]
        if private:
            a.omit(Omission(PartKind.FACTS, PRIVATE_REASON, fact_ids=tuple(f.id for f in private)))
            active = [f for f in active if not f.private]
    # The user pinned these: they may go past the share, as far as the budget allows.
    used = _facts_part(a, PartKind.PINNED_FACTS, PINNED_HEADER, [f for f in active if f.pinned], a.free)
    others = [f for f in active if not f.pinned]
    used += _facts_part(a, PartKind.FACTS, FACTS_HEADER, others, min(limit - used, a.free))
    _omit_inactive(a, facts)
    return used


def _facts_part(a: Assembly, kind: PartKind, header: str, facts: list[Fact], limit: int) -> int:
    if not facts:
        return 0
    chosen: list[Fact] = []
    estimate = a.system_tokens(header)
    for fact in facts:
        # Line by line is an estimate (a newline can merge with its neighbours); the exact count follows.
        cost = a.text_tokens("\n" + fact_line(fact))
        if estimate + cost > limit:
            break
        chosen.append(fact)
        estimate += cost
    text, tokens = "", 0
    while chosen:
        text = "\n".join([header, *(fact_line(f) for f in chosen)])
        tokens = a.system_tokens(text)
        if tokens <= limit:
            break
        chosen.pop()
    left_out = facts[len(chosen) :]
    if left_out:
        a.omit(
            Omission(
                kind,
                f"over budget: {len(left_out)} of {len(facts)} facts did not fit",
                fact_ids=tuple(f.id for f in left_out),
            )
        )
    if not chosen:
        return 0
    plural = "s" if len(chosen) != 1 else ""
    a.add(
        ContextPart(
            kind=kind,
            messages=(ChatMessage(Role.SYSTEM, text),),
            tokens=tokens,
            reason=f"{len(chosen)} {'pinned ' if kind == PartKind.PINNED_FACTS else ''}active fact{plural}",
            fact_ids=tuple(f.id for f in chosen),
        )
    )
    return tokens


_INACTIVE_REASONS = {
    FactStatus.PENDING: "pending: waiting for your approval",
    FactStatus.SUPERSEDED: "superseded fact: a newer value replaced it",
}


def _omit_inactive(a: Assembly, facts: list[Fact]) -> None:
    # Rejected and deleted facts were the user's decision: listing them would be noise.
    for status, reason in _INACTIVE_REASONS.items():
        ids = tuple(f.id for f in facts if f.status == status)
        if ids:
            a.omit(Omission(PartKind.FACTS, reason, fact_ids=ids))


# --- summary ---------------------------------------------------------------------


def summary_text(text: str, covers_through: int) -> str:
    return f"Summary of the earlier conversation (up to message #{covers_through}):\n{text.strip()}"


def add_summary(a: Assembly, limit: int) -> int | None:
    """The running summary if it fits ``limit``; returns the last message id it covers (None: no summary in)."""
    summary = a.store.summaries.get(a.session_id)
    if summary is None or not summary.text.strip():
        return None
    text = summary_text(summary.text, summary.covers_through)
    tokens = a.system_tokens(text)
    if tokens > min(limit, a.free):
        a.omit(
            Omission(
                PartKind.SUMMARY,
                f"over budget: the summary needs {tokens:,} tokens, {max(min(limit, a.free), 0):,} were left",
                tokens=tokens,
            )
        )
        return None
    a.add(
        ContextPart(
            kind=PartKind.SUMMARY,
            messages=(ChatMessage(Role.SYSTEM, text),),
            tokens=tokens,
            reason=f"running summary of messages up to #{summary.covers_through}",
            summary_through=summary.covers_through,
        )
    )
    return summary.covers_through
