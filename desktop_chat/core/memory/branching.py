"""Keep a chat's memory true to its active branch after an edit, a regenerate or a retry.

Editing a message (or answering it again) takes it, or its reply, and
everything after it off the active branch. The running summary and the facts
may already have taken those messages in; left alone they would keep telling
the model about a conversation that no longer exists. ``after_branch`` runs in
the same transaction as the deactivation, so memory and messages never
disagree on disk:

- **Summary.** One that covers a removed message is rolled back. Its text
  cannot be split by message, so a summary the app wrote is dropped and upkeep
  re-summarises the active branch from its start. A summary the user edited is
  kept as the base: its ``covers_through`` goes back to the last active message
  before the branch point and ``edited_by_user`` stays set, so upkeep folds the
  new messages into the user's text (marked authoritative to the model)
  instead of replacing it.
- **Facts.** Extracted facts whose source message left the branch, and that
  the user neither pinned nor edited, leave the active set: status ``deleted``,
  actor ``system``, the reason naming the message. A fact one of them had
  superseded comes back when its own source is still on the branch, so
  "I moved to Berlin" edited away brings back "Paris".
- **Watermarks.** The summary and facts jobs' ``through_id`` go back below the
  branch point (state ``pending``), so upkeep reads the new branch.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from desktop_chat.core.models import Fact, FactStatus, JobName
from desktop_chat.core.storage.store import Store

log = logging.getLogger(__name__)

ACTOR = "system"

SummaryChange = Literal["untouched", "dropped", "rebased"]


@dataclass(frozen=True, slots=True)
class BranchOutcome:
    summary: SummaryChange  # dropped: upkeep writes a new one; rebased: the user's text kept as the base
    retired_facts: tuple[int, ...] = ()  # facts that left the active set
    restored_facts: tuple[int, ...] = ()  # facts they had superseded, active again


def after_branch(store: Store, session_id: int, branch_point_id: int) -> BranchOutcome:
    """Bring the summary, facts and upkeep watermarks back to the active branch.

    Call it after ``messages.deactivate_from(session_id, branch_point_id)``, inside
    the same transaction (it joins an open one).
    """
    with store.db.transaction():
        keep_through = store.messages.last_active_before(session_id, branch_point_id)
        summary = _roll_back_summary(store, session_id, branch_point_id, keep_through)
        # Every message off the branch, not only this edit's: an extraction that was in flight
        # during an earlier edit may have stored facts from a message that had just left.
        retired, restored = retire_facts_off_branch(store, session_id)
        _rewind(store, session_id, "facts", branch_point_id, keep_through)
    if summary != "untouched" or retired:
        log.info(
            "chat %s branched at message %s: summary %s, %d fact(s) retired, %d restored",
            session_id,
            branch_point_id,
            summary,
            len(retired),
            len(restored),
        )
    return BranchOutcome(summary, tuple(retired), tuple(restored))


def _roll_back_summary(store: Store, session_id: int, branch_point_id: int, keep_through: int | None) -> SummaryChange:
    summary = store.summaries.get(session_id)
    if summary is None or summary.covers_through < branch_point_id:
        change: SummaryChange = "untouched"
        through = summary.covers_through if summary else None
    elif summary.edited_by_user:
        # The user's words stay; the messages after keep_through are folded into them next time.
        store.summaries.save(
            session_id,
            summary.text,
            covers_through=keep_through or 0,
            token_count=summary.token_count,
            model=summary.model,
            edited_by_user=True,
            by="system",
        )
        change, through = "rebased", keep_through
    else:
        store.summaries.delete(session_id, by="system")
        change, through = "dropped", None
    if change != "untouched":
        _set_watermark(store, session_id, "summary", through)
    else:
        _rewind(store, session_id, "summary", branch_point_id, keep_through)
    return change


def retire_facts_off_branch(store: Store, session_id: int) -> tuple[list[int], list[int]]:
    """Retire extracted facts whose source message is off the active branch.

    Pinned and user-edited facts stay: they are the user's decision. Returns the
    ids retired and the ids restored (what a retired fact had superseded).
    Idempotent, so it can also run after an extraction that raced an edit.
    """
    retired: list[int] = []
    restored: list[int] = []
    for fact_id in store.facts.extracted_off_branch(session_id):
        fact = store.facts.get(fact_id)
        store.facts.set_status(
            fact.id,
            FactStatus.DELETED,
            actor=ACTOR,
            reason=f"its source message #{fact.source_message_id} was edited or answered again, "
            "so it is no longer part of the chat",
        )
        retired.append(fact.id)
        if fact.status is FactStatus.ACTIVE:
            back = _restore_predecessor(store, fact)
            if back is not None:
                restored.append(back.id)
    return retired, restored


def _off_branch(store: Store, message_id: int | None) -> bool:
    if message_id is None:
        return False  # a fact the user stated has no source message to lose
    return not store.messages.is_active(message_id)


def _restore_predecessor(store: Store, retired: Fact) -> Fact | None:
    """Make active again the newest fact in ``retired``'s supersede chain that is still on the branch."""
    current = retired
    while True:
        predecessor = store.facts.superseded_predecessor(current.id)
        if predecessor is None:
            return None
        current = predecessor
        if not _off_branch(store, current.source_message_id):
            break
    if any(f.status is FactStatus.ACTIVE for f in store.facts.history(current.key, current.scope)):
        return None  # the key has a value again already
    return store.facts.reactivate(
        current.id,
        actor=ACTOR,
        reason=f"restored: fact #{retired.id} that replaced it came from a message that is no longer in the chat",
    )


def _rewind(store: Store, session_id: int, job: JobName, branch_point_id: int, keep_through: int | None) -> None:
    """Move a job's watermark back below the branch point, if it had reached it."""
    through = store.upkeep_state.get(session_id, job).through_id
    if through is not None and through >= branch_point_id:
        _set_watermark(store, session_id, job, keep_through)


def _set_watermark(store: Store, session_id: int, job: JobName, through: int | None) -> None:
    store.upkeep_state.rewind(session_id, job, through)
