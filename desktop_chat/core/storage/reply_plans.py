"""The plan each reply was made from, compactly: ids, counts and one-line reasons, never the text sent.

Written once when a reply starts (the controller), read by "why this reply" and
the JSON export. The text of a part is not kept: its message and fact ids say
where it came from, and the reply's own usage holds the provider's count.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from desktop_chat.core.models import ContextPlan, PartKind, PartRecord, ReplyPlan, Strategy
from desktop_chat.core.storage.db import Repository, from_db_time, to_db_time, utcnow

_COLUMNS = (
    "message_id, session_id, created_at, strategy, model, budget, context_window, reserved_reply,"
    " total_tokens, exact_counts, parts, omitted"
)


def record_json(record: PartRecord) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": record.kind.value, "tokens": record.tokens, "reason": record.reason}
    if record.message_ids:
        data["message_ids"] = list(record.message_ids)
    if record.fact_ids:
        data["fact_ids"] = list(record.fact_ids)
    if record.summary_through is not None:
        data["summary_through"] = record.summary_through
    if record.attachment is not None:
        data["attachment"] = record.attachment
    return data


def record_from_json(data: dict[str, Any]) -> PartRecord:
    through = data.get("summary_through")
    return PartRecord(
        kind=PartKind(data["kind"]),
        tokens=int(data.get("tokens", 0)),
        reason=str(data.get("reason", "")),
        message_ids=tuple(int(i) for i in data.get("message_ids", ())),
        fact_ids=tuple(int(i) for i in data.get("fact_ids", ())),
        summary_through=int(through) if through is not None else None,
        attachment=str(data["attachment"]) if data.get("attachment") else None,
    )


def records_of(plan: ContextPlan) -> tuple[tuple[PartRecord, ...], tuple[PartRecord, ...]]:
    """A plan's parts and omissions without their text."""
    parts = tuple(
        PartRecord(p.kind, p.tokens, p.reason, p.message_ids, p.fact_ids, p.summary_through, p.attachment)
        for p in plan.parts
    )
    omitted = tuple(
        PartRecord(o.kind, o.tokens, o.reason, o.message_ids, o.fact_ids, attachment=o.attachment) for o in plan.omitted
    )
    return parts, omitted


def _row_to_plan(row: Sequence[Any]) -> ReplyPlan:
    return ReplyPlan(
        message_id=row[0],
        session_id=row[1],
        created_at=from_db_time(row[2]),
        strategy=Strategy(row[3]),
        model=row[4],
        budget=row[5],
        context_window=row[6],
        reserved_reply=row[7],
        total_tokens=row[8],
        exact_counts=bool(row[9]),
        parts=tuple(record_from_json(d) for d in json.loads(row[10])),
        omitted=tuple(record_from_json(d) for d in json.loads(row[11])),
    )


class ReplyPlanRepository(Repository):
    def save(self, message_id: int, session_id: int, plan: ContextPlan) -> ReplyPlan:
        """Keep the plan a reply is being made from (replaces any earlier one for that message)."""
        parts, omitted = records_of(plan)
        return self.put(
            ReplyPlan(
                message_id=message_id,
                session_id=session_id,
                created_at=utcnow(),
                strategy=plan.strategy,
                model=plan.model,
                budget=plan.budget,
                context_window=plan.context_window,
                reserved_reply=plan.reserved_reply,
                total_tokens=plan.total_tokens,
                exact_counts=plan.exact_counts,
                parts=parts,
                omitted=omitted,
            )
        )

    def put(self, plan: ReplyPlan) -> ReplyPlan:
        """Write a plan as given (the importer's way in, with ids already remapped)."""
        self._conn.execute(
            f"INSERT OR REPLACE INTO reply_plans({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                plan.message_id,
                plan.session_id,
                to_db_time(plan.created_at),
                plan.strategy.value,
                plan.model,
                plan.budget,
                plan.context_window,
                plan.reserved_reply,
                plan.total_tokens,
                int(plan.exact_counts),
                json.dumps([record_json(p) for p in plan.parts], separators=(",", ":")),
                json.dumps([record_json(o) for o in plan.omitted], separators=(",", ":")),
            ),
        )
        return plan

    def get(self, message_id: int) -> ReplyPlan | None:
        row = self._conn.execute(f"SELECT {_COLUMNS} FROM reply_plans WHERE message_id = ?", (message_id,)).fetchone()
        return _row_to_plan(row) if row is not None else None

    def for_session(self, session_id: int) -> list[ReplyPlan]:
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM reply_plans WHERE session_id = ? ORDER BY message_id", (session_id,)
        )
        return [_row_to_plan(row) for row in rows]
